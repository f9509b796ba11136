//! Redaction by replacement: every secret the run uses, swapped for `[REDACTED]` in whatever
//! text crosses the client's edge. Refusing to print a report that holds the token turned a
//! server echoing it into a crash with no report; replacing it keeps both the report and the
//! tenant's credential safe.

use std::sync::{Arc, RwLock};

use serde_json::Value;

use super::Secret;

/// What every secret becomes.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this cannot be told apart from ordinary words (a test token `tok`
/// inside "token"): replacing them would garble text without protecting anything real.
pub const MIN_SECRET_LEN: usize = 8;

/// The secrets of one run. Clones share the list, so a token rotated on one client is
/// scrubbed from the reports written through another clone.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.read().len())
    }
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let r = Redactor::new();
        secrets.into_iter().for_each(|s| r.add(s));
        r
    }

    /// Adds a secret; a rotated token is added, the old one stays (it may still be echoed).
    pub fn add(&self, secret: &Secret) {
        self.add_text(secret.expose());
    }

    pub(super) fn add_text(&self, secret: &str) {
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_string());
            // Longest first, so a secret that contains another is replaced whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Takes every secret `other` holds, so the two scrub alike from now on.
    pub(super) fn absorb(&self, other: &Redactor) {
        if Arc::ptr_eq(&self.secrets, &other.secrets) {
            return;
        }
        let theirs = other.read().clone();
        theirs.iter().for_each(|s| self.add_text(s));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.secrets.read().unwrap_or_else(|e| e.into_inner())
    }

    /// `text` with every secret and every `user:password@` in a URL replaced by `[REDACTED]`.
    pub fn scrub(&self, text: &str) -> String {
        scrubbed(&self.read(), text).unwrap_or_else(|| text.to_string())
    }

    /// Scrubs every string and every object key, at any depth.
    /// The secrets are read once per value and clean strings are not copied: every body
    /// of every exchange passes here, so a copy per string and key was a large share of
    /// the harness's own time per request.
    pub fn scrub_value(&self, value: &mut Value) {
        scrub_value_with(&self.read(), value);
    }
}

/// `text` scrubbed, or `None` when there is nothing to replace (no URL with a password, no
/// secret): the common case costs a search, not a copy.
fn scrubbed(secrets: &[String], text: &str) -> Option<String> {
    let has_url = text.contains("://");
    if !has_url && !secrets.iter().any(|s| text.contains(s.as_str())) {
        return None;
    }
    let mut out = if has_url {
        scrub_userinfo(text)
    } else {
        text.to_string()
    };
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    (out != text).then_some(out)
}

fn scrub_value_with(secrets: &[String], value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(clean) = scrubbed(secrets, s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value_with(secrets, v)),
        Value::Object(map) => {
            let dirty = map.keys().any(|k| scrubbed(secrets, k).is_some());
            if dirty {
                // Rebuilt rather than renamed in place, to keep the key order.
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    scrub_value_with(secrets, &mut v);
                    let k = scrubbed(secrets, &k).unwrap_or(k);
                    map.insert(k, v);
                }
            } else {
                map.values_mut().for_each(|v| scrub_value_with(secrets, v));
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Replaces the `user:password` of every `scheme://user:password@host` with `[REDACTED]`:
/// a target URL may carry Basic credentials, and it shows up in every exchange and error.
/// A bare `user@host` (no password) is left alone.
pub fn scrub_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if authority[..at].contains(':') => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces the default panic hook with one that scrubs the message: a panic while a
/// response is in hand would otherwise print whatever the server sent, token included.
pub fn install_panic_scrubber(redactor: Redactor) {
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| l.to_string());
        let thread = std::thread::current();
        let mut text = panic_text(
            info.payload(),
            thread.name().unwrap_or("<unnamed>"),
            location.as_deref(),
        );
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            text.push_str(&format!("\nstack backtrace:\n{backtrace}"));
        } else {
            text.push_str(
                "\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
            );
        }
        eprintln!("{}", redactor.scrub(&text));
    }));
}

/// The panic message as the default hook words it.
fn panic_text(payload: &dyn std::any::Any, thread: &str, location: Option<&str>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    format!(
        "thread '{thread}' panicked at {}:\n{message}",
        location.unwrap_or("<unknown>")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_replaced_wherever_they_appear() {
        let r = Redactor::from_secrets([&Secret::new("hunter2-long")]);
        assert_eq!(
            r.scrub("a hunter2-long b hunter2-long"),
            "a [REDACTED] b [REDACTED]"
        );
        assert_eq!(r.scrub("nothing here"), "nothing here");
    }

    #[test]
    fn short_secrets_are_not_replaced() {
        let r = Redactor::from_secrets([&Secret::new("tok")]);
        assert_eq!(
            r.scrub("a token"),
            "a token",
            "too short to tell from words"
        );
    }

    #[test]
    fn the_longer_of_two_overlapping_secrets_goes_whole() {
        let r = Redactor::from_secrets([&Secret::new("abcdefgh"), &Secret::new("abcdefgh-ijkl")]);
        assert_eq!(r.scrub("x abcdefgh-ijkl y"), "x [REDACTED] y");
    }

    #[test]
    fn json_keys_and_values_are_scrubbed_at_any_depth() {
        let r = Redactor::from_secrets([&Secret::new("s3cr3t-token")]);
        let mut v = json!({
            "detail": "bad token s3cr3t-token",
            "s3cr3t-token": {"list": ["ok", "Bearer s3cr3t-token", 3, null]},
            "after": true,
        });
        r.scrub_value(&mut v);
        assert_eq!(
            v,
            json!({
                "detail": "bad token [REDACTED]",
                "[REDACTED]": {"list": ["ok", "Bearer [REDACTED]", 3, null]},
                "after": true,
            })
        );
        let keys: Vec<&String> = v
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["detail", "[REDACTED]", "after"], "key order kept");
    }

    #[test]
    fn a_rotated_token_is_added_and_the_old_one_kept_in_every_clone() {
        let r = Redactor::from_secrets([&Secret::new("first-token")]);
        let clone = r.clone();
        r.add(&Secret::new("second-token"));
        assert_eq!(
            clone.scrub("first-token second-token"),
            "[REDACTED] [REDACTED]"
        );
    }

    #[test]
    fn absorb_takes_the_other_secrets() {
        let shared = Redactor::new();
        let own = Redactor::from_secrets([&Secret::new("client-token")]);
        shared.absorb(&own);
        shared.absorb(&shared.clone());
        assert_eq!(shared.scrub("client-token"), REDACTED);
        assert_eq!(format!("{shared:?}"), "Redactor(1 secrets)");
    }

    #[test]
    fn url_passwords_are_replaced_and_bare_users_kept() {
        assert_eq!(
            scrub_userinfo("failed to connect to https://admin:pa55@host:8443/scim: refused"),
            "failed to connect to https://[REDACTED]@host:8443/scim: refused"
        );
        assert_eq!(
            scrub_userinfo("see https://alice@host/x and http://h/p?q=a:b@c"),
            "see https://alice@host/x and http://h/p?q=a:b@c"
        );
        assert_eq!(
            scrub_userinfo("\"http://u:p@h\" then ftp://x:y@z"),
            "\"http://[REDACTED]@h\" then ftp://[REDACTED]@z"
        );
        assert_eq!(scrub_userinfo("no url"), "no url");
    }

    #[test]
    fn panic_text_reads_like_the_default_hook() {
        let payload: Box<dyn std::any::Any + Send> = Box::new(String::from("boom"));
        assert_eq!(
            panic_text(payload.as_ref(), "main", Some("src/x.rs:1:2")),
            "thread 'main' panicked at src/x.rs:1:2:\nboom"
        );
        let payload: Box<dyn std::any::Any + Send> = Box::new(7u8);
        assert!(panic_text(payload.as_ref(), "t", None).ends_with("Box<dyn Any>"));
    }
}
