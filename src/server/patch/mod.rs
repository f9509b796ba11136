//! PATCH operations (RFC 7644 §3.5.2) in every dialect real IdPs send (idp-behavior.md §1.4–§1.9,
//! §2.4–§2.5). It patches a copy and must never leave a resource half-patched, non-canonical,
//! or with `id`, `meta` or `schemas` changed.

use serde_json::{Map, Value};
use thiserror::Error;

use super::filter::Filter;
use super::normalize::{
    container_mut, missing_required, normalize_attr_value, normalize_element, normalize_sub_value,
    push_unique, recanonicalize, same_value, NormalizeError,
};
use super::path::{self, AttrPath, PatchPath, PathError};
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceTypeDef, SchemaDef};

/// Why a PATCH was refused. Every variant is a 400; `scim_type` says which kind.
/// `op` is the index of the failing entry in `Operations`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PatchError {
    #[error("invalid PATCH request: {0}")]
    Syntax(String),
    #[error("Operations[{op}]: {source}")]
    Path { op: usize, source: PathError },
    #[error("Operations[{op}]: {source}")]
    Value { op: usize, source: NormalizeError },
    #[error("Operations[{op}]: {detail}")]
    NoTarget { op: usize, detail: String },
    #[error("Operations[{op}]: {detail}")]
    Mutability { op: usize, detail: String },
    #[error("the patched resource would be invalid: {0}")]
    Result(NormalizeError),
}

impl PatchError {
    /// The RFC 7644 §3.12 `scimType` for this error.
    pub fn scim_type(&self) -> &'static str {
        match self {
            PatchError::Syntax(_) => "invalidSyntax",
            PatchError::Path { source, .. } => source.scim_type(),
            PatchError::Value { source, .. } | PatchError::Result(source) => source.scim_type(),
            PatchError::NoTarget { .. } => "noTarget",
            PatchError::Mutability { .. } => "mutability",
        }
    }
}

/// Applies a PatchOp body to a canonical `resource` (which carries `id`, `meta`, `schemas`).
/// All operations apply or none do: on error `resource` is exactly as it was.
pub fn apply_patch(
    resource: &mut Value,
    body: &Value,
    rt: &'static ResourceTypeDef,
) -> Result<(), PatchError> {
    let operations = operations(body)?;
    let mut patched = resource.clone();
    let map = patched
        .as_object_mut()
        .ok_or_else(|| PatchError::Syntax("the resource to patch is not an object".into()))?;
    let complete_before = missing_required(map, rt).is_none();
    for (index, operation) in operations.iter().enumerate() {
        Operation::parse(operation, index, rt)?.apply(map)?;
    }
    recanonicalize(map, rt).map_err(PatchError::Result)?;
    if complete_before {
        if let Some(missing) = missing_required(map, rt) {
            return Err(PatchError::Result(NormalizeError::Required(
                missing.to_string(),
            )));
        }
    }
    *resource = patched;
    Ok(())
}

/// The `Operations` array. `schemas` is not checked: the op list is what matters, and a
/// client that omits the PatchOp URN still means a PATCH.
fn operations(body: &Value) -> Result<&[Value], PatchError> {
    let body = body
        .as_object()
        .ok_or_else(|| PatchError::Syntax("the body must be a JSON object".into()))?;
    let operations = member(body, "Operations")
        .ok_or_else(|| PatchError::Syntax("the body has no \"Operations\"".into()))?
        .as_array()
        .ok_or_else(|| PatchError::Syntax("\"Operations\" must be an array".into()))?;
    if operations.is_empty() {
        return Err(PatchError::Syntax("\"Operations\" is empty".into()));
    }
    Ok(operations)
}

/// A member by name, exact spelling first, then case-insensitively. Unlike `path::get_ci`
/// an explicit `null` is returned, since `"value": null` and no value differ for `add`.
fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Add,
    Replace,
    Remove,
}

impl OpKind {
    fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Replace => "replace",
            OpKind::Remove => "remove",
        }
    }
}

/// One entry of `Operations`, parsed; it also builds the errors, which carry its index.
struct Operation<'b> {
    index: usize,
    kind: OpKind,
    path: Option<PatchPath>,
    /// The path is an extension URN: the whole extension object is the target.
    extension: Option<&'static SchemaDef>,
    value: Option<&'b Value>,
    rt: &'static ResourceTypeDef,
}

/// Which of the values a remove's path selects its `value` further narrows to.
enum Wanted {
    Any,
    /// Those whose sub-attribute equals this (already normalised) value.
    Sub(&'static AttributeDef, Value),
    /// Those named by one of these values (see `selects`).
    OneOf(Vec<Value>),
}

/// How a value path changes each value its filter selects.
enum Change {
    /// Set (or, with `Null`, remove) one sub-attribute: `emails[type eq "work"].value`.
    Sub(&'static AttributeDef, Value),
    /// Add merges the new object into the value, replace swaps it, `Null` removes it.
    Whole(Value),
}

impl<'b> Operation<'b> {
    fn parse(
        operation: &'b Value,
        index: usize,
        rt: &'static ResourceTypeDef,
    ) -> Result<Self, PatchError> {
        let syntax = |what: String| PatchError::Syntax(format!("Operations[{index}]: {what}"));
        let operation = operation
            .as_object()
            .ok_or_else(|| syntax("must be an object".into()))?;
        let op = member(operation, "op")
            .and_then(Value::as_str)
            .ok_or_else(|| syntax("has no \"op\"".into()))?;
        // Entra sends `Replace`, Okta `replace` (idp-behavior.md §1.4).
        let kind = [OpKind::Add, OpKind::Replace, OpKind::Remove]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(op))
            .ok_or_else(|| {
                syntax(format!(
                    "unknown op \"{op}\", expected add, replace or remove"
                ))
            })?;
        let mut extension = None;
        let path = match member(operation, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) if rt.extension(text.trim()).is_some() => {
                extension = rt.extension(text.trim());
                None
            }
            Some(Value::String(text)) => Some(
                path::parse_patch_path(text, rt)
                    .map_err(|source| PatchError::Path { op: index, source })?,
            ),
            Some(_) => return Err(syntax("\"path\" must be a string".into())),
        };
        Ok(Operation {
            index,
            kind,
            path,
            extension,
            value: member(operation, "value"),
            rt,
        })
    }

    fn apply(&self, map: &mut Map<String, Value>) -> Result<(), PatchError> {
        if let Some(extension) = self.extension {
            return self.apply_to_extension(map, extension);
        }
        if self.kind == OpKind::Remove {
            // A null value is no value: it must not turn a remove-by-value into remove-all.
            let given = self.value.filter(|v| !v.is_null());
            return match &self.path {
                None => Err(self.no_target("remove needs a \"path\"".into())),
                Some(PatchPath::Attr(path)) => self.remove(map, path, None, given),
                Some(PatchPath::ValuePath { attr, filter, sub }) => {
                    let path = AttrPath {
                        resolved: attr.resolved,
                        sub: *sub,
                    };
                    self.remove(map, &path, Some(filter), given)
                }
            };
        }
        let Some(value) = self.value else {
            return Err(PatchError::Syntax(format!(
                "Operations[{}]: {} needs a \"value\"",
                self.index,
                self.kind.as_str()
            )));
        };
        match &self.path {
            None => self.set_pathless(map, value),
            Some(PatchPath::Attr(path)) => self.set_attr(map, path, value),
            Some(PatchPath::ValuePath { attr, filter, sub }) => {
                self.set_selected(map, attr, filter, *sub, value)
            }
        }
    }

    /// A path naming an extension (RFC 7644 §3.5.2: the URN is the attribute holding the
    /// extension's attributes, a complex one): remove drops them all; add and replace set the
    /// sub-attributes given and leave the others (§3.5.2.1, §3.5.2.3), as a path-less
    /// operation whose value is `{urn: value}` does.
    fn apply_to_extension(
        &self,
        map: &mut Map<String, Value>,
        extension: &'static SchemaDef,
    ) -> Result<(), PatchError> {
        if self.kind == OpKind::Remove {
            map.shift_remove(extension.id);
            return Ok(());
        }
        let Some(value) = self.value else {
            return Err(PatchError::Syntax(format!(
                "Operations[{}]: {} needs a \"value\"",
                self.index,
                self.kind.as_str()
            )));
        };
        let keyed = Map::from_iter([(extension.id.to_string(), value.clone())]);
        self.set_pathless(map, &Value::Object(keyed))
    }

    /// Path-less add/replace: each key of `value` is an operation on that attribute. Keys
    /// may be dotted (`name.givenName`, Entra's flag dialect) or URN-qualified, or be an
    /// extension URN holding an object. `schemas` and `meta` are the store's and skipped.
    fn set_pathless(&self, map: &mut Map<String, Value>, value: &Value) -> Result<(), PatchError> {
        let Value::Object(entries) = value else {
            return Err(PatchError::Syntax(format!(
                "Operations[{}]: without a \"path\", \"value\" must be an object of attributes",
                self.index
            )));
        };
        for (key, value) in entries {
            if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
                continue;
            }
            if let Some(extension) = self.rt.extension(key) {
                let Value::Object(inner) = value else {
                    return Err(self.value_error(NormalizeError::ExtensionNotObject(key.clone())));
                };
                for (name, value) in inner {
                    if name.eq_ignore_ascii_case("schemas") {
                        continue;
                    }
                    let path = self.attr_path(&format!("{}:{name}", extension.id))?;
                    self.set_attr(map, &path, value)?;
                }
                continue;
            }
            let path = self.attr_path(key)?;
            self.set_attr(map, &path, value)?;
        }
        Ok(())
    }

    fn set_attr(
        &self,
        map: &mut Map<String, Value>,
        path: &AttrPath,
        raw: &Value,
    ) -> Result<(), PatchError> {
        // Okta's path-less group rename carries the group's own `id`: restating a readOnly
        // value is not a change.
        if path.sub.is_none() && unchanged(map, path, raw) {
            return Ok(());
        }
        self.writable(path)?;
        let attr = path.attr();
        let rt = self.rt;
        let container = container_mut(map, path);
        let Some(sub) = path.sub else {
            let value = if !attr.multi_valued && is_blank(raw) {
                Value::Null
            } else {
                normalize_attr_value(attr, raw, rt).map_err(|e| self.value_error(e))?
            };
            match value {
                // Adding no values adds nothing; replacing with none (or null, "") clears.
                Value::Null if attr.multi_valued && self.kind == OpKind::Add => {}
                Value::Null => {
                    container.shift_remove(attr.name);
                }
                Value::Array(new) if self.kind == OpKind::Add => {
                    let items = elements_mut(container, attr.name);
                    for element in new {
                        push_unique(attr, items, element);
                    }
                }
                // Complex single-valued: sub-attributes not given are left alone (§3.5.2.3).
                Value::Object(new) if !attr.multi_valued => match container.get_mut(attr.name) {
                    Some(Value::Object(existing)) => existing.extend(new),
                    _ => {
                        container.insert(attr.name.to_string(), Value::Object(new));
                    }
                },
                value => {
                    container.insert(attr.name.to_string(), value);
                }
            }
            return Ok(());
        };
        let value = if is_blank(raw) {
            Value::Null
        } else {
            normalize_sub_value(attr, sub, raw).map_err(|e| self.value_error(e))?
        };
        if attr.multi_valued {
            // `emails.type` without a filter addresses every email; with none yet, one is made.
            let items = elements_mut(container, attr.name);
            if items.is_empty() {
                if !value.is_null() {
                    items.push(Value::Object(Map::from_iter([(
                        sub.name.to_string(),
                        value,
                    )])));
                }
            } else {
                for element in items.iter_mut() {
                    set_member(element, sub.name, value.clone());
                }
            }
        } else {
            match container.get_mut(attr.name) {
                Some(existing @ Value::Object(_)) => set_member(existing, sub.name, value),
                _ if !value.is_null() => {
                    container.insert(
                        attr.name.to_string(),
                        Value::Object(Map::from_iter([(sub.name.to_string(), value)])),
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Add/replace through a value path. When no value matches and the filter is a
    /// conjunction of `eq`s, the value is created from them: Entra's `Add` on
    /// `emails[type eq "work"].value` for a user without a work email must create it.
    fn set_selected(
        &self,
        map: &mut Map<String, Value>,
        attr_path: &AttrPath,
        filter: &Filter,
        sub: Option<&'static AttributeDef>,
        raw: &Value,
    ) -> Result<(), PatchError> {
        self.writable(&AttrPath {
            resolved: attr_path.resolved,
            sub,
        })?;
        let attr = attr_path.attr();
        let change = match sub {
            Some(sub) if is_blank(raw) => Change::Sub(sub, Value::Null),
            Some(sub) => Change::Sub(
                sub,
                normalize_sub_value(attr, sub, raw).map_err(|e| self.value_error(e))?,
            ),
            None => Change::Whole(self.normalize_one(attr, raw)?),
        };
        let container = container_mut(map, attr_path);
        if attr.multi_valued {
            let items = elements_mut(container, attr.name);
            let mut matched = false;
            items.retain_mut(|element| {
                if !filter.matches(element) {
                    return true;
                }
                matched = true;
                self.change(element, &change)
            });
            if !matched {
                if let Some(created) = self.create(attr_path, filter, &change)? {
                    push_unique(attr, items, created);
                }
            }
        } else {
            match container.get_mut(attr.name) {
                Some(current) if filter.matches(current) => {
                    if !self.change(current, &change) {
                        container.shift_remove(attr.name);
                    }
                }
                _ => {
                    if let Some(created) = self.create(attr_path, filter, &change)? {
                        container.insert(attr.name.to_string(), created);
                    }
                }
            }
        }
        Ok(())
    }

    /// Applies `change` to one selected value; false when the value is to be dropped.
    fn change(&self, element: &mut Value, change: &Change) -> bool {
        match change {
            Change::Sub(sub, value) => {
                set_member(element, sub.name, value.clone());
                true
            }
            Change::Whole(Value::Null) => false,
            Change::Whole(Value::Object(new)) if self.kind == OpKind::Add => {
                if let Value::Object(existing) = element {
                    existing.extend(new.clone());
                }
                true
            }
            Change::Whole(new) => {
                // Replace swaps the selected value (RFC 7644 §3.5.2.3).
                *element = new.clone();
                true
            }
        }
    }

    /// The value a value-path add/replace creates when nothing matched, or `None` when the
    /// change only clears (nothing to create).
    fn create(
        &self,
        attr_path: &AttrPath,
        filter: &Filter,
        change: &Change,
    ) -> Result<Option<Value>, PatchError> {
        if matches!(
            change,
            Change::Sub(_, Value::Null) | Change::Whole(Value::Null)
        ) {
            return Ok(None);
        }
        let parts = filter.eq_conjunction().ok_or_else(|| {
            self.no_target(format!(
                "no value of \"{attr_path}\" matches the filter, and only a filter of \"eq\" \
                 comparisons joined by \"and\" says what to create"
            ))
        })?;
        let mut created: Map<String, Value> = parts
            .into_iter()
            .map(|(def, value)| (def.name.to_string(), value.clone()))
            .collect();
        match change {
            Change::Sub(sub, value) => {
                created.insert(sub.name.to_string(), value.clone());
            }
            Change::Whole(Value::Object(new)) => created.extend(new.clone()),
            Change::Whole(_) => {}
        }
        self.normalize_one(attr_path.attr(), &Value::Object(created))
            .map(Some)
    }

    /// Normalises one value of `attr` (an element if multi-valued, else the whole value,
    /// so that `manager` shapes are reduced too).
    fn normalize_one(&self, attr: &'static AttributeDef, raw: &Value) -> Result<Value, PatchError> {
        if attr.multi_valued {
            normalize_element(attr, raw)
        } else {
            normalize_attr_value(attr, raw, self.rt)
        }
        .map_err(|e| self.value_error(e))
    }

    fn attr_path(&self, text: &str) -> Result<AttrPath, PatchError> {
        path::parse_attr_path(text, self.rt).map_err(|source| PatchError::Path {
            op: self.index,
            source,
        })
    }

    fn writable(&self, path: &AttrPath) -> Result<(), PatchError> {
        if path.attr().mutability == Mutability::ReadOnly
            || path
                .sub
                .is_some_and(|s| s.mutability == Mutability::ReadOnly)
        {
            return Err(PatchError::Mutability {
                op: self.index,
                detail: format!("attribute \"{path}\" is readOnly and cannot be changed"),
            });
        }
        Ok(())
    }

    fn no_target(&self, detail: String) -> PatchError {
        PatchError::NoTarget {
            op: self.index,
            detail,
        }
    }

    fn value_error(&self, source: NormalizeError) -> PatchError {
        PatchError::Value {
            op: self.index,
            source,
        }
    }
}

mod element;
mod remove;

use element::{elements_mut, is_blank, selects, set_member, strip, unchanged};

#[cfg(test)]
mod tests;
