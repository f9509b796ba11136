//! HTTP to the target: bearer auth, timeouts, and a transcript of every exchange with the
//! Authorization header redacted. The token lives in `Secret`, which has no way to print it;
//! nothing here decides what to send (profiles do) or when (the engine does).
//! Whatever the server answers stays bounded and clean: redirects are not followed, bodies
//! are capped, and every secret is replaced before a response, exchange or error leaves here.

mod body;
mod error;
mod oauth;
mod receive;
mod redact;
mod tls;
mod transcript;
mod url;

pub use body::{truncate_text, DEFAULT_MAX_BODY, RECORDED_JSON_MAX, RECORDED_TEXT_MAX};
pub use error::{ClientError, ClientSetupError, FailureKind};
pub use oauth::ClientCredentials;
pub use redact::{
    install_panic_scrubber, redact_passwords, scrub_userinfo, Redactor, MIN_SECRET_LEN, REDACTED,
};
pub use tls::{Transport, TransportError, TransportSettings};
pub use url::{TenantUrl, UrlError};

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::scim::{ScimRequest, Verb, CONTENT_TYPE as SCIM_JSON};

/// A bearer token. Debug and Display never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(token: impl Into<String>) -> Self {
        Secret(token.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }

    /// True when `text` contains the token: tests use it to prove a text never leaks it.
    /// Tokens under 8 characters (test tokens like `tok`) cannot be told apart from ordinary
    /// words ("token") and are not checked; `Redactor` does not replace them either.
    pub fn appears_in(&self, text: &str) -> bool {
        self.0.len() >= MIN_SECRET_LEN && text.contains(&self.0)
    }
}

/// A token with the `Authorization` header that carries it, made once per token: reqwest's
/// `bearer_auth` formats and validates it again for every request (~1,000 instructions a
/// request under callgrind). `header` is `None` for a token no header can hold; such a token
/// goes through `bearer_auth`, which fails the request as it always did.
struct Bearer {
    secret: Secret,
    header: Option<reqwest::header::HeaderValue>,
}

impl Bearer {
    fn new(secret: Secret) -> Arc<Bearer> {
        let header = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", secret.expose()))
            .ok()
            .map(|mut v| {
                // Kept out of reqwest's and hyper's debug output, as `bearer_auth` does.
                v.set_sensitive(true);
                v
            });
        Arc::new(Bearer { secret, header })
    }

    fn authorize(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.header {
            Some(h) => builder.header(reqwest::header::AUTHORIZATION, h.clone()),
            None => builder.bearer_auth(self.secret.expose()),
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// What the target answered, with every secret already replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The parsed JSON body; `None` for an empty or non-JSON body.
    pub body: Option<Arc<Value>>,
    /// The raw body when it is not JSON (empty when `body` holds it): for diagnostics.
    /// Read it through [`Response::text`], which gives a JSON body's text too. A JSON body's
    /// raw text is not kept: copying and scrubbing it on every answer cost the harness a
    /// few per cent of a 100,000-user cycle, for a diagnostic only failures print.
    pub text: String,
    /// Seconds from a `Retry-After` header, if any.
    pub retry_after: Option<u64>,
    /// The `Content-Type` header as sent, if any: IdPs that parse only
    /// `application/scim+json` are judged on it.
    pub content_type: Option<String>,
    /// `Location`, `ETag` and `WWW-Authenticate` as sent (secrets replaced): the protocol
    /// suite judges them.
    pub location: Option<String>,
    pub etag: Option<String>,
    pub www_authenticate: Option<String>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text, secrets replaced: the raw text of a non-JSON body, or a JSON
    /// body written compactly.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.body {
            Some(body) if self.text.is_empty() => std::borrow::Cow::Owned(body.to_string()),
            _ => std::borrow::Cow::Borrowed(&self.text),
        }
    }
}

/// One request and its outcome, as the transcript and reports record it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Exchange {
    pub method: Verb,
    pub url: String,
    /// The path and query relative to the tenant URL, as the profile built it: what findings
    /// show and group by.
    pub path: String,
    /// Always `Bearer [REDACTED]` when a token was sent.
    pub authorization: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Arc<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// JSON up to 64 KiB whole; anything larger, or not JSON, as its first 2 KiB and size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Arc<Value>>,
    /// The answer was JSON, recorded cut (a directory-sized page): judges that read bodies
    /// cannot tell it from text, so they leave it alone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub response_cut: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    pub duration_ms: u64,
    /// The same in microseconds, for latency percentiles (a loopback answer takes well under
    /// a millisecond); not in transcripts, which keep their format.
    #[serde(skip)]
    pub duration_us: u64,
}

impl Exchange {
    /// `req` to `url` before any answer: what `send_within` fills in as the exchange goes,
    /// and what a request that was never sent is recorded as.
    fn unanswered(req: &ScimRequest, url: String, authorized: bool) -> Exchange {
        Exchange {
            method: req.verb,
            url,
            path: req.path.clone(),
            authorization: authorized.then_some("Bearer [REDACTED]"),
            request_body: req.body.clone(),
            status: None,
            response_body: None,
            response_cut: false,
            content_type: None,
            error: None,
            failure: None,
            duration_ms: 0,
            duration_us: 0,
        }
    }
}

/// The SCIM client for one target.
pub struct ScimClient {
    http: reqwest::Client,
    base: String,
    /// `base` parsed once, when it parses: see `request_url`.
    base_url: Option<reqwest::Url>,
    /// Behind a lock so that a token rotation (`idp_update_token`) can swap it mid-run.
    token: std::sync::RwLock<Option<Arc<Bearer>>>,
    timeout: Duration,
    transcript: Option<transcript::Transcript>,
    /// The scenario step in progress, set by the engine: what transcript lines are tagged with.
    step: AtomicUsize,
    exchanges: Mutex<Vec<Exchange>>,
    /// Takes the kept exchanges in batches while set (`ScimClient::spill_to`).
    spill: std::sync::RwLock<Option<Spill>>,
    observer: Option<Observer>,
    redactor: Redactor,
    max_body: u64,
    /// Headers put on every request, GET included, in place of the client's own
    /// (`ScimClient::with_headers`): an IdP's wire headers, as its profile gives them.
    headers: reqwest::header::HeaderMap,
    /// Kept so that a sibling client (another token, same target) connects the same way.
    transport: Transport,
    /// OAuth client credentials (PF-2): without a token set, each request carries one issued
    /// for them.
    oauth: Option<Arc<oauth::Session>>,
}

/// Called with every exchange as it completes (the CLI's `--dry-run` listing uses it).
pub type Observer = Box<dyn Fn(&Exchange) + Send + Sync>;

/// Reads the exchanges the client stops keeping (oldest first), which are dropped after.
pub type Spill = Box<dyn Fn(&[Exchange]) + Send + Sync>;

/// How many exchanges the client keeps before it hands them to a spill, when one is set: a
/// cycle over 100,000 users makes hundreds of thousands, and kept whole (bodies included)
/// they would take gigabytes. One: every exchange but the newest goes to the spill as the
/// next is recorded, so the judge reads it and drops it on this thread while its memory is
/// still in this core's cache. Handed to a judge thread 256 at a time, every exchange was
/// freed on the other core, and this thread's allocator took those blocks back cold: at
/// 20,000 users under Entra its `_mi_page_free_collect` and `_mi_page_malloc_zero` took
/// ~18 µs a request against the replay's ~3, and the judge thread ~12 µs more (perf).
const SPILL_AFTER: usize = 1;

/// What `record` takes from the kept exchanges for the spill.
enum Spilled {
    None,
    One(Exchange),
    Many(Vec<Exchange>),
}

impl ScimClient {
    pub fn new(
        base: &str,
        token: Option<Secret>,
        timeout: Duration,
    ) -> Result<ScimClient, ClientSetupError> {
        ScimClient::connect(base, token, timeout, &Transport::default())
    }

    /// A client that reaches the target through `transport` (CA, client certificate,
    /// proxy, connect timeout, `--insecure`).
    pub fn connect(
        base: &str,
        token: Option<Secret>,
        timeout: Duration,
        transport: &Transport,
    ) -> Result<ScimClient, ClientSetupError> {
        let http = transport
            .apply(reqwest::Client::builder())
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("scim-harness/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientSetupError::Build(e.to_string()))?;
        let redactor = Redactor::from_secrets(token.as_ref());
        // A password in the target URL (Basic credentials) is a secret like the token.
        if let Ok(url) = reqwest::Url::parse(base) {
            if let Some(password) = url.password() {
                redactor.add_text(password);
            }
        }
        Ok(ScimClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            base_url: reqwest::Url::parse(base.trim_end_matches('/'))
                .ok()
                .filter(|u| u.query().is_none() && u.fragment().is_none()),
            token: std::sync::RwLock::new(token.map(Bearer::new)),
            timeout,
            transcript: None,
            step: AtomicUsize::new(0),
            exchanges: Mutex::new(vec![]),
            spill: std::sync::RwLock::new(None),
            observer: None,
            redactor,
            max_body: DEFAULT_MAX_BODY,
            headers: reqwest::header::HeaderMap::new(),
            transport: transport.clone(),
            oauth: None,
        })
    }

    /// Authenticates with OAuth 2 client credentials (PF-2, `client::oauth`): while no token
    /// is set (`set_token`, as an admin pasting one would), every request carries an access
    /// token the token endpoint issued for `credentials`, asked for again when it expires or
    /// the target refuses it. The secret and every token issued are scrubbed like the token.
    pub fn with_client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.redactor.add(&credentials.client_secret);
        self.oauth = Some(Arc::new(oauth::Session::new(credentials)));
        self
    }

    /// How this client reaches its target, for a sibling client to do the same.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends `headers` on every request, GET included, each replacing the client's own
    /// (`User-Agent: scim-harness/<version>`, `Accept: application/scim+json`, and
    /// `Content-Type: application/scim+json` with a body): the IdP's wire headers, which its
    /// profile gives as data (`Profile::wire_headers`). Empty: the client's own.
    pub fn with_headers(
        mut self,
        headers: Vec<(String, String)>,
    ) -> Result<Self, ClientSetupError> {
        use reqwest::header::{HeaderName, HeaderValue};
        for (name, value) in headers {
            let bad = |e: &dyn std::fmt::Display| {
                ClientSetupError::Build(format!("invalid header `{name}: {value}`: {e}"))
            };
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(&e))?;
            let v = HeaderValue::from_str(&value).map_err(|e| bad(&e))?;
            self.headers.insert(n, v);
        }
        Ok(self)
    }

    /// Calls `observer` with every exchange as it completes.
    pub fn observe(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Caps every response body at `bytes`; more is a `BodyTooLarge` error, not a crash.
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Shares `redactor` with this client: it learns this client's secrets, and every token
    /// set later. One redactor across a run's clients lets reports and the panic hook scrub
    /// whatever any of them used.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        redactor.absorb(&self.redactor);
        self.redactor = redactor;
        self
    }

    /// The secrets this client uses, for whatever else writes text out (reports, panics).
    pub fn redactor(&self) -> Redactor {
        self.redactor.clone()
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Every exchange since the last `take_exchanges`.
    pub fn take_exchanges(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.exchanges.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// While set, the kept exchanges but the last go to `spill` once more than `SPILL_AFTER`
    /// are kept (as each new one is recorded), so what the client holds stays bounded however
    /// long a cycle runs; `None` keeps them all again until `take_exchanges`.
    pub fn spill_to(&self, spill: Option<Spill>) {
        *self.spill.write().unwrap_or_else(|e| e.into_inner()) = spill;
    }

    /// `walks`: what the request body's text as sent showed it needs
    /// (`Redactor::request_walks`); a body that needs neither is kept as it is.
    fn record(
        &self,
        mut exchange: Exchange,
        headers: Option<transcript::Headers>,
        walks: redact::Walks,
    ) {
        // A password in a body (Okta sends one on create, §2.2) is a secret like the token.
        // The request shares its body with this record, so the record redacts a copy of its
        // own (`make_mut`) and the request keeps what it sent. The response body needs
        // neither here: `receive` scrubbed the answer and `body::recorded` redacted the
        // passwords of the copy kept.
        if let Some(body) = exchange
            .request_body
            .as_mut()
            .filter(|_| walks.passwords || walks.secrets)
        {
            let body = Arc::make_mut(body);
            if walks.passwords {
                redact_passwords(body);
            }
            // A text without a secret or a URL with a password has none once its passwords
            // are `[REDACTED]`: the walk is skipped (it was ~2,700 instructions an Okta create).
            if walks.secrets {
                self.redactor.scrub_value(body);
            }
        }
        self.redactor.scrub_in_place(&mut exchange.url);
        if let Some(error) = &mut exchange.error {
            self.redactor.scrub_in_place(error);
        }
        if let Some(observe) = &self.observer {
            observe(&exchange);
        }
        if let Some(t) = &self.transcript {
            let step = self.step.load(Ordering::Relaxed);
            let headers = headers.unwrap_or_default().scrubbed(&self.redactor);
            if let Some(line) = transcript::line(&exchange, &t.scenario, &t.profile, step, headers)
            {
                let mut f = t.file.lock().unwrap_or_else(|e| e.into_inner());
                // A transcript that cannot be written must not stop the run; it is a side output.
                // One write per line: runs side by side (`--jobs`) append to the same file,
                // and an O_APPEND write is not interleaved with another.
                let _ = f.write_all(format!("{line}\n").as_bytes());
            }
        }
        let spilled = {
            let mut kept = self.exchanges.lock().unwrap_or_else(|e| e.into_inner());
            kept.push(exchange);
            let spill = self.spill.read().unwrap_or_else(|e| e.into_inner());
            match (&*spill, kept.len().saturating_sub(SPILL_AFTER)) {
                (None, _) | (_, 0) => Spilled::None,
                // A cycle's steady state: the one before this exchange, taken out without a
                // list made for it (one allocation a request less).
                (Some(_), 1) => Spilled::One(kept.remove(0)),
                // A spill set while exchanges were kept.
                (Some(_), excess) => Spilled::Many(kept.drain(..excess).collect()),
            }
        };
        let spilled: &[Exchange] = match &spilled {
            Spilled::None => return,
            Spilled::One(x) => std::slice::from_ref(x),
            Spilled::Many(xs) => xs,
        };
        if let Some(spill) = &*self.spill.read().unwrap_or_else(|e| e.into_inner()) {
            spill(spilled);
        }
    }

    /// Replaces the bearer token, as an admin pastes a regenerated one into the IdP.
    /// The token requests carry now, still a `Secret` (it cannot be printed): what an IdP
    /// keeps while it is given a wrong one, to be given back later.
    pub fn token(&self) -> Option<Secret> {
        let token = self.token.read().unwrap_or_else(|e| e.into_inner());
        token.as_ref().map(|b| b.secret.clone())
    }

    pub fn set_token(&self, token: Secret) {
        self.redactor.add(&token);
        *self.token.write().unwrap_or_else(|e| e.into_inner()) = Some(Bearer::new(token));
    }

    pub async fn send(&self, req: &ScimRequest) -> Result<Response, ClientError> {
        self.send_within(req, None).await
    }

    /// Sends with a per-request timeout shorter than the client's (an IdP's record timeout).
    pub async fn send_within(
        &self,
        req: &ScimRequest,
        timeout: Option<Duration>,
    ) -> Result<Response, ClientError> {
        let set = self.token.read().unwrap_or_else(|e| e.into_inner()).clone();
        let url = format!("{}{}", self.base, req.path);
        let started = Instant::now();
        let (token, issued) = match (set, &self.oauth) {
            (Some(token), _) => (Some(token), None),
            (None, Some(session)) => match session.token(&self.http, &self.redactor).await {
                Ok(token) => (Some(Bearer::new(token)), Some(session)),
                Err(e) => return Err(self.not_sent(req, &url, e)),
            },
            (None, None) => (None, None),
        };
        let mut exchange = Exchange::unanswered(req, url.clone(), token.is_some());
        let method = match req.verb {
            Verb::Get => reqwest::Method::GET,
            Verb::Post => reqwest::Method::POST,
            Verb::Put => reqwest::Method::PUT,
            Verb::Patch => reqwest::Method::PATCH,
            Verb::Delete => reqwest::Method::DELETE,
        };
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static(SCIM_JSON),
        );
        if req.body.is_some() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static(SCIM_JSON),
            );
        }
        // The IdP's own headers replace these (and the client's User-Agent) one by one.
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        // What the transcript shows was sent: these headers, the client's User-Agent unless the
        // IdP's replaced it, and Authorization only ever as `Bearer [REDACTED]`.
        let mut recorded = self
            .transcript
            .as_ref()
            .map(|_| transcript::Headers::sent(&headers, token.is_some()));
        let parsed = self
            .base_url
            .as_ref()
            .and_then(|b| url::request_url(b, &req.path));
        let mut builder = match parsed {
            Some(parsed) => self.http.request(method, parsed),
            None => self.http.request(method, &url),
        }
        .headers(headers);
        if let Some(token) = &token {
            builder = token.authorize(builder);
        }
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        let mut walks = redact::Walks::default();
        if let Some(body) = &req.body {
            // Written straight into a buffer: `Display` goes through a formatter call per
            // token, which made this line a few per cent of the harness's time per request.
            let text = serde_json::to_string(body).unwrap_or_else(|_| body.to_string());
            walks = self.redactor.request_walks(&text);
            builder = builder.body(text);
        }
        let outcome = match builder.send().await {
            Ok(resp) => {
                exchange.status = Some(resp.status().as_u16());
                if let Some(h) = &mut recorded {
                    h.received(resp.headers());
                }
                self.receive(req.verb, &url, resp).await.map(|(r, kept)| {
                    exchange.response_cut =
                        r.body.is_some() && kept.as_deref().is_some_and(Value::is_string);
                    exchange.response_body = kept;
                    r
                })
            }
            Err(e) => Err(self.classify(&url, e)),
        };
        let outcome = outcome.map_err(|e| e.scrubbed(&self.redactor));
        if let (Some(session), Some(401), Some(token)) = (issued, exchange.status, &token) {
            session.refused(&token.secret).await;
        }
        exchange.duration_ms = started.elapsed().as_millis() as u64;
        exchange.duration_us = started.elapsed().as_micros() as u64;
        match &outcome {
            Ok(r) => exchange.content_type = r.content_type.clone(),
            Err(e) => {
                exchange.error = Some(e.to_string());
                exchange.failure = Some(e.kind());
            }
        }
        self.record(exchange, recorded, walks);
        outcome
    }

    /// A request that was not sent, recorded with why (the token endpoint gave no access
    /// token, PF-2), so that the run's findings name the cause.
    fn not_sent(&self, req: &ScimRequest, url: &str, e: ClientError) -> ClientError {
        let e = e.scrubbed(&self.redactor);
        let mut exchange = Exchange::unanswered(req, url.to_string(), false);
        exchange.error = Some(e.to_string());
        exchange.failure = Some(e.kind());
        // Its body's text was never written, so nothing shows it clean: both walks.
        let walks = redact::Walks {
            passwords: true,
            secrets: true,
        };
        self.record(exchange, None, walks);
        e
    }

    /// A reqwest failure told as the client's error, under this client's limits.
    fn classify(&self, url: &str, e: reqwest::Error) -> ClientError {
        error::classify(url, e, self.timeout, self.transport.connect_timeout())
    }
}

#[cfg(test)]
pub(crate) mod test_server;
#[cfg(test)]
mod tests;
