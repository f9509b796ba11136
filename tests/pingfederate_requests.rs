//! Pins the exact requests the PingFederate profile sends (idp-behavior.md §3, §7): a wiremock
//! target plays a small correct SCIM server for users and groups, the engine polls a simulated
//! source, and every request the target received is compared, in order, with PingFederate's.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::pingfederate::PingFederate;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "pingfederate-requests-test-token";
const BASE: &str = "/scim/v2";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const ALICE: &str = "/scim/v2/Users/u-1";
const SALES: &str = "/scim/v2/Groups/g-1";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// One request as the target received it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Sent {
    method: String,
    path: String,
    /// Decoded query pairs; the probe's random GUID reads `<guid>` once checked.
    query: Vec<(String, String)>,
    body: Option<String>,
}

fn sent(method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Sent {
    Sent {
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        // Compared as canonical JSON text so that `Sent` can be sorted (parallel requests).
        body: body.map(|b| canonical(&b)),
    }
}

fn get(path: &str, query: &[(&str, &str)]) -> Sent {
    sent("GET", path, query, None)
}

fn post(path: &str, body: Value) -> Sent {
    sent("POST", path, &[], Some(body))
}

fn put(path: &str, body: Value) -> Sent {
    sent("PUT", path, &[], Some(body))
}

fn patch(path: &str, operations: Value) -> Sent {
    sent(
        "PATCH",
        path,
        &[],
        Some(json!({"schemas": [PATCH_OP], "Operations": operations})),
    )
}

fn delete(path: &str) -> Sent {
    sent("DELETE", path, &[], None)
}

/// §3: the matching query on the Unique User Identifier (userName by default).
fn match_user(filter: &str) -> Sent {
    get(USERS, &[("filter", filter)])
}

/// §3: groups are looked up by listing them all and matching the name locally.
fn list_groups() -> Sent {
    get(GROUPS, &[("startIndex", "1"), ("count", "100")])
}

/// JSON with object keys sorted, so equal bodies compare equal as text.
fn canonical(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// Reduces a received request to a `Sent`, checking the headers (`wire::checked_body`).
fn reduce(req: &Request) -> Sent {
    Sent {
        method: req.method.to_string(),
        path: req.url.path().to_string(),
        query: wire::query(req),
        body: wire::checked_body(req, TOKEN).map(|v| canonical(&v)),
    }
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(), "itemsPerPage": resources.len(),
           "startIndex": 1, "Resources": resources})
}

/// What the target holds: users `u-N` and groups `g-N`, numbered in creation order.
#[derive(Default)]
struct Directory {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
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

struct Target {
    server: MockServer,
    dir: Arc<Mutex<Directory>>,
    /// Requests already handed out by `take`.
    seen: AtomicUsize,
}

impl Target {
    async fn start() -> Target {
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
    async fn take(&self) -> Vec<Sent> {
        let all = self
            .server
            .received_requests()
            .await
            .expect("request recording is on");
        let from = self.seen.swap(all.len(), Ordering::SeqCst);
        all[from..].iter().map(reduce).collect()
    }

    /// Every raw (still encoded) query string received so far.
    async fn raw_queries(&self) -> Vec<Option<String>> {
        let all = self
            .server
            .received_requests()
            .await
            .expect("request recording is on");
        all.iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect()
    }

    fn user(&self, id: &str) -> Option<Value> {
        self.dir
            .lock()
            .expect("target state")
            .users
            .get(id)
            .cloned()
    }

    fn group(&self, id: &str) -> Option<Value> {
        self.dir
            .lock()
            .expect("target state")
            .groups
            .get(id)
            .cloned()
    }
}

/// The SP connection as an admin configures it: base URL, bearer token, channel options.
struct PingApp {
    target: Target,
    profile: PingFederate,
    client: ScimClient,
}

impl PingApp {
    async fn start(options: &[(&str, &str)]) -> PingApp {
        let target = Target::start().await;
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = PingFederate::from_options(&options).expect("valid channel options");
        let base = format!("{}{BASE}", target.server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        PingApp {
            target,
            profile,
            client,
        }
    }

    /// The provisioning channel, with an empty run prefix so values are predictable.
    fn engine(&self) -> Engine<'_> {
        Engine::new(
            &self.profile,
            &self.client,
            String::new(),
            Default::default(),
        )
    }
}

fn text(value: &str) -> AttrValue {
    AttrValue::Text(value.to_string())
}

fn add_user(tenant: &mut Tenant, r: &str, given: &str) {
    tenant
        .create_user(
            r,
            BTreeMap::from([
                (
                    UserAttr::UserPrincipalName,
                    text(&format!("{r}@contoso.com")),
                ),
                (UserAttr::Mail, text(&format!("{r}@contoso.com"))),
                (UserAttr::GivenName, text(given)),
                (UserAttr::Surname, text("Smith")),
            ]),
        )
        .expect("create user");
    tenant.assign(r).expect("assign user");
}

/// alice, in the targeted scope, with a department.
fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice");
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, text("R&D"))]),
        )
        .expect("department");
    tenant
}

/// The mapped user PingFederate POSTs for alice (§3; booleans as JSON booleans).
fn alice_body(active: bool) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "externalId": "alice",
        "active": active,
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        (ENTERPRISE_USER): {"department": "R&D"}
    })
}

fn user_body(r: &str, given: &str) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": format!("{r}@contoso.com"),
        "externalId": r,
        "active": true,
        "name": {"givenName": given, "familyName": "Smith"},
        "emails": [{"primary": true, "type": "work", "value": format!("{r}@contoso.com")}]
    })
}

async fn poll(engine: &mut Engine<'_>, tenant: &Tenant, kind: SyncKind) {
    engine.cycle(tenant, kind).await.expect("the poll runs");
}

/// The first poll for an in-scope alice: the matching query, then the POST. No probe.
async fn create_alice(app: &PingApp, engine: &mut Engine<'_>, tenant: &Tenant) {
    poll(engine, tenant, SyncKind::Initial).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user(r#"userName eq "alice@contoso.com""#),
            post(USERS, alice_body(true))
        ],
        "first poll for alice"
    );
}

#[tokio::test]
async fn test_connection_is_the_matching_query_for_a_random_value() {
    for (options, probe) in [
        (vec![], r#"userName eq "<guid>""#),
        (
            vec![("unique_user_identifier", "workEmail")],
            r#"emails eq "<guid>""#,
        ),
    ] {
        let app = PingApp::start(&options).await;
        let engine = app.engine();
        let mut report = CycleReport::default();
        for _ in 0..2 {
            engine
                .test_connection(&mut report)
                .await
                .expect("a ListResponse passes");
        }
        assert_eq!(
            app.target.take().await,
            vec![match_user(probe), match_user(probe)],
            "{options:?}"
        );
        let raw = app.target.raw_queries().await;
        assert_ne!(raw[0], raw[1], "{options:?}: a new value each time");
        assert!(
            raw[0]
                .as_deref()
                .is_some_and(|q| q.starts_with("filter=") && q.contains("+eq+%22")),
            "{options:?}: encoded as `+` and `%22`: {raw:?}"
        );
    }
}

#[tokio::test]
async fn a_poll_sends_no_probe() {
    let app = PingApp::start(&[]).await;
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![],
        "a quiet poll sends nothing"
    );
}

#[tokio::test]
async fn create_matches_on_the_configured_identifier_then_posts() {
    for (options, filter) in [
        (
            vec![("unique_user_identifier", "workEmail")],
            r#"emails eq "alice@contoso.com""#,
        ),
        (
            vec![("filter_expression", r#"externalId eq "%s""#)],
            r#"externalId eq "alice@contoso.com""#,
        ),
    ] {
        let app = PingApp::start(&options).await;
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        poll(&mut engine, &tenant, SyncKind::Initial).await;
        assert_eq!(
            app.target.take().await,
            vec![match_user(filter), post(USERS, alice_body(true))],
            "{options:?}"
        );
    }
    let app = PingApp::start(&[]).await;
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
    assert_eq!(
        app.target.raw_queries().await,
        vec![
            Some("filter=userName+eq+%22alice%40contoso.com%22".to_string()),
            None
        ],
        "the matching query as sent"
    );
    let object_id = tenant.user("alice").expect("alice").object_id;
    assert_eq!(
        engine.link(&object_id).map(|l| l.target_id.as_str()),
        Some("u-1"),
        "the returned id is the link"
    );
}

/// §3: an attribute change is GET then a PUT of the whole mapped user; a cleared attribute
/// is never cleared: alone it sends nothing (not even a GET: the sync state says nothing can
/// be pushed), with another change the PUT keeps its value.
#[tokio::test]
async fn update_puts_the_whole_user_and_never_clears() {
    let app = PingApp::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut updated = alice_body(true);
    updated["title"] = json!("Engineer");
    updated["name"]["familyName"] = json!("Jones");
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, updated.clone())],
        "attribute change"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("clear department");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![],
        "a cleared attribute alone sends nothing"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("retitle alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    updated["title"] = json!("Lead");
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, updated)],
        "the PUT carries the department the source no longer has"
    );
    let held = app.target.user("u-1").expect("alice is held");
    assert_eq!(held[ENTERPRISE_USER]["department"], json!("R&D"));
}

/// §3 Remove User Action = Disable (default): disabling alice is GET then the whole user with
/// `active: false`; enabling her again is the same PUT with `active: true`. Removing her from
/// the targeted scope disables her the same way.
#[tokio::test]
async fn deactivate_and_reactivate_are_puts_of_active() {
    let app = PingApp::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(false))],
        "deactivate"
    );

    tenant
        .set_account_enabled("alice", true)
        .expect("enable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(true))],
        "reactivate"
    );

    tenant.unassign("alice").expect("unassign alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(false))],
        "removed from the targeted scope"
    );

    tenant.assign("alice").expect("assign alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(true))],
        "back in scope: still managed, re-enabled"
    );

    tenant.hard_delete_user("alice").expect("delete alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(false))],
        "deleted in the source: disabled, not deleted"
    );
    assert!(app.target.user("u-1").is_some());
}

/// §3 Remove User Action = Delete: every trigger sends `DELETE /Users/{id}`, without a read.
#[tokio::test]
async fn remove_action_delete_deletes() {
    let app = PingApp::start(&[("remove_user_action", "delete")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(app.target.take().await, vec![delete(ALICE)], "disabled");
    assert_eq!(app.target.user("u-1"), None);

    // Enabled again, she is a new user to the channel: matched, then created.
    tenant
        .set_account_enabled("alice", true)
        .expect("enable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user(r#"userName eq "alice@contoso.com""#),
            post(USERS, alice_body(true))
        ],
        "re-enabled"
    );

    tenant.hard_delete_user("alice").expect("delete alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![delete("/scim/v2/Users/u-2")],
        "deleted in the source"
    );
}

/// alice, bob and carol in scope on their own; group `sales` targeted with alice and bob.
fn tenant_with_sales() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice");
    add_user(&mut tenant, "bob", "Bob");
    add_user(&mut tenant, "carol", "Carol");
    tenant
        .create_group("sales", "Sales", &["alice".to_string(), "bob".to_string()])
        .expect("create sales");
    tenant.assign("sales").expect("assign sales");
    tenant
}

/// The first poll with `sales`: users first, then every group listed and matched locally, then
/// the group POSTed with displayName and its members, alice and bob (PF-11, PF-12); nothing
/// else follows, the POST wrote every member.
async fn create_sales(app: &PingApp, engine: &mut Engine<'_>, tenant: &Tenant) {
    poll(engine, tenant, SyncKind::Initial).await;
    let mut expected = vec![];
    for (r, given) in [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")] {
        expected.push(match_user(&format!(r#"userName eq "{r}@contoso.com""#)));
        expected.push(post(USERS, user_body(r, given)));
    }
    expected.push(list_groups());
    expected.push(post(
        GROUPS,
        json!({"schemas": [CORE_GROUP], "displayName": "Sales",
               "members": [{"value": "u-1"}, {"value": "u-2"}]}),
    ));
    assert_eq!(app.target.take().await, expected, "first poll with sales");
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(
        member_values(&held),
        vec!["u-1", "u-2"],
        "members from the POST"
    );
}

fn sales_put(members: &[&str]) -> Sent {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    put(
        SALES,
        json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": members}),
    )
}

fn member_values(group: &Value) -> Vec<String> {
    let mut v: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// §3 default: membership is one PUT with displayName and the full member list, on create
/// and on every change; deleting the group is `DELETE /Groups/{id}`.
#[tokio::test]
async fn groups_put_the_full_member_list() {
    let app = PingApp::start(&[]).await;
    let mut tenant = tenant_with_sales();
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant).await;

    tenant.add_member("sales", "carol").expect("add carol");
    tenant.remove_member("sales", "bob").expect("remove bob");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![sales_put(&["u-1", "u-3"])],
        "membership change: neither the group (its name is in PingFederate's sync state) nor the \
         members it touched (unchanged in the sync state) are read"
    );
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(member_values(&held), vec!["u-1", "u-3"]);

    tenant.delete_group("sales").expect("delete sales");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![delete(SALES)],
        "group delete (its members' entitlement is re-evaluated, their sync state is unchanged)"
    );
    assert_eq!(app.target.group("g-1"), None);
}

/// PingFederate decides a rename from the name in its sync state (PF-18), not from what the
/// server returns: a server that stores the name in its own form (here upper-cased) draws no
/// rename, where a read-and-compare IdP would rename it on every change.
#[tokio::test]
async fn a_server_normalising_the_group_name_draws_no_rename() {
    let app = PingApp::start(&[("group_updates", "patch")]).await;
    let mut tenant = tenant_with_sales();
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant).await;
    if let Some(held) = app
        .target
        .dir
        .lock()
        .expect("target state")
        .groups
        .get_mut("g-1")
    {
        held["displayName"] = json!("SALES");
    }

    tenant.add_member("sales", "carol").expect("add carol");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![patch(
            SALES,
            json!([{"op": "add", "path": "members", "value": [{"value": "u-3"}]}])
        )],
        "the member add alone"
    );
}

/// §3 with group PATCH selected: one request per member change, RFC 7644 shape [I].
#[tokio::test]
async fn groups_patch_one_member_per_request() {
    let app = PingApp::start(&[("group_updates", "patch")]).await;
    let mut tenant = tenant_with_sales();
    let mut engine = app.engine();
    let add = |id: &str| {
        patch(
            SALES,
            json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
        )
    };
    create_sales(&app, &mut engine, &tenant).await;

    tenant.add_member("sales", "carol").expect("add carol");
    tenant.remove_member("sales", "bob").expect("remove bob");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            add("u-3"),
            patch(
                SALES,
                json!([{"op": "remove", "path": "members[value eq \"u-2\"]"}])
            )
        ],
        "membership change"
    );
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(member_values(&held), vec!["u-1", "u-3"]);

    tenant
        .rename_group("sales", "Sales EMEA")
        .expect("rename sales");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![patch(
            SALES,
            json!([{"op": "replace", "path": "displayName", "value": "Sales EMEA"}])
        )],
        "rename [I], decided from the sync state without a read"
    );

    tenant.delete_group("sales").expect("delete sales");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![delete(SALES)],
        "group delete (its members' entitlement is re-evaluated, their sync state is unchanged)"
    );
}

/// Max Threads 5 with PATCH: the same per-member requests, sent up to five at a time, so
/// their order on the wire is not fixed; every member arrives.
#[tokio::test]
async fn max_threads_sends_member_patches_side_by_side() {
    let app = PingApp::start(&[("group_updates", "patch"), ("max_threads", "5")]).await;
    let mut tenant = Tenant::new();
    let mut refs = Vec::new();
    for i in 1..=12 {
        let r = format!("user{i:02}");
        add_user(&mut tenant, &r, "User");
        refs.push(r);
    }
    // Created empty (its POST would carry members, PF-12); the members join in one poll.
    tenant
        .create_group("sales", "Sales", &[])
        .expect("create sales");
    tenant.assign("sales").expect("assign sales");
    let mut engine = app.engine();
    poll(&mut engine, &tenant, SyncKind::Initial).await;
    app.target.take().await;
    for r in &refs {
        tenant.add_member("sales", r).expect("add member");
    }
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut sent = app.target.take().await;
    let mut patches = sent.split_off(sent.len() - 12);
    patches.sort();
    let mut expected: Vec<Sent> = (1..=12)
        .map(|i| {
            patch(
                SALES,
                json!([{"op": "add", "path": "members", "value": [{"value": format!("u-{i}")}]}]),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(patches, expected);
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(member_values(&held).len(), 12);
}

/// PF-3 "Provision Disabled Users": off (the default), a disabled alice is never sent; on, she
/// is matched and POSTed with `active: false`, and the next poll leaves her as she is.
#[tokio::test]
async fn provision_disabled_users_posts_active_false() {
    let mut tenant = tenant_with_alice();
    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");

    let app = PingApp::start(&[]).await;
    let mut engine = app.engine();
    poll(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(app.target.take().await, vec![], "off: nothing sent");

    let app = PingApp::start(&[("provision_disabled_users", "true")]).await;
    let mut engine = app.engine();
    poll(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user(r#"userName eq "alice@contoso.com""#),
            post(USERS, alice_body(false))
        ],
        "on: created disabled"
    );
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Dev"))]),
        )
        .expect("title");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut body = alice_body(false);
    body["title"] = json!("Dev");
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, body)],
        "a change of the disabled user is a PUT that keeps it disabled, never a removal"
    );
}
