//! Response bodies, bounded: read up to a cap, and kept in records only in a short form.
//! A server is free to answer with an endless stream or a 50 MB error page; neither may grow
//! the process or flood the console.

use std::sync::Arc;

use serde_json::Value;

use super::redact::{may_name_password, redact_passwords};

/// The default cap on a response body. SCIM pages of 100 users with groups stay far below it.
pub const DEFAULT_MAX_BODY: u64 = 4 * 1024 * 1024;

/// A JSON body up to this size is recorded whole in an exchange.
pub const RECORDED_JSON_MAX: usize = 64 * 1024;

/// What is kept of a body too large (or not JSON) to record whole.
pub const RECORDED_TEXT_MAX: usize = 2 * 1024;

/// Why a body was not read whole.
pub(super) enum BodyError {
    TooLarge,
    Http(reqwest::Error),
}

/// Reads the body chunk by chunk and stops at the first byte over `max`. A `Content-Length`
/// over the cap is refused before anything is read.
///
/// The chunks are kept as the connection handed them and joined once, at their exact size,
/// when the body ended within the cap. Growing one buffer instead doubled it up to the cap on
/// every over-long answer and copied each half: ~8 MiB of short-lived blocks an endless body,
/// which the allocator had not yet given back when the retry read the next one (the
/// endless-body safety test peaked at 80–100 MB where a plain run takes 27).
pub(super) async fn read_capped(
    resp: &mut reqwest::Response,
    max: u64,
) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(BodyError::TooLarge);
    }
    // Most answers come in one chunk: it alone is copied out, with no list allocated.
    let (mut first, mut rest) = (None, Vec::new());
    let mut len = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Http)? {
        len += chunk.len() as u64;
        if len > max {
            return Err(BodyError::TooLarge);
        }
        match first {
            None => first = Some(chunk),
            Some(_) => rest.push(chunk),
        }
    }
    let Some(first) = first else {
        return Ok(Vec::new());
    };
    // `len` is at most `max`, a cap a `Vec` can hold on any platform the harness builds for.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    bytes.extend_from_slice(&first);
    for chunk in &rest {
        bytes.extend_from_slice(chunk);
    }
    Ok(bytes)
}

/// `text` cut to at most `max` bytes (on a char boundary) with the full size appended, or
/// `text` whole when it fits.
pub fn truncate_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// What an exchange records of a response: JSON whole (passwords redacted) while the text
/// the server sent is at most `RECORDED_JSON_MAX`, otherwise the first 2 KiB of its text
/// with the size. `text` is the answer as received, JSON or not: measuring it costs nothing,
/// where measuring the parsed body meant writing it out again for every answer. An answer
/// kept whole that names no password is the engine's own (`Arc`), not a copy.
pub(super) fn recorded(body: Option<&Arc<Value>>, text: &str) -> Option<Arc<Value>> {
    match body {
        Some(body) => {
            // Copied only to redact, and before cutting: a cut string can no longer be
            // searched by key. A large answer without a password is written out from the
            // engine's own, not from a copy.
            let body = if may_name_password(text) {
                let mut copy = Value::clone(body);
                redact_passwords(&mut copy);
                Arc::new(copy)
            } else {
                Arc::clone(body)
            };
            if text.len() <= RECORDED_JSON_MAX {
                Some(body)
            } else {
                Some(Arc::new(Value::String(truncate_text(
                    &body.to_string(),
                    RECORDED_TEXT_MAX,
                ))))
            }
        }
        None if text.is_empty() => None,
        None => Some(Arc::new(Value::String(truncate_text(
            text,
            RECORDED_TEXT_MAX,
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truncate_text_keeps_short_text_whole() {
        assert_eq!(truncate_text("abc", 3), "abc");
        assert_eq!(truncate_text("", 0), "");
    }

    #[test]
    fn truncate_text_cuts_on_a_char_boundary_and_counts_bytes() {
        // "é" is two bytes: a cut at 3 would split the second one.
        assert_eq!(truncate_text("éééé", 3), "é… (8 bytes in all)");
        assert_eq!(truncate_text("aé", 1), "a… (3 bytes in all)");
        assert_eq!(truncate_text("🦀🦀", 3), "… (8 bytes in all)");
        assert_eq!(truncate_text("abcdef", 4), "abcd… (6 bytes in all)");
    }

    /// `recorded` on values, for comparing with `json!`.
    fn rec(body: Option<&Value>, text: &str) -> Option<Value> {
        recorded(body.map(|b| Arc::new(b.clone())).as_ref(), text).map(Arc::unwrap_or_clone)
    }

    #[test]
    fn a_clean_answer_is_recorded_as_the_engines_own_not_a_copy() {
        let body = Arc::new(json!({"id": "1", "userName": "a"}));
        let kept = recorded(Some(&body), &body.to_string()).expect("kept");
        assert!(Arc::ptr_eq(&kept, &body));
        // One naming a password is a redacted copy: the engine's own keeps what was sent.
        let body = Arc::new(json!({"id": "1", "password": "p"}));
        let kept = recorded(Some(&body), &body.to_string()).expect("kept");
        assert!(!Arc::ptr_eq(&kept, &body));
        assert_eq!(body["password"], "p");
        assert_eq!(kept["password"], "[REDACTED]");
    }

    #[test]
    fn small_json_is_recorded_whole_with_passwords_redacted() {
        let body = json!({"userName": "a", "password": "p"});
        assert_eq!(
            rec(Some(&body), &body.to_string()),
            Some(json!({"userName": "a", "password": "[REDACTED]"}))
        );
        // The key spelled with an escape is still a `password` key.
        let escaped = r#"{"userName":"a","p\u0061ssword":"p"}"#;
        let parsed: Value = serde_json::from_str(escaped).expect("json");
        assert_eq!(
            rec(Some(&parsed), escaped),
            Some(json!({"userName": "a", "password": "[REDACTED]"}))
        );
        assert_eq!(rec(None, ""), None);
        assert_eq!(rec(None, "oops"), Some(json!("oops")));
    }

    #[test]
    fn large_bodies_are_recorded_as_their_start_and_size() {
        let big = json!({"password": "p", "x": "y".repeat(RECORDED_JSON_MAX)});
        // Counted after redaction: "p" became "[REDACTED]", 9 bytes more.
        let size = big.to_string().len() + 9;
        let Some(Value::String(kept)) = rec(Some(&big), &big.to_string()) else {
            panic!("a large JSON body is recorded as a string");
        };
        assert!(
            kept.starts_with("{\"password\":\"[REDACTED]\""),
            "{kept:.40}"
        );
        assert!(kept.ends_with(&format!("… ({size} bytes in all)")));
        assert!(kept.len() < RECORDED_TEXT_MAX + 40);
        // The text as received decides, not the body written out again: a pretty-printed
        // answer over the limit is cut even where its compact form would fit.
        let small = json!({"a": "b"});
        let padded = format!("{}{}", " ".repeat(RECORDED_JSON_MAX), small);
        assert!(matches!(rec(Some(&small), &padded), Some(Value::String(_))));
        assert_eq!(rec(Some(&small), &small.to_string()), Some(small));

        let page = "<html>".repeat(10_000);
        let Some(Value::String(kept)) = rec(None, &page) else {
            panic!("text is recorded as a string");
        };
        assert!(kept.ends_with("… (60000 bytes in all)"));
        assert!(kept.len() < RECORDED_TEXT_MAX + 40);
    }
}
