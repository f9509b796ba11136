//! The wiremock target the PingFederate tests poll into: a small correct SCIM server for users
//! and groups that records every request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{list, reduce, wire, Sent, BASE};

/// What the target holds: users `u-N` and groups `g-N`, numbered in creation order.
#[derive(Default)]
pub(crate) struct Directory {
    users: BTreeMap<String, Value>,
    pub(crate) groups: BTreeMap<String, Value>,
    created_users: usize,
    created_groups: usize,
}

/// A small correct SCIM server: user filters find nothing (every test user is new), POST
/// stores the body with a new id (201), GET by id answers what it holds, PUT replaces (200),
/// group PATCH applies RFC 7644 member and displayName operations (200), DELETE 204.
struct Scim(Arc<Mutex<Directory>>);

impl Respond for Scim {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut dir = self.0.lock().expect("target state");
        let path = req.url.path().strip_prefix(BASE).unwrap_or_default();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let body = || serde_json::from_slice::<Value>(&req.body).ok();
        let not_found = || wire::scim(404, &json!({"status": "404"}));
        let dir = &mut *dir;
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["Users"]) => wire::scim(200, &list(vec![])),
            ("GET", ["Groups"]) => wire::scim(200, &list(dir.groups.values().cloned().collect())),
            ("POST", [kind @ ("Users" | "Groups")]) => {
                let Some(Value::Object(mut resource)) = body() else {
                    return wire::scim(400, &json!({"status": "400"}));
                };
                let (store, counter, letter) = match *kind {
                    "Users" => (&mut dir.users, &mut dir.created_users, "u"),
                    _ => (&mut dir.groups, &mut dir.created_groups, "g"),
                };
                *counter += 1;
                let id = format!("{letter}-{counter}");
                resource.insert("id".into(), json!(id));
                if *kind == "Groups" && resource.get("members") == Some(&json!([])) {
                    resource.remove("members");
                }
                let resource = Value::Object(resource);
                store.insert(id, resource.clone());
                wire::scim(201, &resource)
            }
            (method, [kind @ ("Users" | "Groups"), id]) => {
                let store = match *kind {
                    "Users" => &mut dir.users,
                    _ => &mut dir.groups,
                };
                let id = id.to_string();
                match method {
                    "GET" => store
                        .get(&id)
                        .map_or_else(not_found, |r| wire::scim(200, r)),
                    "DELETE" => match store.remove(&id) {
                        Some(_) => ResponseTemplate::new(204),
                        None => not_found(),
                    },
                    "PUT" => {
                        let Some(Value::Object(mut resource)) = body() else {
                            return wire::scim(400, &json!({"status": "400"}));
                        };
                        if !store.contains_key(&id) {
                            return not_found();
                        }
                        resource.insert("id".into(), json!(id));
                        let resource = Value::Object(resource);
                        store.insert(id, resource.clone());
                        wire::scim(200, &resource)
                    }
                    "PATCH" => {
                        let (Some(resource), Some(ops)) = (store.get_mut(&id), body()) else {
                            return not_found();
                        };
                        apply_group_patch(resource, &ops);
                        wire::scim(200, resource)
                    }
                    _ => ResponseTemplate::new(405),
                }
            }
            _ => not_found(),
        }
    }
}

/// The operations the PingFederate profile sends to groups, applied as RFC 7644 says.
fn apply_group_patch(group: &mut Value, patch: &Value) {
    let Some(ops) = patch.get("Operations").and_then(Value::as_array) else {
        return;
    };
    for op in ops {
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        let Some(obj) = group.as_object_mut() else {
            return;
        };
        match (op.get("op").and_then(Value::as_str), path) {
            (Some("replace"), "displayName") => {
                obj.insert("displayName".into(), value);
            }
            (Some("add"), "members") => {
                let members = obj.entry("members").or_insert_with(|| json!([]));
                if let (Some(m), Some(add)) = (members.as_array_mut(), value.as_array()) {
                    m.extend(add.iter().cloned());
                }
            }
            (Some("remove"), p) => {
                let id = p
                    .strip_prefix("members[value eq \"")
                    .and_then(|r| r.strip_suffix("\"]"))
                    .unwrap_or_default()
                    .to_string();
                if let Some(m) = obj.get_mut("members").and_then(Value::as_array_mut) {
                    m.retain(|x| x.get("value").and_then(Value::as_str) != Some(id.as_str()));
                }
            }
            _ => {}
        }
    }
}

pub(crate) struct Target {
    pub(crate) server: MockServer,
    pub(crate) dir: Arc<Mutex<Directory>>,
    /// Requests already handed out by `take`.
    seen: AtomicUsize,
}

impl Target {
    pub(crate) async fn start() -> Target {
        let server = MockServer::start().await;
        let dir: Arc<Mutex<Directory>> = Arc::default();
        Mock::given(any())
            .respond_with(Scim(dir.clone()))
            .mount(&server)
            .await;
        Target {
            server,
            dir,
            seen: AtomicUsize::new(0),
        }
    }

    /// The requests received since the last call, in order.
    pub(crate) async fn take(&self) -> Vec<Sent> {
        let all = self
            .server
            .received_requests()
            .await
            .expect("request recording is on");
        let from = self.seen.swap(all.len(), Ordering::SeqCst);
        all[from..].iter().map(reduce).collect()
    }

    /// Every raw (still encoded) query string received so far.
    pub(crate) async fn raw_queries(&self) -> Vec<Option<String>> {
        let all = self
            .server
            .received_requests()
            .await
            .expect("request recording is on");
        all.iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect()
    }

    pub(crate) fn user(&self, id: &str) -> Option<Value> {
        self.dir
            .lock()
            .expect("target state")
            .users
            .get(id)
            .cloned()
    }

    pub(crate) fn group(&self, id: &str) -> Option<Value> {
        self.dir
            .lock()
            .expect("target state")
            .groups
            .get(id)
            .cloned()
    }
}
