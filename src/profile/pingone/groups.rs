//! PingOne's groups (idp-behavior.md §4.5, P1-10–P1-12): a group is written whole — its
//! name and every member in one PUT — because "group memberships are part of the group".

use serde_json::{json, Value};

use super::PingOne;
use crate::profile::{eq_filter_path, ScimRequest, Verb};
use crate::scim::{member_path, urn};

/// `GROUP_NAME_SOURCE` (P1-1): which name of a PingOne group becomes its `displayName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupNameSource {
    /// The group's own name [I: the default; the API reference lists the setting without
    /// its values or default].
    CommonName,
    /// The group's distinguished name, the value the API reference's example sends
    /// (`p1-store-metadata`).
    DistinguishedName,
}

/// \[I\] Where the harness places its groups when it writes a distinguished name: the
/// source directory has no DN, so the harness gives every group one under a fixed base in
/// the `contoso.com` domain the sample users' UPNs live in.
pub const GROUP_BASE_DN: &str = "OU=Groups,DC=contoso,DC=com";

/// An RFC 4514 §2.4 attribute value: `,+"\<>;` and `=` escaped, and a leading `#` or space
/// and a trailing space, so the group's name cannot add or split RDNs.
fn rdn_value(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let last = name.chars().count().saturating_sub(1);
    for (i, c) in name.chars().enumerate() {
        let edge = (i == 0 && (c == '#' || c == ' ')) || (i == last && c == ' ');
        if edge || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl PingOne {
    /// The `displayName` `GROUP_NAME_SOURCE` picks for a group named `name`: the name, or
    /// `CN=<name>,` + `GROUP_BASE_DN` [I: the shape of PingOne's DN is not documented].
    pub(super) fn group_name(&self, name: &str) -> String {
        match self.group_name_source {
            GroupNameSource::CommonName => name.to_string(),
            GroupNameSource::DistinguishedName => {
                format!("CN={},{GROUP_BASE_DN}", rdn_value(name))
            }
        }
    }

    /// Group writes are one object: name and the whole member list (§4 "group memberships
    /// are part of the group"; PingFederate's full-list PUT, §3, is the documented sibling).
    pub(super) fn group_put(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> ScimRequest {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        ScimRequest::with_body(
            Verb::Put,
            member_path(&self.groups_resource, id),
            json!({"schemas": [urn::GROUP], "displayName": display_name, "members": members}),
        )
    }

    /// \[I\] P1-12: the lookup of an unlinked group, `displayName eq` in the groups
    /// resource, as the other filter-matching IdPs send it.
    pub(super) fn group_query(&self, display_name: &str) -> ScimRequest {
        let head = format!("{}?filter=", self.groups_resource);
        ScimRequest::get(eq_filter_path(&head, "displayName", display_name, ""))
    }

    /// \[I\] §4 does not show the group POST; PingFederate's carries only `displayName` and
    /// `members` (§3). The trait gives no member list here, so the members follow at once in
    /// the membership PUT.
    pub(super) fn group_post(&self, display_name: &str) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Post,
            &self.groups_resource,
            json!({"schemas": [urn::GROUP], "displayName": display_name}),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::tests::pingone;
    use super::*;
    use crate::profile::{MembershipChange, Profile};

    #[test]
    fn groups_are_written_whole_and_renames_keep_the_members() {
        let p = pingone(&[]);
        assert_eq!(
            p.create_group("Sales", "ext").body.as_deref().cloned(),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales"}))
        );
        let change = MembershipChange {
            group_id: "g-1".into(),
            display_name: "Sales".into(),
            add: vec!["u-2".into()],
            remove: vec![],
            all: vec!["u-1".into(), "u-2".into()],
            display: BTreeMap::new(),
        };
        let reqs = p.membership(&change);
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].verb, reqs[0].path.as_str()),
            (Verb::Put, "/Groups/g-1")
        );
        let members = json!([{"value": "u-1"}, {"value": "u-2"}]);
        assert_eq!(
            reqs[0].body.as_deref().cloned(),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales", "members": members}))
        );
        assert_eq!(
            p.rename_group("g-1", "Sales EMEA", &["u-1".to_string(), "u-2".to_string()])
                .and_then(|r| r.body.as_deref().cloned()),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales EMEA", "members": members}))
        );
        let del = p.delete_group("g-1");
        assert_eq!((del.verb, del.body), (Verb::Delete, None));
        assert_eq!(
            p.rename_group("g-1", "X", &[])
                .and_then(|r| r.body.as_deref().cloned())
                .expect("body")["members"],
            json!([])
        );
    }

    #[test]
    fn group_name_source_picks_the_name_or_a_distinguished_name() {
        assert_eq!(pingone(&[]).group_name("shx-Sales"), "shx-Sales");
        let p = pingone(&[("group_name_source", "distinguished_name")]);
        assert_eq!(
            p.group_name("shx-Sales"),
            "CN=shx-Sales,OU=Groups,DC=contoso,DC=com"
        );
        assert_eq!(
            p.group_name(" Sales, EMEA+1 "),
            r"CN=\ Sales\, EMEA\+1\ ,OU=Groups,DC=contoso,DC=com"
        );
        assert_eq!(
            p.group_display_name("#a=b"),
            r"CN=\#a\=b,OU=Groups,DC=contoso,DC=com"
        );
    }
}
