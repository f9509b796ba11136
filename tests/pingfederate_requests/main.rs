//! Pins the exact requests the PingFederate profile sends (idp-behavior.md §3, §7): a wiremock
//! target plays a small correct SCIM server for users and groups, the engine polls a simulated
//! source, and every request the target received is compared, in order, with PingFederate's.

#[path = "../wire/mod.rs"]
mod wire;

mod connection;
mod groups;
mod target;
mod users;

use std::collections::BTreeMap;
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::pingfederate::PingFederate;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::Request;

use target::Target;

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

/// `wire`'s request with its body as canonical JSON text, so that `Sent` can be sorted
/// (PingFederate's worker threads send in no fixed order).
impl From<wire::Sent> for Sent {
    fn from(s: wire::Sent) -> Sent {
        Sent {
            method: s.method,
            path: s.path,
            query: s.query,
            body: s.body.map(|b| canonical(&b)),
        }
    }
}

fn sent(method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Sent {
    wire::sent(method, path, query, body).into()
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

/// Reduces a received request to a `Sent`, checking the headers (`wire::reduce`).
fn reduce(req: &Request) -> Sent {
    wire::reduce(req, TOKEN).into()
}

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(), "itemsPerPage": resources.len(),
           "startIndex": 1, "Resources": resources})
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
