//! Server-assigned ids are data, never path syntax: `server_id` accepts only what RFC 7643
//! §3.1 allows (a non-empty string), `resource_path` puts it in a URL as exactly one segment.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// Everything but letters, digits, `-`, `_` and `~` is encoded, so `/`, `?`, `#` and `%`
/// can never change which resource a path names. `.` is unreserved (RFC 3986 §2.3) but
/// encoded too: a server or proxy that decodes `%2F` before normalising would otherwise turn
/// `..%2FUsers%2Fx` into a dot-segment (§5.2.4) and address another user.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// `/{endpoint}/{id}` with `id` percent-encoded as one path segment.
pub fn resource_path(endpoint: &str, id: &str) -> String {
    member_path(&format!("/{endpoint}"), id)
}

/// `{collection}/{id}` for a collection the IdP was configured with (PingOne's
/// `USERS_RESOURCE`, e.g. `/Accounts`), `id` percent-encoded as one path segment.
pub fn member_path(collection: &str, id: &str) -> String {
    format!(
        "{}/{}",
        collection.trim_end_matches('/'),
        utf8_percent_encode(id, SEGMENT)
    )
}

/// Why a resource's `id` cannot be used to address it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadId {
    #[error("the server's answer carries no `id`")]
    Missing,
    #[error("the server's id is null, not a string")]
    Null,
    #[error("the server's id is the empty string")]
    Empty,
    #[error("the server's id is the number {0}, not a string")]
    Number(String),
    #[error("the server's id is {0}, not a string")]
    Other(String),
}

/// The `id` of a resource the server returned: a non-empty JSON string, or why not.
pub fn server_id(resource: &Value) -> Result<&str, BadId> {
    match resource.get("id") {
        None => Err(BadId::Missing),
        Some(Value::Null) => Err(BadId::Null),
        Some(Value::String(s)) if s.is_empty() => Err(BadId::Empty),
        Some(Value::String(s)) => Ok(s),
        Some(Value::Number(n)) => Err(BadId::Number(n.to_string())),
        Some(Value::Bool(b)) => Err(BadId::Other(format!("the boolean {b}"))),
        Some(Value::Array(_)) => Err(BadId::Other("an array".into())),
        Some(Value::Object(_)) => Err(BadId::Other("an object".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_ids_are_unchanged() {
        assert_eq!(
            resource_path("Users", "2819c223-7f76"),
            "/Users/2819c223-7f76"
        );
        assert_eq!(resource_path("Groups", "abcXYZ019"), "/Groups/abcXYZ019");
        assert_eq!(resource_path("Users", "a_c~d"), "/Users/a_c~d");
    }

    #[test]
    fn an_id_is_exactly_one_segment() {
        assert_eq!(
            resource_path("Users", "../Users/x"),
            "/Users/%2E%2E%2FUsers%2Fx"
        );
        assert_eq!(
            resource_path("Users", "a/b?c=d#e f"),
            "/Users/a%2Fb%3Fc%3Dd%23e%20f"
        );
        assert_eq!(resource_path("Users", ".."), "/Users/%2E%2E");
        assert_eq!(resource_path("Users", "."), "/Users/%2E");
        assert_eq!(resource_path("Users", "%2F"), "/Users/%252F");
        assert_eq!(resource_path("Users", "é"), "/Users/%C3%A9");
        assert_eq!(member_path("/Accounts/", "a/b"), "/Accounts/a%2Fb");
        assert_eq!(member_path("/scim/Users", ".."), "/scim/Users/%2E%2E");
    }

    #[test]
    fn only_non_empty_strings_are_ids() {
        assert_eq!(server_id(&json!({"id": "u1"})), Ok("u1"));
        assert_eq!(
            server_id(&json!({"id": 42})),
            Err(BadId::Number("42".into()))
        );
        assert_eq!(
            server_id(&json!({"id": 42})).unwrap_err().to_string(),
            "the server's id is the number 42, not a string"
        );
        assert_eq!(server_id(&json!({"id": null})), Err(BadId::Null));
        assert_eq!(server_id(&json!({"id": ""})), Err(BadId::Empty));
        assert_eq!(server_id(&json!({"userName": "a"})), Err(BadId::Missing));
        assert_eq!(server_id(&json!("u1")), Err(BadId::Missing));
        assert!(matches!(
            server_id(&json!({"id": true})),
            Err(BadId::Other(_))
        ));
    }
}
