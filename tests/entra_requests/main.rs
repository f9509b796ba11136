//! Pins the exact requests the Entra profile sends (idp-behavior.md §1.2–§1.6, §1.11), in both
//! PATCH dialects: a wiremock target plays a minimal correct SCIM server, the engine syncs a
//! simulated tenant, and every request the target received is compared, in order, with Entra's.

#[path = "../wire/mod.rs"]
mod wire;

mod connection;
mod create;
mod options;
mod soft_delete;
mod unassign;
mod update;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wire::Sent;

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
        all[from..].iter().map(|r| wire::reduce(r, TOKEN)).collect()
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
