//! Pins the exact requests the OneLogin profile sends (idp-behavior.md §6), headers included:
//! a wiremock target plays a small correct SCIM server with state (path-less PATCH replace,
//! member add/remove, and OneLogin's lone `emails` object read as one element), the engine
//! pushes each tenant change as OneLogin does (one push per change, no probe), and every
//! request the target received is compared, in order, with OneLogin's.

#[path = "../wire/mod.rs"]
mod wire;

mod connection;
mod groups;
mod options;
mod target;
mod users;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wire::{sent, Sent};

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::onelogin::OneLogin;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Map, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request};

use target::Store;

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

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
           "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
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
        all[from..].iter().map(|r| wire::reduce(r, TOKEN)).collect()
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
