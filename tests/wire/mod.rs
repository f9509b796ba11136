//! Shared fixtures for the wiremock tests that pin a profile's exact requests: the header
//! checks every request must pass, query decoding with the probe's random GUID named, and the
//! SCIM response template, and `Sent`, a request as the target received it (PingFederate's
//! tests keep a sortable one of their own: its requests go out in parallel).
#![allow(dead_code)]

use serde_json::Value;
use wiremock::{Request, ResponseTemplate};

pub const SCIM_JSON: &str = "application/scim+json";

/// One request as the target received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub method: String,
    pub path: String,
    /// Decoded query pairs, in the order sent; a probe's random value reads `<guid>` once
    /// checked (`query`).
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// The request a test expects.
pub fn sent(method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Sent {
    Sent {
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

/// A received request reduced to a `Sent`, its headers checked (`checked_body`).
pub fn reduce(req: &Request, token: &str) -> Sent {
    Sent {
        method: req.method.to_string(),
        path: req.url.path().to_string(),
        query: query(req),
        body: checked_body(req, token),
    }
}

/// Checks the headers every request carries — the bearer token, `Accept`, and
/// `Content-Type: application/scim+json` exactly when a body goes — and returns the body.
pub fn checked_body(req: &Request, token: &str) -> Option<Value> {
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let what = format!("{} {}", req.method, req.url.path());
    assert!(
        header("authorization") == Some(format!("Bearer {token}").as_str()),
        "{what} must carry `Authorization: Bearer <the configured token>`"
    );
    assert_eq!(header("accept"), Some(SCIM_JSON), "Accept on {what}");
    if req.body.is_empty() {
        assert_eq!(
            header("content-type"),
            None,
            "Content-Type without a body on {what}"
        );
        None
    } else {
        assert_eq!(
            header("content-type"),
            Some(SCIM_JSON),
            "Content-Type on {what}"
        );
        Some(serde_json::from_slice(&req.body).expect("the request body is JSON"))
    }
}

/// Checks the bearer token and that each of `headers` (an IdP's wire headers) is on the
/// request exactly once with exactly that value, body or not; returns the body.
pub fn checked_body_with(req: &Request, token: &str, headers: &[(&str, &str)]) -> Option<Value> {
    let what = format!("{} {}", req.method, req.url.path());
    let auth = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    assert!(
        auth == Some(format!("Bearer {token}").as_str()),
        "{what} must carry `Authorization: Bearer <the configured token>`"
    );
    for (name, want) in headers {
        let sent: Vec<&str> = req
            .headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert_eq!(sent, vec![*want], "{name} on {what}");
    }
    (!req.body.is_empty())
        .then(|| serde_json::from_slice(&req.body).expect("the request body is JSON"))
}

/// Decoded query pairs, each value passed through `redact_guid`.
pub fn query(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), redact_guid(&v)))
        .collect()
}

/// A probe filters on a random value (`userName eq "<guid>"`, `username Eq "<guid>"`): check
/// it is a lowercase hyphenated v4 GUID, then name it `<guid>` so a whole cycle compares with
/// one `assert_eq!`. Anything else stays as sent.
pub fn redact_guid(filter: &str) -> String {
    let Some((head, value)) = filter.strip_suffix('"').and_then(|f| f.rsplit_once('"')) else {
        return filter.to_string();
    };
    match uuid::Uuid::try_parse(value) {
        Ok(g) if g.get_version_num() == 4 && g.hyphenated().to_string() == value => {
            format!("{head}\"<guid>\"")
        }
        _ => filter.to_string(),
    }
}

pub fn scim(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), SCIM_JSON)
}
