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
    secrets: Arc<RwLock<Vec<Known>>>,
}

/// A secret with its searcher, built once: every body of every exchange is searched for it.
#[derive(Clone)]
struct Known {
    text: String,
    finder: memchr::memmem::Finder<'static>,
    /// JSON text writes it with escapes (`json_escapes`), so a search of the text can miss it.
    escapes: bool,
}

impl Known {
    fn new(text: &str) -> Known {
        Known {
            text: text.to_string(),
            finder: memchr::memmem::Finder::new(text.as_bytes()).into_owned(),
            escapes: json_escapes(text),
        }
    }
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
        if !secrets.iter().any(|s| s.text == secret) {
            secrets.push(Known::new(secret));
            // Longest first, so a secret that contains another is replaced whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.text.len()));
        }
    }

    /// Takes every secret `other` holds, so the two scrub alike from now on.
    pub(super) fn absorb(&self, other: &Redactor) {
        if Arc::ptr_eq(&self.secrets, &other.secrets) {
            return;
        }
        let theirs: Vec<String> = other.read().iter().map(|s| s.text.clone()).collect();
        theirs.iter().for_each(|s| self.add_text(s));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Known>> {
        self.secrets.read().unwrap_or_else(|e| e.into_inner())
    }

    /// `text` with every secret and every `user:password@` in a URL replaced by `[REDACTED]`.
    pub fn scrub(&self, text: &str) -> String {
        scrubbed(&self.read(), text).unwrap_or_else(|| text.to_string())
    }

    /// `scrub` in place: a clean text (every exchange's URL, nearly always) is not copied.
    pub fn scrub_in_place(&self, text: &mut String) {
        if let Some(clean) = scrubbed(&self.read(), text) {
            *text = clean;
        }
    }

    /// Scrubs every string and every object key, at any depth.
    /// The secrets are read once per value and clean strings are not copied: every body
    /// of every exchange passes here, so a copy per string and key was a large share of
    /// the harness's own time per request.
    pub fn scrub_value(&self, value: &mut Value) {
        scrub_value_with(&self.read(), value);
    }

    /// Which walks a request body needs, read from the text serde_json wrote for it
    /// (compact, as `serde_json::to_string` writes it): the secret walk unless the text is
    /// clean as an answer's would be (`is_clean_raw_json`; serde_json writes a `\u` only for
    /// a control character, which then takes both walks), the password walk when it names
    /// a password. Every request body is checked: the walks and the copy they need were a
    /// few per cent of the harness's own time per request, and a body almost never needs
    /// the secret walk, while every Okta create needs the password walk (§2.2).
    pub(super) fn request_walks(&self, json: &str) -> Walks {
        let secrets = !self.is_clean_raw_json(json);
        Walks {
            // `may_name_password` less its `\u` test: a `\u` takes the secret walk, and
            // with it this one.
            passwords: secrets || names_password(json),
            secrets,
        }
    }

    /// Whether the raw JSON text a server sent holds nothing to scrub, so the value parsed
    /// from it needs no walk. One search of the answer replaces a search per string and
    /// key (~50 per answer, a tenth of the harness's instructions per request under
    /// callgrind). It holds only where the text shows every string as parsed: no `\u`
    /// escape (`\u0061` spells an `a` a search would miss) and no `\/` (it hides a `://`).
    /// The escapes left (`\"` in every ETag, `\\`, `\n`…) stand for a quote, a backslash
    /// or a control character, so they can split only a secret that holds one of those, and
    /// such a secret always takes the walk.
    pub(super) fn is_clean_raw_json(&self, raw: &str) -> bool {
        let secrets = self.read();
        let escapes = Escapes::of(raw);
        !escapes.unicode
            && !escapes.slash
            && !secrets.iter().any(|s| s.escapes)
            && is_clean_text(&secrets, raw)
    }
}

/// Whether JSON text writes `secret` with escapes: it holds a quote, a backslash or a
/// control character.
fn json_escapes(secret: &str) -> bool {
    secret.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// Whether `text` holds no secret and no URL with a password.
fn is_clean_text(secrets: &[Known], text: &str) -> bool {
    !holds_secret(secrets, text) && !has_userinfo(text)
}

fn holds_secret(secrets: &[Known], text: &str) -> bool {
    secrets
        .iter()
        .any(|s| s.finder.find(text.as_bytes()).is_some())
}

/// The walks over a parsed body its text showed it needs (`Redactor::request_walks`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Walks {
    /// `redact_passwords`: the text may name a password.
    pub passwords: bool,
    /// `Redactor::scrub_value`: the text may hold a secret or a URL with a password.
    pub secrets: bool,
}

/// Whether JSON `text` may hold a `password` key (any case): the letters appear, or a `\u`
/// escape could spell them.
pub(super) fn may_name_password(text: &str) -> bool {
    names_password(text) || Escapes::of(text).unicode
}

/// The escapes in JSON text that can hide what a search looks for: `\u` (any character) and
/// `\/` (a `/` of a `://`). One pass over the backslashes, which most answers have none or
/// a few of (an ETag's `\"`): `str::contains` built a two-way searcher per call, twice an
/// answer and three times a request body (~2,500 instructions a request under callgrind).
#[derive(Clone, Copy, Default)]
struct Escapes {
    unicode: bool,
    slash: bool,
}

impl Escapes {
    fn of(text: &str) -> Escapes {
        let bytes = text.as_bytes();
        let mut found = Escapes::default();
        let mut at = 0;
        while let Some(i) = memchr::memchr(b'\\', &bytes[at..]) {
            let i = at + i;
            match bytes.get(i + 1) {
                Some(b'u') => found.unicode = true,
                Some(b'/') => found.slash = true,
                _ => {}
            }
            if found.unicode && found.slash {
                break;
            }
            // An escaped backslash is one escape: `\\u` is a backslash, then a `u`.
            at = i + 2;
            if at >= bytes.len() {
                break;
            }
        }
        found
    }
}

/// Whether `text` holds `password` in any mix of cases. Found from its `w`: in SCIM JSON a
/// `p` is everywhere (`primary`, `department`, `enterprise`, `employeeNumber`…) and each
/// was a comparison, while a `w` is rare (`work`). Every request body and every answer is
/// searched (~1,000 instructions an answer from the `p`s, callgrind).
fn names_password(text: &str) -> bool {
    const WORD: &[u8] = b"password";
    const PIVOT: usize = 4; // WORD[PIVOT] == b'w'
    let text = text.as_bytes();
    memchr::memchr2_iter(b'w', b'W', text).any(|i| {
        i.checked_sub(PIVOT)
            .and_then(|start| text.get(start..start + WORD.len()))
            .is_some_and(|w| w.eq_ignore_ascii_case(WORD))
    })
}

/// `text` scrubbed, or `None` when there is nothing to replace (no URL with a password, no
/// secret): the common case costs a search, not a copy.
fn scrubbed(secrets: &[Known], text: &str) -> Option<String> {
    // Most URLs (every `meta.location`) carry no password: finding that out copies nothing.
    let userinfo = has_userinfo(text);
    if !userinfo && !holds_secret(secrets, text) {
        return None;
    }
    let mut out = if userinfo {
        scrub_userinfo(text)
    } else {
        text.to_string()
    };
    for secret in secrets.iter().map(|s| s.text.as_str()) {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    (out != text).then_some(out)
}

fn scrub_value_with(secrets: &[Known], value: &mut Value) {
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
    while let Some((head, authority, tail)) = next_authority(rest) {
        out.push_str(head);
        match password_end(authority) {
            Some(at) => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Whether `text` holds a URL with a password, which `scrub_userinfo` would replace.
fn has_userinfo(text: &str) -> bool {
    let mut rest = text;
    while let Some((_, authority, tail)) = next_authority(rest) {
        if password_end(authority).is_some() {
            return true;
        }
        rest = tail;
    }
    false
}

/// The next URL authority in `text`: the text up to and including `://`, the authority
/// after it, and the text after that.
fn next_authority(text: &str) -> Option<(&str, &str, &str)> {
    static SCHEME_END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"://"));
    let i = SCHEME_END.find(text.as_bytes())?;
    let (head, tail) = text.split_at(i + 3);
    let end = authority_end(tail);
    Some((head, &tail[..end], &tail[end..]))
}

/// Whether `c` ends a URL authority.
fn ends_authority(c: char) -> bool {
    matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace()
}

/// Where the authority at the start of `tail` ends: read by bytes while they are ASCII
/// (every authority the harness meets), by characters from the first that is not (it may
/// be whitespace, U+00A0…). Decoding each character cost ~1,000 instructions a request.
fn authority_end(tail: &str) -> usize {
    for (i, &b) in tail.as_bytes().iter().enumerate() {
        if !b.is_ascii() {
            // `i` is a character boundary: every byte before it is ASCII.
            return i + tail[i..].find(ends_authority).unwrap_or(tail.len() - i);
        }
        if ends_authority(char::from(b)) {
            return i;
        }
    }
    tail.len()
}

/// Where `user:password` ends in an authority (at its last `@`), when it holds a password.
fn password_end(authority: &str) -> Option<usize> {
    authority
        .rfind('@')
        .filter(|&at| authority[..at].contains(':'))
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

/// Replaces the value of every `password` key (any case, any depth) with `[REDACTED]`.
pub fn redact_passwords(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k.eq_ignore_ascii_case("password") {
                    *v = Value::String("[REDACTED]".into());
                } else {
                    redact_passwords(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_passwords),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
