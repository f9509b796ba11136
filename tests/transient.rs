//! Transient faults are tolerated as each IdP tolerates them: a small stateful wiremock
//! target holds users and answers a script of faults first; the tests check the outcome
//! (the cycle passes, a warning, an admin task, the exit class) and that waits are real.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scim_harness::check;
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::{Created, CycleError, CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::Entra;
use scim_harness::profile::okta::Okta;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BASE: &str = "/scim/v2";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// One scripted answer, given to the next request with this method whose path starts so.
struct Fault {
    method: &'static str,
    path: &'static str,
    status: u16,
    retry_after: Option<u64>,
    body: Option<Value>,
}

fn fault(method: &'static str, path: &'static str, status: u16) -> Fault {
    Fault {
        method,
        path,
        status,
        retry_after: None,
        body: None,
    }
}

#[derive(Default)]
struct State {
    users: Vec<Value>,
    faults: VecDeque<Fault>,
    /// Every request as `METHOD path`, with when it came.
    log: Vec<(String, Instant)>,
}

#[derive(Clone, Default)]
struct Target(Arc<Mutex<State>>);

fn list(resources: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(),
        "Resources": resources,
    }))
}

impl Respond for Target {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let path = req.url.path().strip_prefix(BASE).unwrap_or("").to_string();
        s.log
            .push((format!("{} {path}", req.method), Instant::now()));
        let hit = s
            .faults
            .iter()
            .position(|f| f.method == req.method.as_str() && path.starts_with(f.path));
        if let Some(f) = hit.and_then(|i| s.faults.remove(i)) {
            let mut t = ResponseTemplate::new(f.status);
            if let Some(seconds) = f.retry_after {
                t = t.insert_header("Retry-After", seconds.to_string().as_str());
            }
            return match f.body {
                Some(body) => t.set_body_json(body),
                None => t.set_body_json(json!({"detail": "try again later"})),
            };
        }
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/Users") => {
                let wanted = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .and_then(|(_, f)| f.split('"').nth(1).map(str::to_lowercase));
                let found = s
                    .users
                    .iter()
                    .filter(|u| {
                        wanted.as_deref().is_none_or(|w| {
                            u["userName"].as_str().map(str::to_lowercase).as_deref() == Some(w)
                        })
                    })
                    .cloned()
                    .collect();
                list(found)
            }
            ("POST", "/Users") => {
                let mut user: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                user["id"] = json!(format!("u{}", s.users.len() + 1));
                s.users.push(user.clone());
                ResponseTemplate::new(201).set_body_json(user)
            }
            _ => ResponseTemplate::new(501),
        }
    }
}

impl Target {
    async fn start(faults: Vec<Fault>) -> (MockServer, Target, ScimClient) {
        let server = MockServer::start().await;
        let target = Target::default();
        target.0.lock().unwrap().faults = faults.into();
        Mock::given(any())
            .respond_with(target.clone())
            .mount(&server)
            .await;
        let client = ScimClient::new(
            &format!("{}{BASE}", server.uri()),
            Some(Secret::new("transient-test-token")),
            Duration::from_secs(5),
        )
        .expect("client");
        (server, target, client)
    }

    /// When each request `METHOD path` came.
    fn times(&self, line: &str) -> Vec<Instant> {
        let s = self.0.lock().unwrap();
        s.log
            .iter()
            .filter(|(l, _)| l == line)
            .map(|(_, t)| *t)
            .collect()
    }
}

fn tenant_with_ada() -> Tenant {
    let mut tenant = Tenant::new();
    tenant
        .create_user(
            "ada",
            BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text("ada@contoso.com".into()),
            )]),
        )
        .expect("create");
    tenant.assign("ada").expect("assign");
    tenant
}

fn ada(report: &CycleReport) -> Option<&scim_harness::engine::log::LogRecord> {
    report.records.iter().find(|r| r.object == "ada")
}

#[tokio::test]
async fn one_500_on_the_probe_is_retried_and_the_cycle_succeeds_with_a_warning() {
    let (_server, target, client) = Target::start(vec![fault("GET", "/Users", 500)]).await;
    let profile = Entra::from_options(&BTreeMap::new()).expect("entra");
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());
    let report = engine
        .cycle(&tenant_with_ada(), SyncKind::Initial)
        .await
        .expect("the retried probe lets the cycle run");
    assert_eq!(ada(&report).map(|r| r.status), Some(Status::Success));
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert!(
        warning.starts_with("the connection probe GET /Users?filter=")
            && warning.contains("answered 500")
            && warning.contains("try again later")
            && warning.contains("Entra retried it after"),
        "{warning}"
    );
    // The probe is one logical request however often it was tried.
    assert_eq!(
        report.requests.get("GET"),
        Some(&2),
        "{:?}",
        report.requests
    );
    assert!(engine.quarantine().is_none());
    let probes = target.times("GET /Users");
    assert!(probes[1] - probes[0] >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_probe_that_keeps_answering_500_is_a_finding_not_a_setup_error() {
    let faults = (0..3).map(|_| fault("GET", "/Users", 500)).collect();
    let (_server, target, client) = Target::start(faults).await;
    let profile = Entra::from_options(&BTreeMap::new()).expect("entra");
    let engine = Engine::new(&profile, &client, String::new(), Created::default());
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("three 500s fail the probe");
    assert!(!err.is_target_setup(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("answered HTTP 500")
            && text.contains("3 attempts")
            && text.contains("Entra quarantines"),
        "{text}"
    );
    assert_eq!(target.times("GET /Users").len(), 3);
}

#[tokio::test]
async fn retry_after_is_waited_out_in_wall_time_and_the_user_is_created() {
    let after = |_| Fault {
        retry_after: Some(1),
        ..fault("POST", "/Users", 429)
    };
    let (_server, target, client) = Target::start((0..2).map(after).collect()).await;
    let profile = Entra::from_options(&BTreeMap::new()).expect("entra");
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());
    let tenant = tenant_with_ada();
    let mut created = false;
    let mut kind = SyncKind::Initial;
    for _ in 0..6 {
        let report = engine.cycle(&tenant, kind).await.expect("cycle");
        kind = SyncKind::Incremental;
        if ada(&report).is_some_and(|r| r.status == Status::Success) {
            created = true;
            break;
        }
    }
    assert!(
        created,
        "ada is created once the target stops answering 429"
    );
    let posts = target.times("POST /Users");
    assert_eq!(posts.len(), 3, "two 429s, then the create");
    for pair in posts.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_secs(1),
            "a retry came {:?} after a 429 with Retry-After: 1",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn honoured_retry_after_waits_within_the_cycle() {
    let after = Fault {
        retry_after: Some(1),
        ..fault("POST", "/Users", 429)
    };
    let (_server, target, client) = Target::start(vec![after]).await;
    let options = BTreeMap::from([("retry_after".to_string(), "honor".to_string())]);
    let profile = Entra::from_options(&options).expect("entra");
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());
    let report = engine
        .cycle(&tenant_with_ada(), SyncKind::Initial)
        .await
        .expect("cycle");
    assert_eq!(ada(&report).map(|r| r.status), Some(Status::Success));
    assert_eq!(report.requests.get("POST"), Some(&1));
    let posts = target.times("POST /Users");
    assert_eq!(posts.len(), 2);
    assert!(posts[1] - posts[0] >= Duration::from_secs(1));
}

#[tokio::test]
async fn okta_raises_an_admin_task_for_a_500_and_never_retries_it() {
    let (_server, target, client) = Target::start(vec![fault("POST", "/Users", 500)]).await;
    let profile = Okta::from_options(&BTreeMap::new()).expect("okta");
    let mut engine = Engine::new(&profile, &client, String::new(), Created::default());
    let tenant = tenant_with_ada();
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("push");
    let rec = ada(&report).expect("a record for ada");
    assert_eq!(rec.status, Status::Failure);
    assert_eq!(rec.error_code.as_deref(), Some("InternalServerError"));
    let reason = rec.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("HTTP 500")
            && reason
                .contains("Okta raises an admin task (\"Automatic provisioning of user ada to app")
            && reason.ends_with("and does not retry; an admin must retry it"),
        "{reason}"
    );
    assert!(engine.escrowed().is_empty(), "nothing waits for a retry");
    let next = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("next push");
    assert!(ada(&next).is_none(), "{:?}", next.records);
    assert_eq!(target.times("POST /Users").len(), 1);
}

#[tokio::test]
async fn an_okta_probe_without_items_per_page_is_a_finding_naming_the_field() {
    let body =
        json!({"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "Resources": []});
    let probe = Fault {
        body: Some(body),
        ..fault("GET", "/Users", 200)
    };
    let (_server, _target, client) = Target::start(vec![probe]).await;
    let profile = Okta::from_options(&BTreeMap::new()).expect("okta");
    let engine = Engine::new(&profile, &client, String::new(), Created::default());
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("Okta needs integer itemsPerPage");
    assert!(!err.is_target_setup(), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("`itemsPerPage` is missing")
            && !text.contains("totalResults")
            && text.contains("Okta")
            && !text.contains("Entra"),
        "{text}"
    );
}

#[tokio::test]
async fn refused_credentials_and_a_wrong_base_url_are_the_target_setup() {
    for (status, setup) in [(401, true), (403, true), (404, true), (400, false)] {
        let (_server, _target, client) = Target::start(vec![fault("GET", "/Users", status)]).await;
        let profile = Entra::from_options(&BTreeMap::new()).expect("entra");
        let engine = Engine::new(&profile, &client, String::new(), Created::default());
        let err = engine
            .test_connection(&mut CycleReport::default())
            .await
            .expect_err("the probe fails");
        assert_eq!(err.is_target_setup(), setup, "{status}: {err}");
        assert_eq!(err.status(), Some(status));
    }
    let unreachable = ScimClient::new("http://127.0.0.1:9/scim/v2", None, Duration::from_secs(2))
        .expect("client");
    let profile = Entra::from_options(&BTreeMap::new()).expect("entra");
    let engine = Engine::new(&profile, &unreachable, String::new(), Created::default());
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(err, CycleError::Unreachable(_)) && err.is_target_setup(),
        "{err}"
    );
}

#[tokio::test]
async fn a_read_back_retries_a_503() {
    let (_server, target, client) = Target::start(vec![fault("GET", "/Users", 503)]).await;
    target
        .0
        .lock()
        .unwrap()
        .users
        .push(json!({"id": "u1", "userName": "ada@contoso.com"}));
    let found = check::users_named(&client, "ada@contoso.com")
        .await
        .expect("the retry reads ada");
    assert_eq!(found.len(), 1);
    assert_eq!(target.times("GET /Users").len(), 2);
}
