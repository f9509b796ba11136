//! OAuth 2 client credentials (PF-2): PingFederate's channel can authenticate with a token
//! it asks a token endpoint for. A wiremock token endpoint pins the token request the IdP
//! sends (client_credentials grant, HTTP Basic client authentication, the scope); the target
//! is the built-in server, accepting only the token the endpoint issues.

use std::time::Duration;

use scim_harness::client::{ClientCredentials, ScimClient, Secret};
use scim_harness::engine::runner::Verdict;
use scim_harness::scim::ScimRequest;
use scim_harness::server::{self, RunningServer, ServerConfig};
use scim_harness::Harness;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Only ever compared, never printed (STYLE.md).
const SECRET: &str = "pf-client-secret-value-0042";
const ISSUED: &str = "issued-access-token-for-pf-0042";

const CREATES_LEA: &str = "name: oauth-creates-lea\ndescription: d\nsymptom: s\nprofiles: [pingfederate, entra]\nsteps:\n  - create_user: { user: lea, userPrincipalName: lea@contoso.com, mail: lea@contoso.com, givenName: Lea, surname: Roy }\n  - assign: lea\n  - sync: initial\n  - expect: { user: lea, active: true }\n";

async fn target() -> RunningServer {
    server::start(ServerConfig {
        tokens: vec![ISSUED.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("built-in server")
}

fn credentials(endpoint: &MockServer) -> ClientCredentials {
    ClientCredentials {
        token_url: format!("{}/token", endpoint.uri()),
        client_id: "pf-client".into(),
        client_secret: Secret::new(SECRET),
        scope: Some("scim".into()),
    }
}

/// `Basic base64("pf-client:<SECRET>")`, as RFC 6749 §2.3.1 spells client authentication.
const BASIC: &str = "Basic cGYtY2xpZW50OnBmLWNsaWVudC1zZWNyZXQtdmFsdWUtMDA0Mg==";

/// `CREATES_LEA` under `profiles` (see `run_scenario`).
async fn run_creates_lea(
    scim: &RunningServer,
    endpoint: &MockServer,
    profiles: &[&str],
) -> scim_harness::Report {
    run_scenario(
        scim,
        endpoint,
        "oauth-creates-lea.yaml",
        CREATES_LEA,
        profiles,
    )
    .await
}

/// The scenario `text` under `profiles` against `scim`, authenticating with `endpoint`'s
/// tokens; spawned, as the CLI runs it.
async fn run_scenario(
    scim: &RunningServer,
    endpoint: &MockServer,
    file: &str,
    text: &str,
    profiles: &[&str],
) -> scim_harness::Report {
    let harness = Harness::builder()
        .scenario_text(file, text)
        .target(scim.base_url(), None)
        .client_credentials(credentials(endpoint))
        .profiles(profiles.iter().copied())
        .build()
        .expect("valid");
    tokio::spawn(harness.run())
        .await
        .expect("the task ends")
        .expect("ran")
}

/// A token endpoint that refuses every request with 401 and `body`.
async fn refusing(endpoint: &MockServer, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(body))
        .mount(endpoint)
        .await;
}

async fn issuing(endpoint: &MockServer, lifetime: u64) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("authorization", BASIC))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=client_credentials&scope=scim"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ISSUED, "token_type": "Bearer", "expires_in": lifetime
        })))
        .mount(endpoint)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pingfederate_provisions_with_an_issued_token_and_other_idps_are_skipped() {
    let scim = target().await;
    let endpoint = MockServer::start().await;
    issuing(&endpoint, 3600).await;
    let report = run_creates_lea(&scim, &endpoint, &["pingfederate", "entra"]).await;
    let pf = report
        .outcome("oauth-creates-lea", "pingfederate")
        .expect("ran");
    assert_eq!(pf.verdict, Verdict::Passed, "{:?}", pf.failure);
    let entra = report
        .outcome("oauth-creates-lea", "entra")
        .expect("listed");
    assert_eq!(entra.verdict, Verdict::Skipped);
    assert!(
        entra.warnings[0].contains("bearer token, not OAuth client credentials"),
        "{:?}",
        entra.warnings
    );
    // One token for the whole run: the cycle's match and create (the outcome's count),
    // the checks' read-back and the cleanup all carried it.
    let asked = endpoint.received_requests().await.expect("recorded");
    assert_eq!(asked.len(), 1);
    assert_eq!(pf.requests, 2);
    let json = report.json();
    assert!(!json.contains(SECRET) && !json.contains(ISSUED));
    scim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_client_secret_is_named_with_the_token_endpoints_answer() {
    let scim = target().await;
    let endpoint = MockServer::start().await;
    refusing(
        &endpoint,
        json!({"error": "invalid_client", "error_description": format!("unknown secret {SECRET}")}),
    )
    .await;
    let report = run_creates_lea(&scim, &endpoint, &["pingfederate"]).await;
    let pf = report
        .outcome("oauth-creates-lea", "pingfederate")
        .expect("ran");
    assert_eq!(pf.verdict, Verdict::Failed);
    let message = &pf.failure.as_ref().expect("a failure").message;
    let endpoint_url = format!("{}/token", endpoint.uri());
    assert!(
        message.contains(&format!(
            "could not obtain an access token from {endpoint_url}: 401 Unauthorized invalid_client: unknown secret [REDACTED]"
        )),
        "{message}"
    );
    // One finding names the cause, judged by the token endpoint's rules, not the target's.
    let json = report.json();
    assert!(
        json.contains(
            "could not obtain an access token for its GET /Users?filter, so it was not sent"
        ),
        "{json}"
    );
    assert!(json.contains("RFC 6749 §4.4, §5.2"), "{json}");
    // Nothing reached the target: without a token the IdP sends nothing, and the run counts
    // no request it did not send.
    assert_eq!(pf.requests, 0);
    let admin = ScimClient::new(
        scim.base_url(),
        Some(Secret::new(ISSUED)),
        Duration::from_secs(5),
    )
    .expect("client");
    let users = admin
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("listed");
    assert_eq!(users.body.as_ref().expect("JSON")["totalResults"], 0);
    assert!(!report.json().contains(SECRET));
    scim.stop().await;
}

/// A refused client secret costs the authorization server one request, not one per object:
/// PingFederate probes nothing before a poll, so each user's pass needs a token, and the
/// refusal stands for the rest of the cycle (`ASK_AGAIN_AFTER`).
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_client_secret_is_asked_once_for_a_whole_cycle() {
    let scim = target().await;
    let endpoint = MockServer::start().await;
    refusing(&endpoint, json!({"error": "invalid_client"})).await;
    let mut scenario = String::from(
        "name: oauth-six-users\ndescription: d\nsymptom: s\nprofiles: [pingfederate]\nsteps:\n",
    );
    for n in 1..=6 {
        scenario.push_str(&format!(
            "  - create_user: {{ user: u{n}, userPrincipalName: u{n}@contoso.com, mail: u{n}@contoso.com }}\n  - assign: u{n}\n"
        ));
    }
    scenario.push_str("  - sync: initial\n");
    let report = run_scenario(
        &scim,
        &endpoint,
        "oauth-six-users.yaml",
        &scenario,
        &["pingfederate"],
    )
    .await;
    let pf = report
        .outcome("oauth-six-users", "pingfederate")
        .expect("ran");
    assert_eq!(pf.verdict, Verdict::Failed);
    assert_eq!(pf.requests, 0, "nothing reached the target");
    // Six users' passes needed a token; one request asked for it.
    assert_eq!(endpoint.received_requests().await.expect("on").len(), 1);
    let log = report.log();
    assert_eq!(
        log.matches("could not obtain an access token").count(),
        6,
        "each user's record names the refusal: {log}"
    );
    scim.stop().await;
}

#[tokio::test]
async fn a_token_is_asked_for_again_when_it_expires_or_the_target_refuses_it() {
    let scim = target().await;
    let endpoint = MockServer::start().await;
    // `expires_in: 0`: spent at once, so every request asks for a new one.
    issuing(&endpoint, 0).await;
    let client = ScimClient::new(scim.base_url(), None, Duration::from_secs(5))
        .expect("client")
        .with_client_credentials(credentials(&endpoint));
    for _ in 0..2 {
        let r = client
            .send(&ScimRequest::get("/Users"))
            .await
            .expect("sent");
        assert_eq!(r.status, 200);
    }
    assert_eq!(endpoint.received_requests().await.expect("on").len(), 2);

    // A long-lived token is kept until the target refuses it (401), then asked for again.
    let endpoint = MockServer::start().await;
    issuing(&endpoint, 3600).await;
    let client = ScimClient::new(scim.base_url(), None, Duration::from_secs(5))
        .expect("client")
        .with_client_credentials(credentials(&endpoint));
    for _ in 0..2 {
        client
            .send(&ScimRequest::get("/Users"))
            .await
            .expect("sent");
    }
    assert_eq!(endpoint.received_requests().await.expect("on").len(), 1);
    scim.tokens()
        .replace_all(vec!["another-token-entirely-0042".into()]);
    let refused = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("sent");
    assert_eq!(refused.status, 401);
    client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("sent");
    assert_eq!(endpoint.received_requests().await.expect("on").len(), 2);
    // What the exchanges recorded carries neither the secret nor the issued token.
    let recorded = format!("{:?}", client.take_exchanges());
    assert!(!recorded.contains(SECRET) && !recorded.contains(ISSUED));
    scim.stop().await;
}

/// PF-2's Basic option: `user:password@` in the target URL goes as HTTP Basic, and the
/// password is a secret of the run like a token.
#[tokio::test]
async fn basic_credentials_in_the_target_url_are_sent_as_http_basic() {
    let target = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(header(
            "authorization",
            "Basic cGYtYWRtaW46YmFzaWMtcGFzc3dvcmQtMDA0Mg==",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0, "Resources": []
        })))
        .mount(&target)
        .await;
    let base = target
        .uri()
        .replace("http://", "http://pf-admin:basic-password-0042@");
    let client =
        ScimClient::new(&format!("{base}/scim/v2"), None, Duration::from_secs(5)).expect("client");
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("sent");
    assert_eq!(r.status, 200);
    let recorded = format!("{:?}", client.take_exchanges());
    assert!(!recorded.contains("basic-password-0042"), "{recorded}");
}
