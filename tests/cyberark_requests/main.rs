//! Pins the exact requests the CyberArk Identity profile sends (idp-behavior.md §5): a
//! wiremock target plays a small correct SCIM server with state, the engine pushes each tenant
//! change at once as CyberArk does (CA-5), and every request the target received — headers
//! checked by the shared fixture — is compared, in order, with CyberArk's.

#[path = "../wire/mod.rs"]
mod wire;

mod connection;
mod groups;
mod preview;
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
use scim_harness::profile::cyberark::CyberArk;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request};

use target::Store;

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

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
           "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
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
        all[from..].iter().map(|r| wire::reduce(r, TOKEN)).collect()
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
