//! Brings incoming JSON into the canonical stored form (canonical names, extensions under
//! their URN, JSON booleans, `manager` as `{"value": id}`, no nulls or empties).
//! It must never keep an unknown attribute, nor the store-owned `id`, `meta` and `schemas`.

use serde_json::{Map, Value};
use thiserror::Error;

use super::filter::{coerce_bool, parse_datetime};
use super::path::{self, AttrPath};
use crate::scim::schema::{
    self, AttrType, AttributeDef, Mutability, ResourceTypeDef, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA,
};

/// Why a body or value was refused. Every variant is a 400; `scim_type` says which kind.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NormalizeError {
    #[error("the request body must be a JSON object")]
    NotAnObject,
    #[error("unknown attribute \"{0}\"")]
    UnknownAttribute(String),
    #[error("attribute \"{0}\" is single-valued but an array was given")]
    NotSingleValued(String),
    #[error("\"{0}\" must hold an object of that extension's attributes")]
    ExtensionNotObject(String),
    #[error("attribute \"{0}\" is multi-valued: give its values as an array of objects, not a sub-attribute")]
    SubOfMultiValued(String),
    #[error("attribute \"{attr}\" must be {expected}, got {got}")]
    Type {
        attr: String,
        expected: &'static str,
        got: String,
    },
    #[error("attribute \"{0}\" needs a \"value\"")]
    MissingValue(String),
    #[error("required attribute \"{0}\" is missing")]
    Required(String),
    #[error("attribute \"{0}\" is readOnly")]
    ReadOnly(String),
}

impl NormalizeError {
    /// The RFC 7644 §3.12 `scimType`: structure problems are `invalidSyntax`, values that do
    /// not fit their attribute are `invalidValue`.
    pub fn scim_type(&self) -> &'static str {
        match self {
            NormalizeError::NotAnObject
            | NormalizeError::UnknownAttribute(_)
            | NormalizeError::NotSingleValued(_)
            | NormalizeError::ExtensionNotObject(_)
            | NormalizeError::SubOfMultiValued(_) => "invalidSyntax",
            NormalizeError::Type { .. }
            | NormalizeError::MissingValue(_)
            | NormalizeError::Required(_) => "invalidValue",
            NormalizeError::ReadOnly(_) => "mutability",
        }
    }
}

/// Normalises a POST or PUT body. Read-only attributes (`id`, `meta`, User `groups`) are
/// ignored as RFC 7644 §3.5.1 requires, `schemas` is dropped (unknown URNs tolerated: Entra
/// lists a Microsoft group schema), null values are dropped (Entra's older sample sends
/// `"title": null`), and required attributes must be present.
pub fn normalize_resource(
    body: &Value,
    rt: &'static ResourceTypeDef,
) -> Result<Value, NormalizeError> {
    let body = body.as_object().ok_or(NormalizeError::NotAnObject)?;
    let mut out = Map::new();
    for (key, value) in body {
        if value.is_null() || key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(extension) = rt.extension(key) {
            let inner = value
                .as_object()
                .ok_or_else(|| NormalizeError::ExtensionNotObject(key.clone()))?;
            for (name, value) in inner.iter().filter(|(_, v)| !v.is_null()) {
                let qualified = format!("{}:{name}", extension.id);
                let path = path::parse_attr_path(&qualified, rt)
                    .map_err(|_| NormalizeError::UnknownAttribute(qualified.clone()))?;
                ingest(&mut out, &path, value, rt)?;
            }
            continue;
        }
        let path = path::parse_attr_path(key, rt)
            .map_err(|_| NormalizeError::UnknownAttribute(key.clone()))?;
        ingest(&mut out, &path, value, rt)?;
    }
    // Keys merged into one attribute (`manager.$ref` beside `manager`, an extension whose
    // every value was empty) are only canonical once the whole result is normalised again.
    recanonicalize(&mut out, rt)?;
    if let Some(missing) = missing_required(&out, rt) {
        return Err(NormalizeError::Required(missing.to_string()));
    }
    Ok(Value::Object(out))
}

/// Normalises one attribute's value by the same rules; `Value::Null` means "unassigned"
/// (null, `[]`, `{}`, or a manager with an empty id). Refuses readOnly attributes, since a
/// caller naming one explicitly (a PATCH path) is trying to change it. Every rule follows
/// from `attr` today; `rt` is part of the contract for rules that will depend on the type.
pub fn normalize_attr_value(
    attr: &'static AttributeDef,
    value: &Value,
    _rt: &'static ResourceTypeDef,
) -> Result<Value, NormalizeError> {
    if attr.mutability == Mutability::ReadOnly {
        return Err(NormalizeError::ReadOnly(attr.name.to_string()));
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    if is_manager(attr) {
        return normalize_manager(attr, value);
    }
    if !attr.multi_valued {
        if value.is_array() {
            return Err(NormalizeError::NotSingleValued(attr.name.to_string()));
        }
        return normalize_single(attr, attr.name, value);
    }
    // OneLogin sends `emails` as one object: a lone value is a one-element array.
    let items = match value {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut out = Vec::new();
    for item in items {
        let element = normalize_element(attr, item)?;
        if !element.is_null() {
            push_unique(attr, &mut out, element);
        }
    }
    Ok(if out.is_empty() {
        Value::Null
    } else {
        Value::Array(out)
    })
}

/// Normalises one value of a multi-valued attribute (one email object, one member).
pub(crate) fn normalize_element(
    attr: &'static AttributeDef,
    item: &Value,
) -> Result<Value, NormalizeError> {
    if item.is_array() {
        return Err(NormalizeError::Type {
            attr: attr.name.to_string(),
            expected: "an array of values, not of arrays",
            got: "a nested array".to_string(),
        });
    }
    normalize_single(attr, attr.name, item)
}

/// Normalises the value of `parent.sub` (`name.givenName`, `emails.value`).
pub(crate) fn normalize_sub_value(
    parent: &'static AttributeDef,
    sub: &'static AttributeDef,
    value: &Value,
) -> Result<Value, NormalizeError> {
    normalize_scalar(sub, &format!("{}.{}", parent.name, sub.name), value)
}

/// Appends `element` unless an equal one is there; group members are equal when their
/// `value` (the member id) is, so a member is never listed twice.
pub(crate) fn push_unique(attr: &AttributeDef, values: &mut Vec<Value>, element: Value) {
    let duplicate = if is_members(attr) {
        let id = element.get("value");
        values.iter().any(|v| v.get("value") == id)
    } else {
        values.contains(&element)
    };
    if !duplicate {
        values.push(element);
    }
}

/// True when `a` and `b` are the same value of `def`: strings compare per `case_exact`.
pub(crate) fn same_value(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if !def.case_exact => {
            a == b || a.to_lowercase() == b.to_lowercase()
        }
        _ => a == b,
    }
}

/// Drops nulls, empty arrays and empty objects, depth first; returns false when `value`
/// itself is left unassigned.
pub(crate) fn prune(value: &mut Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => {
            items.retain_mut(prune);
            !items.is_empty()
        }
        Value::Object(map) => {
            map.retain(|_, v| prune(v));
            !map.is_empty()
        }
        _ => true,
    }
}

/// Re-normalises a whole stored resource after a change (PATCH), so it is canonical
/// whatever path the change took: each writable attribute goes through
/// `normalize_attr_value` again (a `manager` left with only `$ref` is refused, duplicate
/// members collapse, empty values go). The store-owned `id`, `meta` and `schemas` are kept
/// as they are; other readOnly attributes are only pruned.
pub(crate) fn recanonicalize(
    resource: &mut Map<String, Value>,
    rt: &'static ResourceTypeDef,
) -> Result<(), NormalizeError> {
    let mut out = Map::new();
    for (key, value) in std::mem::take(resource) {
        if matches!(key.as_str(), "id" | "meta" | "schemas") {
            out.insert(key, value);
            continue;
        }
        if let Some(extension) = rt.extension(&key) {
            let mut kept = Map::new();
            for (name, value) in value.as_object().into_iter().flatten() {
                let attr = schema::find(extension.attributes, name);
                if let Some(value) = renormalize(attr, value.clone(), rt)? {
                    kept.insert(name.clone(), value);
                }
            }
            if !kept.is_empty() {
                out.insert(key, Value::Object(kept));
            }
            continue;
        }
        let attr = schema::find(rt.schema.attributes, &key)
            .or_else(|| schema::find(schema::COMMON_ATTRIBUTES, &key));
        if let Some(value) = renormalize(attr, value, rt)? {
            out.insert(key, value);
        }
    }
    *resource = out;
    Ok(())
}

/// One attribute for `recanonicalize`; `None` when it ends up unassigned. Keys the tables do
/// not know cannot come from normalisation; they are only pruned, never invented away.
fn renormalize(
    attr: Option<&'static AttributeDef>,
    mut value: Value,
    rt: &'static ResourceTypeDef,
) -> Result<Option<Value>, NormalizeError> {
    match attr {
        Some(attr) if attr.mutability != Mutability::ReadOnly => {
            let value = normalize_attr_value(attr, &value, rt)?;
            Ok((!value.is_null()).then_some(value))
        }
        _ => Ok(prune(&mut value).then_some(value)),
    }
}

/// The first required core attribute `resource` lacks (userName, Group displayName).
pub(crate) fn missing_required(
    resource: &Map<String, Value>,
    rt: &'static ResourceTypeDef,
) -> Option<&'static str> {
    rt.schema
        .attributes
        .iter()
        .find(|a| a.required && !resource.contains_key(a.name))
        .map(|a| a.name)
}

/// The enterprise `manager`, stored as `{"value": id}` whatever shape it arrived in.
pub(crate) fn is_manager(attr: &AttributeDef) -> bool {
    schema::find(ENTERPRISE_USER_SCHEMA.attributes, "manager")
        .is_some_and(|m| std::ptr::eq(m, attr))
}

/// Group `members`, stored as `{"value", "type"?, "display"?}`: the store recomputes `$ref`
/// from the id on output, and `display` when the client gave none (RFC 7643 §4.2 makes the
/// client's immutable, so it is kept as given).
pub(crate) fn is_members(attr: &AttributeDef) -> bool {
    schema::find(GROUP_SCHEMA.attributes, "members").is_some_and(|m| std::ptr::eq(m, attr))
}

/// Puts one top-level body entry into `out`, merging with what earlier keys put there
/// (`name` and `name.familyName` in one body). ReadOnly targets are skipped silently.
fn ingest(
    out: &mut Map<String, Value>,
    path: &AttrPath,
    raw: &Value,
    rt: &'static ResourceTypeDef,
) -> Result<(), NormalizeError> {
    let attr = path.attr();
    if attr.mutability == Mutability::ReadOnly
        || path
            .sub
            .is_some_and(|s| s.mutability == Mutability::ReadOnly)
    {
        return Ok(());
    }
    let container = container_mut(out, path);
    match path.sub {
        None => {
            let value = normalize_attr_value(attr, raw, rt)?;
            if !value.is_null() {
                merge_attr(container, attr, value);
            }
        }
        Some(_) if attr.multi_valued => {
            return Err(NormalizeError::SubOfMultiValued(path.to_string()));
        }
        Some(sub) => {
            let value = normalize_sub_value(attr, sub, raw)?;
            if !value.is_null() {
                merge_attr(
                    container,
                    attr,
                    Value::Object(Map::from_iter([(sub.name.to_string(), value)])),
                );
            }
        }
    }
    Ok(())
}

/// The object holding `path`'s attribute: the resource itself, or its extension object
/// (created when missing, so a caller can set into it; `recanonicalize` drops it if left
/// empty).
pub(crate) fn container_mut<'m>(
    resource: &'m mut Map<String, Value>,
    path: &AttrPath,
) -> &'m mut Map<String, Value> {
    if !path.resolved.in_extension {
        return resource;
    }
    let slot = resource
        .entry(path.resolved.schema.id)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        // Canonical resources only hold objects here; anything else is replaced, not trusted.
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("the slot was just made an object"),
    }
}

/// Sets `attr` in `container`: complex single-valued values merge sub-attribute by
/// sub-attribute, multi-valued ones append, the rest overwrite.
fn merge_attr(container: &mut Map<String, Value>, attr: &'static AttributeDef, value: Value) {
    match (container.get_mut(attr.name), value) {
        (Some(Value::Object(existing)), Value::Object(new)) if !attr.multi_valued => {
            existing.extend(new);
        }
        (Some(Value::Array(existing)), Value::Array(new)) if attr.multi_valued => {
            for element in new {
                push_unique(attr, existing, element);
            }
        }
        (_, value) => {
            container.insert(attr.name.to_string(), value);
        }
    }
}

fn normalize_single(
    attr: &'static AttributeDef,
    name: &str,
    value: &Value,
) -> Result<Value, NormalizeError> {
    if attr.kind == AttrType::Complex {
        normalize_complex(attr, name, value)
    } else {
        normalize_scalar(attr, name, value)
    }
}

/// One complex value: sub-attribute names made canonical, readOnly ones (manager
/// `displayName`) dropped, member `$ref` dropped.
fn normalize_complex(
    attr: &'static AttributeDef,
    name: &str,
    value: &Value,
) -> Result<Value, NormalizeError> {
    let Value::Object(given) = value else {
        return Err(type_error(name, "an object", value));
    };
    if given.values().all(Value::is_null) {
        // `{}` is unassigned (RFC 7643 §2.5), even where a value would be required.
        return Ok(Value::Null);
    }
    let mut out = Map::new();
    for (key, value) in given.iter().filter(|(_, v)| !v.is_null()) {
        let sub = attr
            .sub(key)
            .ok_or_else(|| NormalizeError::UnknownAttribute(format!("{name}.{key}")))?;
        if sub.mutability == Mutability::ReadOnly || (is_members(attr) && sub.name == "$ref") {
            continue;
        }
        let value = normalize_scalar(sub, &format!("{name}.{}", sub.name), value)?;
        if !value.is_null() {
            out.insert(sub.name.to_string(), value);
        }
    }
    // A member is its id: one without `value` is a client error, not an empty value.
    if is_members(attr) && !out.contains_key("value") {
        return Err(NormalizeError::MissingValue(name.to_string()));
    }
    Ok(if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    })
}

/// A simple value, type-checked; "true"/"false" strings (any case) become booleans.
fn normalize_scalar(
    def: &'static AttributeDef,
    name: &str,
    value: &Value,
) -> Result<Value, NormalizeError> {
    let ok = match (def.kind, value) {
        (_, Value::Null) => return Ok(Value::Null),
        (_, Value::Array(_)) => return Err(NormalizeError::NotSingleValued(name.to_string())),
        (AttrType::Complex, _) => return normalize_complex(def, name, value),
        (AttrType::Boolean, _) => {
            return coerce_bool(value)
                .map(Value::Bool)
                .ok_or_else(|| type_error(name, "a boolean", value));
        }
        (AttrType::String | AttrType::Reference | AttrType::Binary, v) => v.is_string(),
        (AttrType::Integer, v) => v.is_i64() || v.is_u64(),
        (AttrType::Decimal, v) => v.is_number(),
        (AttrType::DateTime, Value::String(s)) => parse_datetime(s).is_some(),
        (AttrType::DateTime, _) => false,
    };
    if ok {
        Ok(value.clone())
    } else {
        let expected = match def.kind {
            AttrType::Integer => "an integer",
            AttrType::Decimal => "a number",
            AttrType::DateTime => "an xsd:dateTime string",
            _ => "a string",
        };
        Err(type_error(name, expected, value))
    }
}

/// Accepts a bare id (Entra today), `{"value": id, "$ref"?, "displayName"?}`, or the
/// historical one-element `[{"$ref", "value"}]`; an empty id unassigns the manager, which is
/// how Microsoft's validator clears it.
fn normalize_manager(attr: &'static AttributeDef, value: &Value) -> Result<Value, NormalizeError> {
    let id = match value {
        Value::Null => return Ok(Value::Null),
        Value::String(id) => id.clone(),
        Value::Object(_) => match normalize_complex(attr, attr.name, value)? {
            Value::Null => return Ok(Value::Null),
            object => match object.get("value") {
                Some(Value::String(id)) => id.clone(),
                _ => return Err(NormalizeError::MissingValue(attr.name.to_string())),
            },
        },
        Value::Array(items) => {
            return match items.as_slice() {
                [] => Ok(Value::Null),
                [one] if !one.is_array() => normalize_manager(attr, one),
                _ => Err(NormalizeError::NotSingleValued(attr.name.to_string())),
            }
        }
        other => {
            return Err(type_error(
                attr.name,
                "a manager id or {\"value\": id}",
                other,
            ))
        }
    };
    Ok(if id.is_empty() {
        Value::Null
    } else {
        serde_json::json!({ "value": id })
    })
}

fn type_error(name: &str, expected: &'static str, got: &Value) -> NormalizeError {
    let got = match got {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    };
    NormalizeError::Type {
        attr: name.to_string(),
        expected,
        got,
    }
}

#[cfg(test)]
mod tests;
