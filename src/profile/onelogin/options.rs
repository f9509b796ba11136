//! OneLogin's app settings as harness options (idp-behavior.md §6): the SCIM JSON template
//! (OL-1), the action on removal (OL-5) and the observed template quirks (OL-6). Parsing
//! only; what they change lives with the requests in `mod.rs`.

use std::collections::BTreeMap;

use super::template::Template;
use super::OneLogin;
use crate::profile::ProfileError;

/// "When users are deleted in OneLogin, or the user's app access is removed" (OL-5, `ol-test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalAction {
    /// `DELETE /Users/{id}`.
    Delete,
    /// Deactivate: the update with `active` false.
    Suspend,
    /// Nothing is sent; the account stays as it is.
    Nothing,
}

/// Options a scenario or `--option` may set.
pub const OPTIONS: &[&str] = &[
    "removal_action",
    "template_file",
    "string_active",
    "null_id",
    "emails_without_primary",
    "patch_email_object",
];

fn bad(key: &str, value: &str, expected: &'static str) -> ProfileError {
    ProfileError::BadOption {
        key: key.to_string(),
        value: value.to_string(),
        expected,
    }
}

fn flag(key: &str, value: &str) -> Result<bool, ProfileError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(key, value, "`true` or `false`")),
    }
}

impl OneLogin {
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, ProfileError> {
        let mut p = OneLogin {
            template: Template::default_template(),
            // [I] `ol-test` names the three actions and no default; suspend is the one that
            // destroys nothing and can be undone (PingOne's default is chosen the same way).
            removal: RemovalAction::Suspend,
            // [observed] `keepnet`: templates "often" write `"active": "{$user.active}"`.
            string_active: true,
            // [observed] `keepnet`: the same templates carry `"id": null`.
            null_id: true,
            // [observed] emails without `primary` are reported, but OneLogin's own template
            // example and the setup guides (`livingsec`) write `"primary": true`: off.
            emails_without_primary: false,
            // [observed] `djscim2`: OneLogin's PATCH replace carries `emails` as one object.
            patch_email_object: true,
        };
        for (key, value) in options {
            match key.as_str() {
                "removal_action" => {
                    p.removal = match value.as_str() {
                        "delete" => RemovalAction::Delete,
                        "suspend" => RemovalAction::Suspend,
                        "nothing" => RemovalAction::Nothing,
                        _ => return Err(bad(key, value, "`delete`, `suspend` or `nothing`")),
                    }
                }
                "template_file" => {
                    // [I] relative to the working directory, as every path on the command
                    // line is; scenarios name files from the repository root.
                    let text = std::fs::read_to_string(value).map_err(|e| {
                        bad(
                            key,
                            &format!("{value} ({e})"),
                            "a readable SCIM JSON template file",
                        )
                    })?;
                    p.template = Template::parse(&text).map_err(|e| {
                        bad(
                            key,
                            &format!("{value} ({e})"),
                            "a SCIM JSON template with `{$user.*}` placeholders",
                        )
                    })?;
                }
                "string_active" => p.string_active = flag(key, value)?,
                "null_id" => p.null_id = flag(key, value)?,
                "emails_without_primary" => p.emails_without_primary = flag(key, value)?,
                "patch_email_object" => p.patch_email_object = flag(key, value)?,
                _ => {
                    return Err(ProfileError::UnknownOption {
                        profile: "onelogin",
                        key: key.clone(),
                        known: OPTIONS.join(", "),
                    })
                }
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_observations() {
        let p = OneLogin::from_options(&opts(&[])).expect("defaults");
        assert_eq!(p.removal, RemovalAction::Suspend);
        assert!(p.string_active && p.null_id && p.patch_email_object);
        assert!(!p.emails_without_primary);
        let p = OneLogin::from_options(&opts(&[
            ("removal_action", "nothing"),
            ("string_active", "false"),
            ("null_id", "false"),
            ("emails_without_primary", "true"),
            ("patch_email_object", "false"),
        ]))
        .expect("valid");
        assert_eq!(p.removal, RemovalAction::Nothing);
        assert!(!p.string_active && !p.null_id && !p.patch_email_object);
        assert!(p.emails_without_primary);
    }

    #[test]
    fn a_template_file_replaces_the_shipped_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("t.json");
        std::fs::write(
            &file,
            r#"{"userName": "{$user.email}", "title": "{$user.title}"}"#,
        )
        .expect("write");
        let path = file.to_string_lossy().to_string();
        let p = OneLogin::from_options(&opts(&[("template_file", &path)])).expect("valid");
        assert_eq!(
            p.template.slots.iter().map(|s| s.path).collect::<Vec<_>>(),
            vec!["userName", "title"]
        );
        std::fs::write(&file, r#"{"title": "{$user.title}"}"#).expect("write");
        let err = OneLogin::from_options(&opts(&[("template_file", &path)]))
            .expect_err("no userName")
            .to_string();
        assert!(err.contains("no placeholder for `userName`"), "{err}");
        drop(dir);
        let err = OneLogin::from_options(&opts(&[("template_file", "/no/such/template.json")]))
            .expect_err("missing file")
            .to_string();
        assert!(err.contains("/no/such/template.json ("), "{err}");
    }

    #[test]
    fn bad_and_unknown_options_are_rejected() {
        for (k, v) in [
            ("removal_action", "disable"),
            ("string_active", "yes"),
            ("null_id", "1"),
            ("emails_without_primary", "True"),
            ("patch_email_object", ""),
        ] {
            let err = OneLogin::from_options(&opts(&[(k, v)]));
            assert!(
                matches!(err, Err(ProfileError::BadOption { .. })),
                "{k}={v}"
            );
        }
        assert!(matches!(
            OneLogin::from_options(&opts(&[("remove_action", "delete")])),
            Err(ProfileError::UnknownOption {
                profile: "onelogin",
                ..
            })
        ));
    }
}
