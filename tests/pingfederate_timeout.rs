//! PingFederate's per-record Timeout (idp-behavior.md §3, PF-20): a record whose request is
//! slower than the channel Timeout fails as `Timeout` and is left "for the next cycle to try
//! again" — every next cycle, however often it failed, where Entra's escrow backs off.

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

/// A target with no users whose first `slow` POSTs answer after 3 s, beyond the 1 s channel
/// Timeout; later ones answer at once.
async fn target(slow: u64) -> MockServer {
    let server = MockServer::start().await;
    let list = no_users();
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(&server)
        .await;
    let created = json!({"id": "u-1", "userName": "alice@contoso.com", "active": true});
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(created.clone())
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(slow)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn pingfederate() -> PingFederate {
    PingFederate::from_options(&BTreeMap::from([(
        "timeout_seconds".to_string(),
        "1".to_string(),
    )]))
    .expect("valid options")
}

fn client(server: &MockServer) -> ScimClient {
    ScimClient::new(
        &format!("{}/scim/v2", server.uri()),
        Some(Secret::new("pingfederate-timeout-token")),
        Duration::from_secs(30),
    )
    .expect("client")
}

/// A match query's answer on a target without the user.
fn no_users() -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []})
}

/// alice, assigned.
fn tenant() -> Tenant {
    tenant_of(&["alice"])
}

/// These users (userName `<name>@contoso.com`), each assigned.
fn tenant_of(names: &[&str]) -> Tenant {
    let mut tenant = Tenant::new();
    for name in names {
        tenant
            .create_user(
                name,
                BTreeMap::from([(
                    UserAttr::UserPrincipalName,
                    AttrValue::Text(format!("{name}@contoso.com")),
                )]),
            )
            .expect("create");
        tenant.assign(name).expect("assign");
    }
    tenant
}

/// One cycle; alice's record in it, if the cycle handled her.
async fn cycle(
    engine: &mut Engine<'_>,
    tenant: &Tenant,
    kind: SyncKind,
) -> Option<(Status, Option<String>, Option<String>)> {
    let report = engine.cycle(tenant, kind).await.expect("cycle");
    report
        .records
        .iter()
        .find(|r| r.object == "alice")
        .map(|r| (r.status, r.error_code.clone(), r.target_identity.clone()))
}

#[tokio::test]
async fn a_slow_record_times_out_and_is_retried_next_cycle() {
    let server = target(1).await;
    let (profile, client, tenant) = (pingfederate(), client(&server), tenant());
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());

    let first = cycle(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(first, Some((Status::Failure, Some("Timeout".into()), None)));
    assert!(
        engine.escrowed().contains("alice"),
        "skipped to the next cycle"
    );

    let second = cycle(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(second, Some((Status::Success, None, Some("u-1".into()))));
    assert!(engine.escrowed().is_empty());
}

/// Timed out again at its retry, the record is tried at the very next cycle once more; Entra's
/// escrow would wait two cycles after a second failure.
#[tokio::test]
async fn a_record_that_times_out_twice_is_retried_at_the_next_cycle_again() {
    let server = target(2).await;
    let (profile, client, tenant) = (pingfederate(), client(&server), tenant());
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());

    let timed_out = Some((Status::Failure, Some("Timeout".into()), None));
    assert_eq!(
        cycle(&mut engine, &tenant, SyncKind::Initial).await,
        timed_out
    );
    assert_eq!(
        cycle(&mut engine, &tenant, SyncKind::Incremental).await,
        timed_out
    );
    let third = cycle(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(third, Some((Status::Success, None, Some("u-1".into()))));
    assert!(engine.escrowed().is_empty());
}

/// A target whose match query and create each answer after 600 ms: each within a 1 s
/// Timeout, the two together beyond it.
async fn unhurried_target() -> MockServer {
    let server = MockServer::start().await;
    let list = no_users();
    let created = json!({"id": "u-1", "userName": "alice@contoso.com", "active": true});
    let slow = Duration::from_millis(600);
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(list)
                .set_delay(slow),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(created)
                .set_delay(slow),
        )
        .mount(&server)
        .await;
    server
}

/// The Timeout bounds the record's processing (PF-20), not each request: a match and a create
/// of 600 ms each exceed a 1 s Timeout together, so the record fails as `Timeout` and is left
/// for the next cycle. Bounded per request, both answered in time and the record passed.
#[tokio::test]
async fn the_timeout_bounds_the_whole_record_not_each_request() {
    let server = unhurried_target().await;
    let (profile, client, tenant) = (pingfederate(), client(&server), tenant());
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());

    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("cycle");
    let rec = report
        .records
        .iter()
        .find(|r| r.object == "alice")
        .expect("a record");
    assert_eq!(
        (rec.status, rec.error_code.as_deref()),
        (Status::Failure, Some("Timeout"))
    );
    // The Timeout that ran out is the channel's 1 s, not the client's 30 s.
    let reason = rec.reason.clone().unwrap_or_default();
    assert!(reason.contains("within 1 s"), "{reason}");
    assert!(engine.escrowed().contains("alice"));
    let posts = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(
        posts, 1,
        "the create was sent with what was left of the budget"
    );
}

/// A target whose first answer is a 429 with `Retry-After: 2`; later match queries find
/// nobody and creates succeed at once.
async fn throttling_target() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let list = no_users();
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .with_priority(2)
        .mount(&server)
        .await;
    let created = json!({"id": "u-2", "userName": "bob@contoso.com", "active": true});
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created))
        .mount(&server)
        .await;
    server
}

/// A record whose budget is spent before its first request (here waiting out another
/// record's `Retry-After`) is left for the next cycle unsent: a Timeout that names the
/// channel's 1 s, and nothing reaches the target for it — not a request sent with no time.
#[tokio::test]
async fn a_record_whose_budget_is_spent_before_it_sends_is_left_unsent() {
    let server = throttling_target().await;
    let (profile, client) = (pingfederate(), client(&server));
    let tenant = tenant_of(&["alice", "bob"]);
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());

    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("cycle");
    let failed: Vec<_> = report
        .records
        .iter()
        .filter(|r| r.status == Status::Failure)
        .map(|r| (r.error_code.clone(), r.reason.clone().unwrap_or_default()))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let timed_out: Vec<_> = failed
        .iter()
        .filter(|(code, _)| code.as_deref() == Some("Timeout"))
        .collect();
    assert_eq!(timed_out.len(), 1, "{failed:?}");
    assert!(timed_out[0].1.contains("within 1 s"), "{failed:?}");
    let received = server.received_requests().await.unwrap_or_default();
    let methods: Vec<&str> = received.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        vec!["GET"],
        "only the throttled match query was sent; the timed-out record sent nothing"
    );
}
