//! Test Connection / Test API Credentials (§2.1, O-2): the two listings Okta sends and the
//! answers that fail it.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use scim_harness::engine::{CycleError, CycleReport};
use scim_harness::profile::okta::Integration;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use super::{list, list_groups, probe, wire, OktaApp, Target, BASE, LIST_RESPONSE};

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
