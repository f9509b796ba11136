//! The wiremock target the Entra group tests sync to: a minimal correct SCIM server for users
//! and groups that records every request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{wire, Sent, BASE, LIST_RESPONSE, TOKEN};

fn not_found() -> ResponseTemplate {
    wire::scim(
        404,
        &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404"}),
    )
}

/// One resource type on the target: what it holds by id, and how many ids it handed out.
struct Resources {
    /// `u` or `g`: ids are `u-1`, `u-2`… in the order of the POSTs.
    prefix: &'static str,
    held: BTreeMap<String, Value>,
    issued: usize,
}

impl Resources {
    fn new(prefix: &'static str) -> Self {
        Resources {
            prefix,
            held: BTreeMap::new(),
            issued: 0,
        }
    }
}

struct Directory {
    users: Resources,
    groups: Resources,
}

/// A minimal correct SCIM server: `attr eq "value"` filters over what it holds, POST stores
/// the body with a new id and answers 201, GET by id answers what it holds (without members
/// when excluded), PATCH 204, DELETE removes and answers 204, anything unknown 404. PATCH is
/// not applied: a test that reads after one sets what a correct server would then hold.
#[derive(Clone)]
struct MinimalScim(Arc<Mutex<Directory>>);

impl Respond for MinimalScim {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return not_found();
        };
        let rest = rest.trim_start_matches('/');
        let (endpoint, id) = match rest.split_once('/') {
            Some((endpoint, id)) => (endpoint, Some(id)),
            None => (rest, None),
        };
        let query: BTreeMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let without_members =
            query.get("excludedAttributes").map(String::as_str) == Some("members");
        let shown = |resource: &Value| {
            let mut resource = resource.clone();
            if let (true, Some(object)) = (without_members, resource.as_object_mut()) {
                object.remove("members");
            }
            resource
        };
        let mut directory = self.0.lock().expect("target state");
        let resources = match endpoint {
            "Users" => &mut directory.users,
            "Groups" => &mut directory.groups,
            _ => return not_found(),
        };
        match (req.method.as_str(), id) {
            ("GET", None) => {
                let hits: Vec<Value> = resources
                    .held
                    .values()
                    .filter(|r| matches_filter(r, query.get("filter")))
                    .map(shown)
                    .collect();
                wire::scim(
                    200,
                    &json!({"schemas": [LIST_RESPONSE], "totalResults": hits.len(),
                        "itemsPerPage": hits.len(), "startIndex": 1, "Resources": hits}),
                )
            }
            ("POST", None) => {
                let Ok(Value::Object(mut resource)) = serde_json::from_slice(&req.body) else {
                    return ResponseTemplate::new(400);
                };
                resources.issued += 1;
                let id = format!("{}-{}", resources.prefix, resources.issued);
                resource.insert("id".into(), json!(id));
                let resource = Value::Object(resource);
                resources.held.insert(id, resource.clone());
                wire::scim(201, &resource)
            }
            ("GET", Some(id)) => match resources.held.get(id) {
                Some(resource) => wire::scim(200, &shown(resource)),
                None => not_found(),
            },
            ("PATCH", Some(id)) if resources.held.contains_key(id) => ResponseTemplate::new(204),
            ("DELETE", Some(id)) if resources.held.remove(id).is_some() => {
                ResponseTemplate::new(204)
            }
            _ => not_found(),
        }
    }
}

/// `attr eq "value"` on a top-level string attribute; no filter matches everything.
fn matches_filter(resource: &Value, filter: Option<&String>) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    let Some((attr, quoted)) = filter.split_once(" eq ") else {
        return false;
    };
    let value = quoted.trim_matches('"');
    resource.get(attr).and_then(Value::as_str) == Some(value)
}

pub(crate) struct Target {
    pub(crate) server: MockServer,
    directory: Arc<Mutex<Directory>>,
    /// Requests already handed out by `take`.
    seen: AtomicUsize,
}

impl Target {
    pub(crate) async fn start() -> Target {
        Self::start_with_prefixes("u", "g").await
    }

    /// A server that numbers each collection on its own, as many do: its first user and
    /// its first group are both `n-1`.
    pub(crate) async fn start_numbered() -> Target {
        Self::start_with_prefixes("n", "n").await
    }

    async fn start_with_prefixes(users: &'static str, groups: &'static str) -> Target {
        let server = MockServer::start().await;
        let directory = Arc::new(Mutex::new(Directory {
            users: Resources::new(users),
            groups: Resources::new(groups),
        }));
        Mock::given(any())
            .respond_with(MinimalScim(directory.clone()))
            .mount(&server)
            .await;
        Target {
            server,
            directory,
            seen: AtomicUsize::new(0),
        }
    }

    /// Changes a held user the way a correct server applied a PATCH Entra sent.
    pub(crate) fn edit_user(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut directory = self.directory.lock().expect("target state");
        change(
            directory
                .users
                .held
                .get_mut(id)
                .expect("the target holds the user"),
        );
    }

    pub(crate) fn edit_group(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut directory = self.directory.lock().expect("target state");
        change(
            directory
                .groups
                .held
                .get_mut(id)
                .expect("the target holds the group"),
        );
    }

    pub(crate) fn group(&self, id: &str) -> Option<Value> {
        let directory = self.directory.lock().expect("target state");
        directory.groups.held.get(id).cloned()
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
        all[from..].iter().map(|r| wire::reduce(r, TOKEN)).collect()
    }
}
