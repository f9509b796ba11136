//! A hostile SCIM server for the safety tests: the built-in reference server behind a small
//! in-process proxy (127.0.0.1 only) that misbehaves in exactly one way, its `Mode`. The
//! reference server keeps the directory honest, so whatever goes wrong in a run is the
//! harness's reaction to that one misbehaviour. The proxy also logs every request line, so a
//! test can prove what the harness never sent.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use scim_harness::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

mod answer;
mod forward;
mod member_race;
mod mode;
mod proxy;

use forward::forward;
pub use mode::Mode;

/// The token the harness is given; long enough to be scrubbed (8+ characters).
pub const TOKEN: &str = "hostile-token-5d1e9b7c2a84";
/// A second token the server accepts, for `--next-token`.
pub const NEXT_TOKEN: &str = "hostile-next-token-8f3a60d2c1";
/// The reference server's own token, used only by the tests to seed and inspect it.
const INNER_TOKEN: &str = "inner-token-not-given-to-the-harness";

pub struct Hostile {
    pub inner: RunningServer,
    pub url: String,
    state: Arc<Proxy>,
    task: tokio::task::JoinHandle<()>,
}

struct Proxy {
    mode: Mode,
    inner_base: String,
    http: reqwest::Client,
    /// Every request line the harness sent, raw: `DELETE /scim/v2/Users/x`.
    requests: Mutex<Vec<String>>,
    /// Fake id the proxy handed out → the reference server's id.
    fake_to_real: Mutex<BTreeMap<String, String>>,
    real_to_fake: Mutex<BTreeMap<String, Value>>,
    /// A user the run did not create, for `TraversalId`.
    victim: Mutex<Option<String>>,
    /// Every object `seed` made.
    seeded: Mutex<Vec<String>>,
    served: AtomicUsize,
    /// `GhostAfterDelete`: what each deleted resource looked like.
    ghosts: Mutex<BTreeMap<String, Value>>,
    counter: AtomicU64,
    updates: AtomicUsize,
    /// Group id → member entries its answers list on top of what the server holds.
    extra_members: Mutex<BTreeMap<String, Vec<Value>>>,
    /// `LosesOverlappingMemberWrites`: one member write applied at a time, after its stale read.
    member_writes: tokio::sync::Mutex<()>,
}

/// What the pre-existing directory looked like: id → `meta.version` of each user and group.
pub type Versions = BTreeMap<String, String>;

impl Hostile {
    pub async fn start(mode: Mode) -> Hostile {
        let inner = server::start(ServerConfig {
            tokens: vec![INNER_TOKEN.into(), TOKEN.into(), NEXT_TOKEN.into()],
            ..ServerConfig::default()
        })
        .await
        .expect("reference server starts");
        let state = Arc::new(Proxy {
            mode,
            inner_base: inner.base_url().to_string(),
            http: reqwest::Client::new(),
            requests: Mutex::new(vec![]),
            fake_to_real: Mutex::new(BTreeMap::new()),
            real_to_fake: Mutex::new(BTreeMap::new()),
            victim: Mutex::new(None),
            seeded: Mutex::new(vec![]),
            served: AtomicUsize::new(0),
            ghosts: Mutex::new(BTreeMap::new()),
            counter: AtomicU64::new(0),
            updates: AtomicUsize::new(0),
            extra_members: Mutex::new(BTreeMap::new()),
            member_writes: tokio::sync::Mutex::new(()),
        });
        let (addr, task) = serve(
            axum::Router::new()
                .fallback(forward)
                .with_state(state.clone()),
        )
        .await;
        Hostile {
            inner,
            url: format!("http://{addr}/scim/v2"),
            state,
            task,
        }
    }

    /// Three users and a group that the run did not create: what it must never touch.
    pub async fn seed(&self) -> Versions {
        let mut ids = vec![];
        for name in ["Alice@Contoso.com", "bob@fabrikam.com", "carol@contoso.com"] {
            let u = self
                .inner_send(
                    Method::POST,
                    "/Users",
                    Some(
                        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": name, "active": true, "externalId": format!("pre-{name}")}),
                    ),
                )
                .await;
            ids.push(u["id"].as_str().expect("id").to_string());
        }
        let group = self
            .inner_send(
                Method::POST,
                "/Groups",
                Some(
                    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Pre-existing admins", "members": [{"value": ids[0]}]}),
                ),
            )
            .await;
        ids.push(group["id"].as_str().expect("id").to_string());
        *self.state.victim.lock().expect("lock") = Some(ids[0].clone());
        *self.state.seeded.lock().expect("lock") = ids;
        self.versions().await
    }

    /// id → `meta.version` of every user and group the reference server holds.
    pub async fn versions(&self) -> Versions {
        let mut out = Versions::new();
        for endpoint in ["/Users", "/Groups"] {
            let list = self
                .inner_send(Method::GET, &format!("{endpoint}?count=1000"), None)
                .await;
            for r in list["Resources"].as_array().cloned().unwrap_or_default() {
                out.insert(
                    r["id"].as_str().unwrap_or_default().to_string(),
                    r["meta"]["version"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
        out
    }

    /// userNames and displayNames on the reference server that carry `prefix`: what a run
    /// with that prefix left behind.
    pub async fn left_by(&self, prefix: &str) -> Vec<String> {
        let mut out = vec![];
        for (endpoint, attr) in [("/Users", "userName"), ("/Groups", "displayName")] {
            let list = self
                .inner_send(Method::GET, &format!("{endpoint}?count=1000"), None)
                .await;
            for r in list["Resources"].as_array().cloned().unwrap_or_default() {
                let name = r[attr].as_str().unwrap_or_default();
                if name.to_lowercase().starts_with(&prefix.to_lowercase()) {
                    out.push(name.to_string());
                }
            }
        }
        out
    }

    /// The ids of the objects `seed` made.
    pub fn seeded_ids(&self) -> Vec<String> {
        self.state.seeded.lock().expect("lock").clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.requests.lock().expect("lock").clone()
    }

    async fn inner_send(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .state
            .http
            .request(method, format!("{}{path}", self.inner.base_url()))
            .bearer_auth(INNER_TOKEN);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = req.send().await.expect("reference server answers");
        resp.json().await.unwrap_or(Value::Null)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A second host that must never hear from the harness: counts what reaches it.
pub struct Elsewhere {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Elsewhere {
    pub async fn start() -> Elsewhere {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                (StatusCode::CREATED, "{}")
            }
        });
        let (addr, task) = serve(app).await;
        Elsewhere {
            url: format!("http://{addr}/elsewhere/scim/v2"),
            hits,
            task,
        }
    }
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `app` on an ephemeral 127.0.0.1 port until the handle is aborted.
async fn serve(app: axum::Router) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}
