//! Okta's Push Groups (idp-behavior.md §2.6): the lookup, the create with `members: []`, the
//! path-less rename that carries the group's own `id`, and membership as one PATCH (OIN) or a
//! PUT of the whole group (AIW).

use serde_json::{json, Value};

use super::{Integration, MemberPush, Okta};
use crate::profile::{eq_filter_path, quote, MembershipChange, ScimRequest, Verb};
use crate::scim::request::{object, patch_op};
use crate::scim::{resource_path, urn};

impl Okta {
    /// [I] §2.5 documents no lookup query for Push Groups; this is the user match (§2.2)
    /// applied to displayName, with the same paging parameters.
    pub(super) fn group_query(display_name: &str) -> ScimRequest {
        ScimRequest::get(eq_filter_path(
            "/Groups?filter=",
            "displayName",
            display_name,
            "&startIndex=1&count=100",
        ))
    }

    /// §2.5: the SCIM 2.0 body; no externalId, members added by later PATCHes.
    pub(super) fn post_group(display_name: &str) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            json!({"schemas": [urn::GROUP], "displayName": display_name, "members": []}),
        )
    }

    /// §2.5: OIN renames with the path-less replace that carries the group's own `id`, and
    /// only with "Rename groups" on; AIW writes the group whole with PUT (§2.5 "AIW: PUT").
    pub(super) fn group_rename(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        if !self.push_group_rename {
            return None;
        }
        Some(match self.integration {
            Integration::Aiw => {
                let members: Vec<Value> = members
                    .iter()
                    .map(|m| object([("value", Value::from(m.as_str()))]))
                    .collect();
                ScimRequest::with_body(
                    Verb::Put,
                    resource_path("Groups", id),
                    object([
                        ("schemas", json!([urn::GROUP])),
                        ("id", Value::from(id)),
                        ("displayName", Value::from(display_name)),
                        ("members", Value::Array(members)),
                    ]),
                )
            }
            Integration::Oin => ScimRequest::with_body(
                Verb::Patch,
                resource_path("Groups", id),
                patch_op(vec![rename_op(id, display_name)]),
            ),
        })
    }

    /// §2.5, OIN (O-30): the rename first (when "Rename groups" is on, O-29), then with
    /// `member_push=delta` one `members[value eq]` remove per removed member and one `add`
    /// with every added member and its `display` (the userName); with `replace` one
    /// `replace` of `members` with the whole list. At most `member_batch` members go in one
    /// PATCH (O-30, ~1,000 `[O]`); a longer change is several PATCHes, each carrying the
    /// rename, and a full push over several PATCHes replaces with the first batch and adds
    /// the rest `[I]`. AIW: `PUT /Groups/{id}` with the full member list (O-31).
    pub(super) fn membership_requests(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        let path = resource_path("Groups", &change.group_id);
        let member = |id: &String| match change.display.get(id) {
            Some(display) => object([
                ("value", Value::String(id.clone())),
                ("display", Value::String(display.clone())),
            ]),
            None => object([("value", Value::String(id.clone()))]),
        };
        if self.integration == Integration::Aiw {
            let members: Vec<Value> = change.all.iter().map(member).collect();
            return vec![ScimRequest::with_body(
                Verb::Put,
                path,
                object([
                    ("schemas", json!([urn::GROUP])),
                    ("id", Value::String(change.group_id.clone())),
                    ("displayName", Value::String(change.display_name.clone())),
                    ("members", Value::Array(members)),
                ]),
            )];
        }
        // Each member once, in the order sent: removes, then adds (delta), or the whole list.
        let moves: Vec<(bool, &String)> = match self.member_push {
            MemberPush::Delta => change
                .remove
                .iter()
                .map(|id| (false, id))
                .chain(change.add.iter().map(|id| (true, id)))
                .collect(),
            MemberPush::Replace => change.all.iter().map(|id| (true, id)).collect(),
        };
        let batch = self.member_batch.max(1);
        let mut chunks: Vec<&[(bool, &String)]> = moves.chunks(batch).collect();
        if chunks.is_empty() {
            // A full push of an empty list still replaces (`value: []`).
            chunks.push(&[]);
        }
        chunks
            .iter()
            .enumerate()
            .map(|(n, chunk)| {
                let mut ops = Vec::new();
                if self.push_group_rename {
                    ops.push(rename_op(&change.group_id, &change.display_name));
                }
                for (_, id) in chunk.iter().filter(|(add, _)| !add) {
                    ops.push(
                        json!({"op": "remove", "path": format!("members[value eq {}]", quote(id))}),
                    );
                }
                let value: Vec<Value> = chunk
                    .iter()
                    .filter(|(add, _)| *add)
                    .map(|(_, id)| member(id))
                    .collect();
                let full = self.member_push == MemberPush::Replace && n == 0;
                let op = if full { "replace" } else { "add" };
                if full || !value.is_empty() {
                    ops.push(object([
                        ("op", Value::from(op)),
                        ("path", Value::from("members")),
                        ("value", Value::Array(value)),
                    ]));
                }
                ScimRequest::with_body(Verb::Patch, path.clone(), patch_op(ops))
            })
            .collect()
    }
}

/// §2.5: `{"op":"replace","value":{"id":…,"displayName":…}}`.
fn rename_op(id: &str, display_name: &str) -> Value {
    json!({"op": "replace", "value": {"id": id, "displayName": display_name}})
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::profile::okta::tests::okta;
    use crate::profile::{ExistingGroup, Profile};

    fn change() -> MembershipChange {
        MembershipChange {
            group_id: "g1".into(),
            display_name: "Sales".into(),
            add: vec!["u2".into(), "u3".into()],
            remove: vec!["u1".into()],
            all: vec!["u2".into(), "u3".into()],
            display: BTreeMap::from([
                ("u1".to_string(), "ann@x".to_string()),
                ("u2".to_string(), "bob@x".to_string()),
                ("u3".to_string(), "cid@x".to_string()),
            ]),
        }
    }

    #[test]
    fn membership_is_one_patch_with_rename_removes_and_add() {
        let reqs = okta(&[]).membership(&change());
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].verb, reqs[0].path.as_str()),
            (Verb::Patch, "/Groups/g1")
        );
        assert_eq!(
            reqs[0].body.as_deref().cloned(),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "replace", "value": {"id": "g1", "displayName": "Sales"}},
                {"op": "remove", "path": "members[value eq \"u1\"]"},
                {"op": "add", "path": "members", "value": [
                    {"value": "u2", "display": "bob@x"}, {"value": "u3", "display": "cid@x"}]}
            ]}))
        );
        let without_rename = okta(&[("push_group_rename", "false")]).membership(&change());
        assert_eq!(
            without_rename[0].body.as_ref().expect("body")["Operations"][0]["op"],
            json!("remove")
        );
    }

    #[test]
    fn full_push_replaces_members_with_the_whole_list() {
        let reqs = okta(&[("member_push", "replace")]).membership(&change());
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            reqs[0].body.as_deref().cloned(),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "replace", "value": {"id": "g1", "displayName": "Sales"}},
                {"op": "replace", "path": "members", "value": [
                    {"value": "u2", "display": "bob@x"}, {"value": "u3", "display": "cid@x"}]}
            ]}))
        );
        let mut emptied = change();
        emptied.all.clear();
        let reqs = okta(&[("member_push", "replace"), ("push_group_rename", "false")])
            .membership(&emptied);
        assert_eq!(
            reqs[0].body.as_ref().map(|b| b["Operations"].clone()),
            Some(json!([{"op": "replace", "path": "members", "value": []}]))
        );
    }

    #[test]
    fn membership_patches_carry_at_most_member_batch_members() {
        let ids: Vec<String> = (0..2500).map(|n| format!("u{n}")).collect();
        let big = MembershipChange {
            add: ids.clone(),
            remove: vec![],
            all: ids,
            display: BTreeMap::new(),
            ..change()
        };
        let reqs = okta(&[]).membership(&big);
        let sizes: Vec<usize> = reqs
            .iter()
            .map(|r| {
                let ops = r.body.as_ref().expect("body")["Operations"].clone();
                assert_eq!(
                    ops[0]["op"],
                    json!("replace"),
                    "the rename rides in each batch"
                );
                ops[1]["value"].as_array().map_or(0, Vec::len)
            })
            .collect();
        assert_eq!(sizes, vec![1000, 1000, 500]);
        // removes count against the batch, and come first
        let reqs =
            okta(&[("member_batch", "2"), ("push_group_rename", "false")]).membership(&change());
        let ops: Vec<Value> = reqs
            .iter()
            .map(|r| r.body.as_ref().expect("body")["Operations"].clone())
            .collect();
        assert_eq!(
            ops,
            vec![
                json!([{"op": "remove", "path": "members[value eq \"u1\"]"},
                       {"op": "add", "path": "members", "value": [{"value": "u2", "display": "bob@x"}]}]),
                json!([{"op": "add", "path": "members", "value": [{"value": "u3", "display": "cid@x"}]}]),
            ]
        );
        // a full push over batches replaces with the first and adds the rest [I]
        let reqs = okta(&[
            ("member_batch", "1"),
            ("member_push", "replace"),
            ("push_group_rename", "false"),
        ])
        .membership(&change());
        let ops: Vec<Value> = reqs
            .iter()
            .map(|r| r.body.as_ref().expect("body")["Operations"][0]["op"].clone())
            .collect();
        assert_eq!(ops, vec![json!("replace"), json!("add")]);
    }

    #[test]
    fn aiw_membership_is_a_put_of_the_full_list() {
        let reqs = okta(&[("integration", "aiw")]).membership(&change());
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].verb, reqs[0].path.as_str()),
            (Verb::Put, "/Groups/g1")
        );
        assert_eq!(
            reqs[0].body.as_deref().cloned(),
            Some(
                json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Sales",
                "members": [{"value": "u2", "display": "bob@x"}, {"value": "u3", "display": "cid@x"}]})
            )
        );
    }

    #[test]
    fn group_create_rename_and_delete() {
        let o = okta(&[]);
        assert_eq!(
            o.create_group("Sales", "ignored").body.as_deref().cloned(),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales", "members": []}))
        );
        assert_eq!(
            o.rename_group("g1", "Sales EMEA", &[])
                .and_then(|r| r.body.as_deref().cloned()),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "replace", "value": {"id": "g1", "displayName": "Sales EMEA"}}]}))
        );
        assert_eq!(o.read_group("g1"), ScimRequest::get("/Groups/g1"));
        let del = o.delete_group("g1");
        assert_eq!((del.verb, del.path.as_str()), (Verb::Delete, "/Groups/g1"));
        assert_eq!(o.existing_group(), ExistingGroup::Fail);
    }
}
