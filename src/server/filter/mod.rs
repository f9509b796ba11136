//! Filter expressions (RFC 7644 §3.4.2.2): parse and evaluate against stored resources.
//! Every attribute name is checked against the schema tables when parsing, so evaluation
//! never fails; it must never match an attribute the tables do not define.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::Value;
use thiserror::Error;

use super::path::{self, AttrPath};
use crate::scim::schema::{AttrType, AttributeDef, ResourceTypeDef};

/// A parsed filter. Opaque so that every filter is known to be type-checked against the
/// schema tables; build one with `parse_filter` or (for value paths) `parse_patch_path`.
#[derive(Debug, Clone)]
pub struct Filter(Node);

#[derive(Debug, Clone)]
enum Node {
    Compare {
        operand: Operand,
        /// The attribute whose type and `case_exact` govern the comparison: the operand's
        /// leaf, or its `value` sub-attribute for a complex attribute (`emails eq "a@b"`).
        compared: &'static AttributeDef,
        op: CompareOp,
        value: Value,
    },
    Present(Operand),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// `emails[type eq "work"]`: some value of the attribute matches the inner filter, whose
    /// operands are sub-attributes.
    ValuePath {
        attr: AttrPath,
        inner: Box<Node>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Operand {
    /// An attribute of the resource.
    Attr(AttrPath),
    /// A sub-attribute of the value under test, inside `[…]`.
    Sub(&'static AttributeDef),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        const OPS: [(&str, CompareOp); 9] = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        OPS.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
            .map(|&(_, op)| op)
    }

    fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }

    fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }
}

/// Why a filter was refused; the message becomes the `detail` of a 400 `invalidFilter`.
/// Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FilterError {
    #[error("the filter is empty")]
    Empty,
    #[error("expected {expected} at position {pos}, found {found}")]
    Syntax {
        pos: usize,
        expected: &'static str,
        found: String,
    },
    #[error("unterminated string starting at position {pos}")]
    UnterminatedString { pos: usize },
    #[error("invalid string at position {pos}: {reason}")]
    BadString { pos: usize, reason: String },
    #[error("{detail} (position {pos})")]
    Attribute { pos: usize, detail: String },
    #[error("operator \"{op}\" cannot be used on {kind} attribute \"{attr}\" (position {pos})")]
    Operator {
        pos: usize,
        op: &'static str,
        attr: String,
        kind: &'static str,
    },
    #[error("{value} is not a {kind} value for attribute \"{attr}\" (position {pos})")]
    Value {
        pos: usize,
        value: String,
        attr: String,
        kind: &'static str,
    },
}

/// Parses a `filter` query parameter for resources of type `rt`.
pub fn parse_filter(text: &str, rt: &'static ResourceTypeDef) -> Result<Filter, FilterError> {
    Parser::new(text, Scope::Resource(rt))?
        .parse_all()
        .map(Filter)
}

/// Parses the filter between the brackets of a value path, whose names are sub-attributes
/// of `parent` (`type eq "work"` in `emails[type eq "work"]`).
pub(crate) fn parse_value_filter(
    text: &str,
    parent: &'static AttributeDef,
) -> Result<Filter, FilterError> {
    Parser::new(text, Scope::Element(parent))?
        .parse_all()
        .map(Filter)
}

impl Filter {
    /// True when `resource` satisfies the filter. For a filter from a value path the
    /// argument is one value of the filtered attribute (`{"type":"work","value":…}`).
    pub fn matches(&self, resource: &Value) -> bool {
        self.0.matches(resource)
    }

    /// `(canonical attribute name, value)` when the whole filter is `attr eq "value"` on a
    /// top-level, single-valued, core string attribute, e.g. `userName eq "x"`: the store can
    /// answer it from an index. The caller still compares per the attribute's `case_exact`
    /// (`userName` is case-insensitive).
    pub fn simple_eq(&self) -> Option<(&'static str, &str)> {
        match &self.0 {
            Node::Compare {
                operand: Operand::Attr(path),
                op: CompareOp::Eq,
                value: Value::String(value),
                ..
            } if path.sub.is_none()
                && !path.resolved.in_extension
                && !path.attr().multi_valued
                && path.attr().kind == AttrType::String =>
            {
                Some((path.attr().name, value))
            }
            _ => None,
        }
    }

    /// For a value-path filter that is one `eq` or a conjunction of `eq`s on sub-attributes
    /// (`type eq "work"`), those sub-attributes and values: enough to create the value a
    /// PATCH add addressed when no value matches yet.
    pub(crate) fn eq_conjunction(&self) -> Option<Vec<(&'static AttributeDef, &Value)>> {
        fn collect<'f>(
            node: &'f Node,
            out: &mut Vec<(&'static AttributeDef, &'f Value)>,
        ) -> Option<()> {
            match node {
                Node::And(a, b) => {
                    collect(a, out)?;
                    collect(b, out)
                }
                Node::Compare {
                    operand: Operand::Sub(sub),
                    op: CompareOp::Eq,
                    value,
                    ..
                } if !value.is_null() => {
                    out.push((sub, value));
                    Some(())
                }
                _ => None,
            }
        }
        let mut out = Vec::new();
        collect(&self.0, &mut out).map(|()| out)
    }
}

impl Node {
    fn matches(&self, resource: &Value) -> bool {
        match self {
            Node::And(a, b) => a.matches(resource) && b.matches(resource),
            Node::Or(a, b) => a.matches(resource) || b.matches(resource),
            Node::Not(inner) => !inner.matches(resource),
            Node::Present(operand) => operand_values(operand, resource).into_iter().any(present),
            Node::ValuePath { attr, inner } => path::values(resource, attr)
                .into_iter()
                .any(|element| inner.matches(element)),
            Node::Compare {
                operand,
                compared,
                op,
                value,
            } => {
                let mut found = operand_values(operand, resource);
                if matches!(operand, Operand::Attr(p) if p.sub.is_none() && p.attr().kind == AttrType::Complex)
                {
                    // `emails eq "a@b"` compares each email's `value` (PingFederate matching).
                    found = found
                        .into_iter()
                        .filter_map(|v| path::get_ci(v, compared.name))
                        .collect();
                }
                let found: Vec<&Value> = found.into_iter().filter(|v| present(v)).collect();
                match (op, value) {
                    // Unassigned and null are the same thing (RFC 7643 §2.5).
                    (CompareOp::Eq, Value::Null) => found.is_empty(),
                    (CompareOp::Ne, Value::Null) => !found.is_empty(),
                    // `ne` needs a value to differ: a missing attribute matches nothing.
                    (CompareOp::Ne, _) => {
                        !found.is_empty()
                            && !found
                                .iter()
                                .any(|v| compare(compared, CompareOp::Eq, v, value))
                    }
                    _ => found.iter().any(|v| compare(compared, *op, v, value)),
                }
            }
        }
    }
}

fn operand_values<'a>(operand: &Operand, resource: &'a Value) -> Vec<&'a Value> {
    match operand {
        Operand::Attr(path) => path::values(resource, path),
        Operand::Sub(sub) => match path::get_ci(resource, sub.name) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v) => vec![v],
            None => Vec::new(),
        },
    }
}

/// `pr`: present and not null, "", [] or {}.
fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(present),
        Value::Object(o) => o.values().any(present),
        _ => true,
    }
}

/// Compares one stored value with the filter's literal; the literal was checked against
/// `def`'s type when parsing, so only the stored side can disagree (and then never matches).
fn compare(def: &AttributeDef, op: CompareOp, stored: &Value, literal: &Value) -> bool {
    let ordering = match def.kind {
        AttrType::Boolean => {
            let equal = coerce_bool(stored).is_some_and(|b| Some(b) == literal.as_bool());
            return op == CompareOp::Eq && equal;
        }
        AttrType::Integer | AttrType::Decimal => match (stored.as_f64(), literal.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
        AttrType::DateTime if !op.is_substring() => {
            match (
                stored.as_str().and_then(parse_datetime),
                literal.as_str().and_then(parse_datetime),
            ) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => None,
            }
        }
        _ => {
            let (Some(a), Some(b)) = (stored.as_str(), literal.as_str()) else {
                return false;
            };
            let (a, b) = (fold(a, def.case_exact), fold(b, def.case_exact));
            match op {
                CompareOp::Co => return a.contains(b.as_ref()),
                CompareOp::Sw => return a.starts_with(b.as_ref()),
                CompareOp::Ew => return a.ends_with(b.as_ref()),
                _ => Some(a.cmp(&b)),
            }
        }
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        // Substring operators on numbers were refused when parsing.
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// The form a string is compared in: as is for caseExact attributes, lower-cased (and only
/// then allocated) for the others.
fn fold(s: &str, case_exact: bool) -> Cow<'_, str> {
    if case_exact {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// JSON booleans, and the strings "true"/"false" in any case: Entra sends "True"/"False".
pub(crate) fn coerce_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An xsd:dateTime (RFC 7643 §2.3.5) as an instant. A missing offset means UTC, as xsd leaves
/// it unspecified and comparing as instants needs one.
pub(crate) fn parse_datetime(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|naive| naive.and_utc().fixed_offset())
    })
}

mod parse;

use parse::{Parser, Scope};
#[cfg(test)]
mod tests;
