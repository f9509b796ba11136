//! Attribute paths (RFC 7644 §3.10): `userName`, `name.givenName`, URN-qualified names, and
//! value paths `emails[type eq "work"].value`, resolved against the schema tables.
//! It only reads resources (`values`); it must never change one or accept a name the tables lack.

use std::fmt;

use serde_json::Value;
use thiserror::Error;

use super::filter::{self, Filter, FilterError};
use crate::scim::schema::{self, AttrType, AttributeDef, Resolved, ResourceTypeDef};

/// A possibly URN-qualified attribute with an optional sub-attribute, resolved to the tables.
#[derive(Debug, Clone, Copy)]
pub struct AttrPath {
    pub resolved: Resolved,
    pub sub: Option<&'static AttributeDef>,
}

impl AttrPath {
    /// The top-level attribute (`name` in `name.givenName`).
    pub fn attr(&self) -> &'static AttributeDef {
        self.resolved.attr
    }

    /// The attribute the path ends at: the sub-attribute when there is one.
    pub fn leaf(&self) -> &'static AttributeDef {
        self.sub.unwrap_or(self.resolved.attr)
    }
}

/// Canonical spelling, URN-qualified for extension attributes, so messages name what the
/// client meant even when it spelled it in another case.
impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.resolved.in_extension {
            write!(f, "{}:", self.resolved.schema.id)?;
        }
        f.write_str(self.resolved.attr.name)?;
        if let Some(sub) = self.sub {
            write!(f, ".{}", sub.name)?;
        }
        Ok(())
    }
}

/// The target of a PATCH operation.
#[derive(Debug, Clone)]
pub enum PatchPath {
    /// `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:manager`.
    Attr(AttrPath),
    /// `emails[type eq "work"].value`, `members[value eq "id"]`, `manager[value eq "id"]`:
    /// the values of a complex attribute selected by a filter on its sub-attributes.
    ValuePath {
        attr: AttrPath,
        filter: Filter,
        sub: Option<&'static AttributeDef>,
    },
}

/// Why a path was refused. Every variant is a 400; `scim_type` says which kind.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("unknown attribute \"{0}\"")]
    UnknownAttribute(String),
    #[error("attribute \"{attr}\" has no sub-attribute \"{sub}\"")]
    UnknownSubAttribute { attr: String, sub: String },
    #[error("malformed path \"{path}\": {reason}")]
    Malformed { path: String, reason: &'static str },
    #[error("invalid filter in path \"{path}\": {source}")]
    Filter { path: String, source: FilterError },
}

impl PathError {
    /// The RFC 7644 §3.12 `scimType` for this error.
    pub fn scim_type(&self) -> &'static str {
        match self {
            PathError::Filter { .. } => "invalidFilter",
            _ => "invalidPath",
        }
    }
}

/// Parses `attr`, `attr.sub` or `urn:…:attr[.sub]` (no filter).
pub fn parse_attr_path(text: &str, rt: &'static ResourceTypeDef) -> Result<AttrPath, PathError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PathError::Empty);
    }
    if text.contains(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '"' | '(' | ')')) {
        return Err(PathError::Malformed {
            path: text.to_string(),
            reason: "an attribute path holds only a name and an optional sub-attribute",
        });
    }
    let (resolved, sub) =
        resolve(text, rt).ok_or_else(|| PathError::UnknownAttribute(text.to_string()))?;
    let sub = match sub {
        None => None,
        Some(name) => Some(sub_attribute(resolved.attr, name)?),
    };
    Ok(AttrPath { resolved, sub })
}

/// Parses a PATCH `path` (RFC 7644 §3.5.2): an attribute path or a value path.
pub fn parse_patch_path(text: &str, rt: &'static ResourceTypeDef) -> Result<PatchPath, PathError> {
    let text = text.trim();
    let Some(open) = text.find('[') else {
        return parse_attr_path(text, rt).map(PatchPath::Attr);
    };
    let malformed = |reason| PathError::Malformed {
        path: text.to_string(),
        reason,
    };
    let close = closing_bracket(text, open).ok_or_else(|| malformed("\"[\" is never closed"))?;
    let attr = parse_attr_path(&text[..open], rt)?;
    if attr.sub.is_some() {
        return Err(malformed(
            "a filter selects values of an attribute, not of a sub-attribute",
        ));
    }
    if attr.attr().kind != AttrType::Complex {
        return Err(malformed("only complex attributes can be filtered"));
    }
    let filter =
        filter::parse_value_filter(&text[open + 1..close], attr.attr()).map_err(|source| {
            PathError::Filter {
                path: text.to_string(),
                source,
            }
        })?;
    let rest = &text[close + 1..];
    let sub = if rest.is_empty() {
        None
    } else if let Some(name) = rest.strip_prefix('.') {
        Some(sub_attribute(attr.attr(), name)?)
    } else {
        return Err(malformed("only \".subAttribute\" may follow \"]\""));
    };
    Ok(PatchPath::ValuePath { attr, filter, sub })
}

/// All values at `path` in `resource`, flattening multi-valued attributes: `emails` gives each
/// email object, `emails.value` each address, `name.givenName` at most one value. Unassigned
/// (missing or null) values are left out.
pub fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let container = if path.resolved.in_extension {
        get_ci(resource, path.resolved.schema.id)
    } else {
        Some(resource)
    };
    let Some(top) = container.and_then(|c| get_ci(c, path.attr().name)) else {
        return Vec::new();
    };
    match path.sub {
        None => flatten(top),
        Some(sub) => flatten(top)
            .into_iter()
            .filter_map(|element| get_ci(element, sub.name))
            .flat_map(flatten)
            .collect(),
    }
}

/// Resolves a top-level name. Beyond `ResourceTypeDef::resolve`, a bare extension attribute
/// name (`manager`) is accepted when exactly one extension defines it: Entra's historical
/// manager PATCH uses `"path":"manager"` and its manager query `manager eq "<id>"`.
fn resolve<'a>(text: &'a str, rt: &'static ResourceTypeDef) -> Option<(Resolved, Option<&'a str>)> {
    if let Some(found) = rt.resolve(text) {
        return Some(found);
    }
    if rt.split_urn(text).is_some() {
        return None;
    }
    let (name, sub) = match text.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (text, None),
    };
    let mut hits = rt.extensions.iter().filter_map(|schema| {
        schema::find(schema.attributes, name).map(|attr| Resolved {
            schema,
            attr,
            in_extension: true,
        })
    });
    let only = hits.next()?;
    // Two extensions defining the same name: the client must qualify it.
    hits.next().is_none().then_some((only, sub))
}

fn sub_attribute(
    attr: &'static AttributeDef,
    name: &str,
) -> Result<&'static AttributeDef, PathError> {
    // SCIM has one level of sub-attributes, so a dot in `name` can never match.
    attr.sub(name)
        .ok_or_else(|| PathError::UnknownSubAttribute {
            attr: attr.name.to_string(),
            sub: name.to_string(),
        })
}

/// The byte index of the `]` closing the `[` at `open`, skipping over quoted strings so a
/// value such as `"a]b"` does not end the filter early.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text[open + 1..].char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, ']') => return Some(open + 1 + i),
            _ => {}
        }
    }
    None
}

/// Looks a member up by name: the canonical spelling first, then case-insensitively
/// (RFC 7643 §2.1), so values that did not pass through normalisation are still found.
/// A `null` member counts as absent.
pub(crate) fn get_ci<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    map.get(name)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

fn flatten(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().filter(|v| !v.is_null()).collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{GROUP, USER};
    use crate::scim::urn;
    use serde_json::json;

    fn attr(text: &str) -> AttrPath {
        parse_attr_path(text, &USER).expect("path parses")
    }

    #[test]
    fn plain_and_dotted_names_resolve_case_insensitively() {
        let p = attr("USERNAME");
        assert_eq!(p.attr().name, "userName");
        assert!(p.sub.is_none());
        let p = attr("name.GIVENNAME");
        assert_eq!(p.to_string(), "name.givenName");
        assert_eq!(p.leaf().name, "givenName");
    }

    #[test]
    fn urn_qualified_names_resolve_despite_dots_in_the_urn() {
        let p = attr("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName");
        assert!(!p.resolved.in_extension);
        assert_eq!(p.to_string(), "name.givenName");
        let p = attr(&format!("{}:manager.value", urn::ENTERPRISE_USER));
        assert!(p.resolved.in_extension);
        assert_eq!(
            p.to_string(),
            format!("{}:manager.value", urn::ENTERPRISE_USER)
        );
    }

    #[test]
    fn bare_extension_name_resolves_into_its_extension() {
        let p = attr("manager");
        assert!(p.resolved.in_extension);
        assert_eq!(p.resolved.schema.id, urn::ENTERPRISE_USER);
        assert!(parse_attr_path("manager", &GROUP).is_err());
    }

    #[test]
    fn unknown_names_and_sub_attributes_are_errors() {
        assert_eq!(
            parse_attr_path("nickname2", &USER).unwrap_err(),
            PathError::UnknownAttribute("nickname2".into())
        );
        assert_eq!(
            parse_attr_path("name.nickName", &USER).unwrap_err(),
            PathError::UnknownSubAttribute {
                attr: "name".into(),
                sub: "nickName".into()
            }
        );
        // Simple attributes have no sub-attributes.
        assert!(matches!(
            parse_attr_path("userName.value", &USER),
            Err(PathError::UnknownSubAttribute { .. })
        ));
        // Unknown extension URNs are not silently mapped onto known attributes.
        let err = parse_attr_path(
            "urn:ietf:params:scim:schemas:extension:custom:2.0:User:department",
            &USER,
        )
        .unwrap_err();
        assert_eq!(err.scim_type(), "invalidPath");
        assert_eq!(parse_attr_path("  ", &USER).unwrap_err(), PathError::Empty);
    }

    #[test]
    fn value_path_with_sub_attribute() {
        let PatchPath::ValuePath { attr, filter, sub } =
            parse_patch_path(r#"emails[type eq "work"].value"#, &USER).expect("parses")
        else {
            panic!("expected a value path");
        };
        assert_eq!(attr.attr().name, "emails");
        assert_eq!(sub.map(|s| s.name), Some("value"));
        assert!(filter.matches(&json!({"type": "Work", "value": "a@x"})));
        assert!(!filter.matches(&json!({"type": "home", "value": "a@x"})));
    }

    #[test]
    fn value_path_on_members_and_enterprise_manager() {
        let PatchPath::ValuePath { attr, filter, sub } =
            parse_patch_path(r#"members[value eq "abc"]"#, &GROUP).expect("parses")
        else {
            panic!("expected a value path");
        };
        assert_eq!(attr.attr().name, "members");
        assert!(sub.is_none());
        assert!(filter.matches(&json!({"value": "abc"})));
        // members.value is caseExact.
        assert!(!filter.matches(&json!({"value": "ABC"})));

        let text = format!(r#"{}:manager[value eq "m1"]"#, urn::ENTERPRISE_USER);
        let PatchPath::ValuePath { attr, filter, .. } =
            parse_patch_path(&text, &USER).expect("parses")
        else {
            panic!("expected a value path");
        };
        assert!(attr.resolved.in_extension);
        assert!(filter.matches(&json!({"value": "m1"})));
    }

    #[test]
    fn brackets_inside_quoted_values_do_not_close_the_filter() {
        let PatchPath::ValuePath { filter, sub, .. } =
            parse_patch_path(r#"emails[value eq "a]b"].type"#, &USER).expect("parses")
        else {
            panic!("expected a value path");
        };
        assert_eq!(sub.map(|s| s.name), Some("type"));
        assert!(filter.matches(&json!({"value": "a]b"})));
    }

    #[test]
    fn malformed_patch_paths() {
        for text in [
            r#"emails[type eq "work""#,
            r#"emails[type eq "work"]value"#,
            r#"name.givenName[value eq "x"]"#,
            r#"userName[value eq "x"]"#,
        ] {
            let err = parse_patch_path(text, &USER).unwrap_err();
            assert!(matches!(err, PathError::Malformed { .. }), "{text}: {err}");
            assert_eq!(err.scim_type(), "invalidPath");
        }
        assert!(matches!(
            parse_patch_path(r#"emails[type eq "work"].nope"#, &USER),
            Err(PathError::UnknownSubAttribute { .. })
        ));
    }

    #[test]
    fn bad_filter_inside_a_path_is_invalid_filter() {
        for text in [r#"emails[typo eq "work"]"#, r#"emails[type eq]"#] {
            let err = parse_patch_path(text, &USER).unwrap_err();
            assert_eq!(err.scim_type(), "invalidFilter", "{text}");
        }
    }

    #[test]
    fn values_flattens_multi_valued_and_reads_extensions() {
        let user = json!({
            "userName": "a",
            "name": {"givenName": "Ann"},
            "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x"}, {"type": "home"}],
            urn::ENTERPRISE_USER: {"manager": {"value": "m1"}},
        });
        assert_eq!(values(&user, &attr("emails")).len(), 3);
        assert_eq!(
            values(&user, &attr("emails.value")),
            vec![&json!("a@x"), &json!("b@x")]
        );
        assert_eq!(values(&user, &attr("name.givenName")), vec![&json!("Ann")]);
        assert_eq!(values(&user, &attr("manager.value")), vec![&json!("m1")]);
        assert!(values(&user, &attr("title")).is_empty());
        assert!(values(&user, &attr("name.familyName")).is_empty());
    }
}
