//! Pins the exact requests the CyberArk Identity profile sends (idp-behavior.md §5): a
//! wiremock target plays a small correct SCIM server with state, the engine pushes each tenant
//! change at once as CyberArk does (CA-5), and every request the target received — headers
//! checked by the shared fixture — is compared, in order, with CyberArk's.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::cyberark::CyberArk;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "cyberark-requests-test-token";
const BASE: &str = "/scim/v2";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// One request as the target received it.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

fn sent(method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Sent {
    Sent {
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

fn get(path: &str) -> Sent {
    sent("GET", path, &[], None)
}

/// CA-3: `userName eq "<principal name>"`.
fn match_user(user_name: &str) -> Sent {
    let filter = format!(r#"userName eq "{user_name}""#);
    sent("GET", USERS, &[("filter", &filter)], None)
}

/// CA-2: `GET /Groups`, listed page by page and matched by name.
fn list_groups() -> Sent {
    sent(
        "GET",
        GROUPS,
        &[("startIndex", "1"), ("count", "100")],
        None,
    )
}

fn user_path(id: &str) -> String {
    format!("{USERS}/{id}")
}

fn group_path(id: &str) -> String {
    format!("{GROUPS}/{id}")
}

fn patch(path: &str, ops: Value) -> Sent {
    sent(
        "PATCH",
        path,
        &[],
        Some(json!({"schemas": [PATCH_OP], "Operations": ops})),
    )
}

fn reduce(req: &Request) -> Sent {
    Sent {
        method: req.method.to_string(),
        path: req.url.path().to_string(),
        query: wire::query(req),
        body: wire::checked_body(req, TOKEN),
    }
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
           "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
}

/// A small correct SCIM server: users and groups by id, `userName eq` filters, POST assigns
/// `u-N`/`g-N`, PUT replaces, PATCH adds and removes group members, DELETE removes; the
/// discovery endpoints answer with their resources.
#[derive(Default)]
struct Store {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    next: usize,
}

impl Store {
    fn put(&mut self, endpoint: &str, id: &str, body: &Value) -> Value {
        let mut resource = body.as_object().cloned().unwrap_or_default();
        resource.insert("id".into(), json!(id));
        let resource = Value::Object(resource);
        self.collection(endpoint)
            .insert(id.to_string(), resource.clone());
        resource
    }

    fn collection(&mut self, endpoint: &str) -> &mut BTreeMap<String, Value> {
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

    fn answer(&mut self, req: &Request) -> ResponseTemplate {
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

/// The SAML app's provisioning settings as an admin saves them (CA-1): URL, token, options.
struct App {
    server: MockServer,
    store: Arc<Mutex<Store>>,
    seen: AtomicUsize,
    profile: CyberArk,
    client: ScimClient,
}

impl App {
    async fn start(options: &[(&str, &str)]) -> App {
        let server = MockServer::start().await;
        let store = Arc::new(Mutex::new(Store::default()));
        let handler = store.clone();
        Mock::given(any())
            .respond_with(move |req: &Request| handler.lock().expect("target state").answer(req))
            .mount(&server)
            .await;
        let options = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = CyberArk::from_options(&options).expect("valid options");
        let base = format!("{}{BASE}", server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        App {
            server,
            store,
            seen: AtomicUsize::new(0),
            profile,
            client,
        }
    }

    /// The provisioning engine, with an empty run prefix so values are predictable.
    fn engine(&self) -> Engine<'_> {
        Engine::new(
            &self.profile,
            &self.client,
            String::new(),
            Default::default(),
        )
    }

    /// Puts a resource on the target as if it was there before CyberArk came.
    fn seed(&self, endpoint: &str, id: &str, body: Value) {
        self.store
            .lock()
            .expect("target state")
            .put(endpoint, id, &body);
    }

    fn resource(&self, endpoint: &str, id: &str) -> Option<Value> {
        self.store
            .lock()
            .expect("target state")
            .collection(endpoint)
            .get(id)
            .cloned()
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
}

fn text(value: &str) -> AttrValue {
    AttrValue::Text(value.to_string())
}

fn add_user(tenant: &mut Tenant, r: &str) {
    let upn = format!("{r}@contoso.com");
    tenant
        .create_user(
            r,
            BTreeMap::from([
                (UserAttr::UserPrincipalName, text(&upn)),
                (UserAttr::Mail, text(&upn)),
                (UserAttr::GivenName, text("Alice")),
                (UserAttr::Surname, text("Smith")),
                (UserAttr::Department, text("Sales")),
            ]),
        )
        .expect("create user");
}

/// The mapped user (§5 "mapped attrs [I]"): core and enterprise schemas, `active` a boolean.
fn user_body(r: &str, active: bool) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": format!("{r}@contoso.com"),
        "externalId": r,
        "active": active,
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"primary": true, "type": "work", "value": format!("{r}@contoso.com")}],
        ENTERPRISE_USER: {"department": "Sales"}
    })
}

/// CyberArk pushes each change at once (CA-5): what the runner does after each change.
async fn push(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
}

/// alice assigned and pushed: the matching query, then the POST; no probe before it.
async fn created_alice(app: &App, engine: &mut Engine<'_>) -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    tenant.assign("alice").expect("assign alice");
    push(engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            match_user("alice@contoso.com"),
            sent("POST", USERS, &[], Some(user_body("alice", true))),
        ],
        "create"
    );
    tenant
}

#[tokio::test]
async fn verify_lists_one_user_then_reads_the_discovery_endpoints() {
    let app = App::start(&[]).await;
    app.seed("Users", "x-1", json!({"userName": "someone@contoso.com"}));
    let engine = app.engine();
    engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect("a list with a user and the discovery resources pass");
    assert_eq!(
        app.take().await,
        vec![
            sent("GET", USERS, &[("count", "1")], None),
            get("/scim/v2/ServiceProviderConfig"),
            get("/scim/v2/ResourceTypes/User"),
            get("/scim/v2/ResourceTypes/Group"),
            get(&format!("/scim/v2/Schemas/{CORE_USER}")),
            get(&format!("/scim/v2/Schemas/{ENTERPRISE_USER}")),
            get(&format!("/scim/v2/Schemas/{CORE_GROUP}")),
        ]
    );
}

#[tokio::test]
async fn create_matches_on_user_name_then_posts_and_an_unchanged_user_sends_nothing() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let tenant = created_alice(&app, &mut engine).await;
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("a provisioning job runs");
    assert_eq!(app.take().await, vec![], "nothing changed since the push");
}

#[tokio::test]
async fn update_reads_then_puts_the_whole_user() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let mut tenant = created_alice(&app, &mut engine).await;
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("update");
    push(&mut engine, &tenant).await;
    let mut body = user_body("alice", true);
    body["title"] = json!("Lead");
    assert_eq!(
        app.take().await,
        vec![
            get(&user_path("u-1")),
            sent("PUT", &user_path("u-1"), &[], Some(body)),
        ]
    );
}

#[tokio::test]
async fn deactivate_is_the_put_with_active_false_and_a_disabled_user_is_left_alone() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let mut tenant = created_alice(&app, &mut engine).await;
    tenant.set_account_enabled("alice", false).expect("disable");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![],
        "de-provision when disabled is off"
    );
    tenant.set_account_enabled("alice", true).expect("enable");
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            get(&user_path("u-1")),
            sent(
                "PUT",
                &user_path("u-1"),
                &[],
                Some(user_body("alice", false))
            ),
        ]
    );
}

#[tokio::test]
async fn delete_is_a_delete_without_a_read() {
    let app = App::start(&[("deprovision", "delete"), ("deprovision_disabled", "true")]).await;
    let mut engine = app.engine();
    let mut tenant = created_alice(&app, &mut engine).await;
    tenant.set_account_enabled("alice", false).expect("disable");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![sent("DELETE", &user_path("u-1"), &[], None)]
    );
    assert_eq!(app.resource("Users", "u-1"), None);
}

#[tokio::test]
async fn an_existing_principal_name_is_overwritten_or_left_alone() {
    for (option, writes) in [("overwrite", true), ("no-overwrite", false)] {
        let app = App::start(&[("existing_user", option)]).await;
        let legacy =
            json!({"schemas": [CORE_USER], "userName": "Alice@Contoso.com", "title": "Intern"});
        app.seed("Users", "x-1", legacy.clone());
        let mut engine = app.engine();
        let mut tenant = Tenant::new();
        add_user(&mut tenant, "alice");
        tenant.assign("alice").expect("assign");
        push(&mut engine, &tenant).await;
        let mut want = vec![match_user("alice@contoso.com")];
        if writes {
            want.push(get(&user_path("x-1")));
            want.push(sent(
                "PUT",
                &user_path("x-1"),
                &[],
                Some(user_body("alice", true)),
            ));
        }
        assert_eq!(app.take().await, want, "{option}");
        let mut kept = legacy;
        kept["id"] = json!("x-1");
        let held = app.resource("Users", "x-1").expect("still there");
        assert_eq!(held == kept, !writes, "{option}: {held}");
    }
}

/// The role `team` with alice, mapped to the app; alice is assigned on her own too.
async fn mapped_team(app: &App, engine: &mut Engine<'_>) -> Tenant {
    let mut tenant = created_alice(app, engine).await;
    add_user(&mut tenant, "bob");
    tenant.assign("bob").expect("assign bob");
    push(engine, &tenant).await;
    app.take().await;
    tenant
        .create_group("team", "Team", &["alice".to_string()])
        .expect("create team");
    tenant.assign("team").expect("map team");
    push(engine, &tenant).await;
    tenant
}

#[tokio::test]
async fn a_mapped_role_is_listed_posted_then_patched_with_its_members() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    mapped_team(&app, &mut engine).await;
    assert_eq!(
        app.take().await,
        vec![
            list_groups(),
            sent(
                "POST",
                GROUPS,
                &[],
                Some(json!({"schemas": [CORE_GROUP], "displayName": "Team"}))
            ),
            patch(
                &group_path("g-3"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-1"}]}])
            ),
        ]
    );
}

#[tokio::test]
async fn membership_changes_are_patches_and_a_removed_mapping_sends_nothing() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let mut tenant = mapped_team(&app, &mut engine).await;
    app.take().await;

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            get(&group_path("g-3")),
            patch(
                &group_path("g-3"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-2"}]}])
            ),
        ],
        "add"
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            get(&group_path("g-3")),
            patch(
                &group_path("g-3"),
                json!([{"op": "remove", "path": "members[value eq \"u-1\"]"}])
            ),
        ],
        "remove"
    );

    tenant.unassign("team").expect("unmap team");
    push(&mut engine, &tenant).await;
    tenant.delete_group("team").expect("delete the role");
    push(&mut engine, &tenant).await;
    assert_eq!(app.take().await, vec![], "the group stays (CA-4)");
    assert_eq!(
        app.resource("Groups", "g-3").expect("kept")["members"],
        json!([{"value": "u-2"}])
    );
}

#[tokio::test]
async fn an_existing_destination_group_is_reused_and_keeps_its_members() {
    let app = App::start(&[]).await;
    app.seed(
        "Groups",
        "g-0",
        json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": [{"value": "x-9"}]}),
    );
    let mut engine = app.engine();
    mapped_team(&app, &mut engine).await;
    assert_eq!(
        app.take().await,
        vec![
            list_groups(),
            patch(
                &group_path("g-0"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-1"}]}])
            ),
        ]
    );
    assert_eq!(
        app.resource("Groups", "g-0").expect("reused")["members"],
        json!([{"value": "x-9"}, {"value": "u-1"}])
    );
}

/// What one log record previewed: method, path relative to the base URL, body.
fn previewed(report: &CycleReport, object: &str) -> Vec<(String, String, Option<Value>)> {
    let rec = report
        .records
        .iter()
        .find(|r| r.object == object)
        .unwrap_or_else(|| panic!("a record for {object}"));
    assert_eq!(rec.skip_reason.as_deref(), Some("Preview"), "{object}");
    rec.preview
        .iter()
        .map(|p| (p.method.to_string(), p.path.clone(), p.body.clone()))
        .collect()
}

#[tokio::test]
async fn preview_mode_sends_the_reads_and_logs_every_write_it_withholds() {
    let app = App::start(&[("preview", "true")]).await;
    let legacy =
        json!({"schemas": [CORE_USER], "userName": "Alice@Contoso.com", "title": "Intern"});
    app.seed("Users", "x-1", legacy.clone());
    let team =
        json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": [{"value": "x-9"}]});
    app.seed("Groups", "g-0", team.clone());
    let mut engine = app.engine();
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    add_user(&mut tenant, "bob");
    tenant
        .create_group("team", "Team", &["alice".to_string(), "bob".to_string()])
        .expect("create team");
    for object in ["alice", "bob", "team"] {
        tenant.assign(object).expect("assign");
    }
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("a provisioning job runs");

    // Reads only: alice matched (overwrite adopts her, so she is read for the PUT), bob not
    // found, the existing destination group found by listing.
    assert_eq!(
        app.take().await,
        vec![
            match_user("alice@contoso.com"),
            get(&user_path("x-1")),
            match_user("bob@contoso.com"),
            list_groups(),
        ]
    );
    assert_eq!(
        report.requests,
        BTreeMap::from([("GET", 4)]),
        "only what was sent is counted"
    );
    // The target is untouched.
    let mut kept = legacy;
    kept["id"] = json!("x-1");
    assert_eq!(app.resource("Users", "x-1"), Some(kept));
    let mut kept_team = team;
    kept_team["id"] = json!("g-0");
    assert_eq!(app.resource("Groups", "g-0"), Some(kept_team));
    assert_eq!(app.resource("Users", "u-1"), None, "bob was not created");

    // The log says what each write would have been.
    assert_eq!(
        previewed(&report, "alice"),
        vec![(
            "PUT".into(),
            "/Users/x-1".into(),
            Some(user_body("alice", true))
        )]
    );
    assert_eq!(
        previewed(&report, "bob"),
        vec![("POST".into(), "/Users".into(), Some(user_body("bob", true)))]
    );
    assert_eq!(
        previewed(&report, "team"),
        vec![(
            "PATCH".into(),
            "/Groups/g-0".into(),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": "x-1"}]}
            ]}))
        )],
        "bob has no target id yet, so only alice would be added"
    );
    let bob = report.records.iter().find(|r| r.object == "bob");
    assert!(
        bob.and_then(|r| r.reason.as_deref())
            .is_some_and(|r| r.contains("preview mode: would have sent POST /Users")),
        "{bob:?}"
    );

    // Nothing was written, so nothing is retried: the next push sends nothing.
    push(&mut engine, &tenant).await;
    assert_eq!(app.take().await, vec![]);
}
