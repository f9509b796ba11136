//! The request side of the SCIM vocabulary: verbs, a request relative to the tenant URL,
//! query and filter-value encoding as IdPs send it, ListResponse resources, and building a
//! body from attribute paths. Profiles build requests with it; `check` and cleanup read with it.

use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// HTTP verbs of the requests the harness sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Verb {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "DELETE")]
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// One request to send, relative to the tenant URL: what a profile builds and what `check`
/// and cleanup read with.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimRequest {
    pub verb: Verb,
    /// Path and query relative to the base URL, already encoded: `/Users?filter=…`.
    pub path: String,
    /// Shared, not copied, with the record of the exchange that sends it (`client::Exchange`):
    /// the copy was ~2 % of the harness's instructions per request.
    pub body: Option<Arc<Value>>,
}

impl ScimRequest {
    pub fn get(path: impl Into<String>) -> Self {
        ScimRequest {
            verb: Verb::Get,
            path: path.into(),
            body: None,
        }
    }

    pub fn with_body(verb: Verb, path: impl Into<String>, body: Value) -> Self {
        ScimRequest {
            verb,
            path: path.into(),
            body: Some(Arc::new(body)),
        }
    }

    /// Whether the request changes the target: every verb but GET, except a POST to a
    /// `/.search` endpoint, which is a query (RFC 7644 §3.4.3).
    pub fn is_write(&self) -> bool {
        match self.verb {
            Verb::Get => false,
            Verb::Post => !self
                .path
                .split('?')
                .next()
                .unwrap_or("")
                .ends_with("/.search"),
            Verb::Put | Verb::Patch | Verb::Delete => true,
        }
    }
}

/// A JSON object of `members`, in their order, each value moved in. `json!` serializes every
/// value it embeds — a deep copy through serde's serializer, each key made and hashed again —
/// so a body of nested `json!` copied its inner parts once per level: Okta's PATCH adding ten
/// members took ~10 µs to build.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut map = serde_json::Map::with_capacity(N);
    for (key, value) in members {
        map.insert(key.to_string(), value);
    }
    Value::Object(map)
}

/// A PatchOp body (RFC 7644 §3.5.2) carrying `ops`, moved in.
pub fn patch_op(ops: Vec<Value>) -> Value {
    object([
        (
            "schemas",
            Value::Array(vec![Value::from(super::urn::PATCH_OP)]),
        ),
        ("Operations", Value::Array(ops)),
    ])
}

/// A PATCH operation `op` on `members` whose value lists `ids` as `{"value": id}` objects
/// (RFC 7644 §3.5.2): the add most IdPs send, and Entra's default-dialect remove.
pub fn members_op(op: &str, ids: &[String]) -> Value {
    let value = ids
        .iter()
        .map(|id| object([("value", Value::String(id.clone()))]))
        .collect();
    object([
        ("op", Value::from(op)),
        ("path", Value::from("members")),
        ("value", Value::Array(value)),
    ])
}

/// Query-string encoding as IdPs send it: space as `+`, quotes as `%22` (§1.2).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b' ');

pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    push_query_encoded(&mut out, value);
    out
}

/// Appends `value` query-encoded (`encode_query_value`): the encoder's runs are pushed as
/// they come, not written through `Display` into a string and then copied by a `replace`.
fn push_query_encoded(out: &mut String, value: &str) {
    for run in utf8_percent_encode(value, QUERY) {
        if run.contains(' ') {
            out.extend(run.chars().map(|c| if c == ' ' { '+' } else { c }));
        } else {
            out.push_str(run);
        }
    }
}

/// `head` + the query-encoded filter `<attr> eq "<value>"` + `tail`: every IdP's matching
/// query (`/Users?filter=`, Okta's paging after it). The same text as
/// `encode_query_value(&format!("{attr} eq {}", quote(value)))`, written into one string: the
/// three steps allocated five times a query, once per user of an initial cycle.
pub fn eq_filter_path(head: &str, attr: &str, value: &str, tail: &str) -> String {
    let mut out = String::with_capacity(head.len() + attr.len() + value.len() + tail.len() + 24);
    out.push_str(head);
    push_query_encoded(&mut out, attr);
    out.push_str("+eq+%22");
    // `quote`'s escapes, encoded: `\\` is `%5C%5C`, `\"` is `%5C%22`.
    let mut rest = value;
    while let Some(at) = rest.find(['\\', '"']) {
        push_query_encoded(&mut out, &rest[..at]);
        out.push_str(if rest.as_bytes()[at] == b'\\' {
            "%5C%5C"
        } else {
            "%5C%22"
        });
        rest = &rest[at + 1..];
    }
    push_query_encoded(&mut out, rest);
    out.push_str("%22");
    out.push_str(tail);
    out
}

/// A filter string value, quoted with `"` and `\` escaped (RFC 7644 §3.4.2.2).
pub fn quote(value: &str) -> String {
    format!("\"{}\"", escape_filter_value(value))
}

/// `value` with `\` and `"` escaped for a quoted filter string, unquoted: what `quote` puts
/// between its quotes, and what Ping's filter templates put in place of `%s`.
pub fn escape_filter_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The resources of a ListResponse body, as the server sent them.
pub fn list_resources(body: Option<&Value>) -> Vec<Value> {
    body.and_then(|b| b.get("Resources"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Whether `path` is a plain attribute name (no URN, filter or sub-attribute), which parses
/// to itself: `set_path` needs no parse for it.
pub fn is_plain_name(path: &str) -> bool {
    !path.is_empty() && !path.contains([':', '[', '.'])
}

/// Sets `value` at a mapped attribute path inside a JSON body, creating the containers:
/// `name.givenName` nests, `emails[type eq "work"].value` creates a typed element,
/// extension URNs nest under their schema key.
pub fn set_path(body: &mut serde_json::Map<String, Value>, path: &str, value: Value) {
    use super::lookup::ClientPath;
    use super::schema::USER;
    // Set at once, as most of a POST's attributes are, without the parse's strings.
    if is_plain_name(path) {
        body.insert(path.to_string(), value);
        return;
    }
    match ClientPath::parse(path, &USER) {
        Ok(p) => set_parsed(body, &p, value),
        Err(_) => {
            body.insert(path.to_string(), value);
        }
    }
}

/// `set_path` for a path parsed once (a profile's static mapping), not for every user.
pub fn set_parsed(
    body: &mut serde_json::Map<String, Value>,
    p: &super::lookup::ClientPath<'_>,
    value: Value,
) {
    let holder = match p.extension {
        Some(urn) => {
            let entry = body
                .entry(urn.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
            match entry.as_object_mut() {
                Some(h) => h,
                None => return,
            }
        }
        None => body,
    };
    match (&p.select, &p.sub) {
        (Some((key, selector)), Some(sub)) => {
            let list = holder
                .entry(p.attr.to_string())
                .or_insert_with(|| Value::Array(vec![]));
            if let Some(items) = list.as_array_mut() {
                let mut element = serde_json::Map::new();
                element.insert("primary".into(), Value::Bool(items.is_empty()));
                element.insert(key.to_string(), Value::String(selector.to_string()));
                element.insert(sub.to_string(), value);
                items.push(Value::Object(element));
            }
        }
        (None, Some(sub)) => {
            let parent = holder
                .entry(p.attr.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(obj) = parent.as_object_mut() {
                obj.insert(sub.to_string(), value);
            }
        }
        _ => {
            holder.insert(p.attr.to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Members go on the wire in the order given, as the IdPs send them: `op` before `path`
    /// before `value` (wiremock pins compare values, not text, so this is checked here).
    #[test]
    fn an_object_keeps_its_members_in_the_order_given() {
        let op = object([
            ("op", Value::from("add")),
            ("path", Value::from("members")),
            ("value", json!([{"value": "u-1"}])),
        ]);
        assert_eq!(
            op.to_string(),
            r#"{"op":"add","path":"members","value":[{"value":"u-1"}]}"#
        );
        assert_eq!(
            patch_op(vec![op]).to_string(),
            format!(
                r#"{{"schemas":["{}"],"Operations":[{{"op":"add","path":"members","value":[{{"value":"u-1"}}]}}]}}"#,
                super::super::urn::PATCH_OP
            )
        );
    }

    #[test]
    fn only_reads_and_searches_are_not_writes() {
        assert!(!ScimRequest::get("/Users?filter=x").is_write());
        let post = |path: &str| ScimRequest::with_body(Verb::Post, path, json!({}));
        assert!(!post("/Users/.search").is_write());
        assert!(!post("/.search").is_write());
        assert!(post("/Users").is_write());
        assert!(post("/Users/.searchx").is_write());
        for verb in [Verb::Put, Verb::Patch, Verb::Delete] {
            assert!(ScimRequest::with_body(verb, "/Users/1", json!({})).is_write());
        }
    }

    #[test]
    fn filter_values_are_encoded_as_idps_send_them() {
        let f = format!("userName eq {}", quote("a+b@x.com"));
        assert_eq!(encode_query_value(&f), "userName+eq+%22a%2Bb%40x.com%22");
        assert_eq!(quote(r#"we"ird\"#), r#""we\"ird\\""#);
        assert_eq!(
            eq_filter_path("/Users?filter=", "userName", r#"a b"c\é"#, ""),
            "/Users?filter=userName+eq+%22a+b%5C%22c%5C%5C%C3%A9%22"
        );
    }

    proptest::proptest! {
        /// What `set_path`'s shortcut for plain names relies on: a non-empty name without
        /// `:`, `[` or `.` parses to itself, with no extension, filter or sub-attribute.
        #[test]
        fn a_plain_name_parses_to_itself(name in "[^:\\[.]{1,20}") {
            let p = crate::scim::lookup::ClientPath::parse(&name, &crate::scim::schema::USER)
                .expect("parses");
            proptest::prop_assert_eq!(&p.attr, &name);
            proptest::prop_assert!(p.extension.is_none() && p.select.is_none() && p.sub.is_none());
        }

        /// The one-string matching query writes what quoting, formatting and encoding in
        /// three steps wrote, for any attribute and value: spaces, quotes, backslashes,
        /// `%`, `+` and text beyond ASCII included.
        #[test]
        fn an_eq_filter_path_is_the_three_steps_in_one(
            attr in "[a-zA-Z:. ]{0,12}",
            value in "(\\PC|[\\\\\" %+&=])*",
        ) {
            let three = format!(
                "/Users?filter={}&count=1",
                encode_query_value(&format!("{attr} eq {}", quote(&value)))
            );
            proptest::prop_assert_eq!(eq_filter_path("/Users?filter=", &attr, &value, "&count=1"), three);
        }
    }

    #[test]
    fn set_path_builds_nested_bodies() {
        let mut body = serde_json::Map::new();
        set_path(&mut body, "userName", json!("a"));
        set_path(&mut body, "name.givenName", json!("A"));
        set_path(&mut body, "emails[type eq \"work\"].value", json!("a@x"));
        set_path(
            &mut body,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            json!("R&D"),
        );
        assert_eq!(
            Value::Object(body),
            json!({
                "userName": "a",
                "name": {"givenName": "A"},
                "emails": [{"primary": true, "type": "work", "value": "a@x"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
            })
        );
    }
}
