//! The PUT PingOne builds from the target's own representation (idp-behavior.md §4.3, P1-8):
//! mapped values are laid over what the target holds, element by element.

use serde_json::{json, Map, Value};

use crate::scim::lookup::{get_ci, ClientPath};
use crate::scim::schema::USER;

/// The value slot for `key` in `map`, matching the key case-insensitively as SCIM attribute
/// names are, inserted with `default` when absent.
fn slot<'a>(map: &'a mut Map<String, Value>, key: &str, default: Value) -> &'a mut Value {
    let existing = map
        .keys()
        .find(|k| k.eq_ignore_ascii_case(key))
        .cloned()
        .unwrap_or_else(|| key.to_string());
    map.entry(existing).or_insert(default)
}

/// Writes a mapped value into a resource that already holds the target's attributes: an
/// existing element of a multi-valued attribute (the work email) is updated in place, other
/// elements and attributes stay as the target had them.
pub(super) fn overlay(body: &mut Map<String, Value>, path: &str, value: Value) {
    let Ok(p) = ClientPath::parse(path, &USER) else {
        body.insert(path.to_string(), value);
        return;
    };
    let holder = match p.extension {
        Some(ext) => {
            let slot = slot(body, ext, json!({}));
            if !slot.is_object() {
                *slot = json!({});
            }
            match slot.as_object_mut() {
                Some(h) => h,
                None => return,
            }
        }
        None => body,
    };
    match (&p.select, &p.sub) {
        (Some((key, selector)), Some(sub)) => {
            let list = slot(holder, p.attr, json!([]));
            if !list.is_array() {
                *list = json!([]);
            }
            let Some(items) = list.as_array_mut() else {
                return;
            };
            let selected = items.iter_mut().find(|el| {
                get_ci(el, key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(selector))
            });
            match selected.and_then(Value::as_object_mut) {
                Some(element) => *slot(element, sub, Value::Null) = value,
                None => {
                    let mut element = Map::new();
                    element.insert("primary".into(), Value::Bool(items.is_empty()));
                    element.insert(key.to_string(), Value::String(selector.to_string()));
                    element.insert(sub.to_string(), value);
                    items.push(Value::Object(element));
                }
            }
        }
        (None, Some(sub)) => {
            let parent = slot(holder, p.attr, json!({}));
            if !parent.is_object() {
                *parent = json!({});
            }
            if let Some(obj) = parent.as_object_mut() {
                *slot(obj, sub, Value::Null) = value;
            }
        }
        _ => *slot(holder, p.attr, Value::Null) = value,
    }
}
