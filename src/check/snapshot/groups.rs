//! The groups part of a directory snapshot: each group of the run with its members as refs
//! (`<user:alice>`, `<group:sales>` for a nested group), sorted, so a membership the server
//! lost or duplicated shows in the snapshot diff and nowhere depends on server-assigned ids.

use serde_json::{Map, Value};

use super::{carries_prefix, keep_as, push_unlinked, Owned, Redaction, View};
use crate::scim::schema::GROUP;

/// The group attributes a managed snapshot keeps besides `id` and `members`. Every profile
/// writes `displayName`; `externalId` only where the profile sends one (Entra's objectId,
/// §1.7), so it shows exactly when the profile manages it. \[inferred\]: the reference names
/// no other group attribute any of the IdPs writes.
pub const GROUP_PATHS: &[&str] = &["displayName", "externalId"];

/// A member's place in the snapshot: its ref, or `<unknown>` for an id the run never
/// created — a server id would make the snapshot differ from run to run.
fn member_ref(redaction: &Redaction, id: Option<&str>) -> String {
    id.and_then(|id| redaction.reference(id))
        .unwrap_or("<unknown>")
        .to_string()
}

fn member_ids(resource: &Value) -> impl Iterator<Item = Option<&str>> {
    resource
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| m.get("value").and_then(Value::as_str))
}

/// One group as the snapshot shows it. Members are turned into refs by exact id, never by
/// text replacement: a short server id could otherwise be found inside another ref.
fn group_view(resource: &Value, view: &View, redaction: &Redaction) -> Value {
    let mut rest = resource.clone();
    if let Some(obj) = rest.as_object_mut() {
        obj.remove("members");
    }
    let members: Vec<Value> = match view {
        View::Managed(_) => member_ids(resource)
            .map(|id| Value::String(member_ref(redaction, id)))
            .collect(),
        View::Full => resource
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|m| {
                let id = m.get("value").and_then(Value::as_str);
                let mut out = Map::new();
                for (k, v) in m.as_object().into_iter().flatten() {
                    // `$ref` carries the server's base URL (see `redact_refs`).
                    let v = match k.as_str() {
                        "value" => Value::String(member_ref(redaction, id)),
                        "$ref" => Value::String("[redacted]".into()),
                        _ => redaction.apply(v),
                    };
                    out.insert(k.clone(), v);
                }
                Value::Object(out)
            })
            .collect(),
    };
    let kept = match view {
        View::Managed(_) => keep_as(&rest, &View::Managed(GROUP_PATHS.to_vec()), &GROUP),
        View::Full => keep_as(&rest, view, &GROUP),
    };
    let mut value = redaction.apply(&kept);
    let mut members = members;
    // Members are unordered (RFC 7643 §4.2): sorted, for stability.
    members.sort_by_key(Value::to_string);
    if let Some(obj) = value.as_object_mut() {
        obj.insert("members".into(), Value::Array(members));
    }
    value
}

/// The groups part of a directory snapshot: each owned group ref (or `"absent"`), then every
/// other group carrying the run prefix as `unlinked:<displayName>` — duplicates the run left.
/// `all` holds the groups with their members (read one by one where the listing leaves
/// members out).
pub fn groups_state(
    all: &[Value],
    owned: &[Owned],
    redaction: &Redaction,
    prefix: &str,
    view: &View,
) -> Map<String, Value> {
    let by_id = |id: &str| all.iter().find(|g| crate::scim::server_id(g) == Ok(id));
    let mut groups = Map::new();
    for o in owned {
        let value = match o.id.as_deref().and_then(by_id) {
            Some(resource) => group_view(resource, view, redaction),
            None => Value::String("absent".into()),
        };
        groups.insert(o.r.clone(), value);
    }
    let known: Vec<&str> = owned.iter().filter_map(|o| o.id.as_deref()).collect();
    let extras: Vec<(String, Value)> = all
        .iter()
        .filter(|g| {
            let id = g.get("id").and_then(Value::as_str).unwrap_or_default();
            !known.contains(&id) && carries_prefix(g, &["displayName", "externalId"], prefix)
        })
        .map(|g| {
            let mut value = group_view(g, view, redaction);
            if let Some(obj) = value.as_object_mut() {
                obj.insert("id".into(), Value::String("<unlinked>".into()));
            }
            let name = value
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            (format!("unlinked:{name}"), value)
        })
        .collect();
    push_unlinked(&mut groups, extras);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owned(r: &str, id: Option<&str>) -> Owned {
        Owned {
            r: r.into(),
            id: id.map(str::to_string),
            object_id: None,
        }
    }

    #[test]
    fn members_become_sorted_refs_and_strangers_stay_anonymous() {
        let users = [owned("bob", Some("u-2")), owned("ann", Some("u-1"))];
        let groups = [
            owned("sales", Some("g-1")),
            owned("ops", Some("g-2")),
            owned("gone", None),
        ];
        let redaction = Redaction::new(&users, &groups, "RUN-");
        let all = vec![
            json!({"id": "g-1", "displayName": "RUN-Sales", "meta": {"version": "W/1"},
                   "members": [{"value": "u-2"}, {"value": "zz-9"}, {"value": "u-1"}, {"value": "g-2"}]}),
            json!({"id": "g-2", "displayName": "RUN-Ops"}),
            json!({"id": "g-3", "displayName": "RUN-Sales", "members": [{"value": "u-1"}]}),
            json!({"id": "g-4", "displayName": "Not ours"}),
        ];
        let state = groups_state(
            &all,
            &groups,
            &redaction,
            "RUN-",
            &View::Managed(vec!["userName"]),
        );
        assert_eq!(
            Value::Object(state),
            json!({
                "sales": {"id": "<group:sales>", "displayName": "Sales",
                          "members": ["<group:ops>", "<unknown>", "<user:ann>", "<user:bob>"]},
                "ops": {"id": "<group:ops>", "displayName": "Ops", "members": []},
                "gone": "absent",
                "unlinked:Sales": {"id": "<unlinked>", "displayName": "Sales", "members": ["<user:ann>"]}
            })
        );
    }

    #[test]
    fn the_full_view_redacts_meta_and_member_references() {
        let users = [owned("ann", Some("u-1"))];
        let groups = [owned("sales", Some("g-1"))];
        let redaction = Redaction::new(&users, &groups, "RUN-");
        let all = vec![json!({
            "id": "g-1", "displayName": "RUN-Sales",
            "meta": {"created": "2026-01-01", "location": "http://x/Groups/g-1"},
            "members": [
                {"value": "zz-9", "$ref": "http://x/Users/zz-9", "display": "RUN-zed"},
                {"value": "u-1", "$ref": "http://x/Users/u-1", "display": "RUN-ann"}
            ]
        })];
        let state = groups_state(&all, &groups, &redaction, "RUN-", &View::Full);
        assert_eq!(state["sales"]["meta"]["created"], "[redacted]");
        assert_eq!(
            state["sales"]["members"],
            json!([
                {"value": "<unknown>", "$ref": "[redacted]", "display": "zed"},
                {"value": "<user:ann>", "$ref": "[redacted]", "display": "ann"}
            ])
        );
    }
}
