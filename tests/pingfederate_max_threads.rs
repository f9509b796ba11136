//! PingFederate's Max Threads (idp-behavior.md PF-19): the user and group operations of a
//! poll — creates, updates (renames), deletes — go through a pool of `max_threads` workers. A small
//! in-process SCIM server that answers every request after a pause counts how many requests
//! are in flight at once: with five threads the pool fills and never overflows; with one,
//! the channel is strictly sequential. The server keeps its users honestly, so the test also
//! proves nothing is lost or doubled, and that the run's record of what it created (what
//! cleanup deletes) holds every user it created.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::Response;
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::pingfederate::PingFederate;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};
use serde_json::{json, Value};

const TOKEN: &str = "pingfederate-max-threads-token";
const USERS: usize = 12;
/// Long enough that every worker's request is sent before the first answer comes back.
const PAUSE: Duration = Duration::from_millis(60);

#[derive(Default)]
struct Server {
    in_flight: AtomicUsize,
    /// The most requests in flight at once since the last `take_max`.
    max: AtomicUsize,
    users: Mutex<BTreeMap<String, Value>>,
    groups: Mutex<BTreeMap<String, Value>>,
    next_id: AtomicUsize,
}

impl Server {
    fn take_max(&self) -> usize {
        self.max.swap(0, Ordering::SeqCst)
    }

    fn users(&self) -> BTreeMap<String, Value> {
        self.users.lock().expect("lock").clone()
    }

    fn groups(&self) -> BTreeMap<String, Value> {
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

async fn start() -> (Arc<Server>, String, tokio::task::JoinHandle<()>) {
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

fn tenant() -> Tenant {
    let mut t = Tenant::new();
    for i in 1..=USERS {
        let r = format!("u{i:02}");
        let upn = AttrValue::Text(format!("{r}@contoso.com"));
        t.create_user(&r, BTreeMap::from([(UserAttr::UserPrincipalName, upn)]))
            .expect("create user");
        t.assign(&r).expect("assign");
    }
    t
}

fn all_succeeded(report: &CycleReport, what: &str) {
    let objects: Vec<&str> = report.records.iter().map(|r| r.object.as_str()).collect();
    let expected: Vec<String> = (1..=USERS).map(|i| format!("u{i:02}")).collect();
    assert_eq!(
        objects, expected,
        "{what}: one record per user, in user order"
    );
    for r in &report.records {
        assert_eq!(r.status, Status::Success, "{what}: {r:?}");
    }
}

/// Creates, updates and deletes of one poll each, with `threads` workers; the most requests
/// the server saw in flight at once in each poll.
async fn polls(threads: &str) -> [usize; 3] {
    let (server, base, task) = start().await;
    let options = BTreeMap::from([
        ("max_threads".to_string(), threads.to_string()),
        ("remove_user_action".to_string(), "delete".to_string()),
    ]);
    let profile = PingFederate::from_options(&options).expect("valid options");
    let client =
        ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10)).expect("client");
    let created = Created::default();
    let mut engine = Engine::new(&profile, &client, String::new(), created.clone());
    let mut tenant = tenant();

    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("poll");
    all_succeeded(&report, "creates");
    let creates = server.take_max();
    let held = server.users();
    let names: BTreeSet<&str> = held
        .values()
        .filter_map(|u| u["userName"].as_str())
        .collect();
    assert_eq!((held.len(), names.len()), (USERS, USERS), "every user once");
    // What cleanup deletes: every id the server handed out, none pending.
    let tracked: BTreeSet<String> = created
        .newest_first()
        .into_iter()
        .map(|o| o.id.expect("every create answered with an id"))
        .collect();
    assert_eq!(tracked, held.keys().cloned().collect::<BTreeSet<_>>());
    // Each user's link is its own target user.
    let linked: BTreeSet<String> = report
        .records
        .iter()
        .filter_map(|r| r.target_identity.clone())
        .collect();
    assert_eq!(linked.len(), USERS);

    for i in 1..=USERS {
        let title = BTreeMap::from([(UserAttr::JobTitle, AttrValue::Text("Dev".into()))]);
        tenant
            .update_user(&format!("u{i:02}"), &title)
            .expect("update");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_succeeded(&report, "updates");
    let updates = server.take_max();
    assert!(
        server.users().values().all(|u| u["title"] == json!("Dev")),
        "every PUT landed"
    );

    for i in 1..=USERS {
        tenant.unassign(&format!("u{i:02}")).expect("unassign");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_succeeded(&report, "deletes");
    let deletes = server.take_max();
    assert!(server.users().is_empty(), "every DELETE landed");
    task.abort();
    [creates, updates, deletes]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_threads_fill_the_pool_and_never_overflow_it() {
    assert_eq!(polls("5").await, [5, 5, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_thread_sends_one_request_at_a_time() {
    assert_eq!(polls("1").await, [1, 1, 1]);
}

const GROUPS: usize = 12;

fn group_tenant() -> Tenant {
    let mut t = Tenant::new();
    for i in 1..=GROUPS {
        let r = format!("g{i:02}");
        t.create_group(&r, &format!("Team {i:02}"), &[])
            .expect("create group");
        t.assign(&r).expect("assign");
    }
    t
}

fn all_groups_succeeded(report: &CycleReport, what: &str) {
    let objects: Vec<&str> = report.records.iter().map(|r| r.object.as_str()).collect();
    let expected: Vec<String> = (1..=GROUPS).map(|i| format!("g{i:02}")).collect();
    assert_eq!(
        objects, expected,
        "{what}: one record per group, in group order"
    );
    for r in &report.records {
        assert_eq!(r.status, Status::Success, "{what}: {r:?}");
    }
}

/// Group creates, renames and deletes (the groups deleted in the source) of one poll each,
/// with `threads` workers; the most requests the server saw in flight in each poll.
async fn group_polls(threads: &str) -> [usize; 3] {
    let (server, base, task) = start().await;
    let options = BTreeMap::from([("max_threads".to_string(), threads.to_string())]);
    let profile = PingFederate::from_options(&options).expect("valid options");
    let client =
        ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10)).expect("client");
    let created = Created::default();
    let mut engine = Engine::new(&profile, &client, String::new(), created.clone());
    let mut tenant = group_tenant();

    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("poll");
    all_groups_succeeded(&report, "creates");
    let creates = server.take_max();
    let held = server.groups();
    let names: BTreeSet<&str> = held
        .values()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    assert_eq!(
        (held.len(), names.len()),
        (GROUPS, GROUPS),
        "every group once"
    );
    let tracked: BTreeSet<String> = created
        .newest_first()
        .into_iter()
        .filter_map(|o| o.id)
        .collect();
    assert_eq!(tracked, held.keys().cloned().collect::<BTreeSet<_>>());
    for i in 1..=GROUPS {
        let g = tenant.group(&format!("g{i:02}")).expect("group");
        let link = engine.link(&g.object_id).expect("linked");
        assert_eq!(
            held[&link.target_id]["displayName"],
            json!(format!("Team {i:02}")),
            "g{i:02} is linked to its own target group"
        );
    }

    for i in 1..=GROUPS {
        tenant
            .rename_group(&format!("g{i:02}"), &format!("Squad {i:02}"))
            .expect("rename");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_groups_succeeded(&report, "renames");
    let renames = server.take_max();
    let names: BTreeSet<String> = server
        .groups()
        .values()
        .filter_map(|g| g["displayName"].as_str().map(str::to_string))
        .collect();
    let expected: BTreeSet<String> = (1..=GROUPS).map(|i| format!("Squad {i:02}")).collect();
    assert_eq!(names, expected, "every rename landed");

    for i in 1..=GROUPS {
        tenant.delete_group(&format!("g{i:02}")).expect("delete");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("poll");
    all_groups_succeeded(&report, "deletes");
    let deletes = server.take_max();
    assert!(server.groups().is_empty(), "every DELETE landed");
    task.abort();
    [creates, renames, deletes]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_threads_run_group_creates_renames_and_deletes_side_by_side() {
    assert_eq!(group_polls("5").await, [5, 5, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_thread_sends_one_group_request_at_a_time() {
    assert_eq!(group_polls("1").await, [1, 1, 1]);
}
