//! A small in-process SCIM server that counts requests in flight: every request waits
//! `PAUSE` while counted, so a pool of N workers shows as N requests at once. It keeps its
//! users and groups honestly (a duplicate userName or displayName is refused with 409), so a
//! test also proves nothing is lost or doubled. Shared by the worker-pool tests
//! (PingFederate's Max Threads, Entra's parallel exports).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::Response;
use serde_json::{json, Value};

/// Long enough that every worker's request is sent before the first answer comes back.
pub const PAUSE: Duration = Duration::from_millis(60);

#[derive(Default)]
pub struct Server {
    pub in_flight: AtomicUsize,
    /// The most requests in flight at once since the last `take_max`.
    pub max: AtomicUsize,
    pub users: Mutex<BTreeMap<String, Value>>,
    pub groups: Mutex<BTreeMap<String, Value>>,
    pub next_id: AtomicUsize,
}

impl Server {
    pub fn take_max(&self) -> usize {
        self.max.swap(0, Ordering::SeqCst)
    }

    pub fn users(&self) -> BTreeMap<String, Value> {
        self.users.lock().expect("lock").clone()
    }

    pub fn groups(&self) -> BTreeMap<String, Value> {
        self.groups.lock().expect("lock").clone()
    }
}

fn list(hits: Vec<Value>) -> Response {
    scim(
        200,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
               "totalResults": hits.len(), "startIndex": 1, "itemsPerPage": hits.len(),
               "Resources": hits}),
    )
}

/// A correct, minimal Groups endpoint: PingFederate lists every group (one page here, fewer
/// than 100), posts, reads, PUTs and deletes by id.
fn groups(s: &Server, method: Method, id: Option<&str>, body: &str) -> Response {
    let mut groups = s.groups.lock().expect("lock");
    match (method, id) {
        (Method::GET, None) => list(groups.values().cloned().collect()),
        (Method::POST, None) => {
            let mut group: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            if groups
                .values()
                .any(|g| g["displayName"] == group["displayName"])
            {
                return scim(409, json!({"status": "409", "scimType": "uniqueness"}));
            }
            let id = format!("g-{}", s.next_id.fetch_add(1, Ordering::SeqCst) + 1);
            group["id"] = json!(id);
            groups.insert(id, group.clone());
            scim(201, group)
        }
        (Method::GET, Some(id)) => match groups.get(id) {
            Some(g) => scim(200, g.clone()),
            None => scim(404, json!({"status": "404"})),
        },
        (Method::PUT, Some(id)) => {
            let mut group: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            group["id"] = json!(id);
            groups.insert(id.to_string(), group.clone());
            scim(200, group)
        }
        (Method::DELETE, Some(id)) => match groups.remove(id) {
            Some(_) => scim(204, Value::Null),
            None => scim(404, json!({"status": "404"})),
        },
        _ => scim(405, json!({"status": "405"})),
    }
}

fn scim(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/scim+json")
        .body(body.to_string().into())
        .unwrap_or_default()
}

/// A correct, minimal Users endpoint: every request waits `PAUSE` while counted in flight.
async fn handle(State(s): State<Arc<Server>>, method: Method, uri: Uri, body: String) -> Response {
    let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    s.max.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(PAUSE).await;
    if let Some(rest) = uri.path().strip_prefix("/scim/v2/Groups") {
        let id = rest.strip_prefix('/');
        let answer = groups(&s, method, id, &body);
        s.in_flight.fetch_sub(1, Ordering::SeqCst);
        return answer;
    }
    let id = uri
        .path()
        .strip_prefix("/scim/v2/Users/")
        .map(str::to_string);
    let answer = match (method, id) {
        (Method::GET, None) => {
            // `userName eq "…"`: the new users are not there yet, so the list is empty unless
            // one with that name was created (a duplicate create would then be refused).
            let query = uri.query().unwrap_or_default().replace('+', " ");
            let query = percent_encoding::percent_decode_str(&query).decode_utf8_lossy();
            let hits: Vec<Value> = s
                .users()
                .into_values()
                .filter(|u| {
                    u["userName"]
                        .as_str()
                        .is_some_and(|n| query.contains(&format!("\"{n}\"")))
                })
                .collect();
            list(hits)
        }
        (Method::POST, None) => {
            let mut user: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let name = user["userName"].as_str().unwrap_or_default().to_string();
            let mut users = s.users.lock().expect("lock");
            if users.values().any(|u| u["userName"] == json!(name)) {
                scim(409, json!({"status": "409", "scimType": "uniqueness"}))
            } else {
                let id = format!("u-{}", s.next_id.fetch_add(1, Ordering::SeqCst) + 1);
                user["id"] = json!(id);
                users.insert(id, user.clone());
                scim(201, user)
            }
        }
        (Method::GET, Some(id)) => match s.users().get(&id) {
            Some(u) => scim(200, u.clone()),
            None => scim(404, json!({"status": "404"})),
        },
        (Method::PUT, Some(id)) => {
            let mut user: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            user["id"] = json!(id);
            s.users.lock().expect("lock").insert(id, user.clone());
            scim(200, user)
        }
        (Method::DELETE, Some(id)) => match s.users.lock().expect("lock").remove(&id) {
            Some(_) => scim(204, Value::Null),
            None => scim(404, json!({"status": "404"})),
        },
        _ => scim(405, json!({"status": "405"})),
    };
    s.in_flight.fetch_sub(1, Ordering::SeqCst);
    answer
}

pub async fn start() -> (Arc<Server>, String, tokio::task::JoinHandle<()>) {
    let state = Arc::new(Server::default());
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (state, format!("http://{addr}/scim/v2"), task)
}
