//! CyberArk Identity's groups (idp-behavior.md §5, CA-4): a role mapped to the app becomes a
//! destination group, found by listing `GET /Groups`, created with `POST /Groups` when absent,
//! reused when present, its members written with `PATCH /Groups/{id}`. It is never renamed nor
//! deleted: removing the mapping leaves the group and its members. The trait impl in `mod.rs`
//! delegates here.

use serde_json::{json, Value};

use super::CyberArk;
use crate::profile::{quote, MembershipChange, ScimRequest, Verb};
use crate::scim::request::{members_op, patch_op};
use crate::scim::{resource_path, urn};

impl CyberArk {
    /// CA-4: `POST /Groups` for a destination group that does not exist yet. [I] The body is
    /// not documented: the core schema and `displayName` (the role's name, or the name the
    /// admin typed in the mapping); the role's members follow in a PATCH.
    pub(super) fn group_post(&self, display_name: &str) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            json!({"schemas": [urn::GROUP], "displayName": display_name}),
        )
    }

    /// CA-2, CA-3: membership goes by `PATCH /Groups/{id}`, the only group write in the call
    /// list. [I] The body is not documented (§9.13): one request per change, RFC 7644 §3.5.2
    /// form with lowercase ops — the added members in one `add` on `members`, each removed
    /// member a `remove` on `members[value eq "<id>"]`.
    pub(super) fn group_patch(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        let mut ops: Vec<Value> = Vec::new();
        if !change.add.is_empty() {
            ops.push(members_op("add", &change.add));
        }
        ops.extend(
            change.remove.iter().map(
                |m| json!({"op": "remove", "path": format!("members[value eq {}]", quote(m))}),
            ),
        );
        if ops.is_empty() {
            return Vec::new();
        }
        vec![ScimRequest::with_body(
            Verb::Patch,
            resource_path("Groups", &change.group_id),
            patch_op(ops),
        )]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::super::tests::ca;
    use crate::profile::{
        ExistingGroup, GroupLookup, GroupRemoval, MembershipChange, Profile, ScimRequest, Verb,
    };
    use crate::scim::urn;

    fn change(add: &[&str], remove: &[&str]) -> MembershipChange {
        MembershipChange {
            group_id: "g-1".into(),
            display_name: "Sales".into(),
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
            all: vec![],
            display: BTreeMap::new(),
        }
    }

    #[test]
    fn membership_is_one_patch_with_the_adds_then_each_remove() {
        let reqs = ca(&[]).membership(&change(&["u-3", "u-4"], &["u-2"]));
        assert_eq!(
            reqs,
            vec![ScimRequest::with_body(
                Verb::Patch,
                "/Groups/g-1",
                json!({"schemas": [urn::PATCH_OP], "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": "u-3"}, {"value": "u-4"}]},
                    {"op": "remove", "path": "members[value eq \"u-2\"]"}
                ]})
            )]
        );
        let only_remove = ca(&[]).membership(&change(&[], &["u-2"]));
        assert_eq!(only_remove.len(), 1);
        assert!(ca(&[]).membership(&change(&[], &[])).is_empty());
    }

    #[test]
    fn destination_groups_are_listed_created_reused_and_never_renamed_or_deleted() {
        let p = ca(&[]);
        assert!(p.provisions_groups());
        assert_eq!(p.group_lookup(), GroupLookup::ListAll);
        assert_eq!(p.existing_group(), ExistingGroup::Adopt);
        assert_eq!(p.group_removal(), GroupRemoval::Keep);
        assert_eq!(p.rename_group("g-1", "Sales EMEA", &[]), None);
        let req = p.create_group("Sales", "ignored");
        assert_eq!(
            req,
            ScimRequest::with_body(
                Verb::Post,
                "/Groups",
                json!({"schemas": [urn::GROUP], "displayName": "Sales"})
            )
        );
        assert_eq!(
            p.create_group_with_members("Sales", "x", &["u-1".into()]),
            None
        );
    }
}
