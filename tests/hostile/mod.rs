//! A hostile SCIM server for the safety tests: the built-in reference server behind a small
//! in-process proxy (127.0.0.1 only) that misbehaves in exactly one way, its `Mode`. The
//! reference server keeps the directory honest, so whatever goes wrong in a run is the
//! harness's reaction to that one misbehaviour. The proxy also logs every request line, so a
//! test can prove what the harness never sent.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use scim_harness::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

mod member_race;

/// The token the harness is given; long enough to be scrubbed (8+ characters).
pub const TOKEN: &str = "hostile-token-5d1e9b7c2a84";
/// A second token the server accepts, for `--next-token`.
pub const NEXT_TOKEN: &str = "hostile-next-token-8f3a60d2c1";
/// The reference server's own token, used only by the tests to seed and inspect it.
const INNER_TOKEN: &str = "inner-token-not-given-to-the-harness";

/// The one way the server misbehaves.
#[derive(Debug, Clone)]
pub enum Mode {
    Honest,
    /// Listings ignore `filter`: every query answers with the whole directory.
    IgnoreFilter,
    /// Create answers carry the id `../Users/<id of a user the run did not create>`.
    TraversalId,
    /// Create answers carry ids made of path syntax: `a/b?c=d#e f<n>`.
    PathSyntaxId,
    /// Create answers (and every later answer) carry the id as a JSON number.
    NumericId,
    /// Create answers (and every later answer) carry no `id`.
    MissingId,
    /// Every JSON answer repeats the Authorization header in `nickName`, and the first
    /// write is answered 500 with the header in its `detail`.
    EchoToken,
    /// `GET /Users/{id}` answers with a body that never ends.
    EndlessBody,
    /// The first update is answered 500 with a 3 MB HTML error page.
    HugeErrorPage,
    /// Every request is answered 308 to another host.
    RedirectAll(String),
    /// Every POST is answered 307 to another host.
    RedirectPost(String),
    /// The first request is answered, then nothing ever is.
    HangAfterFirst,
    /// Listings without a filter repeat the same full page forever, `totalResults` 10^9.
    EndlessListing,
    /// `POST /Users` is carried out at once but answered only after `answer_create` (an
    /// answer that may never come); each DELETE waits `delete` before it is carried out.
    Slow {
        answer_create: Duration,
        delete: Duration,
    },
    /// Every DELETE is answered 500.
    DeleteFails,
    /// Every DELETE is answered 204 and not carried out: the object stays.
    KeepsDeleted,
    // Servers that answer wrongly in one realistic way (verdict tests): the run must name
    // the exchange and the server's answer, not only what followed from it.
    /// A PATCH carrying a string boolean (`"False"`) is answered 400.
    RejectsStringBooleans,
    /// RFC 7643 types, strictly: a POST or PATCH carrying `"active"` as a string is answered
    /// 400 `invalidValue`, one carrying `emails` as a lone object 400 `invalidSyntax`
    /// (OneLogin's template drift, idp-behavior.md OL-6).
    StrictTypes,
    /// `emails[].type` is not stored: dropped from what is written and from answers; a PATCH
    /// path filtering on it is answered 400 `noTarget`.
    DropsEmailType,
    /// A PATCH removing `members[value eq …]` is answered 501.
    RejectsMemberFilterRemove,
    /// ListResponses come without `itemsPerPage` and `startIndex`.
    ListWithoutPaging,
    /// Creates are answered 200 instead of 201.
    CreateAnswers200,
    /// Every answer says `Content-Type: text/html` (the body is still JSON).
    HtmlContentType,
    /// The first request is answered 500, everything after correctly.
    FirstRequestFails,
    /// The first two writes are answered 429 with `Retry-After: 1`.
    TooManyRequestsTwice,
    // Servers that break one protocol behaviour (tests/protocol.rs).
    /// Any bearer token, or none, is accepted.
    AcceptAnyToken,
    /// Creates are answered without a `Location` header.
    NoLocation,
    /// `active: false` on a create is stored as true.
    StoresActiveTrue,
    /// The enterprise `manager` is dropped from what is written.
    DropsManager,
    /// A create refused with 409 is carried out under another userName and answered 201.
    DuplicateCreated,
    /// `userName eq` compares case-sensitively.
    CaseSensitiveUserName,
    /// A filter the server refuses with 400 is answered 200 with every resource.
    BadFilterListsAll,
    /// `excludedAttributes` is ignored.
    IgnoresExcludedAttributes,
    /// `startIndex` and `count` are ignored.
    IgnoresPaging,
    /// `totalResults` counts the page, not every match.
    TotalResultsPerPage,
    /// `count` is ignored: every listing answers up to the server's own maximum (1000).
    IgnoresCount,
    /// `startIndex` is read 0-based: the page asked at `startIndex=s` holds resources s+1…,
    /// answered as if it started at s, so one resource is never listed.
    StartsAtZero,
    /// Listings without a filter come in a new order at every request (the resources
    /// shuffled by a per-request key), so pages overlap and leave gaps.
    ReordersPages,
    /// PATCH ops other than lowercase are answered 400.
    LowercaseOpsOnly,
    /// A PATCH removing `members[value eq …]` removes every member.
    FilteredRemoveRemovesAll,
    /// A group PUT drops the members it carries.
    PutDropsMembers,
    /// A deleted user is still answered 200 by GET.
    GhostAfterDelete,
    /// Discovery endpoints answer 404 with an HTML page.
    NoDiscovery,
    /// Every error is answered as an HTML page.
    HtmlErrors,
    /// GET of an id the server does not hold is answered 200 with an empty object.
    UnknownIdEmpty200,
    /// A filter containing this text is ignored: answered with the whole listing.
    IgnoreFilterWith(&'static str),
    /// A filter whose attribute is spelled `username` in another case than `userName` is
    /// answered 400 `invalidFilter` (attribute names compared case-sensitively).
    CaseSensitiveFilterNames,
    /// ListResponses to a query without a filter carry `totalResults` as a string.
    UnfilteredTotalAsString,
    /// A successful PATCH is answered 200 with an empty body.
    PatchAnswersEmpty200,
    /// Adding a member already present lists it twice from then on.
    ReAddDuplicatesMember,
    /// A user PUT merges: attributes it omits keep their old values.
    PutMerges,
    /// A deleted user is still listed in the members of its groups.
    DeletedUserStaysMember,
    /// `attributes` is ignored.
    IgnoresAttributes,
    /// PATCH ops without a `path` are silently dropped.
    DropsPathLessOps,
    /// A PATCH replacing `emails[type eq …].value` sets every email's value.
    ValuePathReplacesAll,
    /// Answers carry no `ETag` header (while /ServiceProviderConfig says etag.supported).
    NoEtagHeader,
    /// A user create reads the user table, works for a moment and writes the table back
    /// whole: a create that another create overlaps is answered 201 and then overwritten
    /// (a lost update). Creates one at a time are all kept.
    LosesOverlappingCreates,
    /// A group PATCH or PUT that touches members reads the group, works for ~20 ms, then
    /// writes the whole member list back: what it read plus its own change
    /// (`member_race.rs`). Membership writes that overlap undo each other's members; one at
    /// a time they all hold.
    LosesOverlappingMemberWrites,
}

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

fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap_or_default()
}

fn scim(status: u16, body: &Value) -> Response {
    reply(status, "application/scim+json", body.to_string())
}

/// The path segment after `/Users/` or `/Groups/`, decoded, and the rest of the path.
fn split_id(path: &str) -> Option<(&str, String)> {
    let rest = path.strip_prefix("/scim/v2/")?;
    let (endpoint, id) = rest.split_once('/')?;
    Some((
        endpoint,
        percent_decode_str(id).decode_utf8_lossy().into_owned(),
    ))
}

async fn forward(
    State(p): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let line = format!(
        "{method} {}",
        uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
    );
    p.requests.lock().expect("lock").push(line);
    let nth = p.served.fetch_add(1, Ordering::SeqCst);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let by_id = split_id(&path);
    let listing = by_id.is_none() && method == Method::GET;
    let update = method == Method::PATCH || method == Method::PUT;

    match &p.mode {
        Mode::HangAfterFirst if nth > 0 => std::future::pending::<()>().await,
        Mode::RedirectAll(other) => {
            return redirect(308, other, &path);
        }
        Mode::RedirectPost(other) if method == Method::POST => {
            return redirect(307, other, &path);
        }
        Mode::Slow { delete, .. } if method == Method::DELETE => tokio::time::sleep(*delete).await,
        Mode::RejectsStringBooleans
            if method == Method::PATCH
                && (body_has(&body, "\"False\"") || body_has(&body, "\"True\"")) =>
        {
            return scim_error(400, Some("invalidValue"), "active must be a boolean");
        }
        Mode::StrictTypes
            if (method == Method::POST || method == Method::PATCH)
                && (body_has(&body, "\"active\":\"true\"")
                    || body_has(&body, "\"active\":\"false\"")) =>
        {
            return scim_error(400, Some("invalidValue"), "active must be a boolean");
        }
        Mode::StrictTypes
            if (method == Method::POST || method == Method::PATCH)
                && body_has(&body, "\"emails\":{") =>
        {
            return scim_error(400, Some("invalidSyntax"), "emails must be an array");
        }
        Mode::DropsEmailType if method == Method::PATCH && body_has(&body, "emails[type eq") => {
            return scim_error(
                400,
                Some("noTarget"),
                "no such attribute: emails[type eq \"work\"]",
            );
        }
        Mode::RejectsMemberFilterRemove
            if method == Method::PATCH && body_has(&body, "members[value eq") =>
        {
            return scim_error(501, None, "filtered member removal is not implemented");
        }
        Mode::CaseSensitiveFilterNames
            if listing
                && decoded_filter(&query)
                    .split(' ')
                    .next()
                    .is_some_and(|a| a.eq_ignore_ascii_case("userName") && a != "userName") =>
        {
            return scim_error(400, Some("invalidFilter"), "unknown attribute");
        }
        Mode::FirstRequestFails if nth == 0 => {
            return scim_error(500, None, "warming up");
        }
        Mode::TooManyRequestsTwice
            if method != Method::GET && p.updates.fetch_add(1, Ordering::SeqCst) < 2 =>
        {
            let mut r = scim_error(429, None, "slow down");
            r.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
            return r;
        }
        Mode::KeepsDeleted if method == Method::DELETE => {
            return Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .unwrap_or_default();
        }
        Mode::DeleteFails if method == Method::DELETE => {
            return scim(
                500,
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "500", "detail": "deletes are broken today"}),
            );
        }
        Mode::EndlessBody if method == Method::GET && by_id.is_some() => {
            let chunk = Bytes::from(vec![b' '; 64 * 1024]);
            let stream =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            return reply(200, "application/scim+json", Body::from_stream(stream));
        }
        Mode::HugeErrorPage if update && p.updates.fetch_add(1, Ordering::SeqCst) == 0 => {
            let page = format!("<html><body>{}</body></html>", "x".repeat(3 * 1024 * 1024));
            return reply(500, "text/html", page);
        }
        Mode::EchoToken
            if method != Method::GET && p.updates.fetch_add(1, Ordering::SeqCst) == 0 =>
        {
            return scim(
                500,
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "500", "detail": format!("rejected credentials {auth}")}),
            );
        }
        Mode::EndlessListing if listing && !query.contains("filter") => {
            let start: u64 = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("startIndex="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let page: Vec<Value> = (0..100)
                .map(|i| json!({"id": format!("loop-{i}"), "userName": format!("loop{i}@x.com")}))
                .collect();
            return scim(
                200,
                &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 1_000_000_000u64, "startIndex": start, "itemsPerPage": 100, "Resources": page}),
            );
        }
        _ => {}
    }

    // `LosesOverlappingCreates`: the table is read now and written back after the pause;
    // a create that began meanwhile writes after this one, from a table without it.
    let lost_create = if matches!(p.mode, Mode::LosesOverlappingCreates)
        && method == Method::POST
        && path.ends_with("/Users")
    {
        let read_at = p.counter.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        p.counter.load(Ordering::SeqCst) != read_at
    } else {
        false
    };

    match &p.mode {
        Mode::NoDiscovery
            if ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"]
                .iter()
                .any(|d| path.contains(d)) =>
        {
            return reply(404, "text/html", "<h1>Not Found</h1>");
        }
        Mode::LowercaseOpsOnly
            if method == Method::PATCH
                && ["\"op\":\"R", "\"op\":\"A", "\"op\":\"r", "\"op\":\"a"]
                    .iter()
                    .any(|n| body_has(&body, n))
                && !["\"op\":\"replace\"", "\"op\":\"add\"", "\"op\":\"remove\""]
                    .iter()
                    .any(|n| body_has(&body, n)) =>
        {
            return scim_error(400, Some("invalidSyntax"), "unknown op");
        }
        Mode::GhostAfterDelete if method == Method::GET => {
            if let Some((_, id)) = &by_id {
                if let Some(ghost) = p.ghosts.lock().expect("lock").get(id) {
                    return scim(200, ghost);
                }
            }
        }
        _ => {}
    }
    if matches!(p.mode, Mode::GhostAfterDelete) && method == Method::DELETE {
        if let Some((_, id)) = &by_id {
            let inner_path = path.strip_prefix("/scim/v2").unwrap_or(&path).to_string();
            let user = p
                .http
                .get(format!("{}{inner_path}", p.inner_base))
                .bearer_auth(TOKEN)
                .send()
                .await;
            if let Ok(r) = user {
                if let Ok(json) = r.json::<Value>().await {
                    p.ghosts.lock().expect("lock").insert(id.clone(), json);
                }
            }
        }
    }

    // Translate a fake id back to the reference server's.
    let mut inner_path = path.strip_prefix("/scim/v2").unwrap_or(&path).to_string();
    if let Some((endpoint, id)) = &by_id {
        if let Some(real) = p.fake_to_real.lock().expect("lock").get(id) {
            inner_path = format!(
                "/{endpoint}/{}",
                utf8_percent_encode(real, NON_ALPHANUMERIC)
            );
        }
    }
    if matches!(p.mode, Mode::LosesOverlappingMemberWrites)
        && update
        && matches!(&by_id, Some(("Groups", _)))
        && body_has(&body, "members")
    {
        return p.racy_member_write(method, &inner_path, body).await;
    }
    let mut inner_query = query.clone();
    let dropped: &[&str] = match p.mode {
        Mode::IgnoresCount => &["count="],
        Mode::IgnoresExcludedAttributes => &["excludedAttributes="],
        Mode::IgnoresPaging => &["startIndex=", "count="],
        Mode::IgnoresAttributes => &["attributes="],
        _ => &[],
    };
    inner_query = inner_query
        .split('&')
        .filter(|kv| !dropped.iter().any(|d| kv.starts_with(d)))
        .collect::<Vec<_>>()
        .join("&");
    let asked_start: Option<u64> = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("startIndex="))
        .and_then(|v| v.parse().ok());
    if let (Mode::StartsAtZero, true, Some(start)) = (&p.mode, listing, asked_start) {
        inner_query = inner_query
            .split('&')
            .map(|kv| match kv.strip_prefix("startIndex=") {
                Some(_) => format!("startIndex={}", start + 1),
                None => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
    }
    if matches!(p.mode, Mode::ReordersPages) && listing && !query.contains("filter=") {
        return p.reordered(&inner_path, &query, &auth).await;
    }
    let ignored = match p.mode {
        Mode::IgnoreFilter => true,
        Mode::IgnoreFilterWith(needle) => decoded_filter(&query).contains(needle),
        _ => false,
    };
    if ignored {
        inner_query = query
            .split('&')
            .filter(|kv| !kv.starts_with("filter="))
            .collect::<Vec<_>>()
            .join("&");
    }
    let url = if inner_query.is_empty() {
        format!("{}{inner_path}", p.inner_base)
    } else {
        format!("{}{inner_path}?{inner_query}", p.inner_base)
    };
    let mut req = p.http.request(method.clone(), url.clone());
    if matches!(p.mode, Mode::AcceptAnyToken) {
        req = req.bearer_auth(TOKEN);
    } else if !auth.is_empty() {
        req = req.header("authorization", auth.clone());
    }
    if let Some(ct) = headers.get("content-type") {
        req = req.header("content-type", ct.clone());
    }
    // What the resource looks like before the request, for the modes that misapply it.
    let before = match (&p.mode, &by_id) {
        (Mode::ReAddDuplicatesMember | Mode::ValuePathReplacesAll, Some(_))
            if method == Method::PATCH =>
        {
            p.inner_get(&inner_path).await
        }
        (Mode::PutMerges, Some(("Users", _))) if method == Method::PUT => {
            p.inner_get(&inner_path).await
        }
        _ => None,
    };
    if let (Mode::ReAddDuplicatesMember, Some((_, id)), Some(group)) = (&p.mode, &by_id, &before) {
        let present: Vec<Value> = group["members"].as_array().cloned().unwrap_or_default();
        let ops = serde_json::from_slice::<Value>(&body).unwrap_or_default();
        for op in ops["Operations"].as_array().cloned().unwrap_or_default() {
            if op["path"] != json!("members") {
                continue;
            }
            for m in op["value"].as_array().cloned().unwrap_or_default() {
                if let Some(old) = present.iter().find(|e| e["value"] == m["value"]) {
                    p.extra_members
                        .lock()
                        .expect("lock")
                        .entry(id.clone())
                        .or_default()
                        .push(old.clone());
                }
            }
        }
    }
    if let (Mode::DeletedUserStaysMember, Some(("Users", id))) = (&p.mode, &by_id) {
        if method == Method::DELETE {
            let groups = p.inner_get("/Groups?count=1000").await.unwrap_or_default();
            for g in groups["Resources"].as_array().cloned().unwrap_or_default() {
                let members = g["members"].as_array().cloned().unwrap_or_default();
                if let Some(m) = members.iter().find(|m| m["value"] == json!(id)) {
                    p.extra_members
                        .lock()
                        .expect("lock")
                        .entry(g["id"].as_str().unwrap_or_default().to_string())
                        .or_default()
                        .push(m.clone());
                }
            }
        }
    }
    let body = match p.mode {
        Mode::PutMerges if before.is_some() => rewrite(body, |j| {
            let old = before.clone().unwrap_or_default();
            if let (Some(obj), Some(old)) = (j.as_object_mut(), old.as_object()) {
                for (k, v) in old {
                    obj.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }),
        Mode::ValuePathReplacesAll if before.is_some() => rewrite(body, |j| {
            let old = before.clone().unwrap_or_default();
            if let Some(ops) = j.get_mut("Operations").and_then(Value::as_array_mut) {
                for op in ops.iter_mut() {
                    let filtered = op["path"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("emails[") && p.ends_with("].value"));
                    if filtered {
                        let mut emails = old["emails"].as_array().cloned().unwrap_or_default();
                        for e in emails.iter_mut() {
                            e["value"] = op["value"].clone();
                        }
                        *op = json!({"op": "replace", "path": "emails", "value": emails});
                    }
                }
            }
        }),
        Mode::DropsPathLessOps if method == Method::PATCH => rewrite(body, |j| {
            if let Some(ops) = j.get_mut("Operations").and_then(Value::as_array_mut) {
                ops.retain(|op| op.get("path").is_some());
            }
        }),
        Mode::DropsEmailType => drop_email_type(body),
        Mode::StoresActiveTrue if method == Method::POST => rewrite(body, |j| {
            if j.get("active") == Some(&json!(false)) {
                j["active"] = json!(true);
            }
        }),
        Mode::DropsManager => rewrite(body, |j| {
            if let Some(ext) = j.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
                ext.remove("manager");
            }
        }),
        Mode::PutDropsMembers if method == Method::PUT && path.contains("/Groups/") => {
            rewrite(body, |j| {
                if let Some(obj) = j.as_object_mut() {
                    obj.remove("members");
                }
            })
        }
        Mode::FilteredRemoveRemovesAll
            if method == Method::PATCH && body_has(&body, "members[value eq") =>
        {
            Bytes::from(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": "members"}]})
                .to_string(),
            )
        }
        _ => p.undisguise_body(body),
    };
    let sent = body.clone();
    req = req.body(body);
    let Ok(resp) = req.send().await else {
        return reply(502, "text/plain", "reference server unreachable");
    };
    let mut status = resp.status().as_u16();
    let mut kept_headers: Vec<(&'static str, String)> = ["location", "etag", "www-authenticate"]
        .into_iter()
        .filter_map(|h| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(|v| (h, v.to_string()))
        })
        .collect();
    let mut resp = resp;
    if matches!(p.mode, Mode::DuplicateCreated) && method == Method::POST && status == 409 {
        let n = p.counter.fetch_add(1, Ordering::SeqCst);
        let again = rewrite(sent, |j| {
            if let Some(name) = j.get("userName").and_then(Value::as_str) {
                j["userName"] = json!(format!("{name}.dup{n}"));
            }
        });
        let mut retry = p.http.post(url.clone()).bearer_auth(TOKEN).body(again);
        if let Some(ct) = headers.get("content-type") {
            retry = retry.header("content-type", ct.clone());
        }
        if let Ok(r) = retry.send().await {
            status = r.status().as_u16();
            resp = r;
        }
    }
    if matches!(p.mode, Mode::BadFilterListsAll) && listing && status == 400 {
        let all = format!("{}{}", p.inner_base, inner_path);
        if let Ok(r) = p.http.get(all).bearer_auth(TOKEN).send().await {
            status = r.status().as_u16();
            resp = r;
        }
    }
    if matches!(p.mode, Mode::NoLocation) {
        kept_headers.retain(|(h, _)| *h != "location");
    }
    if matches!(p.mode, Mode::NoEtagHeader) {
        kept_headers.retain(|(h, _)| *h != "etag");
    }
    if matches!(p.mode, Mode::PatchAnswersEmpty200)
        && method == Method::PATCH
        && (200..300).contains(&status)
    {
        return reply(200, "application/scim+json", "");
    }
    if matches!(p.mode, Mode::UnknownIdEmpty200)
        && method == Method::GET
        && by_id.is_some()
        && status == 404
    {
        return scim(200, &json!({}));
    }
    if matches!(p.mode, Mode::HtmlErrors) && status >= 400 {
        return reply(
            status,
            "text/html",
            "<html><body><h1>Error</h1></body></html>",
        );
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/scim+json")
        .to_string();
    let text = resp.text().await.unwrap_or_default();
    if let Mode::Slow { answer_create, .. } = &p.mode {
        if method == Method::POST {
            tokio::time::sleep(*answer_create).await;
        }
    }
    let Ok(mut json) = serde_json::from_str::<Value>(&text) else {
        return reply(status, &content_type, text);
    };
    if method == Method::POST && status == 201 {
        p.hand_out_fake_id(&json);
    }
    if lost_create {
        if let Some(id) = json.get("id").and_then(Value::as_str) {
            let url = format!("{}/Users/{id}", p.inner_base);
            let _ = p.http.delete(url).bearer_auth(TOKEN).send().await;
        }
    }
    p.disguise(&mut json);
    let mut content_type = "application/scim+json";
    match p.mode {
        Mode::EchoToken => echo(&mut json, &auth),
        Mode::DropsEmailType => strip_email_type(&mut json),
        Mode::ListWithoutPaging => {
            if let Some(obj) = json.as_object_mut() {
                if obj.contains_key("Resources") {
                    obj.remove("itemsPerPage");
                    obj.remove("startIndex");
                }
            }
        }
        Mode::CreateAnswers200 if status == 201 => status = 200,
        Mode::HtmlContentType => content_type = "text/html; charset=utf-8",
        Mode::CaseSensitiveUserName => {
            let filter = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("filter="))
                .map(|f| {
                    percent_decode_str(&f.replace('+', " "))
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .unwrap_or_default();
            if let Some(value) = filter
                .strip_prefix("userName eq \"")
                .and_then(|v| v.strip_suffix('"'))
            {
                if let Some(list) = json.get_mut("Resources").and_then(Value::as_array_mut) {
                    list.retain(|r| r["userName"].as_str() == Some(value));
                    let n = list.len();
                    json["totalResults"] = json!(n);
                    json["itemsPerPage"] = json!(n);
                }
            }
        }
        Mode::UnfilteredTotalAsString if listing && !query.contains("filter=") => {
            if let Some(n) = json.get("totalResults").cloned() {
                json["totalResults"] = json!(n.to_string());
            }
        }
        Mode::ReAddDuplicatesMember | Mode::DeletedUserStaysMember
            if method == Method::GET && !query.contains("excludedAttributes") =>
        {
            if let Some(("Groups", id)) = &by_id {
                if let Some(extra) = p.extra_members.lock().expect("lock").get(id) {
                    let mut members = json["members"].as_array().cloned().unwrap_or_default();
                    for m in extra {
                        if matches!(p.mode, Mode::ReAddDuplicatesMember) || !members.contains(m) {
                            members.push(m.clone());
                        }
                    }
                    json["members"] = json!(members);
                }
            }
        }
        Mode::StartsAtZero if listing => {
            if let (Some(start), Some(obj)) = (asked_start, json.as_object_mut()) {
                if obj.contains_key("Resources") {
                    obj.insert("startIndex".into(), json!(start));
                }
            }
        }
        Mode::TotalResultsPerPage => {
            if let Some(n) = json
                .get("Resources")
                .and_then(Value::as_array)
                .map(Vec::len)
            {
                json["totalResults"] = json!(n);
            }
        }
        _ => {}
    }
    let mut r = reply(status, content_type, json.to_string());
    for (h, v) in kept_headers {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            r.headers_mut().insert(h, v);
        }
    }
    r
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A JSON body changed by `f`; anything else unchanged.
fn rewrite(body: Bytes, f: impl FnOnce(&mut Value)) -> Bytes {
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut json) => {
            f(&mut json);
            Bytes::from(json.to_string())
        }
        Err(_) => body,
    }
}

/// The `filter` query parameter, decoded; empty without one.
fn decoded_filter(query: &str) -> String {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("filter="))
        .map(|f| {
            percent_decode_str(&f.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default()
}

fn body_has(body: &Bytes, needle: &str) -> bool {
    String::from_utf8_lossy(body).contains(needle)
}

fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> Response {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(), "detail": detail});
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    scim(status, &body)
}

/// Removes `type` from every element of `emails` in a resource or a ListResponse.
fn strip_email_type(json: &mut Value) {
    if let Some(list) = json.get_mut("Resources").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(strip_email_type);
        return;
    }
    if let Some(emails) = json.get_mut("emails").and_then(Value::as_array_mut) {
        for e in emails.iter_mut().filter_map(Value::as_object_mut) {
            e.remove("type");
        }
    }
}

fn drop_email_type(body: Bytes) -> Bytes {
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut json) => {
            strip_email_type(&mut json);
            Bytes::from(json.to_string())
        }
        Err(_) => body,
    }
}

fn redirect(status: u16, other: &str, path: &str) -> Response {
    let to = format!("{other}{}", path.strip_prefix("/scim/v2").unwrap_or(path));
    Response::builder()
        .status(status)
        .header("location", to)
        .body(Body::empty())
        .unwrap_or_default()
}

/// Puts the Authorization header into `nickName` of every resource in an answer.
fn echo(json: &mut Value, auth: &str) {
    if let Some(list) = json.get_mut("Resources").and_then(Value::as_array_mut) {
        for r in list {
            echo(r, auth);
        }
    } else if let Some(obj) = json.as_object_mut() {
        if obj.contains_key("id") {
            obj.insert("nickName".into(), Value::String(auth.to_string()));
        }
    }
}

impl Proxy {
    /// `ReordersPages`: the page asked for, cut from every resource in an order that changes
    /// with each request.
    async fn reordered(&self, inner_path: &str, query: &str, auth: &str) -> Response {
        let param = |name: &str, default: u64| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(name))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        let (start, count) = (param("startIndex=", 1).max(1), param("count=", 1000));
        let all = self
            .http
            .get(format!("{}{inner_path}?count=1000", self.inner_base))
            .header("authorization", auth)
            .send()
            .await;
        let Ok(all) = all else {
            return reply(502, "text/plain", "reference server unreachable");
        };
        let body: Value = all.json().await.unwrap_or_default();
        let mut items = body["Resources"].as_array().cloned().unwrap_or_default();
        let salt = self.counter.fetch_add(1, Ordering::SeqCst);
        items.sort_by_key(|r| {
            let id = r["id"].as_str().unwrap_or_default();
            id.bytes().fold(salt.wrapping_mul(0x9e37_79b9), |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        });
        let page: Vec<Value> = items
            .iter()
            .skip(start as usize - 1)
            .take(count as usize)
            .cloned()
            .collect();
        scim(
            200,
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": items.len(), "startIndex": start,
                "itemsPerPage": page.len(), "Resources": page}),
        )
    }

    /// The reference server's answer to a GET of `inner_path`, as JSON.
    async fn inner_get(&self, inner_path: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}{inner_path}", self.inner_base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    /// A PUT carries the resource back with the id the proxy handed out: swap in the real one.
    fn undisguise_body(&self, body: Bytes) -> Bytes {
        let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        let real = json
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| self.fake_to_real.lock().expect("lock").get(id).cloned());
        match (real, json.as_object_mut()) {
            (Some(real), Some(obj)) => {
                obj.insert("id".into(), Value::String(real));
                Bytes::from(json.to_string())
            }
            _ => body,
        }
    }

    fn hand_out_fake_id(&self, created: &Value) {
        let Some(real) = created.get("id").and_then(Value::as_str) else {
            return;
        };
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let fake = match &self.mode {
            Mode::TraversalId => {
                let victim = self
                    .victim
                    .lock()
                    .expect("lock")
                    .clone()
                    .unwrap_or_default();
                Value::String(format!("../Users/{victim}#{n}"))
            }
            Mode::PathSyntaxId => Value::String(format!("a/b?c=d#e f{n}")),
            Mode::NumericId => json!(4200 + n),
            Mode::MissingId => Value::Null,
            _ => return,
        };
        if let Value::String(s) = &fake {
            self.fake_to_real
                .lock()
                .expect("lock")
                .insert(s.clone(), real.to_string());
        }
        self.real_to_fake
            .lock()
            .expect("lock")
            .insert(real.to_string(), fake);
    }

    /// Replaces real ids by the fake ones handed out (or removes them), in a resource or a
    /// ListResponse.
    fn disguise(&self, json: &mut Value) {
        let map = self.real_to_fake.lock().expect("lock");
        if map.is_empty() {
            return;
        }
        let fix = |r: &mut Value| {
            let Some(obj) = r.as_object_mut() else { return };
            let Some(fake) = obj
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| map.get(id))
                .cloned()
            else {
                return;
            };
            if fake.is_null() {
                obj.remove("id");
            } else {
                obj.insert("id".into(), fake);
            }
        };
        match json.get_mut("Resources").and_then(Value::as_array_mut) {
            Some(list) => list.iter_mut().for_each(fix),
            None => fix(json),
        }
    }
}
