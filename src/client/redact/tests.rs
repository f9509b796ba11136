//! Redaction: what is replaced, what is found clean, and what the searches behind both find.

use super::*;
use serde_json::json;

#[test]
fn passwords_are_redacted_at_any_depth() {
    let mut v = serde_json::json!({"userName": "a", "password": "p1",
        "x": [{"Password": "p2"}], "y": {"passwordHint": "kept"}});
    redact_passwords(&mut v);
    assert_eq!(
        v,
        serde_json::json!({"userName": "a", "password": "[REDACTED]",
            "x": [{"Password": "[REDACTED]"}], "y": {"passwordHint": "kept"}})
    );
}

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
fn clean_json_is_told_from_json_with_a_secret_a_url_or_a_password() {
    let r = Redactor::new();
    r.add_text("s3cret-token-value");
    let text = |v: serde_json::Value| v.to_string();
    let walks = |r: &Redactor, v: serde_json::Value| {
        let w = r.request_walks(&text(v));
        (w.passwords, w.secrets)
    };
    assert_eq!(
        walks(&r, json!({"userName": "a", "x": [1, "b"]})),
        (false, false)
    );
    for secret in [
        json!({"a": ["x s3cret-token-value y"]}),
        json!({"s3cret-token-value": 1}),
        json!({"ref": "https://u:p@host/x"}),
        // A control character is written `\u0001`, which could spell anything.
        json!({"a": "\u{1}"}),
    ] {
        assert_eq!(walks(&r, secret.clone()), (true, true), "{secret}");
    }
    // A password alone needs its walk, not the secret walk.
    for password in [
        json!({"PassWord": "p"}),
        json!({"nested": {"password": "p"}}),
    ] {
        assert_eq!(walks(&r, password.clone()), (true, false), "{password}");
    }
    // A secret that JSON would escape cannot be searched for in the text.
    let quoted = Redactor::new();
    quoted.add_text("a\"quoted\"secret");
    assert_eq!(walks(&quoted, json!({})), (true, true));
}

#[test]
fn a_raw_answer_is_clean_only_without_escapes_secrets_or_url_passwords() {
    let r = Redactor::new();
    r.add_text("s3cret-token-value");
    assert!(r.is_clean_raw_json(
        r#"{"emails":[{"value":"u@x.example"}],"meta":{"location":"https://h/Users/1","version":"W/\"1\""}}"#
    ));
    for dirty in [
        r#"{"echo":"s3cret-token-value"}"#,
        r#"{"ref":"https://admin:pw@h/x"}"#,
        // `\u0073` is an `s`: the parsed value holds the secret the text does not show.
        r#"{"echo":"\u00733cret-token-value"}"#,
        // `\/` is a `/`: the parsed value holds a URL with a password.
        r#"{"ref":"https:\/\/admin:pw@h"}"#,
    ] {
        assert!(!r.is_clean_raw_json(dirty), "{dirty}");
    }
    // A secret JSON writes with escapes may hide behind `\"`: such a secret always walks.
    let quoted = Redactor::new();
    quoted.add_text("a\"quoted\"secret");
    for text in [r#"{"a":1}"#, r#"{"echo":"a\"quoted\"secret"}"#] {
        assert!(!quoted.is_clean_raw_json(text), "{text}");
    }
}

#[test]
fn escapes_are_read_pairwise_so_an_escaped_backslash_hides_nothing() {
    let of = |t: &str| {
        let e = Escapes::of(t);
        (e.unicode, e.slash)
    };
    assert_eq!(of(r#"{"a":"plain","etag":"W/\"1\""}"#), (false, false));
    assert_eq!(of(r#"{"a":"\u0061"}"#), (true, false));
    assert_eq!(of(r#"{"a":"http:\/\/h"}"#), (false, true));
    // `\\u`: a backslash, then the letter u; `\\\u`: a backslash, then an escape.
    assert_eq!(of(r#"{"a":"\\u0061"}"#), (false, false));
    assert_eq!(of(r#"{"a":"\\\u0061"}"#), (true, false));
    assert_eq!(of(r#"{"a":"x\\/"}"#), (false, false));
    // A backslash as the last byte (not JSON, but answers are not always JSON).
    assert_eq!(of("abc\\"), (false, false));
    assert_eq!(of("\\u"), (true, false));
}

#[test]
fn a_password_is_named_in_any_case_anywhere_and_only_whole() {
    for text in [
        "password",
        "PASSWORD",
        "x\"PassWord\":1",
        "wwwpasswordw",
        "pwd password",
    ] {
        assert!(names_password(text), "{text}");
    }
    for text in [
        "",
        "w",
        "passwor",
        "assword",
        "pass word",
        "work www sw",
        "passwo rd",
    ] {
        assert!(!names_password(text), "{text}");
    }
}

#[test]
fn an_authority_ends_at_the_first_delimiter_or_whitespace_ascii_or_not() {
    assert_eq!(authority_end("h:1/x"), 3);
    assert_eq!(authority_end("u:p@h?q"), 5);
    assert_eq!(authority_end("h\u{b}x"), 1);
    assert_eq!(authority_end("h"), 1);
    assert_eq!(authority_end(""), 0);
    // Past the first non-ASCII character, by characters: U+00A0 is whitespace, é is not.
    assert_eq!(authority_end("hé:p@x/y"), 7);
    assert_eq!(authority_end("h\u{a0}x"), 1);
    assert_eq!(authority_end("é"), 2);
    assert_eq!(
        scrub_userinfo("https://ü:pw@hé/x https://a:b@c d"),
        "https://[REDACTED]@hé/x https://[REDACTED]@c d"
    );
}

#[test]
fn a_url_password_is_found_where_scrub_userinfo_replaces_one() {
    for text in [
        "https://admin:pa55@host:8443/scim",
        "see \"http://u:p@h\" then",
        "ftp://x:y@z and https://h/p",
    ] {
        assert!(has_userinfo(text), "{text}");
        assert_ne!(scrub_userinfo(text), text);
    }
    for text in [
        "https://alice@host/x",
        "http://h/p?q=a:b@c",
        "no url",
        "u@x.example",
    ] {
        assert!(!has_userinfo(text), "{text}");
        assert_eq!(scrub_userinfo(text), text);
    }
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
