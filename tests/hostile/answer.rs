//! Small builders and parsers for the proxy's answers: SCIM and error responses, redirects,
//! id and filter decoding, and the JSON rewrites some modes apply to bodies.

use axum::body::{Body, Bytes};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

pub(super) fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap_or_default()
}

pub(super) fn scim(status: u16, body: &Value) -> Response {
    reply(status, "application/scim+json", body.to_string())
}

/// The path segment after `/Users/` or `/Groups/`, decoded, and the rest of the path.
pub(super) fn split_id(path: &str) -> Option<(&str, String)> {
    let rest = path.strip_prefix("/scim/v2/")?;
    let (endpoint, id) = rest.split_once('/')?;
    Some((
        endpoint,
        percent_decode_str(id).decode_utf8_lossy().into_owned(),
    ))
}

pub(super) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A JSON body changed by `f`; anything else unchanged.
pub(super) fn rewrite(body: Bytes, f: impl FnOnce(&mut Value)) -> Bytes {
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut json) => {
            f(&mut json);
            Bytes::from(json.to_string())
        }
        Err(_) => body,
    }
}

/// The `filter` query parameter, decoded; empty without one.
pub(super) fn decoded_filter(query: &str) -> String {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("filter="))
        .map(|f| {
            percent_decode_str(&f.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default()
}

pub(super) fn body_has(body: &Bytes, needle: &str) -> bool {
    String::from_utf8_lossy(body).contains(needle)
}

pub(super) fn scim_error(status: u16, scim_type: Option<&str>, detail: &str) -> Response {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(), "detail": detail});
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    scim(status, &body)
}

/// Removes `type` from every element of `emails` in a resource or a ListResponse.
pub(super) fn strip_email_type(json: &mut Value) {
    if let Some(list) = json.get_mut("Resources").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(strip_email_type);
        return;
    }
    if let Some(emails) = json.get_mut("emails").and_then(Value::as_array_mut) {
        for e in emails.iter_mut().filter_map(Value::as_object_mut) {
            e.remove("type");
        }
    }
}

pub(super) fn drop_email_type(body: Bytes) -> Bytes {
    match serde_json::from_slice::<Value>(&body) {
        Ok(mut json) => {
            strip_email_type(&mut json);
            Bytes::from(json.to_string())
        }
        Err(_) => body,
    }
}

pub(super) fn redirect(status: u16, other: &str, path: &str) -> Response {
    let to = format!("{other}{}", path.strip_prefix("/scim/v2").unwrap_or(path));
    Response::builder()
        .status(status)
        .header("location", to)
        .body(Body::empty())
        .unwrap_or_default()
}

/// Puts the Authorization header into `nickName` of every resource in an answer.
pub(super) fn echo(json: &mut Value, auth: &str) {
    if let Some(list) = json.get_mut("Resources").and_then(Value::as_array_mut) {
        for r in list {
            echo(r, auth);
        }
    } else if let Some(obj) = json.as_object_mut() {
        if obj.contains_key("id") {
            obj.insert("nickName".into(), Value::String(auth.to_string()));
        }
    }
}
