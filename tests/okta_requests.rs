//! Pins the exact requests the Okta profile sends (idp-behavior.md §2.1–§2.5), OIN and AIW:
//! a wiremock target plays a small correct SCIM server, the engine pushes each change of a
//! simulated tenant as Okta does (one incremental cycle per event, no probe), and every
//! request the target received is compared, in order, with Okta's.

mod wire;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleError, CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::okta::{okta_user_id, Integration, Okta};
use scim_harness::profile::Profile;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Only ever compared, never printed: tokens stay out of panic messages (STYLE.md).
const TOKEN: &str = "okta-requests-test-token";
const BASE: &str = "/scim/v2";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Stands for the random password once it has been checked.
const PASSWORD: &str = "<password>";

/// One request as the target received it.
#[derive(Debug, PartialEq)]
struct Sent {
    method: String,
    /// Path below the base URL.
    path: String,
    /// Decoded query pairs, in the order sent.
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

/// §2.1: Test Connection lists two users.
fn probe() -> Sent {
    sent(
        "GET",
        "/Users",
        &[("startIndex", "1"), ("count", "2")],
        None,
    )
}

/// O-2: after the user probe, Test API Credentials lists groups (parameters in that order).
fn list_groups() -> Sent {
    sent(
        "GET",
        "/Groups",
        &[("count", "100"), ("startIndex", "1")],
        None,
    )
}

/// §2.2 step 1: the userName filter, then Okta's paging parameters.
fn match_user(user_name: &str) -> Sent {
    sent(
        "GET",
        "/Users",
        &[
            ("filter", &format!("userName eq \"{user_name}\"")),
            ("startIndex", "1"),
            ("count", "100"),
        ],
        None,
    )
}

fn read(path: &str) -> Sent {
    sent("GET", path, &[], None)
}

fn with_body(method: &str, path: &str, body: Value) -> Sent {
    sent(method, path, &[], Some(body))
}

/// §2.4: the path-less (de)activation PATCH.
fn set_active(path: &str, active: bool) -> Sent {
    with_body(
        "PATCH",
        path,
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]}),
    )
}

fn group_patch(path: &str, operations: Value) -> Sent {
    with_body(
        "PATCH",
        path,
        json!({"schemas": [PATCH_OP], "Operations": operations}),
    )
}

/// O-5: the headers on every request Okta sends, GET included, written out here rather than
/// taken from the profile so that the test pins them.
const OKTA_HEADERS: &[(&str, &str)] = &[
    ("user-agent", "Okta SCIM Client 1.0.0"),
    ("accept", "application/scim+json"),
    ("content-type", "application/scim+json; charset=utf-8"),
];

/// Reduces a received request to a `Sent`, checking the headers every request carries: the
/// bearer token and Okta's `User-Agent`, `Accept` and `Content-Type`, body or not (O-5).
/// A POST's password must be a non-empty string; it then reads `<password>`.
fn reduce(req: &Request) -> Sent {
    let what = format!("{} {}", req.method, req.url.path());
    let mut body = wire::checked_body_with(req, TOKEN, OKTA_HEADERS);
    // The POST's password, and the password-sync PATCH's (O-14).
    let check = |pw: &mut Value| {
        assert!(
            pw.as_str().is_some_and(|p| p.len() >= 16),
            "{what}: the password is a random string"
        );
        *pw = json!(PASSWORD);
    };
    if let Some(b) = body.as_mut() {
        if b.get("Operations").is_some() {
            for op in b["Operations"].as_array_mut().into_iter().flatten() {
                if let Some(pw) = op.pointer_mut("/value/password") {
                    check(pw);
                }
            }
        } else if let Some(pw) = b.get_mut("password") {
            check(pw);
        }
    }
    Sent {
        method: req.method.to_string(),
        path: req
            .url
            .path()
            .strip_prefix(BASE)
            .unwrap_or(req.url.path())
            .to_string(),
        query: wire::query(req),
        body,
    }
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
           "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
}

/// What the target holds, by path below the base URL (`/Users/u-1`).
type Store = Arc<Mutex<BTreeMap<String, Value>>>;

/// A small correct SCIM server: filters match exactly on userName/displayName, POST stores
/// the body (never the password) with server fields — `id`, `meta`, and `groups: []` on
/// users — and answers 201; GET answers what it holds; PUT replaces (server fields kept);
/// PATCH applies Okta's path-less values and the `members` operations; DELETE removes.
/// A forgetful one (`Target::forgetting`) silently drops part of every resource it writes.
struct Target {
    server: MockServer,
    store: Store,
    seen: AtomicUsize,
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
    async fn start() -> Target {
        Self::serving(None).await
    }

    /// A target that answers 2xx to every write but silently drops what `forget` removes.
    async fn forgetting(forget: fn(&mut Value)) -> Target {
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
    async fn answering(status: u16, body: Value) -> Target {
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

    fn held(&self, path: &str) -> Option<Value> {
        self.store.lock().expect("target state").get(path).cloned()
    }

    /// Changes what the target holds, as another admin of the app would.
    fn edit(&self, path: &str, key: &str, value: Value) {
        let mut store = self.store.lock().expect("target state");
        if let Some(Value::Object(o)) = store.get_mut(path) {
            o.insert(key.into(), value);
        }
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
}

/// The Okta app as an admin configures it: base URL, API token, integration type.
struct OktaApp {
    target: Target,
    profile: Okta,
    client: ScimClient,
}

impl OktaApp {
    async fn start(integration: Integration) -> OktaApp {
        Self::against(Target::start().await, integration)
    }

    fn against(target: Target, integration: Integration) -> OktaApp {
        Self::configured(target, &[("integration", integration.option_value())])
    }

    /// The app with the admin's `options` (profile option names, README).
    async fn with_options(options: &[(&str, &str)]) -> OktaApp {
        Self::configured(Target::start().await, options)
    }

    fn configured(target: Target, options: &[(&str, &str)]) -> OktaApp {
        let options: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let profile = Okta::from_options(&options).expect("valid options");
        let base = format!("{}{BASE}", target.server.uri());
        // As `run` builds it: the profile's wire headers on every request (O-5).
        let client = ScimClient::new(&base, Some(Secret::new(TOKEN)), Duration::from_secs(10))
            .and_then(|c| c.with_headers(profile.wire_headers()))
            .expect("client builds");
        OktaApp {
            target,
            profile,
            client,
        }
    }

    /// The push engine, with an empty run prefix so values are predictable.
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

fn add_user(tenant: &mut Tenant, r: &str, given: &str, surname: &str) {
    let upn = format!("{r}@contoso.com");
    tenant
        .create_user(
            r,
            BTreeMap::from([
                (UserAttr::UserPrincipalName, text(&upn)),
                (UserAttr::Mail, text(&upn)),
                (UserAttr::GivenName, text(given)),
                (UserAttr::Surname, text(surname)),
            ]),
        )
        .expect("create user");
}

/// alice, assigned to the app.
fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice", "Smith");
    tenant.assign("alice").expect("assign alice");
    tenant
}

fn okta_id(tenant: &Tenant, r: &str) -> String {
    okta_user_id(tenant.user(r).expect("in the directory").object_id)
}

/// §2.2's documented POST body for a user of `add_user`.
fn post_body(tenant: &Tenant, r: &str, given: &str, surname: &str) -> Value {
    json!({
        "schemas": [CORE_USER],
        "userName": format!("{r}@contoso.com"),
        "name": {"givenName": given, "familyName": surname},
        "emails": [{"primary": true, "value": format!("{r}@contoso.com"), "type": "work"}],
        "displayName": format!("{given} {surname}"),
        "locale": "en-US",
        "externalId": okta_id(tenant, r),
        "groups": [],
        "password": PASSWORD,
        "active": true
    })
}

/// What the target holds for alice after the POST: the body without the password, with the
/// server's `id` and `meta`.
fn alice_on_target(tenant: &Tenant) -> Value {
    let mut user = post_body(tenant, "alice", "Alice", "Smith");
    let obj = user.as_object_mut().expect("object");
    obj.remove("password");
    obj.insert("id".into(), json!("u-1"));
    obj.insert(
        "meta".into(),
        json!({"resourceType": "User", "location": "/Users/u-1"}),
    );
    user
}

/// One event pushed: Okta sends at each change, without a probe first (§2.6).
async fn push(engine: &mut Engine<'_>, tenant: &Tenant) {
    engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
}

/// The assignment push that creates alice (§2.2): match, then POST.
async fn create_alice(app: &OktaApp, engine: &mut Engine<'_>, tenant: &Tenant) {
    push(engine, tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            with_body(
                "POST",
                "/Users",
                post_body(tenant, "alice", "Alice", "Smith")
            )
        ],
        "assignment of alice"
    );
}

#[tokio::test]
async fn test_connection_lists_two_users_then_groups_and_accepts_an_empty_list() {
    let app = OktaApp::start(Integration::Oin).await;
    let engine = app.engine();
    let mut report = CycleReport::default();
    engine
        .test_connection(&mut report)
        .await
        .expect("an empty ListResponse with integer counters passes");
    assert_eq!(app.target.take().await, vec![probe(), list_groups()]);
    let raw: Vec<Option<String>> = app
        .target
        .received()
        .await
        .iter()
        .map(|r| r.url.query().map(str::to_string))
        .collect();
    assert_eq!(
        raw,
        vec![
            Some("startIndex=1&count=2".to_string()),
            Some("count=100&startIndex=1".to_string())
        ]
    );
    assert_eq!(report.total_requests(), 2);
}

#[tokio::test]
async fn test_connection_fails_when_the_group_listing_fails() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::path(format!("{BASE}/Groups")))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(wire::scim(200, &list(vec![])))
        .mount(&server)
        .await;
    let target = Target {
        server,
        store: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = OktaApp::against(target, Integration::Oin);
    let err = app
        .engine()
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("a 404 to the group listing fails Test API Credentials");
    assert!(
        matches!(&err, CycleError::Probe { status: 404, path, .. } if path == "/Groups?count=100&startIndex=1"),
        "{err:?}"
    );
    assert_eq!(app.target.take().await, vec![probe(), list_groups()]);
}

#[tokio::test]
async fn test_connection_needs_a_list_response() {
    let not_a_list = Target::answering(200, json!({"id": "u-1"})).await;
    let app = OktaApp::against(not_a_list, Integration::Oin);
    let err = app
        .engine()
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("a 200 that is not a ListResponse fails");
    assert!(
        matches!(&err, CycleError::Probe { status: 200, path, .. } if path == "/Users?startIndex=1&count=2"),
        "{err:?}"
    );
    let string_counters = Target::answering(
        200,
        json!({"schemas": [LIST_RESPONSE], "totalResults": "0", "itemsPerPage": 0, "startIndex": 1}),
    )
    .await;
    let app = OktaApp::against(string_counters, Integration::Oin);
    assert!(app
        .engine()
        .test_connection(&mut CycleReport::default())
        .await
        .is_err());
    let unauthorized = Target::answering(401, json!({"status": "401"})).await;
    let app = OktaApp::against(unauthorized, Integration::Oin);
    let err = app
        .engine()
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("401 fails");
    assert_eq!(err.status(), Some(401));
    assert!(matches!(err, CycleError::Credentials { .. }), "{err:?}");
}

#[tokio::test]
async fn create_sends_match_then_the_documented_post_and_no_probe() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::start(integration).await;
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let raw: Vec<Option<String>> = app
            .target
            .received()
            .await
            .iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect();
        assert_eq!(
            raw,
            vec![
                Some("filter=userName+eq+%22alice%40contoso.com%22&startIndex=1&count=100".into()),
                None
            ],
            "{integration:?}: the matching query as sent"
        );
        let object_id = tenant.user("alice").expect("alice").object_id;
        assert_eq!(
            engine.link(&object_id).map(|l| l.target_id.as_str()),
            Some("u-1"),
            "{integration:?}: the returned id links the app user"
        );
        let held = app
            .target
            .held("/Users/u-1")
            .expect("alice is on the target");
        assert_eq!(held.get("password"), None, "the target never echoes it");
    }
}

/// §2.3: a profile change is GET, then PUT of what GET returned with Okta's values merged in,
/// echoing server fields (`id`, `meta`, `groups`) and attributes Okta does not map.
#[tokio::test]
async fn update_is_get_then_put_of_the_merged_object() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::start(integration).await;
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        // Someone set a title on the target; Okta does not map title.
        app.target.edit("/Users/u-1", "title", json!("Engineer"));

        tenant
            .update_user(
                "alice",
                &BTreeMap::from([
                    (UserAttr::Surname, text("Jones")),
                    (UserAttr::Mail, text("alice.jones@contoso.com")),
                ]),
            )
            .expect("update alice");
        push(&mut engine, &tenant).await;
        let mut merged = alice_on_target(&tenant);
        merged["title"] = json!("Engineer");
        merged["name"]["familyName"] = json!("Jones");
        merged["emails"][0]["value"] = json!("alice.jones@contoso.com");
        merged["displayName"] = json!("Alice Jones");
        assert_eq!(
            app.target.take().await,
            vec![
                read("/Users/u-1"),
                with_body("PUT", "/Users/u-1", merged.clone())
            ],
            "{integration:?}"
        );
        assert_eq!(
            app.target.held("/Users/u-1").map(|u| u["title"].clone()),
            Some(json!("Engineer")),
            "{integration:?}: the unmapped attribute survives the PUT"
        );

        // Nothing changed in the source: no request at all.
        push(&mut engine, &tenant).await;
        assert_eq!(app.target.take().await, vec![], "{integration:?}");
    }
}

/// §2.4: unassign → path-less PATCH `active:false`; reassign → the same PATCH with `true` on
/// the same user (no match, no POST); a deactivated user then hard-deleted in the source gets
/// nothing. No GET precedes the PATCH: Okta decides from its app-user profile and a PATCH is
/// not built from the target's representation (O-20, O-24).
#[tokio::test]
async fn oin_deactivates_and_reactivates_with_pathless_patches() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", false)],
        "deactivate on unassign"
    );
    assert_eq!(
        app.target.held("/Users/u-1").map(|u| u["active"].clone()),
        Some(json!(false))
    );

    tenant.assign("alice").expect("reassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", true)],
        "reactivate on reassignment"
    );

    tenant
        .set_account_enabled("alice", false)
        .expect("deactivate alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", false)],
        "deactivate in the source"
    );

    tenant.hard_delete_user("alice").expect("delete alice");
    push(&mut engine, &tenant).await;
    assert_eq!(app.target.take().await, vec![], "Okta never deletes users");
    assert_eq!(
        app.target.held("/Users/u-1").map(|u| u["active"].clone()),
        Some(json!(false)),
        "alice stays, inactive"
    );
}

/// §2.4, AIW: (de)activation is a PUT of the whole object with `active` changed.
#[tokio::test]
async fn aiw_deactivates_and_reactivates_with_put() {
    let app = OktaApp::start(Integration::Aiw).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign alice");
    push(&mut engine, &tenant).await;
    let mut inactive = alice_on_target(&tenant);
    inactive["active"] = json!(false);
    assert_eq!(
        app.target.take().await,
        vec![read("/Users/u-1"), with_body("PUT", "/Users/u-1", inactive)]
    );

    tenant.assign("alice").expect("reassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Users/u-1"),
            with_body("PUT", "/Users/u-1", alice_on_target(&tenant))
        ]
    );
}

/// §2.5: Push Groups. An assigned group with alice: match, POST with `members: []`, then one
/// PATCH carrying the rename and the add with `display`. Adding bob and removing alice is one
/// PATCH (rename, remove by filter, add). A rename alone is the path-less replace with the
/// id. Deleting the group in the source deletes it on the target.
#[tokio::test]
async fn oin_group_create_membership_rename_and_delete() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice", "Smith");
    add_user(&mut tenant, "bob", "Bob", "Jones");
    tenant
        .create_group("sales", "Sales", &["alice".into()])
        .expect("create sales");
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    tenant.assign("sales").expect("push sales");
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            with_body(
                "POST",
                "/Users",
                post_body(&tenant, "alice", "Alice", "Smith")
            ),
            match_user("bob@contoso.com"),
            with_body("POST", "/Users", post_body(&tenant, "bob", "Bob", "Jones")),
            sent(
                "GET",
                "/Groups",
                &[
                    ("filter", "displayName eq \"Sales\""),
                    ("startIndex", "1"),
                    ("count", "100")
                ],
                None
            ),
            with_body(
                "POST",
                "/Groups",
                json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": []})
            ),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "add", "path": "members",
                     "value": [{"value": "u-1", "display": "alice@contoso.com"}]}
                ])
            ),
        ],
        "group push with alice"
    );

    tenant.add_member("sales", "bob").expect("add bob");
    tenant
        .remove_member("sales", "alice")
        .expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            // The tenant marks members whose group changed as changed (their entitlement
            // may have); Okta's app-user profiles of both are unchanged, so neither is read
            // nor written.
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "remove", "path": "members[value eq \"u-1\"]"},
                    {"op": "add", "path": "members",
                     "value": [{"value": "u-2", "display": "bob@contoso.com"}]}
                ])
            ),
        ],
        "membership change"
    );
    assert_eq!(
        app.target.held("/Groups/g-1").map(|g| g["members"].clone()),
        Some(json!([{"value": "u-2"}]))
    );

    tenant
        .rename_group("sales", "Sales EMEA")
        .expect("rename sales");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([{"op": "replace", "value": {"id": "g-1", "displayName": "Sales EMEA"}}])
            ),
        ],
        "rename"
    );

    tenant.delete_group("sales").expect("delete sales");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        // bob, the remaining member, is marked changed, but his app-user profile is not:
        // he is neither read nor written.
        vec![sent("DELETE", "/Groups/g-1", &[], None)],
        "unlink and delete"
    );
    assert_eq!(app.target.held("/Groups/g-1"), None);
}

/// §2.5, AIW: membership changes are `PUT /Groups/{id}` with the whole member list.
#[tokio::test]
async fn aiw_membership_is_a_put_of_the_full_member_list() {
    let app = OktaApp::start(Integration::Aiw).await;
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice", "Smith");
    add_user(&mut tenant, "bob", "Bob", "Jones");
    tenant
        .create_group("sales", "Sales", &["alice".into()])
        .expect("create sales");
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    tenant.assign("sales").expect("push sales");
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    let first = app.target.take().await;
    assert_eq!(
        first.last(),
        Some(&with_body(
            "PUT",
            "/Groups/g-1",
            json!({"schemas": [CORE_GROUP], "id": "g-1", "displayName": "Sales",
                   "members": [{"value": "u-1", "display": "alice@contoso.com"}]})
        ))
    );

    tenant.add_member("sales", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            // bob's app-user profile is unchanged: no GET /Users/u-2.
            read("/Groups/g-1"),
            with_body(
                "PUT",
                "/Groups/g-1",
                json!({"schemas": [CORE_GROUP], "id": "g-1", "displayName": "Sales",
                       "members": [{"value": "u-1", "display": "alice@contoso.com"},
                                   {"value": "u-2", "display": "bob@contoso.com"}]})
            ),
        ]
    );
}

/// §2.5: a group whose name already exists on the target cannot be pushed (no Group Linking).
#[tokio::test]
async fn an_existing_group_name_fails_the_push() {
    let app = OktaApp::start(Integration::Oin).await;
    app.target.store.lock().expect("target state").insert(
        "/Groups/g-9".into(),
        json!({"id": "g-9", "displayName": "Sales", "members": []}),
    );
    let mut tenant = Tenant::new();
    tenant
        .create_group("sales", "Sales", &[])
        .expect("create sales");
    tenant.assign("sales").expect("push sales");
    let mut engine = app.engine();
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    let sent = app.target.take().await;
    assert_eq!(sent.len(), 1, "only the lookup: {sent:?}");
    let rec = report
        .records
        .iter()
        .find(|r| r.object == "sales")
        .expect("a record for sales");
    assert_eq!(rec.error_code.as_deref(), Some("EntryConflict"));
}

/// §2.2 step 1: a 404 on the matching query means "no such user", and the POST follows.
#[tokio::test]
async fn a_404_match_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(|req: &Request| {
            let mut user: Map<String, Value> =
                serde_json::from_slice(&req.body).expect("a JSON body");
            user.insert("id".into(), json!("u-1"));
            wire::scim(201, &Value::Object(user))
        })
        .mount(&server)
        .await;
    let target = Target {
        server,
        store: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = OktaApp::against(target, Integration::Oin);
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
}

/// §2.2 step 4: a 201 with an empty body is a failure ("Create new user returned empty
/// user"); nothing is linked, so the next push matches again.
#[tokio::test]
async fn an_empty_create_answer_fails() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wire::scim(200, &list(vec![])))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let target = Target {
        server,
        store: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = OktaApp::against(target, Integration::Oin);
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    assert_eq!(app.target.take().await.len(), 2, "match and POST");
    let rec = report
        .records
        .iter()
        .find(|r| r.object == "alice")
        .expect("a record for alice");
    assert_eq!(
        rec.error_code.as_deref(),
        Some("SystemForCrossDomainIdentityManagementServiceIncompatible")
    );
    let object_id = tenant.user("alice").expect("alice").object_id;
    assert!(engine.link(&object_id).is_none(), "nothing is linked");
}

/// Drops `name.familyName` from a user, as a server without that attribute would.
fn drop_family_name(user: &mut Value) {
    if let Some(name) = user.get_mut("name").and_then(Value::as_object_mut) {
        name.remove("familyName");
    }
}

/// O-13, O-34: Okta pushes when the Okta user's profile changes, judged against its app-user
/// profile, not against what the target returns. A server that silently drops
/// `name.familyName` gets no PUT when alice is pushed again with nothing Okta maps changed (a
/// harness diffing against the GET answer would PUT the family name at every event); when
/// her given name changes it gets exactly GET + PUT of the GET answer with Okta's whole
/// profile laid over it — the family name included — and the log lists only what changed.
#[tokio::test]
async fn a_server_that_drops_an_attribute_gets_no_put_until_the_okta_profile_changes() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::against(Target::forgetting(drop_family_name).await, integration);
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let mut on_target = alice_on_target(&tenant);
        drop_family_name(&mut on_target);
        assert_eq!(app.target.held("/Users/u-1"), Some(on_target.clone()));

        // An event about alice that changes nothing Okta maps: a department Okta does not
        // push, then a re-assignment.
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::Department, text("R&D"))]),
            )
            .expect("update alice");
        let report = engine
            .cycle(&tenant, SyncKind::Incremental)
            .await
            .expect("the push runs");
        assert_eq!(
            app.target.take().await,
            vec![],
            "{integration:?}: nothing sent"
        );
        let rec = report.records.last().expect("a record for alice");
        assert_eq!(rec.skip_reason.as_deref(), Some("RedundantExport"));
        assert_eq!(
            rec.reason.as_deref(),
            Some("Okta's app-user profile is unchanged; nothing sent")
        );
        tenant.unassign("alice").expect("unassign");
        tenant.assign("alice").expect("reassign");
        push(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![],
            "{integration:?}: re-assigned"
        );

        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::GivenName, text("Alicia"))]),
            )
            .expect("rename alice");
        let report = engine
            .cycle(&tenant, SyncKind::Incremental)
            .await
            .expect("the push runs");
        let mut merged = on_target.clone();
        merged["name"] = json!({"givenName": "Alicia", "familyName": "Smith"});
        merged["displayName"] = json!("Alicia Smith");
        assert_eq!(
            app.target.take().await,
            vec![read("/Users/u-1"), with_body("PUT", "/Users/u-1", merged)],
            "{integration:?}: the source changed"
        );
        let changed: Vec<&str> = report
            .records
            .last()
            .expect("a record for alice")
            .modified_properties
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(
            changed,
            ["name.givenName", "displayName"],
            "{integration:?}"
        );
    }
}

/// The group lookup (O-26, `[inferred]`) for a group named `name`.
fn match_group(name: &str) -> Sent {
    sent(
        "GET",
        "/Groups",
        &[
            ("filter", &format!("displayName eq \"{name}\"")),
            ("startIndex", "1"),
            ("count", "100"),
        ],
        None,
    )
}

/// ann, bob and cid, assigned; Sales with `members`, pushed.
fn tenant_with_sales(members: &[&str]) -> Tenant {
    let mut tenant = Tenant::new();
    for (r, given) in [("ann", "Ann"), ("bob", "Bob"), ("cid", "Cid")] {
        add_user(&mut tenant, r, given, "Lee");
        tenant.assign(r).expect("assign");
    }
    let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    tenant
        .create_group("sales", "Sales", &members)
        .expect("create sales");
    tenant.assign("sales").expect("push sales");
    tenant
}

/// The creates of ann, bob and cid (u-1, u-2, u-3), in order.
fn creates(tenant: &Tenant) -> Vec<Sent> {
    ["ann", "bob", "cid"]
        .iter()
        .zip(["Ann", "Bob", "Cid"])
        .flat_map(|(r, given)| {
            [
                match_user(&format!("{r}@contoso.com")),
                with_body("POST", "/Users", post_body(tenant, r, given, "Lee")),
            ]
        })
        .collect()
}

fn member(id: &str, r: &str) -> Value {
    json!({"value": id, "display": format!("{r}@contoso.com")})
}

#[tokio::test]
async fn full_push_replaces_members_with_the_whole_list() {
    let app = OktaApp::with_options(&[("member_push", "replace")]).await;
    let mut tenant = tenant_with_sales(&["ann", "bob"]);
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    let mut want = creates(&tenant);
    want.extend([
        match_group("Sales"),
        with_body(
            "POST",
            "/Groups",
            json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": []}),
        ),
        group_patch(
            "/Groups/g-1",
            json!([
                {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                {"op": "replace", "path": "members",
                 "value": [member("u-1", "ann"), member("u-2", "bob")]}
            ]),
        ),
    ]);
    assert_eq!(app.target.take().await, want, "group push, full");

    tenant.add_member("sales", "cid").expect("add cid");
    tenant.remove_member("sales", "ann").expect("remove ann");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "replace", "path": "members",
                     "value": [member("u-2", "bob"), member("u-3", "cid")]}
                ]),
            ),
        ],
        "membership change, full"
    );
    assert_eq!(
        app.target.held("/Groups/g-1").map(|g| g["members"].clone()),
        Some(json!([{"value": "u-2"}, {"value": "u-3"}]))
    );
}

#[tokio::test]
async fn membership_is_cut_into_patches_of_member_batch_members() {
    let app = OktaApp::with_options(&[("member_batch", "2")]).await;
    let tenant = tenant_with_sales(&["ann", "bob", "cid"]);
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    let rename = json!({"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}});
    let mut want = creates(&tenant);
    want.extend([
        match_group("Sales"),
        with_body(
            "POST",
            "/Groups",
            json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": []}),
        ),
        group_patch(
            "/Groups/g-1",
            json!([rename, {"op": "add", "path": "members",
                            "value": [member("u-1", "ann"), member("u-2", "bob")]}]),
        ),
        group_patch(
            "/Groups/g-1",
            json!([rename, {"op": "add", "path": "members", "value": [member("u-3", "cid")]}]),
        ),
    ]);
    assert_eq!(
        app.target.take().await,
        want,
        "three members, two per PATCH"
    );
}

#[tokio::test]
async fn inactive_users_are_not_pushed_as_members() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = tenant_with_sales(&[]);
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    app.target.take().await;
    tenant
        .set_account_enabled("bob", false)
        .expect("disable bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-2", false)],
        "bob deactivated"
    );
    tenant.add_member("sales", "ann").expect("add ann");
    tenant.add_member("sales", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "add", "path": "members", "value": [member("u-1", "ann")]}
                ]),
            ),
        ],
        "only the active member is pushed"
    );
}

/// O-14: with "Sync Password" on, an OIN profile push (GET + PUT) is followed by the
/// password-sync PATCH, path-less like the (de)activation `[I]`; (de)activation alone sends
/// none, and AIW none at all.
#[tokio::test]
async fn password_sync_patch_follows_a_profile_push() {
    let app = OktaApp::with_options(&[("password_sync", "true")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, text("Jones"))]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let mut merged = alice_on_target(&tenant);
    merged["name"]["familyName"] = json!("Jones");
    merged["displayName"] = json!("Alice Jones");
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Users/u-1"),
            with_body("PUT", "/Users/u-1", merged),
            with_body(
                "PATCH",
                "/Users/u-1",
                json!({"schemas": [PATCH_OP],
                       "Operations": [{"op": "replace", "value": {"password": PASSWORD}}]})
            ),
        ],
        "profile push with password sync"
    );
    tenant.unassign("alice").expect("unassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", false)],
        "a deactivation carries no password"
    );

    let aiw = OktaApp::with_options(&[("password_sync", "true"), ("integration", "aiw")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = aiw.engine();
    create_alice(&aiw, &mut engine, &tenant).await;
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, text("Jones"))]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let methods: Vec<String> = aiw
        .target
        .take()
        .await
        .into_iter()
        .map(|s| s.method)
        .collect();
    assert_eq!(methods, vec!["GET", "PUT"], "AIW: PUT only (O-15)");
}
