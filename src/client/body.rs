//! Response bodies, bounded: read up to a cap, and kept in records only in a short form.
//! A server is free to answer with an endless stream or a 50 MB error page; neither may grow
//! the process or flood the console.

use serde_json::Value;

use super::redact_passwords;

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
pub(super) async fn read_capped(
    resp: &mut reqwest::Response,
    max: u64,
) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Http)? {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
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

/// What an exchange records of a response: JSON whole (passwords redacted) while small,
/// otherwise the first 2 KiB of its text with the size.
pub(super) fn recorded(body: Option<&Value>, text: &str) -> Option<Value> {
    match body {
        Some(body) => {
            let mut body = body.clone();
            // Before cutting: a cut string can no longer be searched by key.
            redact_passwords(&mut body);
            // Measured without building the text: almost every body is small and kept whole.
            if serialized_len(&body) <= RECORDED_JSON_MAX {
                Some(body)
            } else {
                Some(Value::String(truncate_text(
                    &body.to_string(),
                    RECORDED_TEXT_MAX,
                )))
            }
        }
        None if text.is_empty() => None,
        None => Some(Value::String(truncate_text(text, RECORDED_TEXT_MAX))),
    }
}

/// The length of `value`'s compact JSON text, counted as it is written.
fn serialized_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
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

    #[test]
    fn small_json_is_recorded_whole_with_passwords_redacted() {
        let body = json!({"userName": "a", "password": "p"});
        assert_eq!(
            recorded(Some(&body), "ignored"),
            Some(json!({"userName": "a", "password": "[REDACTED]"}))
        );
        assert_eq!(recorded(None, ""), None);
        assert_eq!(recorded(None, "oops"), Some(json!("oops")));
    }

    #[test]
    fn the_counted_length_is_the_length_of_the_text() {
        let body = json!({"a": "é\"\n\u{1}", "b": [1, 2.5, null, true], "c": {}});
        assert_eq!(serialized_len(&body), body.to_string().len());
    }

    #[test]
    fn large_bodies_are_recorded_as_their_start_and_size() {
        let big = json!({"password": "p", "x": "y".repeat(RECORDED_JSON_MAX)});
        // Counted after redaction: "p" became "[REDACTED]", 9 bytes more.
        let size = big.to_string().len() + 9;
        let Some(Value::String(kept)) = recorded(Some(&big), "") else {
            panic!("a large JSON body is recorded as a string");
        };
        assert!(
            kept.starts_with("{\"password\":\"[REDACTED]\""),
            "{kept:.40}"
        );
        assert!(kept.ends_with(&format!("… ({size} bytes in all)")));
        assert!(kept.len() < RECORDED_TEXT_MAX + 40);

        let page = "<html>".repeat(10_000);
        let Some(Value::String(kept)) = recorded(None, &page) else {
            panic!("text is recorded as a string");
        };
        assert!(kept.ends_with("… (60000 bytes in all)"));
        assert!(kept.len() < RECORDED_TEXT_MAX + 40);
    }
}
