//! Pins the exact requests the Entra profile sends (idp-behavior.md §1.2–§1.6, §1.11), in both
//! PATCH dialects: a wiremock target plays a minimal correct SCIM server, the engine syncs a
//! simulated tenant, and every request the target received is compared, in order, with Entra's.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleError, CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::{Dialect, Entra};
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "entra-requests-test-token";
const USERS: &str = "/scim/v2/Users";
/// The id the target assigns to alice on create.
const ALICE: &str = "/scim/v2/Users/u-1";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const DIALECTS: [Dialect; 2] = [Dialect::Default, Dialect::Scim062020];

/// One request as the target received it: what Entra's behaviour is about.
#[derive(Debug, PartialEq)]
struct Sent {
    method: String,
    path: String,
    /// Decoded query pairs; the probe's random GUID reads `<guid>` once checked.
    query: Vec<(String, String)>,
    body: Option<Value>,
}

fn get(path: &str, query: &[(&str, &str)]) -> Sent {
    Sent {
        method: "GET".into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: None,
    }
}

/// §1.2: `GET /Users?filter=userName eq "<random GUID>"`, at Test Connection and every cycle.
fn probe() -> Sent {
    get(USERS, &[("filter", r#"userName eq "<guid>""#)])
}

/// E-7: Test Connection's read of a random group, without members.
fn group_probe() -> Sent {
    get(
        "/scim/v2/Groups",
        &[
            ("excludedAttributes", "members"),
            ("filter", r#"displayName eq "<guid>""#),
        ],
    )
}

/// §1.3 step 2: the matching query on userName before a create.
fn match_alice() -> Sent {
    get(USERS, &[("filter", r#"userName eq "alice@contoso.com""#)])
}

/// §1.4: the read before the diff.
fn read_alice() -> Sent {
    get(ALICE, &[])
}

fn post_users(body: Value) -> Sent {
    Sent {
        method: "POST".into(),
        path: USERS.into(),
        query: vec![],
        body: Some(body),
    }
}

fn patch_alice(operations: Value) -> Sent {
    Sent {
        method: "PATCH".into(),
        path: ALICE.into(),
        query: vec![],
        body: Some(json!({"schemas": [PATCH_OP], "Operations": operations})),
    }
}

fn delete_alice() -> Sent {
    Sent {
        method: "DELETE".into(),
        path: ALICE.into(),
        query: vec![],
        body: None,
    }
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

fn empty_list() -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []})
}

/// What the target holds for `u-1`; tests set it to what a correct server holds after a PATCH.
type Held = Arc<Mutex<Option<Value>>>;

/// A minimal correct SCIM server for one user: filters find nothing, POST stores the body
/// with `id: u-1` and answers 201, GET by id answers what it holds, PATCH 204, DELETE 204.
struct Target {
    server: MockServer,
    held: Held,
    /// Requests already handed out by `take`.
    seen: AtomicUsize,
}

impl Target {
    async fn start() -> Target {
        let server = MockServer::start().await;
        let held: Held = Arc::default();
        for collection in [USERS, "/scim/v2/Groups"] {
            Mock::given(method("GET"))
                .and(path(collection))
                .respond_with(wire::scim(200, &empty_list()))
                .mount(&server)
                .await;
        }
        let store = held.clone();
        Mock::given(method("POST"))
            .and(path(USERS))
            .respond_with(move |req: &Request| {
                let Ok(Value::Object(mut user)) = serde_json::from_slice(&req.body) else {
                    return ResponseTemplate::new(400);
                };
                user.insert("id".into(), json!("u-1"));
                let user = Value::Object(user);
                *store.lock().expect("target state") = Some(user.clone());
                wire::scim(201, &user)
            })
            .mount(&server)
            .await;
        let store = held.clone();
        Mock::given(method("GET"))
            .and(path(ALICE))
            .respond_with(
                move |_: &Request| match &*store.lock().expect("target state") {
                    Some(user) => wire::scim(200, user),
                    None => wire::scim(404, &json!({"status": "404"})),
                },
            )
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path(ALICE))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        let store = held.clone();
        Mock::given(method("DELETE"))
            .and(path(ALICE))
            .respond_with(move |_: &Request| {
                *store.lock().expect("target state") = None;
                ResponseTemplate::new(204)
            })
            .mount(&server)
            .await;
        Target {
            server,
            held,
            seen: AtomicUsize::new(0),
        }
    }

    /// A target whose user listing answers `status`: the probe fails.
    async fn answering_probe_with(status: u16) -> Target {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(USERS))
            .respond_with(wire::scim(status, &json!({"status": status.to_string()})))
            .mount(&server)
            .await;
        Target {
            server,
            held: Arc::default(),
            seen: AtomicUsize::new(0),
        }
    }

    fn hold(&self, user: Value) {
        *self.held.lock().expect("target state") = Some(user);
    }

    fn held(&self) -> Option<Value> {
        self.held.lock().expect("target state").clone()
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

    /// Every raw (still encoded) query string received so far.
    async fn raw_queries(&self) -> Vec<Option<String>> {
        let all = self.received().await;
        all.iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect()
    }
}

/// The enterprise app as an admin configures it (§1.1): tenant URL, secret token, dialect.
struct EntraApp {
    target: Target,
    profile: Entra,
    client: ScimClient,
}

impl EntraApp {
    async fn start(dialect: Dialect) -> EntraApp {
        Self::against(Target::start().await, dialect)
    }

    fn against(target: Target, dialect: Dialect) -> EntraApp {
        let options = BTreeMap::from([(
            "patch_dialect".to_string(),
            dialect.option_value().to_string(),
        )]);
        let profile = Entra::from_options(&options).expect("a valid patch_dialect");
        assert_eq!(profile.dialect, dialect);
        let base = format!("{}/scim/v2", target.server.uri());
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .expect("client builds");
        EntraApp {
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

/// alice, assigned to the app; mailNickname left to its default (the UPN's local part).
fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    tenant
        .create_user(
            "alice",
            BTreeMap::from([
                (UserAttr::UserPrincipalName, text("alice@contoso.com")),
                (UserAttr::Mail, text("alice@contoso.com")),
                (UserAttr::GivenName, text("Alice")),
                (UserAttr::Surname, text("Smith")),
            ]),
        )
        .expect("create alice");
    tenant.assign("alice").expect("assign alice");
    tenant
}

/// §1.3's documented POST body for alice.
fn alice_post_body() -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
        "externalId": "alice",
        "meta": {"resourceType": "User"},
        "roles": []
    })
}

/// What a correct server holds for alice after the create, with `userName` and `active` set.
fn alice_on_target(user_name: &str, active: bool) -> Value {
    let mut user = alice_post_body();
    user["id"] = json!("u-1");
    user["userName"] = json!(user_name);
    user["active"] = json!(active);
    user
}

/// The UPN Entra gives a soft-deleted alice: objectId without dashes, then the UPN (§1.6).
fn tombstone(tenant: &Tenant) -> String {
    let alice = tenant.user("alice").expect("alice is in the directory");
    format!("{}alice@contoso.com", alice.object_id.simple())
}

/// The initial cycle that creates alice (§1.3, §1.11 "New assigned user"), in any dialect.
async fn create_alice(app: &EntraApp, engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Initial)
        .await
        .expect("the initial cycle runs");
    assert_eq!(
        app.target.take().await,
        vec![probe(), match_alice(), post_users(alice_post_body())],
        "initial cycle for an assigned alice"
    );
}

async fn incremental(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the incremental cycle runs");
}

/// §1.2, E-7: Test Connection filters users, then groups, each on a new random GUID; the
/// probe that opens a cycle is the user filter alone (E-6).
#[tokio::test]
async fn test_connection_filters_a_random_user_then_a_random_group() {
    for dialect in DIALECTS {
        let app = EntraApp::start(dialect).await;
        let mut engine = app.engine();
        let mut report = CycleReport::default();
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
        assert_eq!(
            app.target.take().await,
            vec![probe(), group_probe(), probe(), group_probe()],
            "{dialect:?}"
        );
        assert_eq!(report.total_requests(), 4, "{dialect:?}");
        // Encoded as Entra sends it (§1.2): `+` for spaces, `%22` for quotes; a new GUID each time.
        let raw = app.target.raw_queries().await;
        let guids: Vec<&str> = raw
            .iter()
            .map(|q| {
                q.as_deref()
                    .and_then(|q| {
                        q.strip_prefix("filter=userName+eq+%22").or_else(|| {
                            q.strip_prefix("excludedAttributes=members&filter=displayName+eq+%22")
                        })
                    })
                    .and_then(|q| q.strip_suffix("%22"))
                    .expect("filter=userName+eq+%22<guid>%22 or the group filter")
            })
            .collect();
        let distinct: std::collections::BTreeSet<&str> = guids.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            4,
            "{dialect:?}: every probe uses a new GUID"
        );
        // A cycle opens with the user probe alone.
        engine
            .cycle(&Tenant::new(), SyncKind::Initial)
            .await
            .expect("the cycle runs");
        assert_eq!(app.target.take().await, vec![probe()], "{dialect:?}");
    }
}

/// E-7: a server that fails the group read fails Test Connection on that request, as a
/// finding about the server (its Groups endpoint), not as a wrong tenant URL; the cycles,
/// which open with the user probe alone, still run.
#[tokio::test]
async fn test_connection_fails_when_the_group_probe_fails() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .respond_with(wire::scim(200, &empty_list()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    let target = Target {
        server,
        held: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = EntraApp::against(target, Dialect::Default);
    let mut engine = app.engine();
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("a 404 on the group probe fails Test Connection");
    assert!(
        matches!(&err, CycleError::Probe { status: 404, path, problem, .. }
            if path.starts_with("/Groups?excludedAttributes=members&filter=displayName+eq+%22")
                && problem.ends_with("the server has no SCIM Groups endpoint")),
        "{err:?}"
    );
    assert!(!err.is_target_setup(), "the server's fault, not the URL's");
    assert!(
        err.to_string().contains("Entra quarantines the job"),
        "{err}"
    );
    assert_eq!(app.target.take().await, vec![probe(), group_probe()]);
    engine
        .cycle(&Tenant::new(), SyncKind::Initial)
        .await
        .expect("a cycle opens with the user probe alone");
    assert_eq!(app.target.take().await, vec![probe()]);
}

#[tokio::test]
async fn test_connection_401_is_a_credentials_failure() {
    let app = EntraApp::against(Target::answering_probe_with(401).await, Dialect::Default);
    let mut engine = app.engine();
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("401 fails the probe");
    assert!(
        matches!(&err, CycleError::Credentials { status: 401, path, .. } if path.starts_with("/Users?filter=userName+eq+%22")),
        "{err:?}"
    );
    // A quarantined cycle sends nothing after the probe.
    let err = engine
        .cycle(&tenant_with_alice(), SyncKind::Initial)
        .await
        .expect_err("401 fails the cycle");
    assert_eq!(err.status(), Some(401));
    assert_eq!(app.target.take().await, vec![probe(), probe()]);
}

#[tokio::test]
async fn test_connection_404_is_a_probe_failure() {
    let app = EntraApp::against(Target::answering_probe_with(404).await, Dialect::Default);
    let mut engine = app.engine();
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("404 fails the probe");
    assert!(
        matches!(&err, CycleError::Probe { status: 404, path, .. } if path.starts_with("/Users?filter=userName+eq+%22")),
        "{err:?}"
    );
    let err = engine
        .cycle(&tenant_with_alice(), SyncKind::Initial)
        .await
        .expect_err("404 fails the cycle");
    assert_eq!(err.status(), Some(404));
    assert_eq!(app.target.take().await, vec![probe(), probe()]);
}

#[tokio::test]
async fn create_sends_probe_match_and_the_documented_post_body() {
    for dialect in DIALECTS {
        let app = EntraApp::start(dialect).await;
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let raw = app.target.raw_queries().await;
        assert_eq!(
            raw[1].as_deref(),
            Some("filter=userName+eq+%22alice%40contoso.com%22"),
            "{dialect:?}: the matching query as sent"
        );
        assert_eq!(raw[2], None, "{dialect:?}: POST has no query");
        let object_id = tenant.user("alice").expect("alice").object_id;
        assert_eq!(
            engine.link(&object_id).map(|l| l.target_id.as_str()),
            Some("u-1"),
            "{dialect:?}: the returned id is the anchor"
        );
    }
}

/// §1.4: after linking, jobTitle (new) and surname (changed) → GET, one PATCH with the diff;
/// then a restart that keeps links reads again and sends nothing more.
async fn attribute_update(dialect: Dialect, operations: Value) {
    let app = EntraApp::start(dialect).await;
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
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice(), patch_alice(operations)],
        "{dialect:?}"
    );

    let mut updated = alice_on_target("alice@contoso.com", true);
    updated["title"] = json!("Engineer");
    updated["name"] =
        json!({"givenName": "Alice", "familyName": "Jones", "formatted": "Alice Jones"});
    app.target.hold(updated);
    engine.restart(false);
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the initial cycle runs");
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice()],
        "{dialect:?}: the target matches, nothing to PATCH"
    );
}

#[tokio::test]
async fn update_default_dialect_adds_and_replaces_with_paths() {
    attribute_update(
        Dialect::Default,
        json!([
            {"op": "Add", "path": "title", "value": "Engineer"},
            {"op": "Replace", "path": "name.familyName", "value": "Jones"},
            {"op": "Replace", "path": "name.formatted", "value": "Alice Jones"}
        ]),
    )
    .await;
}

#[tokio::test]
async fn update_flag_dialect_adds_with_path_and_replaces_pathless_with_dotted_keys() {
    attribute_update(
        Dialect::Scim062020,
        json!([
            {"op": "add", "path": "title", "value": "Engineer"},
            {"op": "replace", "value": {"name.familyName": "Jones", "name.formatted": "Alice Jones"}}
        ]),
    )
    .await;
}

/// §1.6: unassign → GET, PATCH active false; then alice is no longer managed: a quiet cycle,
/// a soft delete and a hard delete each send only the probe.
async fn unassign(dialect: Dialect, disable: Value) {
    let app = EntraApp::start(dialect).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice(), patch_alice(json!([disable]))],
        "{dialect:?}: disable on unassign"
    );
    app.target.hold(alice_on_target("alice@contoso.com", false));

    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: nothing changed"
    );

    tenant.soft_delete_user("alice").expect("soft delete alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: soft delete of an unmanaged user"
    );

    tenant.hard_delete_user("alice").expect("hard delete alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: hard delete of an unmanaged user"
    );
}

#[tokio::test]
async fn unassign_default_dialect_replaces_active_with_string_false() {
    unassign(
        Dialect::Default,
        json!({"op": "Replace", "path": "active", "value": "False"}),
    )
    .await;
}

#[tokio::test]
async fn unassign_flag_dialect_replaces_active_with_boolean_false() {
    unassign(
        Dialect::Scim062020,
        json!({"op": "replace", "path": "active", "value": false}),
    )
    .await;
}

/// §1.6: soft delete → one PATCH with the tombstoned userName and active false; restore →
/// one PATCH with the UPN back and active true. `ops(user_name, active)` builds the dialect's.
async fn tombstone_and_restore(dialect: Dialect, ops: fn(&str, bool) -> Value) {
    let app = EntraApp::start(dialect).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.soft_delete_user("alice").expect("soft delete alice");
    let tombstoned = tombstone(&tenant);
    assert_eq!(tombstoned.len(), 32 + "alice@contoso.com".len());
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice(), patch_alice(ops(&tombstoned, false))],
        "{dialect:?}: tombstone on soft delete"
    );
    app.target.hold(alice_on_target(&tombstoned, false));

    tenant.restore_user("alice").expect("restore alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_alice(),
            patch_alice(ops("alice@contoso.com", true))
        ],
        "{dialect:?}: restore"
    );
}

#[tokio::test]
async fn soft_delete_and_restore_default_dialect_replace_user_name_then_active() {
    tombstone_and_restore(Dialect::Default, |user_name, active| {
        json!([
            {"op": "Replace", "path": "userName", "value": user_name},
            {"op": "Replace", "path": "active", "value": if active { "True" } else { "False" }}
        ])
    })
    .await;
}

#[tokio::test]
async fn soft_delete_and_restore_flag_dialect_replace_active_then_pathless_user_name() {
    tombstone_and_restore(Dialect::Scim062020, |user_name, active| {
        json!([
            {"op": "replace", "path": "active", "value": active},
            {"op": "replace", "value": {"userName": user_name}}
        ])
    })
    .await;
}

/// §1.6: a hard delete of a user still managed when it was soft-deleted → `DELETE /Users/{id}`
/// with no body, right after the probe; nothing more afterwards.
#[tokio::test]
async fn hard_delete_of_a_soft_deleted_managed_user_sends_delete() {
    for dialect in DIALECTS {
        let app = EntraApp::start(dialect).await;
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        tenant.soft_delete_user("alice").expect("soft delete alice");
        incremental(&mut engine, &tenant).await;
        let tombstoned = tombstone(&tenant);
        assert_eq!(
            app.target.take().await.len(),
            3,
            "{dialect:?}: probe, GET, PATCH"
        );
        app.target.hold(alice_on_target(&tombstoned, false));

        tenant.hard_delete_user("alice").expect("hard delete alice");
        incremental(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), delete_alice()],
            "{dialect:?}: hard delete"
        );
        assert_eq!(
            app.target.held(),
            None,
            "{dialect:?}: the target deleted alice"
        );

        incremental(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![probe()],
            "{dialect:?}: the purge is handled once"
        );
    }
}

/// E-28: jobTitle set, then cleared in the source while the target still holds it. Entra
/// sends `Remove` on the path — with the old value in the default dialect (scimref-pr87),
/// without one under the flag `[I]` — and nothing once the target no longer holds it.
async fn clear_title(options: &[(&str, &str)], dialect: Dialect, clear: Option<Value>) {
    let app = with_options(EntraApp::start(dialect).await, dialect, options);
    let mut tenant = tenant_with_alice();
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
        )
        .expect("give alice a title");
    let mut engine = app.engine();
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the initial cycle runs");
    let mut body = alice_post_body();
    body["title"] = json!("Engineer");
    assert_eq!(
        app.target.take().await,
        vec![probe(), match_alice(), post_users(body)]
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, AttrValue::Clear)]),
        )
        .expect("clear alice's title");
    incremental(&mut engine, &tenant).await;
    let mut expected = vec![probe(), read_alice()];
    expected.extend(clear.map(|op| patch_alice(json!([op]))));
    assert_eq!(app.target.take().await, expected, "{dialect:?} {options:?}");

    // A correct server dropped the title: nothing more to send.
    app.target.hold(alice_on_target("alice@contoso.com", true));
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, text("R&D"))]),
        )
        .expect("give alice a department");
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("and take it away");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice()],
        "{dialect:?} {options:?}: the target holds no title, nothing to remove"
    );
}

#[tokio::test]
async fn cleared_attribute_default_dialect_removes_with_the_old_value() {
    clear_title(
        &[],
        Dialect::Default,
        Some(json!({"op": "Remove", "path": "title", "value": "Engineer"})),
    )
    .await;
}

#[tokio::test]
async fn cleared_attribute_flag_dialect_removes_by_path() {
    clear_title(
        &[],
        Dialect::Scim062020,
        Some(json!({"op": "remove", "path": "title"})),
    )
    .await;
}

#[tokio::test]
async fn cleared_attribute_sends_nothing_with_cleared_attributes_nothing() {
    for dialect in DIALECTS {
        clear_title(&[("cleared_attributes", "nothing")], dialect, None).await;
    }
}

/// The app with `options` on top of the dialect.
fn with_options(mut app: EntraApp, dialect: Dialect, options: &[(&str, &str)]) -> EntraApp {
    let mut all = BTreeMap::from([(
        "patch_dialect".to_string(),
        dialect.option_value().to_string(),
    )]);
    all.extend(options.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    app.profile = Entra::from_options(&all).expect("valid options");
    app
}

/// E-16: with `post_active=string` the POST carries `"active": "True"`, the string the
/// `Switch([IsSoftDeleted], …)` mapping yields and a Microsoft engineer said is sent.
#[tokio::test]
async fn post_active_string_posts_active_as_the_string_true() {
    for dialect in DIALECTS {
        let app = with_options(
            EntraApp::start(dialect).await,
            dialect,
            &[("post_active", "string")],
        );
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        engine
            .cycle(&tenant, SyncKind::Initial)
            .await
            .expect("the initial cycle runs");
        let mut body = alice_post_body();
        body["active"] = json!("True");
        assert_eq!(
            app.target.take().await,
            vec![probe(), match_alice(), post_users(body)],
            "{dialect:?}"
        );
    }
}

/// E-37, §9.1: `patch_booleans=boolean` in the default dialect is the tutorial's disable,
/// a capitalised `Replace` with the JSON boolean `false`; `patch_booleans=string` under the
/// flag keeps the lowercase op and sends `"False"`.
#[tokio::test]
async fn patch_booleans_option_picks_the_disable_value() {
    for (dialect, value, op) in [
        (
            Dialect::Default,
            "boolean",
            json!({"op": "Replace", "path": "active", "value": false}),
        ),
        (
            Dialect::Scim062020,
            "string",
            json!({"op": "replace", "path": "active", "value": "False"}),
        ),
    ] {
        let app = with_options(
            EntraApp::start(dialect).await,
            dialect,
            &[("patch_booleans", value)],
        );
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        tenant.unassign("alice").expect("unassign alice");
        incremental(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), read_alice(), patch_alice(json!([op]))],
            "{dialect:?} patch_booleans={value}"
        );
    }
}
