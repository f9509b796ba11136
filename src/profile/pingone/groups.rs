//! PingOne's groups (idp-behavior.md §4.5, P1-10–P1-12): a group is written whole — its
//! name and every member in one PUT — because "group memberships are part of the group".

use serde_json::{json, Value};

use super::PingOne;
use crate::profile::{encode_query_value, quote, ScimRequest, Verb};
use crate::scim::{member_path, urn};

impl PingOne {
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

    /// [I] P1-12: the lookup of an unlinked group, `displayName eq` in the groups
    /// resource, as the other filter-matching IdPs send it.
    pub(super) fn group_query(&self, display_name: &str) -> ScimRequest {
        ScimRequest::get(format!(
            "{}?filter={}",
            self.groups_resource,
            encode_query_value(&format!("displayName eq {}", quote(display_name)))
        ))
    }

    /// [I] §4 does not show the group POST; PingFederate's carries only `displayName` and
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
            p.create_group("Sales", "ext").body,
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
            reqs[0].body,
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales", "members": members}))
        );
        assert_eq!(
            p.rename_group("g-1", "Sales EMEA", &["u-1".to_string(), "u-2".to_string()])
                .and_then(|r| r.body),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales EMEA", "members": members}))
        );
        let del = p.delete_group("g-1");
        assert_eq!((del.verb, del.body), (Verb::Delete, None));
        assert_eq!(
            p.rename_group("g-1", "X", &[])
                .and_then(|r| r.body)
                .expect("body")["members"],
            json!([])
        );
    }
}
