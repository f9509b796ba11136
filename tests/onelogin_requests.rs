//! Pins the exact requests the OneLogin profile sends (idp-behavior.md §6), headers included:
//! a wiremock target plays a small correct SCIM server with state (path-less PATCH replace,
//! member add/remove, and OneLogin's lone `emails` object read as one element), the engine
//! pushes each tenant change as OneLogin does (one push per change, no probe), and every
//! request the target received is compared, in order, with OneLogin's.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::onelogin::OneLogin;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "onelogin-requests-test-token";
const BASE: &str = "/scim/v2";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One request as the target received it.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    method: String,
    path: String,
    /// Decoded query pairs; the probe's random value reads `<guid>` once checked.
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

/// OL-3/OL-4: the userName lookup.
fn match_user(user_name: &str) -> Sent {
    let filter = format!(r#"userName eq "{user_name}""#);
    sent("GET", USERS, &[("filter", &filter)], None)
}

/// OL-4: "Refresh Entitlements" lists the groups, paged by the harness.
fn list_groups() -> Sent {
    sent(
        "GET",
        GROUPS,
        &[("startIndex", "1"), ("count", "100")],
        None,
    )
}

fn get(path: &str) -> Sent {
    sent("GET", path, &[], None)
}

fn post(path: &str, body: Value) -> Sent {
    sent("POST", path, &[], Some(body))
}

fn patch(path: &str, ops: Value) -> Sent {
    sent(
        "PATCH",
        path,
        &[],
        Some(json!({"schemas": [PATCH_OP], "Operations": ops})),
    )
}

fn delete(path: &str) -> Sent {
    sent("DELETE", path, &[], None)
}

fn user_path(id: &str) -> String {
    format!("{USERS}/{id}")
}

fn group_path(id: &str) -> String {
    format!("{GROUPS}/{id}")
}

/// Reduces a received request to a `Sent`, checking the headers (`wire::checked_body`): the
/// bearer token, `Accept: application/scim+json`, and `Content-Type: application/scim+json`
/// exactly when a body goes (OneLogin's own headers are not documented).
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

fn eq_value<'a>(filter: &'a str, attr: &str) -> Option<&'a str> {
    let mut words = filter.splitn(3, ' ');
    let (a, op, v) = (words.next()?, words.next()?, words.next()?);
    (a.eq_ignore_ascii_case(attr) && op.eq_ignore_ascii_case("eq")).then(|| v.trim_matches('"'))
}

/// A small correct SCIM server: users and groups by id, `eq` filters, POST assigns
/// `u-N`/`g-N`, PATCH applies path-less replaces and member adds/removes, DELETE removes.
#[derive(Default)]
struct Store {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    next: usize,
    /// Answer 404 instead of an empty list to a lookup that finds nobody (OL-2).
    not_found_is_404: bool,
}

impl Store {
    fn collection(&mut self, endpoint: &str) -> &mut BTreeMap<String, Value> {
        if endpoint == "Users" {
            &mut self.users
        } else {
            &mut self.groups
        }
    }

    /// RFC 7644 §3.5.2: path-less replace sets each attribute of the value; `members` ops on
    /// groups add or remove by value. A lone `emails` object is one element.
    fn apply(resource: &mut Value, ops: &[Value]) {
        for op in ops {
            let verb = op["op"].as_str().unwrap_or_default();
            match (verb, op["path"].as_str()) {
                ("replace", None) => {
                    for (k, v) in op["value"].as_object().into_iter().flatten() {
                        let v = match (k.as_str(), v) {
                            ("emails", Value::Object(_)) => json!([v]),
                            ("active", Value::String(s)) => json!(s == "true"),
                            _ => v.clone(),
                        };
                        resource[k] = v;
                    }
                }
                ("replace", Some(path)) => resource[path] = op["value"].clone(),
                ("add", Some("members")) => {
                    let members = resource["members"].as_array().cloned().unwrap_or_default();
                    let mut members = members;
                    members.extend(op["value"].as_array().cloned().unwrap_or_default());
                    resource["members"] = Value::Array(members);
                }
                ("remove", Some(path)) => {
                    let gone = path
                        .strip_prefix("members[value eq \"")
                        .and_then(|p| p.strip_suffix("\"]"))
                        .unwrap_or_default();
                    if let Some(members) = resource["members"].as_array_mut() {
                        members.retain(|m| m["value"] != json!(gone));
                    }
                }
                _ => {}
            }
        }
    }

    fn answer(&mut self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return wire::scim(404, &json!({"status": "404"}));
        };
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", [endpoint @ ("Users" | "Groups")]) => {
                let filter: Option<String> = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .map(|(_, v)| v.into_owned());
                let attr = if *endpoint == "Users" {
                    "userName"
                } else {
                    "displayName"
                };
                let wanted = filter.as_deref().and_then(|f| eq_value(f, attr));
                let hits: Vec<Value> = self
                    .collection(endpoint)
                    .values()
                    .filter(|r| {
                        wanted.is_none_or(|w| {
                            r[attr].as_str().is_some_and(|v| v.eq_ignore_ascii_case(w))
                        })
                    })
                    .cloned()
                    .collect();
                if hits.is_empty() && wanted.is_some() && self.not_found_is_404 {
                    return wire::scim(404, &json!({"status": "404"}));
                }
                wire::scim(200, &list(hits))
            }
            ("POST", [endpoint @ ("Users" | "Groups")]) => {
                let Some(Value::Object(mut body)) = body else {
                    return wire::scim(400, &json!({"status": "400"}));
                };
                self.next += 1;
                let id = format!(
                    "{}-{}",
                    if *endpoint == "Users" { "u" } else { "g" },
                    self.next
                );
                body.insert("id".into(), json!(id));
                if let Some(Value::String(s)) = body.get("active") {
                    let b = s == "true";
                    body.insert("active".into(), json!(b));
                }
                let resource = Value::Object(body);
                self.collection(endpoint).insert(id, resource.clone());
                wire::scim(201, &resource)
            }
            (method, [endpoint @ ("Users" | "Groups"), id]) => {
                let Some(resource) = self.collection(endpoint).get_mut(*id) else {
                    return wire::scim(404, &json!({"status": "404"}));
                };
                match (method, body) {
                    ("GET", _) => wire::scim(200, resource),
                    ("PATCH", Some(body)) => {
                        let ops = body["Operations"].as_array().cloned().unwrap_or_default();
                        Self::apply(resource, &ops);
                        wire::scim(200, resource)
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

struct Target {
    server: MockServer,
    store: Arc<Mutex<Store>>,
    seen: AtomicUsize,
}

impl Target {
    async fn serving(store: Store) -> Target {
        let server = MockServer::start().await;
        let store = Arc::new(Mutex::new(store));
        let handler = store.clone();
        Mock::given(any())
            .respond_with(move |req: &Request| handler.lock().expect("target state").answer(req))
            .mount(&server)
            .await;
        Target {
            server,
            store,
            seen: AtomicUsize::new(0),
        }
    }

    fn user(&self, id: &str) -> Option<Value> {
        self.store.lock().expect("state").users.get(id).cloned()
    }

    fn group(&self, id: &str) -> Option<Value> {
        self.store.lock().expect("state").groups.get(id).cloned()
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

/// The OneLogin app as an admin configures it: SCIM base URL, bearer token, options.
struct Connection {
    target: Target,
    profile: OneLogin,
    client: ScimClient,
}

impl Connection {
    async fn start(options: &[(&str, &str)]) -> Connection {
        Self::against(Store::default(), options).await
    }

    async fn against(store: Store, options: &[(&str, &str)]) -> Connection {
        let target = Target::serving(store).await;
        let options = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = OneLogin::from_options(&options).expect("valid options");
        let base = format!("{}{BASE}", target.server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        Connection {
            target,
            profile,
            client,
        }
    }

    /// The provisioning, with an empty run prefix so values are predictable.
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

fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    tenant.assign("alice").expect("assign alice");
    tenant
}

/// OL-1, OL-6: the shipped template filled in, `active` a string, `"id": null`.
fn alice_post_body() -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"value": "alice@contoso.com", "type": "work", "primary": true}],
        "active": "true",
        ENTERPRISE_USER: {"department": "Sales"},
        "id": null
    })
}

/// OneLogin pushes each change as it happens: what the runner does after each step.
async fn push(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
}

async fn create_alice(conn: &Connection, engine: &mut Engine<'_>, tenant: &Tenant) {
    push(engine, tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body())
        ],
        "first push for alice, given access"
    );
}

fn active_patch(value: &str) -> Sent {
    patch(
        &user_path("u-1"),
        json!([{"op": "replace", "value": {"active": value}}]),
    )
}

#[tokio::test]
async fn enable_probes_a_username_that_cannot_exist_and_passes_on_empty_or_404() {
    for not_found_is_404 in [false, true] {
        let conn = Connection::against(
            Store {
                not_found_is_404,
                ..Store::default()
            },
            &[],
        )
        .await;
        let engine = conn.engine();
        let mut report = CycleReport::default();
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty list or a 404 passes");
        assert_eq!(
            conn.target.take().await,
            vec![sent(
                "GET",
                USERS,
                &[("filter", r#"userName eq "<guid>""#)],
                None
            )],
            "404 mode {not_found_is_404}"
        );
    }
}

#[tokio::test]
async fn match_then_post_of_the_template_and_a_404_lookup_means_absent() {
    for not_found_is_404 in [false, true] {
        let conn = Connection::against(
            Store {
                not_found_is_404,
                ..Store::default()
            },
            &[],
        )
        .await;
        let tenant = tenant_with_alice();
        let mut engine = conn.engine();
        create_alice(&conn, &mut engine, &tenant).await;
        let object_id = tenant.user("alice").expect("alice").object_id;
        assert_eq!(
            engine.link(&object_id).map(|l| l.target_id.as_str()),
            Some("u-1")
        );
        // Nothing changed: nothing is read or written.
        push(&mut engine, &tenant).await;
        assert_eq!(conn.target.take().await, vec![]);
    }
}

#[tokio::test]
async fn update_is_one_pathless_replace_with_a_lone_emails_object() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::Mail, text("a.jones@contoso.com")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![patch(
            &user_path("u-1"),
            json!([{"op": "replace", "value": {
                "name": {"givenName": "Alice", "familyName": "Jones"},
                "emails": {"value": "a.jones@contoso.com", "type": "work", "primary": true}
            }}])
        )]
    );
    let user = conn.target.user("u-1").expect("kept");
    assert_eq!(user["emails"][0]["value"], json!("a.jones@contoso.com"));
}

#[tokio::test]
async fn suspend_is_a_patch_of_active_false_and_access_back_restores_it() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![active_patch("false")]);
    assert_eq!(
        conn.target.user("u-1").expect("kept")["active"],
        json!(false)
    );

    tenant.assign("alice").expect("assign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![active_patch("true")]);

    // Suspended in OneLogin: suspended on the target too, even with "Do nothing".
    tenant.set_account_enabled("alice", false).expect("disable");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![active_patch("false")]);
}

#[tokio::test]
async fn string_active_off_sends_json_booleans() {
    let conn = Connection::start(&[("string_active", "false"), ("null_id", "false")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut body = alice_post_body();
    body["active"] = json!(true);
    body.as_object_mut().expect("object").remove("id");
    assert_eq!(
        conn.target.take().await,
        vec![match_user("alice@contoso.com"), post(USERS, body)]
    );
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![patch(
            &user_path("u-1"),
            json!([{"op": "replace", "value": {"active": false}}])
        )]
    );
}

#[tokio::test]
async fn removal_action_delete_sends_delete_and_nothing_sends_nothing() {
    let conn = Connection::start(&[("removal_action", "delete")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![delete(&user_path("u-1"))]);
    assert_eq!(conn.target.user("u-1"), None);

    let conn = Connection::start(&[("removal_action", "nothing")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    tenant.hard_delete_user("alice").expect("delete");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![]);
    assert_eq!(
        conn.target.user("u-1").expect("left alone")["active"],
        json!(true)
    );
}

/// The group `team` with alice, given access; returns the tenant after the first push.
async fn push_team(engine: &mut Engine<'_>) -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    add_user(&mut tenant, "bob");
    tenant
        .create_group("team", "Team", &["alice".to_string()])
        .expect("create team");
    tenant.assign("team").expect("assign team");
    push(engine, &tenant).await;
    tenant
}

#[tokio::test]
async fn group_create_lists_groups_posts_and_patches_the_members_in() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    push_team(&mut engine).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            list_groups(),
            post(
                GROUPS,
                json!({"schemas": [CORE_GROUP], "displayName": "Team"})
            ),
            patch(
                &group_path("g-2"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-1"}]}])
            ),
        ]
    );
    assert_eq!(
        conn.target.group("g-2").expect("created")["members"],
        json!([{"value": "u-1"}])
    );
}

#[tokio::test]
async fn membership_changes_are_group_patches_of_the_delta() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    let mut bob = alice_post_body();
    bob["userName"] = json!("bob@contoso.com");
    bob["emails"][0]["value"] = json!("bob@contoso.com");
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("bob@contoso.com"),
            post(USERS, bob),
            // [I] the engine reads a linked group before changing it; OneLogin documents
            // only "Get Groups" (OL-3), see idp-behavior.md §7.
            get(&group_path("g-2")),
            patch(
                &group_path("g-2"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-3"}]}])
            ),
        ]
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            // alice had access through the group only: suspended first.
            active_patch("false"),
            get(&group_path("g-2")),
            patch(
                &group_path("g-2"),
                json!([{"op": "remove", "path": "members[value eq \"u-1\"]"}])
            ),
        ]
    );
    assert_eq!(
        conn.target.group("g-2").expect("kept")["members"],
        json!([{"value": "u-3"}])
    );
}

/// A template from a file replaces the shipped one, whatever it writes.
#[tokio::test]
async fn a_template_file_is_what_the_post_carries() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("template.json");
    std::fs::write(
        &file,
        r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "{$user.email}",
            "name": {"formatted": "{$user.firstname} {$user.lastname}"},
            "emails": {"value": "{$user.email}", "type": "work"},
            "active": "{$user.active}"}"#,
    )
    .expect("write");
    let conn = Connection::start(&[
        ("template_file", &file.to_string_lossy()),
        ("null_id", "false"),
    ])
    .await;
    drop(dir);
    let tenant = tenant_with_alice();
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut expected: Map<String, Value> = Map::new();
    expected.insert("schemas".into(), json!([CORE_USER]));
    expected.insert("userName".into(), json!("alice@contoso.com"));
    expected.insert("name".into(), json!({"formatted": "Alice Smith"}));
    expected.insert(
        "emails".into(),
        json!({"value": "alice@contoso.com", "type": "work"}),
    );
    expected.insert("active".into(), json!("true"));
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, Value::Object(expected))
        ]
    );
}
