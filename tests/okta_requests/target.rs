//! The wiremock target the Okta tests push to: a small correct SCIM server that records
//! every request, or one that forgets part of what it writes or answers one fixed reply.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{list, reduce, wire, Sent, BASE};

/// What the target holds, by path below the base URL (`/Users/u-1`).
pub(crate) type Store = Arc<Mutex<BTreeMap<String, Value>>>;

/// A small correct SCIM server: filters match exactly on userName/displayName, POST stores
/// the body (never the password) with server fields — `id`, `meta`, and `groups: []` on
/// users — and answers 201; GET answers what it holds; PUT replaces (server fields kept);
/// PATCH applies Okta's path-less values and the `members` operations; DELETE removes.
/// A forgetful one (`Target::forgetting`) silently drops part of every resource it writes.
pub(crate) struct Target {
    pub(crate) server: MockServer,
    pub(crate) store: Store,
    pub(crate) seen: AtomicUsize,
}

/// What a forgetful server drops from every resource it writes.
type Forget = Option<fn(&mut Value)>;

fn respond(store: &Store, forget: Forget, req: &Request) -> ResponseTemplate {
    let forget = |r: &mut Value| {
        if let Some(f) = forget {
            f(r);
        }
    };
    let path = req
        .url
        .path()
        .strip_prefix(BASE)
        .unwrap_or(req.url.path())
        .to_string();
    let body: Option<Value> = serde_json::from_slice(&req.body).ok();
    let mut held = store.lock().expect("target state");
    let endpoint = if path.starts_with("/Groups") {
        "Groups"
    } else {
        "Users"
    };
    let collection = format!("/{endpoint}");
    match (req.method.as_str(), path == collection) {
        ("GET", true) => {
            let filter = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "filter")
                .map(|(_, v)| v.into_owned());
            let hits: Vec<Value> = held
                .iter()
                .filter(|(p, _)| p.starts_with(&format!("{collection}/")))
                .map(|(_, v)| v.clone())
                .filter(|v| match &filter {
                    None => true,
                    Some(f) => {
                        let (attr, value) = f.split_once(" eq ").expect("an eq filter");
                        v.get(attr).and_then(Value::as_str) == Some(value.trim_matches('"'))
                    }
                })
                .collect();
            wire::scim(200, &list(hits))
        }
        ("POST", true) => {
            let Some(Value::Object(mut resource)) = body else {
                return ResponseTemplate::new(400);
            };
            let n = held
                .keys()
                .filter(|p| p.starts_with(&format!("{collection}/")))
                .count()
                + 1;
            let id = if endpoint == "Users" {
                format!("u-{n}")
            } else {
                format!("g-{n}")
            };
            resource.remove("password");
            resource.insert("id".into(), json!(id));
            resource.insert(
                "meta".into(),
                json!({"resourceType": &endpoint[..endpoint.len() - 1], "location": format!("{collection}/{id}")}),
            );
            let mut resource = Value::Object(resource);
            forget(&mut resource);
            held.insert(format!("{collection}/{id}"), resource.clone());
            wire::scim(201, &resource)
        }
        ("GET", false) => match held.get(&path) {
            Some(r) => wire::scim(200, r),
            None => wire::scim(404, &json!({"status": "404"})),
        },
        ("PUT", false) => {
            let (Some(Value::Object(new)), Some(old)) = (body, held.get(&path).cloned()) else {
                return ResponseTemplate::new(404);
            };
            let mut new = new;
            for key in ["id", "meta"] {
                if let Some(v) = old.get(key) {
                    new.insert(key.into(), v.clone());
                }
            }
            let mut new = Value::Object(new);
            forget(&mut new);
            held.insert(path, new.clone());
            wire::scim(200, &new)
        }
        ("PATCH", false) => {
            let Some(resource) = held.get_mut(&path) else {
                return ResponseTemplate::new(404);
            };
            let ops = body
                .as_ref()
                .and_then(|b| b.get("Operations"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for op in ops {
                apply(resource, &op);
            }
            forget(resource);
            wire::scim(200, resource)
        }
        ("DELETE", false) => match held.remove(&path) {
            Some(_) => ResponseTemplate::new(204),
            None => wire::scim(404, &json!({"status": "404"})),
        },
        _ => ResponseTemplate::new(405),
    }
}

/// The PATCH operations Okta sends (§2.4, §2.5), applied as a correct server would.
fn apply(resource: &mut Value, op: &Value) {
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    match (op["op"].as_str(), op.get("path").and_then(Value::as_str)) {
        (Some("replace"), None) => {
            for (k, v) in op["value"].as_object().into_iter().flatten() {
                if k != "id" {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        (Some("replace"), Some("members")) => {
            let value: Vec<Value> = op["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| json!({"value": m["value"]}))
                .collect();
            obj.insert("members".into(), Value::Array(value));
        }
        (Some("add"), Some("members")) => {
            let members = obj.entry("members").or_insert_with(|| json!([]));
            for m in op["value"].as_array().into_iter().flatten() {
                if let Some(list) = members.as_array_mut() {
                    list.push(json!({"value": m["value"]}));
                }
            }
        }
        (Some("remove"), Some(p)) => {
            let id = p
                .strip_prefix("members[value eq \"")
                .and_then(|r| r.strip_suffix("\"]"))
                .expect("a member filter");
            if let Some(list) = obj.get_mut("members").and_then(Value::as_array_mut) {
                list.retain(|m| m["value"] != json!(id));
            }
        }
        other => panic!("unexpected PATCH operation {other:?}"),
    }
}

impl Target {
    pub(crate) async fn start() -> Target {
        Self::serving(None).await
    }

    /// A target that answers 2xx to every write but silently drops what `forget` removes.
    pub(crate) async fn forgetting(forget: fn(&mut Value)) -> Target {
        Self::serving(Some(forget)).await
    }

    async fn serving(forget: Forget) -> Target {
        let server = MockServer::start().await;
        let store: Store = Arc::default();
        let state = store.clone();
        Mock::given(any())
            .respond_with(move |req: &Request| respond(&state, forget, req))
            .mount(&server)
            .await;
        Target {
            server,
            store,
            seen: AtomicUsize::new(0),
        }
    }

    /// A target whose every answer is `status` with `body`.
    pub(crate) async fn answering(status: u16, body: Value) -> Target {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(wire::scim(status, &body))
            .mount(&server)
            .await;
        Target {
            server,
            store: Arc::default(),
            seen: AtomicUsize::new(0),
        }
    }

    pub(crate) fn held(&self, path: &str) -> Option<Value> {
        self.store.lock().expect("target state").get(path).cloned()
    }

    /// Changes what the target holds, as another admin of the app would.
    pub(crate) fn edit(&self, path: &str, key: &str, value: Value) {
        let mut store = self.store.lock().expect("target state");
        if let Some(Value::Object(o)) = store.get_mut(path) {
            o.insert(key.into(), value);
        }
    }

    pub(crate) async fn received(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
    }

    /// The requests received since the last call, in order.
    pub(crate) async fn take(&self) -> Vec<Sent> {
        let all = self.received().await;
        let from = self.seen.swap(all.len(), Ordering::SeqCst);
        all[from..].iter().map(reduce).collect()
    }
}
