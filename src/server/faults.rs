//! Test-only fault injection: makes the built-in server answer like a flaky or broken vendor
//! server (500, 429 with Retry-After, …) on chosen requests, so the harness's escrow and retry
//! handling can be exercised against a real server instead of a mock. Off unless a rule is set;
//! never reachable over HTTP.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;

/// How often a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// On every matching request.
    Always,
    /// On the first matching request for each object (a resource id in the path, or the
    /// userName/displayName of a POST body): a transient fault the client must retry.
    OncePerObject,
}

/// One fault on requests with `method` whose path contains `path_contains`: wait `delay_ms`,
/// then answer `status`, or handle the request normally when `status` is `None` (a slow server).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub method: String,
    pub path_contains: String,
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub delay_ms: u64,
    pub times: Times,
    /// Only requests whose path or body contains one of these strings (a userName, an id);
    /// empty: every matching request.
    pub mentions: Vec<String>,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<FaultRule>,
    seen: HashSet<String>,
    injected: u64,
}

/// The fault plan of one server; cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
    /// Set while any rule exists, so the request path never takes the lock otherwise.
    armed: Arc<std::sync::atomic::AtomicBool>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rules
            .push(rule);
        self.armed.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.rules.clear();
        inner.seen.clear();
        self.armed
            .store(false, std::sync::atomic::Ordering::Release);
    }

    /// How many faults were answered so far.
    pub fn injected(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .injected
    }

    fn is_empty(&self) -> bool {
        !self.armed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The fault to answer for this request, if any rule fires.
    fn decide(&self, method: &str, path: &str, body: &[u8]) -> Option<FaultRule> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let rule = inner
            .rules
            .iter()
            .find(|r| {
                r.method.eq_ignore_ascii_case(method)
                    && path.contains(&r.path_contains)
                    && (r.mentions.is_empty()
                        || r.mentions.iter().any(|m| {
                            path.contains(m.as_str())
                                || std::str::from_utf8(body).is_ok_and(|b| b.contains(m.as_str()))
                        }))
            })
            .cloned()?;
        if rule.times == Times::OncePerObject {
            let key = format!("{method} {}", object_key(path, body));
            if !inner.seen.insert(key) {
                return None;
            }
        }
        inner.injected += 1;
        Some(rule)
    }
}

/// The object a request is about: the path for `/Users/{id}`, else the unique name in the body.
fn object_key(path: &str, body: &[u8]) -> String {
    let name = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("userName")
                .or_else(|| v.get("displayName"))
                .and_then(|n| n.as_str().map(str::to_string))
        });
    match name {
        Some(n) => format!("{path} {n}"),
        None => path.to_string(),
    }
}

pub async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let faults = state.faults();
    if faults.is_empty() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, super::discovery::MAX_PAYLOAD_BYTES).await else {
        return ApiError::payload_too_large(super::discovery::MAX_PAYLOAD_BYTES).into_response();
    };
    let rule = faults.decide(parts.method.as_str(), parts.uri.path(), &bytes);
    if let Some(delay) = rule.as_ref().map(|r| r.delay_ms).filter(|d| *d > 0) {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    if let Some((rule, status)) = rule.and_then(|r| r.status.map(|s| (r, s))) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            ApiError::new(status, None, "fault injected by the test harness").into_response();
        if let Some(secs) = rule.retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        return response;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
