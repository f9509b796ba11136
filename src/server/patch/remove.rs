//! The Remove operation (RFC 7644 §3.5.2.2) in every dialect the IdPs send: which values a
//! path or a value filter selects, narrowed by the value Entra's default dialect adds.

use serde_json::{Map, Value};

use super::*;

impl Operation<'_> {
    /// Remove (RFC 7644 §3.5.2.2): the values `path` holds, or those `filter` selects,
    /// narrowed further by a value when one is given (Entra's default dialect: the listed
    /// members, the manager if it is that id, the work email if it is that address). A path
    /// ending in a sub-attribute removes only that sub-attribute from the selected values.
    /// Removing what is not there is a no-op.
    pub(super) fn remove(
        &self,
        map: &mut Map<String, Value>,
        path: &AttrPath,
        filter: Option<&Filter>,
        given: Option<&Value>,
    ) -> Result<(), PatchError> {
        self.writable(path)?;
        let attr = path.attr();
        let wanted = match (path.sub, given) {
            (_, None) => Wanted::Any,
            (Some(sub), Some(given)) => Wanted::Sub(
                sub,
                normalize_sub_value(attr, sub, given).map_err(|e| self.value_error(e))?,
            ),
            (None, Some(given)) if attr.multi_valued => {
                Wanted::OneOf(self.removal_targets(attr, given)?)
            }
            (None, Some(given)) => Wanted::OneOf(vec![
                normalize_attr_value(attr, given, self.rt).map_err(|e| self.value_error(e))?
            ]),
        };
        let selected = |element: &Value| {
            filter.is_none_or(|f| f.matches(element))
                && match &wanted {
                    Wanted::Any => true,
                    Wanted::Sub(sub, value) => element
                        .get(sub.name)
                        .is_some_and(|current| same_value(sub, current, value)),
                    Wanted::OneOf(targets) => targets.iter().any(|t| selects(attr, element, t)),
                }
        };
        let container = container_mut(map, path);
        if attr.multi_valued {
            if let Some(Value::Array(items)) = container.get_mut(attr.name) {
                items.retain_mut(|element| {
                    !selected(element) || path.sub.is_some_and(|sub| strip(element, sub))
                });
            }
        } else if container.get(attr.name).is_some_and(selected) {
            match path.sub {
                // `name.givenName`: the rest of the name stays.
                Some(sub) if sub.name != "value" => {
                    if let Some(current) = container.get_mut(attr.name) {
                        set_member(current, sub.name, Value::Null);
                    }
                }
                // The attribute itself, or `manager.value`, without which there is no manager.
                _ => {
                    container.shift_remove(attr.name);
                }
            }
        }
        Ok(())
    }

    /// The values a remove-with-value names, normalised like stored ones. A bare string
    /// for a complex attribute stands for its `value` (a member id).
    fn removal_targets(
        &self,
        attr: &'static AttributeDef,
        given: &Value,
    ) -> Result<Vec<Value>, PatchError> {
        let items = match given {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        let mut targets = Vec::new();
        for item in items {
            let item = match item {
                Value::String(_) if attr.kind == AttrType::Complex => {
                    Value::Object(Map::from_iter([("value".to_string(), item.clone())]))
                }
                other => other.clone(),
            };
            let target = normalize_element(attr, &item).map_err(|e| self.value_error(e))?;
            if !target.is_null() {
                targets.push(target);
            }
        }
        Ok(targets)
    }
}
