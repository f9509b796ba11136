//! PingFederate's group requests (idp-behavior.md §3.5, PF-11…PF-15): only `displayName` and
//! `members` are provisioned; membership is a PUT of the full list or, with the group-PATCH
//! setting, one PATCH per member change. The trait impl in `mod.rs` delegates here.

use serde_json::{json, Value};

use super::{GroupUpdates, PingFederate};
use crate::profile::{quote, MembershipChange, ScimRequest, Verb};
use crate::scim::request::patch_op;
use crate::scim::{resource_path, urn};

impl PingFederate {
    /// PF-11, PF-12: `POST /Groups` with displayName and members, and nothing else (no
    /// externalId, no id): "the group is created with its members" (`pf-connector`). The
    /// members are the target ids of the group's users already provisioned; users the poll
    /// has not provisioned join in the membership phase. `members: []` for an empty group.
    pub(super) fn group_post(&self, display_name: &str, members: &[String]) -> ScimRequest {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            json!({"schemas": [urn::GROUP], "displayName": display_name, "members": members}),
        )
    }

    /// §7 has "Group rename: PUT [I]". In group PUT mode (the default, §3) the rename is that
    /// PUT, written whole: the name and every member this hook is given, since a PUT without
    /// `members` empties the group on an RFC 7644 §3.5.1 server. In PATCH mode it is a PATCH
    /// replacing displayName alone (RFC 7644 form, lowercase op) [I: how PingFederate renames
    /// in that mode is not documented].
    pub(super) fn group_rename(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> ScimRequest {
        match self.group_updates {
            GroupUpdates::Put => {
                let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
                ScimRequest::with_body(
                    Verb::Put,
                    resource_path("Groups", id),
                    json!({"schemas": [urn::GROUP], "displayName": display_name, "members": members}),
                )
            }
            GroupUpdates::Patch => {
                let op = json!({"op": "replace", "path": "displayName", "value": display_name});
                ScimRequest::with_body(Verb::Patch, resource_path("Groups", id), patch_op(vec![op]))
            }
        }
    }

    /// §3: PUT with displayName and the full member list; with `group_updates: patch`, one
    /// request per member change. [I] The PATCH shape is not documented (§3, §9.13): RFC 7644
    /// form, `add` on `members` with a one-element value list and `remove` on
    /// `members[value eq "<id>"]`, one operation per request so that Max Threads workers
    /// send them side by side.
    pub(super) fn group_membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        let path = resource_path("Groups", &change.group_id);
        match self.group_updates {
            GroupUpdates::Put => {
                let members: Vec<Value> = change.all.iter().map(|m| json!({"value": m})).collect();
                vec![ScimRequest::with_body(
                    Verb::Put,
                    path,
                    json!({"schemas": [urn::GROUP], "displayName": change.display_name, "members": members}),
                )]
            }
            GroupUpdates::Patch => {
                let adds = change
                    .add
                    .iter()
                    .map(|m| json!({"op": "add", "path": "members", "value": [{"value": m}]}));
                let removes = change.remove.iter().map(
                    |m| json!({"op": "remove", "path": format!("members[value eq {}]", quote(m))}),
                );
                adds.chain(removes)
                    .map(|op| ScimRequest::with_body(Verb::Patch, path.clone(), patch_op(vec![op])))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{json, Value};

    use super::super::tests::pf;
    use crate::profile::{MembershipChange, Profile, ScimRequest, Verb};
    use crate::scim::urn;

    #[test]
    fn group_create_carries_display_name_and_members_only() {
        let p = pf(&[]);
        let req = p.create_group("Sales", "ignored-external-id");
        assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Groups"));
        assert_eq!(
            req.body.as_deref().cloned(),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales", "members": []}))
        );
        let req = p
            .create_group_with_members("Sales", "ignored", &["u-1".into(), "u-2".into()])
            .expect("PingFederate posts the members");
        assert_eq!(
            req.body.as_deref().cloned(),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales",
                        "members": [{"value": "u-1"}, {"value": "u-2"}]}))
        );
    }

    fn change() -> MembershipChange {
        MembershipChange {
            group_id: "g-1".into(),
            display_name: "Sales".into(),
            add: vec!["u-3".into(), "u-4".into()],
            remove: vec!["u-2".into()],
            all: vec!["u-1".into(), "u-3".into(), "u-4".into()],
            display: BTreeMap::new(),
        }
    }

    #[test]
    fn membership_put_sends_the_full_list() {
        let reqs = pf(&[]).membership(&change());
        assert_eq!(
            reqs,
            vec![ScimRequest::with_body(
                Verb::Put,
                "/Groups/g-1",
                json!({"schemas": [urn::GROUP], "displayName": "Sales",
                       "members": [{"value": "u-1"}, {"value": "u-3"}, {"value": "u-4"}]})
            )]
        );
    }

    #[test]
    fn membership_patch_sends_one_request_per_member() {
        let reqs = pf(&[("group_updates", "patch")]).membership(&change());
        let patch = |op: Value| {
            ScimRequest::with_body(
                Verb::Patch,
                "/Groups/g-1",
                json!({"schemas": [urn::PATCH_OP], "Operations": [op]}),
            )
        };
        assert_eq!(
            reqs,
            vec![
                patch(json!({"op": "add", "path": "members", "value": [{"value": "u-3"}]})),
                patch(json!({"op": "add", "path": "members", "value": [{"value": "u-4"}]})),
                patch(json!({"op": "remove", "path": "members[value eq \"u-2\"]"})),
            ]
        );
    }

    #[test]
    fn rename_puts_the_whole_group_or_patches_the_name() {
        let put = pf(&[]).rename_group("g-1", "Sales EMEA", &["u-1".to_string()]);
        assert_eq!(
            put,
            Some(ScimRequest::with_body(
                Verb::Put,
                "/Groups/g-1",
                json!({"schemas": [urn::GROUP], "displayName": "Sales EMEA", "members": [{"value": "u-1"}]})
            ))
        );
        let req = pf(&[("group_updates", "patch")])
            .rename_group("g-1", "Sales EMEA", &[])
            .expect("a rename");
        assert_eq!(
            req,
            ScimRequest::with_body(
                Verb::Patch,
                "/Groups/g-1",
                json!({"schemas": [urn::PATCH_OP],
                       "Operations": [{"op": "replace", "path": "displayName", "value": "Sales EMEA"}]})
            )
        );
    }
}
