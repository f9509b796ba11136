//! CyberArk Identity's provisioning settings as harness options (idp-behavior.md §5, CA-6,
//! CA-7, CA-10): what happens to an existing target user with the same principal name, what
//! de-provisioning does and when, and whether jobs run in Preview mode. Parsing only; what
//! they change lives with the requests.

use std::collections::BTreeMap;

use super::CyberArk;
use crate::profile::{ExistingUser, ProfileError};

/// The de-provisioning setting (CA-6): what a user that leaves the app's roles becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprovisioning {
    /// Deactivate: a PUT of the whole user with `active: false` \[I\] (the default here).
    Disable,
    /// `DELETE /Users/{id}` \[I\].
    Delete,
    /// "Do not de-provision (deactivate or delete) users in target application".
    None,
}

/// Options a scenario or `--option` may set.
pub const OPTIONS: &[&str] = &[
    "existing_user",
    "deprovision",
    "deprovision_disabled",
    "preview",
];

fn bad(key: &str, value: &str, expected: &'static str) -> ProfileError {
    ProfileError::BadOption {
        key: key.to_string(),
        value: value.to_string(),
        expected,
    }
}

impl CyberArk {
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, ProfileError> {
        let mut ca = CyberArk {
            existing_user: ExistingUser::Adopt,
            deprovisioning: Deprovisioning::Disable,
            deprovision_disabled: false,
            preview: false,
        };
        for (key, value) in options {
            match key.as_str() {
                "existing_user" => {
                    ca.existing_user = match value.as_str() {
                        "overwrite" => ExistingUser::Adopt,
                        "no-overwrite" => ExistingUser::Leave,
                        _ => return Err(bad(key, value, "`overwrite` or `no-overwrite`")),
                    }
                }
                "deprovision" => {
                    ca.deprovisioning = match value.as_str() {
                        "disable" => Deprovisioning::Disable,
                        "delete" => Deprovisioning::Delete,
                        "none" => Deprovisioning::None,
                        _ => return Err(bad(key, value, "`disable`, `delete` or `none`")),
                    }
                }
                "deprovision_disabled" => {
                    ca.deprovision_disabled = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(key, value, "`true` or `false`")),
                    }
                }
                "preview" => {
                    ca.preview = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(key, value, "`true` or `false`")),
                    }
                }
                _ => {
                    return Err(ProfileError::UnknownOption {
                        profile: "cyberark",
                        key: key.clone(),
                        known: OPTIONS.join(", "),
                    })
                }
            }
        }
        Ok(ca)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ca, options};
    use super::*;
    use crate::profile::{Deprovision, DeprovisionAction, Profile};

    #[test]
    fn defaults_overwrite_and_deactivate_but_keep_disabled_users() {
        let p = ca(&[]);
        assert_eq!(p.existing_user(), ExistingUser::Adopt);
        assert_eq!(p.deprovisioning, Deprovisioning::Disable);
        assert!(!p.deprovision_disabled);
        assert!(p.job().commits_writes, "preview is off unless asked for");
    }

    #[test]
    fn options_are_checked() {
        let err = |pairs: &[(&str, &str)]| CyberArk::from_options(&options(pairs)).err();
        assert!(matches!(
            err(&[("remove_action", "delete")]),
            Some(ProfileError::UnknownOption {
                profile: "cyberark",
                ..
            })
        ));
        for bad in [
            ("existing_user", "merge"),
            ("deprovision", "suspend"),
            ("deprovision_disabled", "yes"),
            ("preview", "on"),
        ] {
            assert!(
                matches!(err(&[bad]), Some(ProfileError::BadOption { .. })),
                "{bad:?}"
            );
        }
        let p = ca(&[
            ("existing_user", "no-overwrite"),
            ("deprovision", "delete"),
            ("deprovision_disabled", "true"),
            ("preview", "true"),
        ]);
        assert_eq!(p.existing_user(), ExistingUser::Leave);
        assert!(!p.job().commits_writes, "preview withholds writes");
        assert_eq!(
            p.deprovision(Deprovision::Disabled),
            DeprovisionAction::Delete
        );
    }
}
