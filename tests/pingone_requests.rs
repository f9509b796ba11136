//! Pins the exact requests the PingOne profile sends (idp-behavior.md §4): a wiremock target
//! plays a small correct SCIM server with state, the engine pushes each tenant change as
//! PingOne does (one incremental push per change, no probe), and every request the target
//! received is compared, in order, with PingOne's.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::pingone::PingOne;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "pingone-requests-test-token";
const BASE: &str = "/scim/v2";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

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

fn get(path: &str) -> Sent {
    sent("GET", path, &[], None)
}

fn put(path: &str, body: Value) -> Sent {
    sent("PUT", path, &[], Some(body))
}

fn delete(path: &str) -> Sent {
    sent("DELETE", path, &[], None)
}

/// §4: the user filter template `username Eq "%s"`, capitalised operator as documented.
fn match_user(user_name: &str) -> Sent {
    let filter = format!(r#"username Eq "{user_name}""#);
    sent("GET", USERS, &[("filter", &filter)], None)
}

fn match_group(name: &str) -> Sent {
    let filter = format!(r#"displayName eq "{name}""#);
    sent("GET", GROUPS, &[("filter", &filter)], None)
}

fn post(path: &str, body: Value) -> Sent {
    sent("POST", path, &[], Some(body))
}

fn user_path(id: &str) -> String {
    format!("{USERS}/{id}")
}

fn group_path(id: &str) -> String {
    format!("{GROUPS}/{id}")
}

/// The group PUT: name and the whole member list (§4 "memberships are part of the group").
fn group_put(id: &str, name: &str, members: &[&str]) -> Sent {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    put(
        &group_path(id),
        json!({"schemas": [CORE_GROUP], "displayName": name, "members": members}),
    )
}

/// Reduces a received request to a `Sent`, checking the headers (`wire::checked_body`).
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

/// The value of a one-comparison `eq` filter on `attr` (any case), e.g. `username Eq "x"`.
fn eq_value<'a>(filter: &'a str, attr: &str) -> Option<&'a str> {
    let mut words = filter.splitn(3, ' ');
    let (a, op, v) = (words.next()?, words.next()?, words.next()?);
    (a.eq_ignore_ascii_case(attr) && op.eq_ignore_ascii_case("eq")).then(|| v.trim_matches('"'))
}

/// A small correct SCIM server: users and groups by id, `eq` filters on userName and
/// displayName, POST assigns `u-N`/`g-N`, PUT replaces, DELETE removes; every stored
/// resource gets `meta`, as servers add it.
#[derive(Default)]
struct Store {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    next: usize,
    /// What a forgetful server silently drops from every user it writes.
    forget: Option<fn(&mut Value)>,
}

impl Store {
    fn put(&mut self, endpoint: &str, id: &str, body: &Value) -> Value {
        let mut resource = body.as_object().cloned().unwrap_or_default();
        resource.insert("id".into(), json!(id));
        let kind = if endpoint == "Users" { "User" } else { "Group" };
        resource.insert("meta".into(), json!({"resourceType": kind}));
        let mut resource = Value::Object(resource);
        if let (Some(forget), "Users") = (self.forget, endpoint) {
            forget(&mut resource);
        }
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

    fn answer(&mut self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return wire::scim(404, &json!({"status": "404"}));
        };
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        let method = req.method.as_str();
        match (method, parts.as_slice()) {
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
                let hits = self
                    .collection(endpoint)
                    .values()
                    .filter(|r| {
                        wanted.is_none_or(|w| {
                            r[attr].as_str().is_some_and(|v| v.eq_ignore_ascii_case(w))
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
                let id = format!(
                    "{}-{}",
                    if *endpoint == "Users" { "u" } else { "g" },
                    self.next
                );
                wire::scim(201, &self.put(endpoint, &id, &body))
            }
            (_, [endpoint @ ("Users" | "Groups"), id]) => {
                let exists = self.collection(endpoint).contains_key(*id);
                match (method, body) {
                    _ if !exists => wire::scim(404, &json!({"status": "404"})),
                    ("GET", _) => wire::scim(200, &self.collection(endpoint)[*id].clone()),
                    ("PUT", Some(body)) => wire::scim(200, &self.put(endpoint, id, &body)),
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
    /// Requests already handed out by `take`.
    seen: AtomicUsize,
}

impl Target {
    async fn start() -> Target {
        Self::serving(Store::default()).await
    }

    /// A target that answers 2xx to every write but silently drops what `forget` removes.
    async fn forgetting(forget: fn(&mut Value)) -> Target {
        Self::serving(Store {
            forget: Some(forget),
            ..Store::default()
        })
        .await
    }

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
        self.store
            .lock()
            .expect("target state")
            .users
            .get(id)
            .cloned()
    }

    fn group(&self, id: &str) -> Option<Value> {
        self.store
            .lock()
            .expect("target state")
            .groups
            .get(id)
            .cloned()
    }

    /// Puts a resource on the target as if it was there before PingOne came.
    fn seed(&self, endpoint: &str, id: &str, body: Value) {
        self.store
            .lock()
            .expect("target state")
            .put(endpoint, id, &body);
    }

    async fn received(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
    }

    /// The requests received since the last call, in order.
    async fn take(&self) -> Vec<Sent> {
        let all = self.received().await;
        let from = self.seen.swap(all.len(), Ordering::SeqCst);
        all[from..].iter().map(reduce).collect()
    }

    async fn raw_queries(&self) -> Vec<Option<String>> {
        let all = self.received().await;
        all.iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect()
    }
}

/// The outbound SCIM connection as an admin configures it (§4): base URL, token, options.
struct Connection {
    target: Target,
    profile: PingOne,
    client: ScimClient,
}

impl Connection {
    async fn start(options: &[(&str, &str)]) -> Connection {
        Self::against(Target::start().await, options)
    }

    fn against(target: Target, options: &[(&str, &str)]) -> Connection {
        let options = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = PingOne::from_options(&options).expect("valid options");
        let base = format!("{}{BASE}", target.server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        Connection {
            target,
            profile,
            client,
        }
    }

    /// The provisioning job, with an empty run prefix so values are predictable.
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

/// alice, assigned to the connection's rule.
fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    tenant.assign("alice").expect("assign alice");
    tenant
}

/// §4/§7: core + enterprise schemas and the mapped attributes.
fn alice_post_body() -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "externalId": "alice",
        ENTERPRISE_USER: {"department": "Sales"}
    })
}

/// PingOne pushes a change at once (§4): what the runner does after each directory step.
async fn push(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
}

/// The push that creates alice: matching query, then POST; no probe before it.
async fn create_alice(conn: &Connection, engine: &mut Engine<'_>, tenant: &Tenant) {
    push(engine, tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body())
        ],
        "first push for an assigned alice"
    );
}

/// alice's PUT body: the POST body as the target returned it, minus `id` and `meta`.
fn alice_put_body(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut body = alice_post_body().as_object().cloned().expect("object");
    change(&mut body);
    Value::Object(body)
}

#[tokio::test]
async fn test_connection_is_the_user_filter_on_a_random_value() {
    let conn = Connection::start(&[]).await;
    let engine = conn.engine();
    let mut report = CycleReport::default();
    for _ in 0..2 {
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
    }
    let probe = sent("GET", USERS, &[("filter", r#"username Eq "<guid>""#)], None);
    assert_eq!(conn.target.take().await, vec![probe.clone(), probe]);
    let raw = conn.target.raw_queries().await;
    let values: Vec<&str> = raw
        .iter()
        .map(|q| {
            q.as_deref()
                .and_then(|q| q.strip_prefix("filter=username+Eq+%22"))
                .and_then(|q| q.strip_suffix("%22"))
                .expect("filter=username+Eq+%22<guid>%22")
        })
        .collect();
    assert_ne!(values[0], values[1], "every probe uses a new value");
}

#[tokio::test]
async fn create_matches_with_the_capitalised_filter_then_posts_core_and_enterprise() {
    let conn = Connection::start(&[]).await;
    let tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    let raw = conn.target.raw_queries().await;
    assert_eq!(
        raw[0].as_deref(),
        Some("filter=username+Eq+%22alice%40contoso.com%22"),
        "the matching query as sent"
    );
    let object_id = tenant.user("alice").expect("alice").object_id;
    assert_eq!(
        engine.link(&object_id).map(|l| l.target_id.as_str()),
        Some("u-1")
    );
    // Pushed again with nothing changed: PingOne's last pushed state matches, nothing is
    // read or written.
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("runs");
    assert_eq!(conn.target.take().await, vec![]);
}

#[tokio::test]
async fn a_custom_user_filter_is_sent_as_the_admin_wrote_it() {
    let conn = Connection::start(&[("user_filter", r#"email Co "%s""#)]).await;
    let tenant = tenant_with_alice();
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let received = conn.target.take().await;
    assert_eq!(
        received[0],
        sent(
            "GET",
            USERS,
            &[("filter", r#"email Co "alice@contoso.com""#)],
            None
        )
    );
    assert_eq!(received[1], post(USERS, alice_post_body()));
}

#[tokio::test]
async fn update_is_a_put_of_the_whole_user_never_a_patch() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let body = alice_put_body(|b| {
        b.insert("title".into(), json!("Engineer"));
        b.insert(
            "name".into(),
            json!({"givenName": "Alice", "familyName": "Jones"}),
        );
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)]
    );
}

#[tokio::test]
async fn a_cleared_attribute_is_not_sent_and_later_puts_keep_it() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("clear department");
    push(&mut engine, &tenant).await;
    // A clear cannot be pushed (P1-7): nothing is read or written.
    assert_eq!(conn.target.take().await, vec![]);

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("set title");
    push(&mut engine, &tenant).await;
    let body = alice_put_body(|b| {
        b.insert("title".into(), json!("Lead"));
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)],
        "the department the target holds goes back unchanged"
    );
}

#[tokio::test]
async fn deactivate_and_reactivate_put_the_whole_user_with_active_flipped() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            )
        ],
        "deactivate"
    );
    assert_eq!(
        conn.target.user("u-1").expect("kept")["active"],
        json!(false)
    );

    tenant
        .set_account_enabled("alice", true)
        .expect("enable alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(&user_path("u-1"), alice_put_body(|_| {}))
        ],
        "reactivate"
    );
}

#[tokio::test]
async fn remove_action_disable_puts_active_false_on_unassign_and_on_delete() {
    let conn = Connection::start(&[("remove_action", "disable")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    let disabled = put(
        &user_path("u-1"),
        alice_put_body(|b| {
            b.insert("active".into(), json!(false));
        }),
    );

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), disabled]
    );

    // Back in scope: re-enabled, still the same record.
    tenant.assign("alice").expect("assign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(&user_path("u-1"), alice_put_body(|_| {}))
        ]
    );

    // Deleted in the source: the same disable, never a DELETE.
    tenant.hard_delete_user("alice").expect("delete");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            )
        ]
    );
    assert!(conn.target.user("u-1").is_some());
}

#[tokio::test]
async fn remove_action_delete_sends_delete_and_a_return_creates_again() {
    let conn = Connection::start(&[("remove_action", "delete")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![delete(&user_path("u-1"))]);
    assert_eq!(conn.target.user("u-1"), None);

    tenant.assign("alice").expect("assign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body())
        ]
    );
}

/// The rule's group `team` with alice; returns the tenant after the first push.
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
async fn group_create_is_a_post_then_the_group_put_with_its_members() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    push_team(&mut engine).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            match_group("Team"),
            post(
                GROUPS,
                json!({"schemas": [CORE_GROUP], "displayName": "Team"})
            ),
            group_put("g-2", "Team", &["u-1"]),
        ]
    );
}

#[tokio::test]
async fn membership_changes_put_the_whole_member_list() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    let mut bob = alice_post_body();
    bob["userName"] = json!("bob@contoso.com");
    bob["emails"][0]["value"] = json!("bob@contoso.com");
    bob["externalId"] = json!("bob");
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("bob@contoso.com"),
            post(USERS, bob),
            get(&group_path("g-2")),
            group_put("g-2", "Team", &["u-1", "u-3"]),
        ],
        "add"
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            // alice leaves the rule's scope: the remove action (disable) first.
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            ),
            get(&group_path("g-2")),
            group_put("g-2", "Team", &["u-3"]),
        ],
        "remove"
    );
}

#[tokio::test]
async fn rename_is_the_group_put_with_the_members_it_has() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.rename_group("team", "Team EMEA").expect("rename");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&group_path("g-2")),
            group_put("g-2", "Team EMEA", &["u-1"])
        ]
    );
    assert_eq!(
        conn.target.group("g-2").expect("kept")["members"],
        json!([{"value": "u-1"}]),
        "the rename kept the member"
    );
}

#[tokio::test]
async fn group_delete_sends_delete() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.delete_group("team").expect("delete team");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            // alice had access only through the group: users go first, the remove action.
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            ),
            delete(&group_path("g-2")),
        ]
    );
    assert_eq!(conn.target.group("g-2"), None);
}

/// §4: "Team" already exists on the target with `x-9`, a user PingOne does not know.
/// Merge keeps x-9 beside alice; overwrite leaves only alice. The scenario language has no
/// step that creates a group on the target, so this lives here.
async fn existing_group(policy: &str, members: &[&str]) {
    let conn = Connection::start(&[("existing_group", policy)]).await;
    conn.target.seed(
        "Users",
        "x-9",
        json!({"schemas": [CORE_USER], "userName": "legacy@contoso.com"}),
    );
    conn.target.seed(
        "Groups",
        "g-0",
        json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": [{"value": "x-9"}]}),
    );
    let mut engine = conn.engine();
    push_team(&mut engine).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            match_group("Team"),
            // The engine reads the existing group's members once, when it links it.
            get(&group_path("g-0")),
            group_put("g-0", "Team", members),
        ],
        "{policy}"
    );
    let held: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    assert_eq!(
        conn.target.group("g-0").expect("kept")["members"],
        json!(held),
        "{policy}"
    );
}

#[tokio::test]
async fn existing_group_merge_keeps_the_targets_own_members() {
    existing_group("merge", &["u-1", "x-9"]).await;
}

#[tokio::test]
async fn existing_group_overwrite_replaces_the_targets_members() {
    existing_group("overwrite", &["u-1"]).await;
}

/// Drops `type` from every email, as a server that keeps only the address would.
fn drop_email_types(user: &mut Value) {
    for email in user
        .get_mut("emails")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(e) = email.as_object_mut() {
            e.remove("type");
        }
    }
}

/// P1-13 `[I]`: PingOne pushes a user when it changes in PingOne, judged against what it last
/// pushed. A server that drops `emails[].type` never holds the work email PingOne maps, yet
/// pushing alice again with nothing mapped changed sends nothing; a mapped change is GET +
/// the PUT built from the target's representation, and the log lists only that change.
#[tokio::test]
async fn a_server_that_drops_email_types_gets_no_put_until_pingone_changes() {
    let conn = Connection::against(Target::forgetting(drop_email_types).await, &[]);
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    let held = conn.target.user("u-1").expect("alice is held");
    assert_eq!(
        held["emails"],
        json!([{"primary": true, "value": "alice@contoso.com"}])
    );

    // Pushed again with nothing PingOne maps changed: alice is unassigned and assigned again
    // between two pushes.
    tenant.unassign("alice").expect("unassign alice");
    tenant.assign("alice").expect("reassign alice");
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    assert_eq!(conn.target.take().await, vec![]);
    let rec = report.records.last().expect("a record for alice");
    assert_eq!(rec.skip_reason.as_deref(), Some("RedundantExport"));
    assert_eq!(
        rec.reason.as_deref(),
        Some("PingOne's last pushed state is unchanged; nothing sent")
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("retitle alice");
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    let body = alice_put_body(|b| {
        b.insert("title".into(), json!("Lead"));
        b.insert(
            "emails".into(),
            json!([{"primary": true, "value": "alice@contoso.com"},
                   {"primary": false, "type": "work", "value": "alice@contoso.com"}]),
        );
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)]
    );
    let changed: Vec<&str> = report
        .records
        .last()
        .expect("a record for alice")
        .modified_properties
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(changed, ["title"]);
}

/// P1-3 provisioning of disabled accounts: off (the default), a disabled alice is never
/// pushed; on, she is matched and POSTed with `active: false`.
#[tokio::test]
async fn provision_disabled_users_posts_active_false() {
    let mut tenant = tenant_with_alice();
    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");

    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![], "off: nothing pushed");

    let conn = Connection::start(&[("provision_disabled_users", "true")]).await;
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut body = alice_post_body();
    body["active"] = json!(false);
    assert_eq!(
        conn.target.take().await,
        vec![match_user("alice@contoso.com"), post(USERS, body)],
        "on: created disabled"
    );
}

/// P1-1, P1-4: with `UNIQUE_USER_IDENTIFIER` email the documented `email Co "%s"` receives
/// alice's email, not her userName; `SCHEMA_EXTENSION_URNS` join core and enterprise in the
/// POST's `schemas`.
#[tokio::test]
async fn unique_user_identifier_fills_the_filter_and_extension_urns_join_the_schemas() {
    let conn = Connection::start(&[
        ("user_filter", r#"email Co "%s""#),
        ("unique_user_identifier", "email"),
        (
            "schema_extension_urns",
            "urn:acme:params:scim:schemas:extension:2.0:User",
        ),
    ])
    .await;
    let tenant = {
        let mut t = Tenant::new();
        add_user(&mut t, "alice");
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Mail, text("alice.smith@contoso.com"))]),
        )
        .expect("mail");
        t.assign("alice").expect("assign alice");
        t
    };
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut body = alice_post_body();
    body["schemas"] = json!([
        CORE_USER,
        ENTERPRISE_USER,
        "urn:acme:params:scim:schemas:extension:2.0:User"
    ]);
    body["emails"] = json!([{"primary": true, "type": "work", "value": "alice.smith@contoso.com"}]);
    assert_eq!(
        conn.target.take().await,
        vec![
            sent(
                "GET",
                USERS,
                &[("filter", r#"email Co "alice.smith@contoso.com""#)],
                None
            ),
            post(USERS, body)
        ]
    );
}
