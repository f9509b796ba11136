//! Small helpers over one resource's JSON: multi-valued elements, their sub-attributes,
//! and whether a value is blank or restates what is stored.

use serde_json::{Map, Value};

use crate::scim::schema::{AttributeDef, Mutability};
use crate::server::normalize::{prune, same_value};
use crate::server::path::AttrPath;

/// True when `raw` restates the current value of a readOnly attribute (or both are
/// unassigned); only then may a client "set" it.
pub(super) fn unchanged(map: &Map<String, Value>, path: &AttrPath, raw: &Value) -> bool {
    if path.attr().mutability != Mutability::ReadOnly {
        return false;
    }
    let container = if path.resolved.in_extension {
        map.get(path.resolved.schema.id).and_then(Value::as_object)
    } else {
        Some(map)
    };
    let current = container.and_then(|c| c.get(path.attr().name));
    let mut given = raw.clone();
    let given_assigned = prune(&mut given);
    match current {
        None => !given_assigned,
        Some(current) => given_assigned && same_value(path.attr(), current, &given),
    }
}

/// Whether `target` (from a remove-with-value) names `element`: complex values are the
/// same when their `value`s are, or else when every sub-attribute given is equal.
pub(super) fn selects(attr: &AttributeDef, element: &Value, target: &Value) -> bool {
    let Value::Object(target) = target else {
        return same_value(attr, element, target);
    };
    if let (Some(value_def), Some(wanted)) = (attr.sub("value"), target.get("value")) {
        return element
            .get("value")
            .is_some_and(|v| same_value(value_def, v, wanted));
    }
    !target.is_empty()
        && target.iter().all(|(name, wanted)| {
            attr.sub(name).is_some_and(|def| {
                element
                    .get(def.name)
                    .is_some_and(|v| same_value(def, v, wanted))
            })
        })
}

/// Removes `sub` from one value of a multi-valued attribute; false when the value should
/// then go too: it is empty, or it lost its `value` (a work email without an address is
/// no email, so removing `emails[type eq "work"].value` removes the work email).
pub(super) fn strip(element: &mut Value, sub: &AttributeDef) -> bool {
    set_member(element, sub.name, Value::Null);
    sub.name != "value" && element.as_object().is_some_and(|o| !o.is_empty())
}

/// Sets `name` in an object value, or removes it when `value` is null.
pub(super) fn set_member(element: &mut Value, name: &str, value: Value) {
    if let Value::Object(map) = element {
        if value.is_null() {
            map.shift_remove(name);
        } else {
            map.insert(name.to_string(), value);
        }
    }
}

/// `container[name]` as an array, created (empty) if missing; `recanonicalize` drops it
/// again if it stays empty.
pub(super) fn elements_mut<'m>(
    container: &'m mut Map<String, Value>,
    name: &str,
) -> &'m mut Vec<Value> {
    let slot = container
        .entry(name)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        // Canonical multi-valued attributes are arrays; anything else is replaced, not trusted.
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(items) => items,
        _ => unreachable!("the slot was just made an array"),
    }
}

/// null and "" clear a single-valued attribute (Microsoft's validator clears the manager
/// with an empty replace).
pub(super) fn is_blank(value: &Value) -> bool {
    value.is_null() || value.as_str() == Some("")
}
