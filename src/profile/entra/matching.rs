//! Entra's matching attributes (E-10, E-47): the admin gives target attributes a matching
//! precedence; an unlinked object is looked up with one `eq` filter per attribute, highest
//! precedence first, until one finds something. Combinations are never matched together.

use super::{Entra, WORK_EMAIL};
use crate::profile::ProfileError;
use crate::profile::{eq_filter_path, DesiredUser, Lookup, MatchKey, ScimRequest};

/// The user attributes Entra is documented to match on (`ms-scim-tutorial`,
/// `ms-customize-attrs`): `userName` is the default mapping's only one (precedence 1).
pub const USER_MATCHING: &[&str] = &["userName", "externalId", WORK_EMAIL];

/// The group attributes: `displayName` is the default mapping's matching attribute;
/// `externalId` is the documented alternative (`ms-scim-tutorial`).
pub const GROUP_MATCHING: &[&str] = &["displayName", "externalId"];

/// A comma-separated list of matching attributes, in precedence order: each one of
/// `allowed`, none twice, at least one.
pub(super) fn parse(
    key: &str,
    value: &str,
    allowed: &[&'static str],
    expected: &'static str,
) -> Result<Vec<&'static str>, ProfileError> {
    let bad = || ProfileError::BadOption {
        key: key.to_string(),
        value: value.to_string(),
        expected,
    };
    let mut out: Vec<&'static str> = Vec::new();
    for name in value.split(',').map(str::trim) {
        let attr = allowed.iter().find(|a| **a == name).ok_or_else(bad)?;
        if out.contains(attr) {
            return Err(bad());
        }
        out.push(attr);
    }
    Ok(out)
}

/// `GET /Users?filter=<attr> eq "<value>"`.
pub(super) fn user_filter(attr: &str, value: &str) -> ScimRequest {
    ScimRequest::get(eq_filter_path("/Users?filter=", attr, value, ""))
}

/// `GET /Groups?excludedAttributes=members&filter=<attr> eq "<value>"`: Entra never reads
/// members back (§1.7).
pub(super) fn group_filter(attr: &str, value: &str) -> ScimRequest {
    ScimRequest::get(eq_filter_path(
        "/Groups?excludedAttributes=members&filter=",
        attr,
        value,
        "",
    ))
}

impl Entra {
    /// One lookup per matching attribute that the desired user has a value for, in
    /// precedence order. An attribute without a value is passed over `[I]`: Entra cannot
    /// put an empty value in a filter, and the sources do not say what it logs then.
    pub(super) fn lookups_for_user(&self, desired: &DesiredUser) -> Vec<Lookup> {
        self.matching
            .iter()
            .filter_map(|attr| {
                let value = desired.get(attr)?.as_str()?;
                let key = match *attr {
                    "userName" => MatchKey::user_name(value),
                    // The work email is held in `emails`; a resource is the user when any of
                    // its email values equals the address, case-insensitively (`emails.value`
                    // is not caseExact, RFC 7643 §4.1.2) `[I]`: whether the matched element
                    // must also carry `type: work` is not a question of ownership.
                    WORK_EMAIL => MatchKey::user_attribute("emails", value),
                    other => MatchKey::user_attribute(other, value),
                };
                Some(Lookup {
                    request: user_filter(attr, value),
                    key,
                })
            })
            .collect()
    }

    /// One lookup per group matching attribute, in precedence order.
    pub(super) fn lookups_for_group(&self, display_name: &str, external_id: &str) -> Vec<Lookup> {
        self.group_matching
            .iter()
            .map(|attr| match *attr {
                "externalId" => Lookup {
                    request: group_filter(attr, external_id),
                    key: MatchKey::group_external_id(external_id),
                },
                _ => Lookup {
                    request: group_filter(attr, display_name),
                    key: MatchKey::display_name(display_name),
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::profile::Profile;

    fn with(options: &[(&str, &str)]) -> Result<Entra, ProfileError> {
        Entra::from_options(
            &options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn alice() -> DesiredUser {
        DesiredUser {
            attrs: vec![
                ("userName", json!("alice@contoso.com")),
                ("externalId", json!("alice")),
                (WORK_EMAIL, json!("Alice@Contoso.com")),
            ],
        }
    }

    fn paths(lookups: &[Lookup]) -> Vec<&str> {
        lookups.iter().map(|l| l.request.path.as_str()).collect()
    }

    #[test]
    fn by_default_users_match_on_user_name_and_groups_on_display_name() {
        let e = with(&[]).expect("defaults");
        let users = e.user_lookups(&alice());
        assert_eq!(
            paths(&users),
            ["/Users?filter=userName+eq+%22alice%40contoso.com%22"]
        );
        assert_eq!(users[0].key, MatchKey::user_name("alice@contoso.com"));
        let groups = e.group_lookups("Sales", "0b1c");
        assert_eq!(
            paths(&groups),
            ["/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales%22"]
        );
        assert_eq!(groups[0].key, MatchKey::display_name("Sales"));
    }

    #[test]
    fn matching_attributes_are_looked_up_in_precedence_order() {
        let e = with(&[
            (
                "matching",
                "externalId, userName,emails[type eq \"work\"].value",
            ),
            ("group_matching", "externalId,displayName"),
        ])
        .expect("valid matching");
        let users = e.user_lookups(&alice());
        assert_eq!(
            paths(&users),
            [
                "/Users?filter=externalId+eq+%22alice%22",
                "/Users?filter=userName+eq+%22alice%40contoso.com%22",
                "/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22Alice%40Contoso.com%22",
            ]
        );
        // externalId is caseExact; the work email is any of `emails`, case-insensitively.
        assert!(users[0].key.held_by(&json!({"externalId": "alice"})));
        assert!(!users[0].key.held_by(&json!({"externalId": "Alice"})));
        assert!(users[2]
            .key
            .held_by(&json!({"emails": [{"value": "alice@contoso.com", "type": "work"}]})));
        assert_eq!(e.match_user(&alice()).path, users[0].request.path);
        let groups = e.group_lookups("Sales", "0b1c");
        assert_eq!(
            paths(&groups),
            [
                "/Groups?excludedAttributes=members&filter=externalId+eq+%220b1c%22",
                "/Groups?excludedAttributes=members&filter=displayName+eq+%22Sales%22",
            ]
        );
        assert_eq!(groups[0].key, MatchKey::group_external_id("0b1c"));
        // The probe filters on the matching attribute of precedence 1 (§1.2).
        assert!(e
            .test_connection()
            .path
            .starts_with("/Users?filter=externalId+eq+%22"));
    }

    #[test]
    fn an_attribute_without_a_value_is_passed_over() {
        let e = with(&[("matching", "emails[type eq \"work\"].value,userName")]).expect("valid");
        let no_mail = DesiredUser {
            attrs: vec![("userName", json!("bob@contoso.com"))],
        };
        assert_eq!(
            paths(&e.user_lookups(&no_mail)),
            ["/Users?filter=userName+eq+%22bob%40contoso.com%22"]
        );
    }

    #[test]
    fn unknown_repeated_or_empty_matching_attributes_are_refused() {
        for bad in ["mail", "userName,userName", "", "userName,", "displayName"] {
            assert!(
                matches!(
                    with(&[("matching", bad)]),
                    Err(ProfileError::BadOption { .. })
                ),
                "matching={bad:?}"
            );
        }
        assert!(with(&[("group_matching", "userName")]).is_err());
    }
}
