//! Pins the provisioning-log error codes the Entra profile records for answers Entra fails
//! on (idp-behavior.md E-9, E-11, E-20, E-49, E-65, E-69), each against a wiremock target
//! that gives exactly that answer: which code, which requests were (and were not) sent,
//! whether the object is escrowed for a later cycle, and whether the job is quarantined.

mod wire;

use std::collections::BTreeMap;
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::Entra;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

const TOKEN: &str = "entra-errors-test-token";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const INCOMPATIBLE: &str = "SystemForCrossDomainIdentityManagementServiceIncompatible";
const PROBE_FILTER_PREFIX: &str = "userName eq \"";

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
        "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
}

fn alice_filter() -> &'static str {
    "userName eq \"alice@contoso.com\""
}

fn alice_with_id(id: &str) -> Value {
    json!({"id": id, "userName": "alice@contoso.com", "active": true})
}

/// A target whose probe (any other user filter) answers an empty list; each test mounts
/// what it needs first, so its mocks win.
async fn server() -> MockServer {
    MockServer::start().await
}

async fn mount_probe(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(USERS))
        .respond_with(wire::scim(200, &list(vec![])))
        .mount(server)
        .await;
}

fn tenant_with_alice() -> Tenant {
    let mut tenant = Tenant::new();
    tenant
        .create_user(
            "alice",
            BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text("alice@contoso.com".into()),
            )]),
        )
        .expect("create alice");
    tenant.assign("alice").expect("assign alice");
    tenant
}

fn client(server: &MockServer) -> ScimClient {
    ScimClient::new(
        &format!("{}/scim/v2", server.uri()),
        Some(Secret::new(TOKEN)),
        Duration::from_secs(10),
    )
    .expect("client builds")
}

fn entra() -> Entra {
    Entra::from_options(&BTreeMap::new()).expect("defaults")
}

/// The record of `object` in `report`: its status and error code.
fn code(report: &CycleReport, object: &str) -> (String, Option<String>) {
    let rec = report
        .records
        .iter()
        .find(|r| r.object == object)
        .unwrap_or_else(|| panic!("no log record for {object}"));
    (
        scim_harness::engine::log::status_str(rec.status).to_string(),
        rec.error_code.clone(),
    )
}

/// Method and path of every request received, in order, the probe's query left out.
async fn received(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .map(|r| {
            wire::checked_body(r, TOKEN);
            let filter = wire::query(r)
                .into_iter()
                .find(|(k, _)| k == "filter")
                .map(|(_, v)| v);
            match filter {
                Some(f) if f.starts_with(PROBE_FILTER_PREFIX) && f.contains("<guid>") => {
                    format!("{} {} probe", r.method, r.url.path())
                }
                Some(f) => format!("{} {} filter {f}", r.method, r.url.path()),
                None => format!("{} {}", r.method, r.url.path()),
            }
        })
        .collect()
}

/// E-9: a linked user whose `GET /Users/{id}` answers 404 is logged `InvalidAnchor` and is
/// not created again.
#[tokio::test]
async fn a_404_on_the_linked_id_is_invalid_anchor_and_nothing_is_recreated() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(USERS))
        .respond_with(wire::scim(201, &alice_with_id("u-1")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{USERS}/u-1")))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let (profile, client) = (entra(), client(&server));
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let mut tenant = tenant_with_alice();
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("initial");
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, AttrValue::Text("Dev".into()))]),
        )
        .expect("update");
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("incremental");
    assert_eq!(
        code(&report, "alice"),
        ("failure".into(), Some("InvalidAnchor".into()))
    );
    assert_eq!(
        received(&server).await,
        vec![
            "GET /scim/v2/Users probe".to_string(),
            format!("GET /scim/v2/Users filter {}", alice_filter()),
            "POST /scim/v2/Users".into(),
            "GET /scim/v2/Users probe".into(),
            "GET /scim/v2/Users/u-1".into(),
        ],
        "no second POST"
    );
    assert!(engine.escrowed().is_empty(), "a lost anchor is not retried");
}

/// E-69, E-65: a 404 to the matching filter is a compliance failure, not a lost anchor: the
/// user fails as `SystemForCrossDomainIdentityManagementServiceIncompatible` and no POST
/// follows.
#[tokio::test]
async fn a_404_on_the_matching_filter_is_a_compliance_failure_not_invalid_anchor() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("filter", alice_filter()))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let (profile, client) = (entra(), client(&server));
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let report = engine
        .cycle(&tenant_with_alice(), SyncKind::Initial)
        .await
        .expect("initial");
    assert_eq!(
        code(&report, "alice"),
        ("failure".into(), Some(INCOMPATIBLE.into()))
    );
    assert_eq!(
        received(&server).await,
        vec![
            "GET /scim/v2/Users probe".to_string(),
            format!("GET /scim/v2/Users filter {}", alice_filter()),
        ]
    );
}

/// E-65: a 404 to the matching filter is a global failure ("SCIM compliance issue: 404
/// returned rather than 200"): the job is quarantined at once, not after the 40 % threshold
/// of escrowed failures; nothing is escrowed and the cycle stops before the next user. Once
/// the filter answers, the next cycle provisions both users and lifts the quarantine.
#[tokio::test]
async fn a_404_on_the_matching_filter_quarantines_the_job_at_once() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("filter", alice_filter()))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(USERS))
        .respond_with(|req: &wiremock::Request| {
            let mut user: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let id = format!("id-{}", user["externalId"].as_str().unwrap_or("x"));
            user["id"] = json!(id);
            wire::scim(201, &user)
        })
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let mut tenant = tenant_with_alice();
    tenant
        .create_user(
            "bob",
            BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text("bob@contoso.com".into()),
            )]),
        )
        .expect("create bob");
    tenant.assign("bob").expect("assign bob");
    let (profile, client) = (entra(), client(&server));
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the probe passes");
    assert_eq!(
        code(&report, "alice"),
        ("failure".into(), Some(INCOMPATIBLE.into()))
    );
    assert!(
        report.records.iter().all(|r| r.object != "bob"),
        "the cycle stops at the global failure"
    );
    let q = engine.quarantine().expect("quarantined at once");
    assert_eq!(q.reason, "EncounteredQuarantineException");
    assert!(
        q.detail
            .starts_with("SCIM compliance issue: GET /Users?filter=userName+eq+%22alice"),
        "{}",
        q.detail
    );
    assert!(engine.escrowed().is_empty(), "quarantined, not escrowed");
    assert_eq!(
        received(&server).await,
        vec![
            "GET /scim/v2/Users probe".to_string(),
            format!("GET /scim/v2/Users filter {}", alice_filter()),
        ]
    );
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the probe passes");
    assert_eq!(code(&report, "alice"), ("success".into(), None));
    assert_eq!(code(&report, "bob"), ("success".into(), None));
    assert_eq!(engine.quarantine(), None, "a clean cycle lifts it");
}

/// A profile without the setting (PingOne) fails only the object on the same 404 and goes
/// on with the next user; the job is not quarantined.
#[tokio::test]
async fn without_the_setting_a_filter_404_fails_only_the_object() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("filter", "username Eq \"alice@contoso.com\""))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(USERS))
        .respond_with(wire::scim(
            201,
            &json!({"id": "u-2", "userName": "bob@contoso.com"}),
        ))
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let mut tenant = tenant_with_alice();
    tenant
        .create_user(
            "bob",
            BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text("bob@contoso.com".into()),
            )]),
        )
        .expect("create bob");
    tenant.assign("bob").expect("assign bob");
    let profile = scim_harness::profile::by_name("pingone", &BTreeMap::new()).expect("pingone");
    assert!(!profile.job().filter_404_quarantines);
    let client = client(&server);
    let mut engine = Engine::new(profile.as_ref(), &client, String::new(), Default::default());
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the cycle runs");
    assert_eq!(
        code(&report, "alice"),
        ("failure".into(), Some(INCOMPATIBLE.into()))
    );
    assert_eq!(code(&report, "bob"), ("success".into(), None));
    assert_eq!(engine.quarantine(), None);
}

/// E-11: two target users carry alice's userName: `DuplicateTargetEntries`, nothing written.
#[tokio::test]
async fn two_hits_on_the_matching_filter_are_duplicate_target_entries() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("filter", alice_filter()))
        .respond_with(wire::scim(
            200,
            &list(vec![alice_with_id("u-1"), alice_with_id("u-2")]),
        ))
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let (profile, client) = (entra(), client(&server));
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let report = engine
        .cycle(&tenant_with_alice(), SyncKind::Initial)
        .await
        .expect("initial");
    assert_eq!(
        code(&report, "alice"),
        ("failure".into(), Some("DuplicateTargetEntries".into()))
    );
    assert_eq!(received(&server).await.len(), 2, "probe and filter only");
}

/// E-49: the group lookup excludes members; a server that returns them anyway fails the
/// group as `SystemForCrossDomainIdentityManagementMultipleEntriesInResponse`.
#[tokio::test]
async fn members_in_the_group_lookup_answer_are_multiple_entries_in_response() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .respond_with(wire::scim(
            200,
            &list(vec![json!({"id": "g-1", "displayName": "Sales",
                "members": [{"value": "someone"}]})]),
        ))
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let mut tenant = Tenant::new();
    tenant
        .create_group("sales", "Sales", &[])
        .expect("create sales");
    tenant.assign("sales").expect("assign sales");
    let (profile, client) = (entra(), client(&server));
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("initial");
    assert_eq!(
        code(&report, "sales"),
        (
            "failure".into(),
            Some("SystemForCrossDomainIdentityManagementMultipleEntriesInResponse".into())
        )
    );
    assert_eq!(
        received(&server).await,
        vec![
            "GET /scim/v2/Users probe".to_string(),
            "GET /scim/v2/Groups filter displayName eq \"Sales\"".into(),
        ],
        "no POST /Groups"
    );
}

/// E-20: a `409` on the POST is `EntryConflict`; the user is escrowed and the next cycle
/// matches and posts it again.
#[tokio::test]
async fn a_409_on_the_post_is_entry_conflict_escrowed_and_retried_next_cycle() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(USERS))
        .respond_with(wire::scim(
            409,
            &json!({"status": "409", "scimType": "uniqueness"}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(USERS))
        .respond_with(wire::scim(201, &alice_with_id("u-1")))
        .mount(&server)
        .await;
    mount_probe(&server).await;
    let (profile, client) = (entra(), client(&server));
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let tenant = tenant_with_alice();
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("initial");
    assert_eq!(
        code(&report, "alice"),
        ("failure".into(), Some("EntryConflict".into()))
    );
    assert!(engine.escrowed().contains("alice"), "escrowed");

    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("incremental");
    assert_eq!(code(&report, "alice"), ("success".into(), None));
    let filter = format!("GET /scim/v2/Users filter {}", alice_filter());
    assert_eq!(
        received(&server).await,
        vec![
            "GET /scim/v2/Users probe".to_string(),
            filter.clone(),
            "POST /scim/v2/Users".into(),
            "GET /scim/v2/Users probe".into(),
            filter,
            "POST /scim/v2/Users".into(),
        ]
    );
    assert!(engine.escrowed().is_empty());
}
