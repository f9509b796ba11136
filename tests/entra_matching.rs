//! Pins Entra's matching precedence (idp-behavior.md E-10, E-47): an unlinked user is looked
//! up with one `eq` filter per matching attribute, highest precedence first, and the next
//! filter is sent only when the one before found nothing; groups likewise with
//! `excludedAttributes=members`. Each test runs a cycle against a wiremock target and
//! compares every request received, in order, with Entra's.

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
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "entra-matching-test-token";
const USERS: &str = "/scim/v2/Users";
const GROUPS: &str = "/scim/v2/Groups";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const INCOMPATIBLE: &str = "SystemForCrossDomainIdentityManagementServiceIncompatible";
const BY_USER_NAME: &str = "userName eq \"alice@contoso.com\"";
const BY_EXTERNAL_ID: &str = "externalId eq \"alice\"";

fn list(resources: Vec<Value>) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": resources.len(),
        "itemsPerPage": resources.len(), "startIndex": 1, "Resources": resources})
}

/// The record the target already holds: alice's externalId under an older userName.
fn old_alice() -> Value {
    json!({"id": "u-9", "userName": "alice.old@contoso.com", "externalId": "alice", "active": true,
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
}

/// Method, path and decoded query of every request received, in order (headers checked).
async fn received(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .map(|r| {
            wire::checked_body(r, TOKEN);
            let query: Vec<String> = wire::query(r)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("{} {} {}", r.method, r.url.path(), query.join("&"))
                .trim_end()
                .to_string()
        })
        .collect()
}

fn entra(options: &[(&str, &str)]) -> Entra {
    let options = options
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    Entra::from_options(&options).expect("valid options")
}

fn client(server: &MockServer) -> ScimClient {
    ScimClient::new(
        &format!("{}/scim/v2", server.uri()),
        Some(Secret::new(TOKEN)),
        Duration::from_secs(10),
    )
    .expect("client builds")
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

/// A target holding `old_alice` as u-9: a filter `externalId eq "alice"` finds it, every
/// other user filter (the probe, userName) finds nothing; u-9 reads back and takes PATCHes;
/// a POST creates u-1.
async fn target_with_old_alice() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("filter", BY_EXTERNAL_ID))
        .respond_with(wire::scim(200, &list(vec![old_alice()])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .respond_with(wire::scim(200, &list(vec![])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{USERS}/u-9")))
        .respond_with(wire::scim(200, &old_alice()))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{USERS}/u-9")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(USERS))
        .respond_with(|req: &Request| {
            let mut user: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            user["id"] = json!("u-1");
            wire::scim(201, &user)
        })
        .mount(&server)
        .await;
    server
}

async fn initial(profile: &Entra, server: &MockServer, tenant: &Tenant) -> (CycleReport, String) {
    let client = client(server);
    let mut engine = Engine::new(profile, &client, String::new(), Default::default());
    let report = engine
        .cycle(tenant, SyncKind::Initial)
        .await
        .expect("the cycle runs");
    let object_id = tenant.user("alice").expect("alice").object_id;
    let linked = engine
        .link(&object_id)
        .map(|l| l.target_id.clone())
        .unwrap_or_default();
    (report, linked)
}

/// E-10: userName finds nothing, so the next matching attribute, externalId, is tried; its
/// one hit is adopted: read, then PATCHed to alice's userName. No POST.
#[tokio::test]
async fn an_empty_user_name_lookup_is_followed_by_the_external_id_lookup_which_adopts() {
    let server = target_with_old_alice().await;
    let profile = entra(&[("matching", "userName,externalId")]);
    let (report, linked) = initial(&profile, &server, &tenant_with_alice()).await;
    assert_eq!(linked, "u-9");
    let got = received(&server).await;
    assert_eq!(
        got[1..],
        [
            format!("GET {USERS} filter={BY_USER_NAME}"),
            format!("GET {USERS} filter={BY_EXTERNAL_ID}"),
            format!("GET {USERS}/u-9"),
            format!("PATCH {USERS}/u-9"),
        ]
    );
    assert_eq!(got[0], format!("GET {USERS} filter=userName eq \"<guid>\""));
    let rec = &report.records[0];
    assert_eq!(rec.error_code, None, "{:?}", rec.reason);
    assert!(
        rec.provisioning_steps
            .iter()
            .any(|s| s.description == "matched target user u-9 by externalId"),
        "{:?}",
        rec.provisioning_steps
    );
    let patch = server.received_requests().await.expect("recording")[4].clone();
    let body: Value = serde_json::from_slice(&patch.body).expect("PATCH body");
    assert!(
        body["Operations"].as_array().is_some_and(|ops| ops
            .contains(&json!({"op": "Replace", "path": "userName", "value": "alice@contoso.com"}))),
        "{body}"
    );
}

/// E-10: the default mapping matches on userName alone: the same target gets a POST, and
/// no externalId filter is sent.
#[tokio::test]
async fn by_default_only_user_name_is_looked_up_and_a_miss_creates() {
    let server = target_with_old_alice().await;
    let (_, linked) = initial(&entra(&[]), &server, &tenant_with_alice()).await;
    assert_eq!(linked, "u-1");
    let got = received(&server).await;
    assert_eq!(
        got[1..],
        [
            format!("GET {USERS} filter={BY_USER_NAME}"),
            format!("POST {USERS}"),
        ]
    );
}

/// E-10: a lookup that finds the user ends matching: the next attribute is never queried.
#[tokio::test]
async fn a_hit_on_the_first_attribute_sends_no_further_lookup() {
    let server = target_with_old_alice().await;
    let profile = entra(&[("matching", "externalId,userName")]);
    let (_, linked) = initial(&profile, &server, &tenant_with_alice()).await;
    assert_eq!(linked, "u-9");
    let got = received(&server).await;
    assert_eq!(
        got[0],
        format!("GET {USERS} filter=externalId eq \"<guid>\"")
    );
    assert_eq!(
        got[1..],
        [
            format!("GET {USERS} filter={BY_EXTERNAL_ID}"),
            format!("GET {USERS}/u-9"),
            format!("PATCH {USERS}/u-9"),
        ]
    );
}

/// Ownership: an externalId answer whose resource carries another externalId (the filter
/// was ignored) is not adopted; the user fails and nothing is written.
#[tokio::test]
async fn an_external_id_answer_without_the_value_is_never_adopted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .and(query_param("filter", BY_EXTERNAL_ID))
        .respond_with(wire::scim(
            200,
            &list(vec![
                json!({"id": "u-7", "userName": "bob@contoso.com", "externalId": "bob"}),
            ]),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .respond_with(wire::scim(200, &list(vec![])))
        .mount(&server)
        .await;
    let profile = entra(&[("matching", "userName,externalId")]);
    let (report, linked) = initial(&profile, &server, &tenant_with_alice()).await;
    assert_eq!(linked, "");
    assert_eq!(report.records[0].error_code.as_deref(), Some(INCOMPATIBLE));
    assert_eq!(
        received(&server).await.len(),
        3,
        "probe and two lookups only"
    );
}

/// E-47: with `group_matching=displayName,externalId` an empty displayName lookup is
/// followed by an externalId lookup (the group's objectId), both without members; its hit
/// is adopted instead of POSTing a second group.
#[tokio::test]
async fn an_empty_display_name_lookup_is_followed_by_the_external_id_lookup() {
    let mut tenant = Tenant::new();
    tenant.create_group("sales", "Sales", &[]).expect("group");
    tenant.assign("sales").expect("assign");
    let object_id = tenant.group("sales").expect("sales").object_id;
    let server = MockServer::start().await;
    let by_external_id = format!("externalId eq \"{object_id}\"");
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .and(query_param("filter", by_external_id.as_str()))
        .respond_with(wire::scim(
            200,
            &list(vec![json!({"id": "g-5", "displayName": "Sales (old)",
                "externalId": object_id.to_string()})]),
        ))
        .mount(&server)
        .await;
    for collection in [USERS, GROUPS] {
        Mock::given(method("GET"))
            .and(path(collection))
            .respond_with(wire::scim(200, &list(vec![])))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("{GROUPS}/g-5")))
        .respond_with(wire::scim(
            200,
            &json!({"id": "g-5", "displayName": "Sales (old)"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{GROUPS}/g-5")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let profile = entra(&[("group_matching", "displayName,externalId")]);
    let client = client(&server);
    let mut engine = Engine::new(&profile, &client, String::new(), Default::default());
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the cycle runs");
    assert_eq!(
        engine.link(&object_id).map(|l| l.target_id.as_str()),
        Some("g-5"),
        "{:?}",
        report.records
    );
    let got = received(&server).await;
    assert_eq!(
        got[1..3],
        [
            format!("GET {GROUPS} excludedAttributes=members&filter=displayName eq \"Sales\""),
            // The objectId is a GUID, which the fixture names `<guid>`; that it was this
            // group's is proven by the mock above answering it.
            format!("GET {GROUPS} excludedAttributes=members&filter=externalId eq \"<guid>\""),
        ]
    );
    assert!(
        !got.iter().any(|r| r.starts_with("POST")),
        "no group is created: {got:?}"
    );
}
