//! PingFederate's per-record Timeout (idp-behavior.md §3): a record whose request is slower
//! than the channel Timeout fails as `Timeout` and is retried in the next polling cycle.

use std::collections::BTreeMap;
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::pingfederate::PingFederate;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_slow_record_times_out_and_is_retried_next_cycle() {
    let server = MockServer::start().await;
    let list = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []});
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(&server)
        .await;
    let created = json!({"id": "u-1", "userName": "alice@contoso.com", "active": true});
    // The first POST answers after 3 s, beyond the 1 s channel Timeout; later ones at once.
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(created.clone())
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created))
        .with_priority(2)
        .mount(&server)
        .await;

    let profile = PingFederate::from_options(&BTreeMap::from([(
        "timeout_seconds".to_string(),
        "1".to_string(),
    )]))
    .expect("valid options");
    let client = ScimClient::new(
        &format!("{}/scim/v2", server.uri()),
        Some(Secret::new("pingfederate-timeout-token")),
        Duration::from_secs(30),
    )
    .expect("client");
    let mut tenant = Tenant::new();
    tenant
        .create_user(
            "alice",
            BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text("alice@contoso.com".into()),
            )]),
        )
        .expect("create");
    tenant.assign("alice").expect("assign");
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());

    let first = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("cycle");
    let rec = first
        .records
        .iter()
        .find(|r| r.object == "alice")
        .expect("a record");
    assert_eq!(rec.status, Status::Failure);
    assert_eq!(rec.error_code.as_deref(), Some("Timeout"));
    assert!(
        engine.escrowed().contains("alice"),
        "skipped to the next cycle"
    );

    let second = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("cycle");
    let rec = second
        .records
        .iter()
        .find(|r| r.object == "alice")
        .expect("a retry");
    assert_eq!(rec.status, Status::Success);
    assert_eq!(rec.target_identity.as_deref(), Some("u-1"));
    assert!(engine.escrowed().is_empty());
}
