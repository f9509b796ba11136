//! One `--transcript` line: an exchange as it went over the wire, tagged with the scenario,
//! profile and step it belongs to and the time it completed, with the headers both ways.
//! Nothing secret is written: Authorization and cookies are replaced, every other header
//! value is scrubbed of the run's tokens, and bodies are cut like findings cut them.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use serde_json::{json, Map, Value};

use super::body::{truncate_text, RECORDED_JSON_MAX, RECORDED_TEXT_MAX};
use super::{ClientSetupError, Exchange, Redactor, ScimClient, REDACTED};

/// The `--transcript` file of one scenario run and what its lines are tagged with.
pub(super) struct Transcript {
    pub(super) file: Mutex<std::fs::File>,
    pub(super) scenario: String,
    pub(super) profile: String,
}

impl ScimClient {
    /// `--transcript FILE`: append every exchange as a JSON line tagged with `scenario` and
    /// `profile` (and the step, see `set_step`). The file is appended to: the CLI empties it
    /// once per run (unless `--append`), and every scenario run of the run adds its lines.
    pub fn transcript(
        mut self,
        path: &Path,
        scenario: &str,
        profile: &str,
    ) -> Result<Self, ClientSetupError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| ClientSetupError::Transcript {
                path: path.display().to_string(),
                source,
            })?;
        self.transcript = Some(Transcript {
            file: Mutex::new(file),
            scenario: scenario.to_string(),
            profile: profile.to_string(),
        });
        Ok(self)
    }

    /// The 1-based scenario step now running (0: setup and cleanup), for transcript lines.
    pub fn set_step(&self, step: usize) {
        self.step.store(step, Ordering::Relaxed);
    }
}

/// Longest header value kept: a server may send a header of any length.
const HEADER_MAX: usize = 512;

/// Headers whose values are credentials wherever they appear.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// The headers of one exchange, request and response, in the order sent and received.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Headers {
    pub request: Vec<(String, String)>,
    pub response: Vec<(String, String)>,
}

impl Headers {
    /// The request headers the client sets: `headers` as given, the client's User-Agent
    /// unless they replace it, and `Authorization: Bearer [REDACTED]` when a token goes.
    pub fn sent(headers: &HeaderMap, with_token: bool) -> Headers {
        let mut request = listed(headers);
        if !headers.contains_key(reqwest::header::USER_AGENT) {
            request.push((
                "user-agent".into(),
                concat!("scim-harness/", env!("CARGO_PKG_VERSION")).into(),
            ));
        }
        if with_token {
            request.push(("authorization".into(), format!("Bearer {REDACTED}")));
        }
        Headers {
            request,
            response: vec![],
        }
    }

    pub fn received(&mut self, headers: &HeaderMap) {
        self.response = listed(headers);
    }

    /// Every value with the run's secrets replaced; credential headers replaced whole.
    pub fn scrubbed(self, r: &Redactor) -> Headers {
        let clean = |list: Vec<(String, String)>| {
            list.into_iter()
                .map(|(name, value)| {
                    let value = match SECRET_HEADERS.contains(&name.as_str()) {
                        true if name == "authorization" && value.starts_with("Bearer ") => {
                            format!("Bearer {REDACTED}")
                        }
                        true => REDACTED.to_string(),
                        false => r.scrub(&value),
                    };
                    (name, value)
                })
                .collect()
        };
        Headers {
            request: clean(self.request),
            response: clean(self.response),
        }
    }
}

fn listed(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                truncate_text(&String::from_utf8_lossy(value.as_bytes()), HEADER_MAX),
            )
        })
        .collect()
}

fn header_object(list: Vec<(String, String)>) -> Value {
    let mut map = Map::new();
    for (name, value) in list {
        // A repeated header (two `Set-Cookie`) keeps every value, joined as HTTP allows.
        match map.get_mut(&name) {
            Some(Value::String(prior)) => {
                prior.push_str(", ");
                prior.push_str(&value);
            }
            _ => {
                map.insert(name, Value::String(value));
            }
        }
    }
    Value::Object(map)
}

/// The JSON line for `x`: `at` (RFC 3339, UTC, milliseconds), `scenario`, `profile`, `step`,
/// then the exchange's own fields with `request_headers` and `response_headers`. A request
/// body too large to record whole is cut as response bodies are (its first 2 KiB and size).
pub(super) fn line(
    x: &Exchange,
    scenario: &str,
    profile: &str,
    step: usize,
    headers: Headers,
) -> Option<String> {
    let mut out = json!({
        "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "scenario": scenario,
        "profile": profile,
        "step": step,
    });
    let (obj, Value::Object(fields)) = (out.as_object_mut()?, serde_json::to_value(x).ok()?) else {
        return None;
    };
    for (k, v) in fields {
        let v = match (k.as_str(), v) {
            ("request_body", v) => {
                let text = v.to_string();
                if text.len() > RECORDED_JSON_MAX {
                    Value::String(truncate_text(&text, RECORDED_TEXT_MAX))
                } else {
                    v
                }
            }
            (_, v) => v,
        };
        obj.insert(k, v);
    }
    obj.insert("request_headers".into(), header_object(headers.request));
    obj.insert("response_headers".into(), header_object(headers.response));
    serde_json::to_string(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Secret;
    use crate::scim::Verb;
    use reqwest::header::{HeaderName, HeaderValue};

    fn exchange(body: Option<Value>) -> Exchange {
        Exchange {
            method: Verb::Post,
            url: "http://t/scim/Users".into(),
            path: "/Users".into(),
            authorization: Some("Bearer [REDACTED]"),
            request_body: body.map(Into::into),
            status: Some(201),
            response_body: None,
            response_cut: false,
            content_type: None,
            error: None,
            failure: None,
            duration_ms: 4,
            duration_us: 4_000,
        }
    }

    fn map(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        m
    }

    #[test]
    fn a_line_is_tagged_timestamped_and_carries_headers_without_secrets() {
        let r = Redactor::from_secrets([&Secret::new("tok-secret-123")]);
        let mut h = Headers::sent(&map(&[("accept", "application/scim+json")]), true);
        h.received(&map(&[
            ("location", "http://t/Users/1?echo=tok-secret-123"),
            ("set-cookie", "session=abc"),
            ("set-cookie", "other=def"),
        ]));
        let text = line(
            &exchange(Some(json!({"userName": "a"}))),
            "lifecycle",
            "okta",
            3,
            h.scrubbed(&r),
        )
        .expect("a line");
        let v: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            (&v["scenario"], &v["profile"], &v["step"]),
            (&json!("lifecycle"), &json!("okta"), &json!(3))
        );
        assert!(
            chrono::DateTime::parse_from_rfc3339(v["at"].as_str().expect("at")).is_ok(),
            "{v}"
        );
        assert_eq!(
            v["request_headers"],
            json!({"accept": "application/scim+json",
                "user-agent": concat!("scim-harness/", env!("CARGO_PKG_VERSION")),
                "authorization": "Bearer [REDACTED]"})
        );
        assert_eq!(
            v["response_headers"],
            json!({"location": "http://t/Users/1?echo=[REDACTED]",
                "set-cookie": "[REDACTED], [REDACTED]"})
        );
        assert_eq!(v["request_body"], json!({"userName": "a"}));
        assert!(!text.contains("tok-secret-123") && !text.contains("session=abc"));
    }

    #[test]
    fn the_idps_user_agent_replaces_the_clients_and_large_request_bodies_are_cut() {
        let h = Headers::sent(&map(&[("user-agent", "Okta SCIM Client 1.0.0")]), false);
        assert_eq!(
            h.request,
            vec![(
                "user-agent".to_string(),
                "Okta SCIM Client 1.0.0".to_string()
            )]
        );
        let members: Vec<Value> = (0..5000)
            .map(|i| json!({"value": format!("member-{i:06}")}))
            .collect();
        let text = line(
            &exchange(Some(json!({"members": members}))),
            "s",
            "entra",
            1,
            h,
        )
        .expect("a line");
        let v: Value = serde_json::from_str(&text).expect("JSON");
        let body = v["request_body"].as_str().expect("cut to text");
        assert!(body.ends_with("bytes in all)"), "{body}");
        assert!(text.len() < RECORDED_TEXT_MAX + 2048, "{}", text.len());
    }
}
