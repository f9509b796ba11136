//! PingOne's connection settings as harness options (idp-behavior.md §4.1, P1-1): the
//! `USER_FILTER` template, `REMOVE_ACTION`, the answer for a same-named group, the resource
//! paths. Parsing only; what they change lives with the requests in `users.rs`/`groups.rs`.

use std::collections::BTreeMap;

use super::{GroupNameSource, PingOne, DEFAULT_USER_FILTER};
use crate::profile::{ExistingGroup, ProfileError};

/// `REMOVE_ACTION` of the connection (§4, `p1-create-store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveAction {
    /// PUT of the whole user with `active: false`.
    Disable,
    /// `DELETE /Users/{id}`.
    Delete,
}

/// `UNIQUE_USER_IDENTIFIER` of the connection (P1-1): the value `USER_FILTER`'s `%s` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueUserIdentifier {
    /// The userName (the default).
    UserName,
    /// The work email, for filters such as the documented `email Co "%s"`.
    Email,
    ExternalId,
}

/// Options a scenario or `--option` may set.
pub const OPTIONS: &[&str] = &[
    "user_filter",
    "remove_action",
    "existing_group",
    "provision_disabled_users",
    "unique_user_identifier",
    "schema_extension_urns",
    "users_resource",
    "groups_resource",
    "group_name_source",
    "create_users",
    "update_users",
    "disable_users",
    "event_concurrency",
];

/// `USERS_RESOURCE` and `GROUPS_RESOURCE` as PingOne's own setup tutorial fills them
/// (`p1-tutorial-connection`) and the API reference's example sends them (`p1-store-metadata`).
pub const DEFAULT_USERS_RESOURCE: &str = "/Users";
pub const DEFAULT_GROUPS_RESOURCE: &str = "/Groups";

/// An on/off setting: `true` or `false`.
fn switch(key: &str, value: &str) -> Result<bool, ProfileError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(key, value, "`true` or `false`")),
    }
}

/// A resource path relative to the SCIM base URL: `/` then path segments, no query or
/// fragment (the harness appends `?filter=` and `/{id}` itself). A trailing `/` is dropped.
fn resource(key: &str, value: &str) -> Result<String, ProfileError> {
    let path = value.trim_end_matches('/');
    let ok = path.starts_with('/')
        && path.len() > 1
        && !path.contains("//")
        && !path
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '?' | '#' | '%'));
    if ok {
        Ok(path.to_string())
    } else {
        Err(bad(
            key,
            value,
            "a path relative to the SCIM base URL, e.g. `/Users` (no query, fragment or `%`)",
        ))
    }
}

fn bad(key: &str, value: &str, expected: &'static str) -> ProfileError {
    ProfileError::BadOption {
        key: key.to_string(),
        value: value.to_string(),
        expected,
    }
}

impl PingOne {
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, ProfileError> {
        let mut p = PingOne {
            user_filter: DEFAULT_USER_FILTER.to_string(),
            remove_action: RemoveAction::Disable,
            // [I] §4 leaves the choice to the admin and documents no default; merge is the
            // answer that destroys nothing on the target.
            existing_group: ExistingGroup::Merge,
            provision_disabled: false,
            identifier: UniqueUserIdentifier::UserName,
            extension_urns: vec![],
            users_resource: DEFAULT_USERS_RESOURCE.to_string(),
            groups_resource: DEFAULT_GROUPS_RESOURCE.to_string(),
            group_name_source: GroupNameSource::CommonName,
            // `p1-store-metadata`'s example sends all three `true`; PingFederate's sibling
            // switches are documented as selected by default (`pf-p1-ik-options`).
            create_users: true,
            update_users: true,
            disable_users: true,
            event_concurrency: 1,
        };
        for (key, value) in options {
            match key.as_str() {
                "user_filter" => {
                    if !value.contains("%s") {
                        return Err(bad(
                            key,
                            value,
                            "a filter template containing `%s`, e.g. `username Eq \"%s\"`",
                        ));
                    }
                    p.user_filter = value.clone();
                }
                "remove_action" => {
                    p.remove_action = match value.as_str() {
                        "disable" => RemoveAction::Disable,
                        "delete" => RemoveAction::Delete,
                        _ => return Err(bad(key, value, "`disable` or `delete`")),
                    }
                }
                "provision_disabled_users" => p.provision_disabled = switch(key, value)?,
                "create_users" => p.create_users = switch(key, value)?,
                "update_users" => p.update_users = switch(key, value)?,
                "disable_users" => p.disable_users = switch(key, value)?,
                "event_concurrency" => {
                    p.event_concurrency = crate::profile::event_concurrency(key, value)?
                }
                "unique_user_identifier" => {
                    p.identifier = match value.as_str() {
                        "userName" => UniqueUserIdentifier::UserName,
                        "email" => UniqueUserIdentifier::Email,
                        "externalId" => UniqueUserIdentifier::ExternalId,
                        _ => return Err(bad(key, value, "`userName`, `email` or `externalId`")),
                    }
                }
                "schema_extension_urns" => {
                    let urns: Vec<String> = value
                        .split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_string)
                        .collect();
                    if urns.iter().any(|u| !u.starts_with("urn:")) {
                        return Err(bad(key, value, "comma-separated schema URNs (`urn:…`)"));
                    }
                    p.extension_urns = urns;
                }
                "users_resource" => p.users_resource = resource(key, value)?,
                "groups_resource" => p.groups_resource = resource(key, value)?,
                "group_name_source" => {
                    p.group_name_source = match value.as_str() {
                        "common_name" => GroupNameSource::CommonName,
                        "distinguished_name" => GroupNameSource::DistinguishedName,
                        _ => return Err(bad(key, value, "`common_name` or `distinguished_name`")),
                    }
                }
                "existing_group" => {
                    p.existing_group = match value.as_str() {
                        "merge" => ExistingGroup::Merge,
                        "overwrite" => ExistingGroup::Overwrite,
                        _ => return Err(bad(key, value, "`merge` or `overwrite`")),
                    }
                }
                _ => {
                    return Err(ProfileError::UnknownOption {
                        profile: "pingone",
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
    use super::super::tests::{opts, pingone};
    use super::*;
    use crate::profile::{Deprovision, DeprovisionAction, Profile};

    #[test]
    fn defaults_and_options() {
        let p = pingone(&[]);
        assert_eq!(p.user_filter, DEFAULT_USER_FILTER);
        assert_eq!(p.remove_action, RemoveAction::Disable);
        assert_eq!(p.existing_group, ExistingGroup::Merge);
        assert_eq!(
            (p.users_resource.as_str(), p.groups_resource.as_str()),
            ("/Users", "/Groups")
        );
        let p = pingone(&[
            ("users_resource", "/scim/Accounts/"),
            ("groups_resource", "/Teams"),
        ]);
        assert_eq!(
            (p.users_resource.as_str(), p.groups_resource.as_str()),
            ("/scim/Accounts", "/Teams")
        );
        let p = pingone(&[
            ("user_filter", "email Co \"%s\""),
            ("remove_action", "delete"),
            ("existing_group", "overwrite"),
        ]);
        assert_eq!(p.remove_action, RemoveAction::Delete);
        assert_eq!(p.existing_group, ExistingGroup::Overwrite);
        assert_eq!(
            p.deprovision(Deprovision::Purged),
            DeprovisionAction::Delete
        );
    }

    #[test]
    fn bad_and_unknown_options_are_rejected() {
        for (k, v) in [
            ("remove_action", "suspend"),
            ("existing_group", "adopt"),
            ("provision_disabled_users", "1"),
            ("unique_user_identifier", "mail"),
            ("schema_extension_urns", "acme:User"),
            ("user_filter", "userName eq \"x\""),
            ("users_resource", "Users"),
            ("users_resource", "/"),
            ("groups_resource", "/Groups?x=1"),
            ("groups_resource", "/My Groups"),
            ("group_name_source", "Distinguished Name"),
            ("create_users", "no"),
            ("disable_users", "False"),
        ] {
            let err = PingOne::from_options(&opts(&[(k, v)]));
            assert!(
                matches!(err, Err(ProfileError::BadOption { .. })),
                "{k}={v}"
            );
        }
        let err = PingOne::from_options(&opts(&[("patch_dialect", "default")]));
        assert!(matches!(
            err,
            Err(ProfileError::UnknownOption {
                profile: "pingone",
                ..
            })
        ));
    }
}
