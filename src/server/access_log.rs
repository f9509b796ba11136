//! The access log of `scim-harness serve`: one line per request — method, path with query,
//! status, duration — so a vendor who points an IdP at the server sees what it sends; with
//! bodies on, the request and response bodies below it, cut to `BODY_MAX` with passwords
//! masked. Headers are never printed, so neither is the `Authorization` bearer token.

use std::io::Write;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::discovery::MAX_PAYLOAD_BYTES;
use super::error::ApiError;

/// The most of one body the log prints; the rest is counted, not shown.
pub const BODY_MAX: usize = 2048;

/// Where the log goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

/// How requests are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLog {
    pub sink: Sink,
    /// Also print request and response bodies.
    pub bodies: bool,
}

impl AccessLog {
    fn write(&self, text: &str) {
        // One write per exchange, so lines of concurrent requests do not interleave.
        let _ = match self.sink {
            Sink::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        };
    }
}

/// `POST /scim/v2/Users 201 3.2 ms`.
pub fn line(method: &str, path_and_query: &str, status: u16, took: Duration) -> String {
    let millis = took.as_secs_f64() * 1000.0;
    format!("{method} {path_and_query} {status} {millis:.1} ms")
}

/// A body as the log shows it: JSON compact with passwords masked, other text as it came;
/// cut at `BODY_MAX` bytes with the whole size named.
pub fn shown_body(bytes: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(bytes) {
        Ok(mut json) => {
            mask_passwords(&mut json);
            json.to_string()
        }
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    if text.len() <= BODY_MAX {
        return text;
    }
    let mut end = BODY_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// Masks `password` values, and the value of a PATCH operation whose path is `password`
/// (Okta's password sync): a vendor's terminal is no place for them.
fn mask_passwords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let patches_password = map
                .get("path")
                .and_then(Value::as_str)
                .is_some_and(|p| p.eq_ignore_ascii_case("password"));
            for (k, v) in map.iter_mut() {
                if k.eq_ignore_ascii_case("password") || (patches_password && k == "value") {
                    *v = Value::String("[REDACTED]".into());
                } else {
                    mask_passwords(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_passwords),
        _ => {}
    }
}

/// The middleware: times the exchange and logs it once the response is ready. Outermost, so
/// requests refused for a missing token are logged too.
pub async fn record(State(log): State<AccessLog>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    if !log.bodies {
        let response = next.run(req).await;
        let took = started.elapsed();
        log.write(&format!(
            "{}\n",
            line(&method, &target, response.status().as_u16(), took)
        ));
        return response;
    }
    let (parts, body) = req.into_parts();
    let Ok(sent) = to_bytes(body, MAX_PAYLOAD_BYTES).await else {
        let response = ApiError::payload_too_large(MAX_PAYLOAD_BYTES).into_response();
        log.write(&format!(
            "{}\n  > (request body over {MAX_PAYLOAD_BYTES} bytes, not read)\n",
            line(
                &method,
                &target,
                response.status().as_u16(),
                started.elapsed()
            )
        ));
        return response;
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(sent.clone())))
        .await;
    let (parts, body) = response.into_parts();
    // The server built this body itself, in memory: reading it whole costs nothing new.
    let answered = to_bytes(body, usize::MAX)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let took = started.elapsed();
    let mut text = line(&method, &target, parts.status.as_u16(), took);
    text.push('\n');
    for (arrow, bytes) in [(">", &sent), ("<", &answered)] {
        if !bytes.is_empty() {
            text.push_str(&format!("  {arrow} {}\n", shown_body(bytes)));
        }
    }
    log.write(&text);
    Response::from_parts(parts, Body::from(answered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_method_target_status_and_duration() {
        assert_eq!(
            line(
                "GET",
                "/scim/v2/Users?filter=userName+eq+%22a%22",
                200,
                Duration::from_micros(4_300)
            ),
            "GET /scim/v2/Users?filter=userName+eq+%22a%22 200 4.3 ms"
        );
    }

    #[test]
    fn bodies_are_cut_and_passwords_masked() {
        let long = format!(r#"{{"userName":"{}"}}"#, "é".repeat(BODY_MAX));
        let shown = shown_body(long.as_bytes());
        assert!(shown.len() < BODY_MAX + 40, "{}", shown.len());
        assert!(shown.ends_with(&format!("… ({} bytes in all)", long.len())));
        let secret = br#"{"userName":"a","password":"hunter2","Operations":[{"op":"replace","path":"password","value":"s3cret"}]}"#;
        let shown = shown_body(secret);
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains(r#""userName":"a""#), "{shown}");
        assert_eq!(shown_body(b"not json"), "not json");
    }
}
