//! Whatever the server answers, a run never harms the tenant it tests: a small stateful
//! wiremock target that can ignore `filter`, lose create answers, hand out numeric ids or
//! refuse DELETEs, and the requests the harness sends to it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::log::LogRecord;
use scim_harness::engine::runner::cleanup;
use scim_harness::engine::{Created, Engine};
use scim_harness::idp::Tenant;
use scim_harness::profile::entra::Entra;
use scim_harness::profile::okta::Okta;
use scim_harness::scenario::model::{AttrValue, Status, SyncKind, UserAttr};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BASE: &str = "/scim/v2";
const INCOMPATIBLE: &str = "SystemForCrossDomainIdentityManagementServiceIncompatible";

#[derive(Default)]
struct State {
    users: Vec<Value>,
    /// Answer every filter with every user, as a server that ignores `filter` does.
    ignore_filter: bool,
    /// Answer POST only after this long (the client gives up first); the user is stored.
    post_delay: Option<Duration>,
    /// The id the next POST stores and answers.
    next_id: Value,
    /// Ids whose DELETE answers 500.
    refuse_delete: Vec<String>,
    /// Every request as `METHOD path?query`.
    log: Vec<String>,
}

#[derive(Clone, Default)]
struct Target(Arc<Mutex<State>>);

fn list(resources: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(),
        "Resources": resources,
    }))
}

impl Respond for Target {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let path = req.url.path().strip_prefix(BASE).unwrap_or("").to_string();
        let line = match req.url.query() {
            Some(q) => format!("{} {path}?{q}", req.method),
            None => format!("{} {path}", req.method),
        };
        s.log.push(line);
        let id_of = |u: &Value| {
            u.get("id")
                .map(|i| i.as_str().map_or(i.to_string(), str::to_string))
        };
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/Users") => {
                let filter: Option<String> = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .map(|(_, v)| v.into_owned());
                let wanted = filter
                    .as_deref()
                    .and_then(|f| f.split('"').nth(1))
                    .map(str::to_lowercase);
                let found = s
                    .users
                    .iter()
                    .filter(|u| {
                        s.ignore_filter
                            || wanted.as_deref().is_none_or(|w| {
                                u["userName"].as_str().map(str::to_lowercase).as_deref() == Some(w)
                            })
                    })
                    .cloned()
                    .collect();
                list(found)
            }
            ("POST", "/Users") => {
                let mut user: Value = serde_json::from_slice(&req.body).unwrap();
                user["id"] = s.next_id.clone();
                s.users.push(user.clone());
                let t = ResponseTemplate::new(201).set_body_json(user);
                match s.post_delay {
                    Some(d) => t.set_delay(d),
                    None => t,
                }
            }
            (method, p) if p.starts_with("/Users/") => {
                let raw = &p["/Users/".len()..];
                let id = &*percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
                let at = s.users.iter().position(|u| id_of(u).as_deref() == Some(id));
                match (method, at) {
                    ("DELETE", _) if s.refuse_delete.iter().any(|r| r == id) => {
                        ResponseTemplate::new(500)
                    }
                    ("DELETE", Some(i)) => {
                        s.users.remove(i);
                        ResponseTemplate::new(204)
                    }
                    ("GET", Some(i)) => {
                        ResponseTemplate::new(200).set_body_json(s.users[i].clone())
                    }
                    _ => ResponseTemplate::new(404),
                }
            }
            _ => ResponseTemplate::new(501),
        }
    }
}

impl Target {
    async fn start(next_id: Value) -> (MockServer, Target) {
        let server = MockServer::start().await;
        let target = Target::default();
        target.0.lock().unwrap().next_id = next_id;
        Mock::given(any())
            .respond_with(target.clone())
            .mount(&server)
            .await;
        (server, target)
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }

    /// Requests that write (anything but GET).
    fn writes(&self) -> Vec<String> {
        self.with(|s| {
            s.log
                .iter()
                .filter(|l| !l.starts_with("GET "))
                .cloned()
                .collect()
        })
    }
}

fn client(server: &MockServer, timeout: Duration) -> ScimClient {
    ScimClient::new(
        &format!("{}{BASE}", server.uri()),
        Some(Secret::new("ownership-test-token")),
        timeout,
    )
    .expect("client")
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

fn bob() -> Value {
    json!({"id": "bob-1", "userName": "bob@other.com", "active": true})
}

/// One cycle of a fresh Entra job over a tenant holding `ada`: what the run created, and
/// the log record for `ada`.
async fn entra_cycle(client: &ScimClient) -> (Created, LogRecord) {
    let profile = Entra::from_options(&BTreeMap::new()).expect("entra");
    let created = Created::default();
    let mut engine = Engine::new(&profile, client, "shx-".into(), created.clone());
    let report = engine
        .cycle(&tenant_with_ada(), SyncKind::Initial)
        .await
        .expect("cycle");
    let rec = report
        .records
        .into_iter()
        .find(|r| r.object == "ada")
        .expect("a record");
    (created, rec)
}

#[tokio::test]
async fn okta_never_adopts_an_unrelated_user_from_an_ignored_filter() {
    let (server, target) = Target::start(json!("new-1")).await;
    target.with(|s| {
        s.users.push(bob());
        s.ignore_filter = true;
    });
    let client = client(&server, Duration::from_secs(10));
    let profile = Okta::from_options(&BTreeMap::new()).expect("okta");
    let created = Created::default();
    let mut engine = Engine::new(&profile, &client, "shx-".into(), created.clone());
    let tenant = tenant_with_ada();
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("cycle");

    let rec = report
        .records
        .iter()
        .find(|r| r.object == "ada")
        .expect("a record");
    assert_eq!(rec.status, Status::Failure);
    assert_eq!(rec.error_code.as_deref(), Some(INCOMPATIBLE));
    let reason = rec.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("the server ignored the filter: GET /Users?filter=userName+eq+"),
        "{reason}"
    );
    assert!(
        reason.contains(r#"whose userName is "bob@other.com""#),
        "{reason}"
    );
    assert!(
        reason.ends_with("a filter answer that does not match the filter is never adopted"),
        "{reason}"
    );
    assert!(engine
        .link(&tenant.user("ada").unwrap().object_id)
        .is_none());
    // Nothing written at all, and bob never touched.
    assert_eq!(target.writes(), Vec::<String>::new());
    assert!(target.with(|s| s.log.iter().all(|l| !l.contains("bob-1"))));

    let done = cleanup(&client, &created).await;
    assert_eq!(done.left, Vec::<String>::new());
    assert!(target.with(|s| s.users.len()) == 1, "bob is still there");
}

#[tokio::test]
async fn a_create_whose_answer_never_came_is_found_by_name_and_deleted() {
    let (server, target) = Target::start(json!("ada-1")).await;
    target.with(|s| s.post_delay = Some(Duration::from_secs(3)));
    let client = client(&server, Duration::from_secs(1));
    let (created, rec) = entra_cycle(&client).await;
    assert_eq!(rec.error_code.as_deref(), Some("Timeout"));
    let pending = created.newest_first();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, None);
    let name = pending[0].name.clone().expect("the userName sent");

    // The server stored the user; a filter-ignoring answer also brings bob, who is not ours.
    target.with(|s| {
        s.users.push(bob());
        s.ignore_filter = true;
        s.log.clear();
    });
    let done = cleanup(&client, &created).await;
    assert_eq!(done.deleted, vec![format!("Users ada-1 (userName {name})")]);
    assert_eq!(done.left, Vec::<String>::new());
    assert_eq!(target.writes(), vec!["DELETE /Users/ada-1".to_string()]);
    assert_eq!(target.with(|s| s.users.clone()), vec![bob()]);
}

#[tokio::test]
async fn a_refused_delete_is_left_with_its_name() {
    let (server, target) = Target::start(json!("ada-1")).await;
    target.with(|s| s.refuse_delete.push("ada-1".into()));
    let client = client(&server, Duration::from_secs(10));
    let (created, _) = entra_cycle(&client).await;
    let name = created.newest_first()[0].name.clone().expect("name");

    let done = cleanup(&client, &created).await;
    assert_eq!(done.deleted, Vec::<String>::new());
    assert_eq!(
        done.left,
        vec![format!(
            "Users ada-1 (userName {name}): DELETE answered 500"
        )]
    );
    assert!(!done.is_clean());
}

#[tokio::test]
async fn a_numeric_id_is_a_finding_and_never_a_request_to_the_collection() {
    let (server, target) = Target::start(json!(42)).await;
    let client = client(&server, Duration::from_secs(10));
    let (created, rec) = entra_cycle(&client).await;
    assert_eq!(rec.status, Status::Failure);
    assert_eq!(
        rec.reason.as_deref(),
        Some("POST /Users answered 201 but the server's id is the number 42, not a string; the object cannot be addressed")
    );

    let done = cleanup(&client, &created).await;
    assert_eq!(done.deleted, Vec::<String>::new());
    assert_eq!(done.left.len(), 1, "{:?}", done.left);
    assert!(
        done.left[0].contains("the server's id is the number 42"),
        "{:?}",
        done.left
    );
    assert_eq!(target.writes(), vec!["POST /Users".to_string()]);
}

#[tokio::test]
async fn ids_with_path_syntax_stay_one_segment() {
    let (server, target) = Target::start(json!("../Users/bob-1")).await;
    target.with(|s| s.users.push(bob()));
    let client = client(&server, Duration::from_secs(10));
    let (created, _) = entra_cycle(&client).await;

    let done = cleanup(&client, &created).await;
    assert_eq!(done.left, Vec::<String>::new());
    assert_eq!(done.deleted.len(), 1, "{:?}", done.deleted);
    assert_eq!(
        target.writes(),
        vec![
            "POST /Users".to_string(),
            "DELETE /Users/%2E%2E%2FUsers%2Fbob-1".to_string()
        ]
    );
    assert_eq!(
        target.with(|s| s.users.clone()),
        vec![bob()],
        "ada gone, bob untouched"
    );
}

#[tokio::test]
async fn read_backs_never_attribute_an_unrelated_user_to_the_run() {
    let (server, target) = Target::start(json!("x")).await;
    target.with(|s| {
        s.users.push(bob());
        s.ignore_filter = true;
    });
    let client = client(&server, Duration::from_secs(10));
    let found = scim_harness::check::users_named(&client, "shx-ada@contoso.com")
        .await
        .expect("read");
    assert_eq!(found, Vec::<Value>::new());
    let found = scim_harness::check::users_named(&client, "BOB@other.com")
        .await
        .expect("read");
    assert_eq!(found, vec![bob()]);
}
