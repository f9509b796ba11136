//! The target's state: a small correct SCIM server for users, groups and discovery.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

use super::{list, wire, BASE};

/// A small correct SCIM server: users and groups by id, `userName eq` filters, POST assigns
/// `u-N`/`g-N`, PUT replaces, PATCH adds and removes group members, DELETE removes; the
/// discovery endpoints answer with their resources.
#[derive(Default)]
pub(crate) struct Store {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    next: usize,
}

impl Store {
    pub(crate) fn put(&mut self, endpoint: &str, id: &str, body: &Value) -> Value {
        let mut resource = body.as_object().cloned().unwrap_or_default();
        resource.insert("id".into(), json!(id));
        let resource = Value::Object(resource);
        self.collection(endpoint)
            .insert(id.to_string(), resource.clone());
        resource
    }

    pub(crate) fn collection(&mut self, endpoint: &str) -> &mut BTreeMap<String, Value> {
        if endpoint == "Users" {
            &mut self.users
        } else {
            &mut self.groups
        }
    }

    /// RFC 7644 §3.5.2 `add` on `members` and `remove` on `members[value eq "<id>"]`.
    fn patch_members(group: &mut Value, ops: &[Value]) {
        let mut members: Vec<Value> = group["members"].as_array().cloned().unwrap_or_default();
        for op in ops {
            match (op["op"].as_str(), op["path"].as_str()) {
                (Some("add"), Some("members")) => {
                    for m in op["value"].as_array().into_iter().flatten() {
                        if !members.contains(m) {
                            members.push(m.clone());
                        }
                    }
                }
                (Some("remove"), Some(path)) => {
                    let id = path
                        .strip_prefix("members[value eq \"")
                        .and_then(|p| p.strip_suffix("\"]"))
                        .unwrap_or_default();
                    members.retain(|m| m["value"] != json!(id));
                }
                _ => {}
            }
        }
        group["members"] = Value::Array(members);
    }

    pub(crate) fn answer(&mut self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return wire::scim(404, &json!({"status": "404"}));
        };
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        let method = req.method.as_str();
        match (method, parts.as_slice()) {
            ("GET", ["ServiceProviderConfig"]) => wire::scim(
                200,
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                        "patch": {"supported": true}}),
            ),
            ("GET", ["ResourceTypes", name]) => wire::scim(
                200,
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                        "id": name, "name": name, "endpoint": format!("/{name}s")}),
            ),
            ("GET", ["Schemas", id]) => wire::scim(200, &json!({"id": id, "attributes": []})),
            ("GET", [endpoint @ ("Users" | "Groups")]) => {
                let wanted: Option<String> = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .and_then(|(_, f)| {
                        f.strip_prefix("userName eq \"")
                            .and_then(|v| v.strip_suffix('"'))
                            .map(str::to_string)
                    });
                let hits = self
                    .collection(endpoint)
                    .values()
                    .filter(|r| {
                        wanted.as_deref().is_none_or(|w| {
                            r["userName"]
                                .as_str()
                                .is_some_and(|v| v.eq_ignore_ascii_case(w))
                        })
                    })
                    .cloned()
                    .collect();
                wire::scim(200, &list(hits))
            }
            ("POST", [endpoint @ ("Users" | "Groups")]) => {
                let Some(body) = body else {
                    return wire::scim(400, &json!({"status": "400"}));
                };
                self.next += 1;
                let prefix = if *endpoint == "Users" { "u" } else { "g" };
                let id = format!("{prefix}-{}", self.next);
                wire::scim(201, &self.put(endpoint, &id, &body))
            }
            (_, [endpoint @ ("Users" | "Groups"), id]) => {
                if !self.collection(endpoint).contains_key(*id) {
                    return wire::scim(404, &json!({"status": "404"}));
                }
                match (method, body) {
                    ("GET", _) => wire::scim(200, &self.collection(endpoint)[*id].clone()),
                    ("PUT", Some(body)) => wire::scim(200, &self.put(endpoint, id, &body)),
                    ("PATCH", Some(body)) if *endpoint == "Groups" => {
                        let ops = body["Operations"].as_array().cloned().unwrap_or_default();
                        let group = self.groups.get_mut(*id).expect("checked above");
                        Store::patch_members(group, &ops);
                        ResponseTemplate::new(204)
                    }
                    ("DELETE", _) => {
                        self.collection(endpoint).remove(*id);
                        ResponseTemplate::new(204)
                    }
                    _ => wire::scim(405, &json!({"status": "405"})),
                }
            }
            _ => wire::scim(404, &json!({"status": "404"})),
        }
    }
}
