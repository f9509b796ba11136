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

// ----- lexer --------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Str(String),
    /// Attribute paths, operators, keywords, numbers, `true`/`false`/`null`, and the
    /// `.value` that follows `]` in `emails[type eq "work"].value`.
    Word(&'a str),
}

#[derive(Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Character position, from 1, for messages.
    pos: usize,
}

fn lex(text: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let pos_of = |byte: usize| text[..byte].chars().count() + 1;
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            _ => None,
        };
        if let Some(tok) = simple {
            chars.next();
            tokens.push(Token {
                tok,
                pos: pos_of(start),
            });
        } else if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut escaped = false;
            let mut end = None;
            for (i, c) in chars.by_ref() {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.ok_or(FilterError::UnterminatedString { pos: pos_of(start) })?;
            // The literal is a JSON string (RFC 7644 §3.4.2.2), escapes included.
            let s: String =
                serde_json::from_str(&text[start..=end]).map_err(|e| FilterError::BadString {
                    pos: pos_of(start),
                    reason: e.to_string(),
                })?;
            tokens.push(Token {
                tok: Tok::Str(s),
                pos: pos_of(start),
            });
        } else {
            let mut end = text.len();
            while let Some(&(i, c)) = chars.peek() {
                if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                    end = i;
                    break;
                }
                chars.next();
            }
            tokens.push(Token {
                tok: Tok::Word(&text[start..end]),
                pos: pos_of(start),
            });
        }
    }
    Ok(tokens)
}

// ----- parser -------------------------------------------------------------------------------

/// What names in the filter refer to.
#[derive(Clone, Copy)]
enum Scope {
    Resource(&'static ResourceTypeDef),
    /// Inside `[…]`: sub-attributes of this complex attribute.
    Element(&'static AttributeDef),
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    end_pos: usize,
    scope: Scope,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, scope: Scope) -> Result<Self, FilterError> {
        let tokens = lex(text)?;
        if tokens.is_empty() {
            return Err(FilterError::Empty);
        }
        Ok(Parser {
            tokens,
            next: 0,
            end_pos: text.chars().count() + 1,
            scope,
        })
    }

    fn parse_all(mut self) -> Result<Node, FilterError> {
        let node = self.parse_or()?;
        match self.peek() {
            None => Ok(node),
            Some(_) => Err(self.unexpected("\"and\", \"or\" or the end of the filter")),
        }
    }

    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end_pos, |t| t.pos)
    }

    fn bump(&mut self) -> Option<&Token<'a>> {
        let token = self.tokens.get(self.next);
        self.next += 1;
        token
    }

    fn unexpected(&self, expected: &'static str) -> FilterError {
        let found = match self.peek().map(|t| &t.tok) {
            None => "the end of the filter".to_string(),
            Some(Tok::LParen) => "\"(\"".to_string(),
            Some(Tok::RParen) => "\")\"".to_string(),
            Some(Tok::LBracket) => "\"[\"".to_string(),
            Some(Tok::RBracket) => "\"]\"".to_string(),
            Some(Tok::Str(s)) => format!("{:?}", s),
            Some(Tok::Word(w)) => format!("\"{w}\""),
        };
        FilterError::Syntax {
            pos: self.pos(),
            expected,
            found,
        }
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if self.peek().is_some_and(|t| &t.tok == tok) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    /// Logical operators are case-insensitive (RFC 7644 §3.4.2.2).
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Word(w), .. }) if w.eq_ignore_ascii_case(keyword))
        {
            self.next += 1;
            true
        } else {
            false
        }
    }

    // Precedence, lowest first: or, and, not (RFC 7644 §3.4.2.2).
    fn parse_or(&mut self) -> Result<Node, FilterError> {
        let mut left = self.parse_and()?;
        while self.eat_keyword("or") {
            let right = self.parse_and()?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Node, FilterError> {
        let mut left = self.parse_not()?;
        while self.eat_keyword("and") {
            let right = self.parse_not()?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> Result<Node, FilterError> {
        // RFC 7644 writes `not (…)`; a bare `not userName eq "x"` reads the same way.
        if self.eat_keyword("not") {
            return Ok(Node::Not(Box::new(self.parse_not()?)));
        }
        self.parse_atom()
    }

    fn parse_atom(&mut self) -> Result<Node, FilterError> {
        if self.eat(&Tok::LParen) {
            let inner = self.parse_or()?;
            if !self.eat(&Tok::RParen) {
                return Err(self.unexpected("\")\""));
            }
            return Ok(inner);
        }
        let pos = self.pos();
        let name = match self.peek() {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => *w,
            _ => return Err(self.unexpected("an attribute name or \"(\"")),
        };
        self.next += 1;
        if self.peek().is_some_and(|t| t.tok == Tok::LBracket) {
            return self.parse_value_path(name, pos);
        }
        let operand = self.operand(name, pos)?;
        self.parse_comparison(operand, name, pos)
    }

    /// `emails[type eq "work"]`, optionally followed by `.value eq "x"` (Entra's matching
    /// query), which means the same element must also satisfy the comparison.
    fn parse_value_path(&mut self, name: &str, pos: usize) -> Result<Node, FilterError> {
        let Scope::Resource(rt) = self.scope else {
            return Err(FilterError::Syntax {
                pos,
                expected: "a comparison (value paths do not nest)",
                found: "\"[\"".to_string(),
            });
        };
        let attr = path::parse_attr_path(name, rt).map_err(|e| FilterError::Attribute {
            pos,
            detail: e.to_string(),
        })?;
        if attr.sub.is_some() || attr.attr().kind != AttrType::Complex {
            return Err(FilterError::Attribute {
                pos,
                detail: format!("\"{attr}\" is not a complex attribute and cannot be filtered"),
            });
        }
        self.next += 1; // `[`
        self.scope = Scope::Element(attr.attr());
        let inner = self.parse_or();
        self.scope = Scope::Resource(rt);
        let mut inner = inner?;
        if !self.eat(&Tok::RBracket) {
            return Err(self.unexpected("\"]\""));
        }
        let sub_pos = self.pos();
        if let Some(Token {
            tok: Tok::Word(word),
            ..
        }) = self.peek()
        {
            if let Some(sub_name) = word.strip_prefix('.') {
                let sub = attr
                    .attr()
                    .sub(sub_name)
                    .ok_or_else(|| FilterError::Attribute {
                        pos: sub_pos,
                        detail: format!("attribute \"{attr}\" has no sub-attribute \"{sub_name}\""),
                    })?;
                self.next += 1;
                let comparison = self.parse_comparison(Operand::Sub(sub), sub.name, sub_pos)?;
                inner = Node::And(Box::new(inner), Box::new(comparison));
            }
        }
        Ok(Node::ValuePath {
            attr,
            inner: Box::new(inner),
        })
    }

    fn operand(&self, name: &str, pos: usize) -> Result<Operand, FilterError> {
        match self.scope {
            Scope::Resource(rt) => {
                path::parse_attr_path(name, rt)
                    .map(Operand::Attr)
                    .map_err(|e| FilterError::Attribute {
                        pos,
                        detail: e.to_string(),
                    })
            }
            Scope::Element(parent) => {
                parent
                    .sub(name)
                    .map(Operand::Sub)
                    .ok_or_else(|| FilterError::Attribute {
                        pos,
                        detail: format!(
                            "attribute \"{}\" has no sub-attribute \"{name}\"",
                            parent.name
                        ),
                    })
            }
        }
    }

    /// `pr`, or an operator and a literal, checked against the attribute's type.
    fn parse_comparison(
        &mut self,
        operand: Operand,
        name: &str,
        pos: usize,
    ) -> Result<Node, FilterError> {
        let op_word = match self.peek() {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => *w,
            _ => {
                return Err(self.unexpected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"))
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            self.next += 1;
            return Ok(Node::Present(operand));
        }
        let Some(op) = CompareOp::parse(op_word) else {
            return Err(self.unexpected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.next += 1;
        let value_pos = self.pos();
        let literal = match self.bump().map(|t| &t.tok) {
            Some(Tok::Str(s)) => Value::String(s.clone()),
            Some(Tok::Word(w)) => word_literal(w).ok_or_else(|| FilterError::Syntax {
                pos: value_pos,
                expected: "a value (a quoted string, a number, true, false or null)",
                found: format!("\"{w}\""),
            })?,
            _ => {
                self.next -= 1;
                return Err(
                    self.unexpected("a value (a quoted string, a number, true, false or null)")
                );
            }
        };
        let leaf = match operand {
            Operand::Attr(p) => p.leaf(),
            Operand::Sub(sub) => sub,
        };
        let compared = if leaf.kind == AttrType::Complex {
            leaf.sub("value").ok_or_else(|| FilterError::Attribute {
                pos,
                detail: format!(
                    "complex attribute \"{name}\" can only be compared through a sub-attribute"
                ),
            })?
        } else {
            leaf
        };
        let value = check_literal(compared, op, literal, name, value_pos)?;
        Ok(Node::Compare {
            operand,
            compared,
            op,
            value,
        })
    }
}

/// Unquoted literals: numbers and `true`/`false`/`null` (accepted in any case).
fn word_literal(word: &str) -> Option<Value> {
    for (name, value) in [
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
    ] {
        if word.eq_ignore_ascii_case(name) {
            return Some(value);
        }
    }
    serde_json::from_str::<serde_json::Number>(word)
        .ok()
        .map(Value::Number)
}

/// Refuses comparisons that can never be meaningful (RFC 7644 §3.4.2.2: `gt` on a boolean is
/// a 400), and coerces "true"/"false" strings for boolean attributes.
fn check_literal(
    def: &AttributeDef,
    op: CompareOp,
    literal: Value,
    name: &str,
    pos: usize,
) -> Result<Value, FilterError> {
    let operator_error = || FilterError::Operator {
        pos,
        op: op.as_str(),
        attr: name.to_string(),
        kind: def.kind.as_str(),
    };
    let value_error = |literal: &Value| FilterError::Value {
        pos,
        value: literal.to_string(),
        attr: name.to_string(),
        kind: def.kind.as_str(),
    };
    if literal.is_null() {
        return if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            Ok(literal)
        } else {
            Err(value_error(&literal))
        };
    }
    match def.kind {
        AttrType::Boolean => {
            if op != CompareOp::Eq && op != CompareOp::Ne {
                return Err(operator_error());
            }
            coerce_bool(&literal)
                .map(Value::Bool)
                .ok_or_else(|| value_error(&literal))
        }
        AttrType::Integer | AttrType::Decimal => {
            if op.is_substring() {
                return Err(operator_error());
            }
            let ok = match def.kind {
                AttrType::Integer => literal.is_i64() || literal.is_u64(),
                _ => literal.is_number(),
            };
            if ok {
                Ok(literal)
            } else {
                Err(value_error(&literal))
            }
        }
        AttrType::DateTime => match literal.as_str() {
            Some(s) if op.is_substring() || parse_datetime(s).is_some() => Ok(literal),
            _ => Err(value_error(&literal)),
        },
        AttrType::Binary if op.is_ordering() => Err(operator_error()),
        _ if literal.is_string() => Ok(literal),
        _ => Err(value_error(&literal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{GROUP, USER};
    use crate::scim::urn;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "Ext-1",
            "userName": "Bjensen@Example.com",
            "displayName": "Babs Jensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "title": "Tour Guide",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z"
            },
            urn::ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "m-1"}}
        })
    }

    fn parse(text: &str) -> Filter {
        parse_filter(text, &USER).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn check(text: &str, expected: bool) {
        assert_eq!(parse(text).matches(&user()), expected, "{text}");
    }

    #[test]
    fn eq_is_case_insensitive_for_case_insensitive_attributes_only() {
        check(r#"userName eq "bjensen@example.com""#, true);
        check(r#"displayName eq "BABS JENSEN""#, true);
        check(r#"emails.value eq "BJENSEN@example.com""#, true);
        check(r#"externalId eq "ext-1""#, false);
        check(r#"externalId eq "Ext-1""#, true);
        check(r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false);
        check(r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true);
    }

    #[test]
    fn operators_and_attribute_names_are_case_insensitive() {
        check(r#"USERNAME Eq "bjensen@example.com""#, true);
        check(r#"username EQ "nobody""#, false);
        check(r#"title Co "guide" AnD active EQ true"#, true);
    }

    #[test]
    fn ne_needs_a_differing_value() {
        check(r#"title ne "Tour Guide""#, false);
        check(r#"title ne "Boss""#, true);
        // Missing attributes never match, `ne` included.
        check(r#"nickName ne "x""#, false);
        // Multi-valued: none of the values may be equal.
        check(r#"emails.value ne "babs@jensen.org""#, false);
        check(r#"emails.value ne "other@x""#, true);
    }

    #[test]
    fn substring_operators() {
        check(r#"title co "UR gu""#, true);
        check(r#"title co "boss""#, false);
        check(r#"userName sw "BJEN""#, true);
        check(r#"userName sw "jen""#, false);
        check(r#"emails.value ew "@JENSEN.org""#, true);
        check(r#"emails.value ew "@nowhere.org""#, false);
        check(r#"externalId sw "ext""#, false);
    }

    #[test]
    fn ordering_operators_on_strings() {
        check(r#"title gt "tour""#, true);
        check(r#"title gt "tour guide""#, false);
        check(r#"title ge "TOUR GUIDE""#, true);
        check(r#"title lt "Tour Guidf""#, true);
        check(r#"title lt "Tour Guide""#, false);
        check(r#"title le "tour guide""#, true);
        check(r#"title le "a""#, false);
    }

    #[test]
    fn datetime_compares_as_instants() {
        check(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false);
        check(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true);
        // Same instant written with an offset.
        check(r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true);
        check(r#"meta.lastModified gt "2011-05-13T05:42:34+02:00""#, true);
        check(r#"meta.created lt "2010-01-23T04:56:23Z""#, true);
        check(r#"meta.created lt "2010-01-23T04:56:22Z""#, false);
        let err = parse_filter(r#"meta.lastModified gt "yesterday""#, &USER).unwrap_err();
        assert!(matches!(err, FilterError::Value { .. }), "{err}");
    }

    #[test]
    fn pr_means_present_and_not_empty() {
        check("title pr", true);
        check("nickName pr", false);
        check("emails pr", true);
        check("name.middleName pr", false);
        let sparse = json!({"userName": "a", "title": "", "emails": [], "name": {}});
        for text in ["title pr", "emails pr", "name pr", "phoneNumbers pr"] {
            assert!(!parse(text).matches(&sparse), "{text}");
        }
    }

    #[test]
    fn booleans_numbers_and_null_literals() {
        check("active eq true", true);
        check("active eq FALSE", false);
        check(r#"active eq "True""#, true);
        check("active ne false", true);
        check("nickName eq null", true);
        check("title eq null", false);
        check("title ne null", true);
        assert!(matches!(
            parse_filter("active gt true", &USER),
            Err(FilterError::Operator { .. })
        ));
        assert!(matches!(
            parse_filter("active eq 1", &USER),
            Err(FilterError::Value { .. })
        ));
        assert!(matches!(
            parse_filter("userName eq 42", &USER),
            Err(FilterError::Value { .. })
        ));
        assert!(matches!(
            parse_filter("userName co null", &USER),
            Err(FilterError::Value { .. })
        ));
    }

    #[test]
    fn number_literals_parse() {
        // The core schemas have no numeric attribute: check the literal reader directly.
        assert_eq!(word_literal("-1.5e2"), Some(json!(-150.0)));
        assert_eq!(word_literal("42"), Some(json!(42)));
        assert_eq!(word_literal("Null"), Some(Value::Null));
        assert_eq!(word_literal("4x2"), None);
        let err = parse_filter("userName eq bjensen", &USER).unwrap_err();
        assert!(matches!(err, FilterError::Syntax { pos: 13, .. }), "{err}");
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        // and binds tighter than or: true or (false and false) = true.
        check(
            r#"title eq "Tour Guide" or userName eq "x" and displayName eq "y""#,
            true,
        );
        // Grouping changes it: (true or false) and false = false.
        check(
            r#"(title eq "Tour Guide" or userName eq "x") and displayName eq "y""#,
            false,
        );
        // not binds tighter than and: (not false) and true = true.
        check(r#"not (userName eq "x") and active eq true"#, true);
        check(r#"not (userName eq "x" or active eq true)"#, false);
        check(r#"NOT (nickName pr)"#, true);
    }

    #[test]
    fn value_path_filter() {
        check(
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        );
        check(
            r#"emails[type eq "home" and value co "@example.com"]"#,
            false,
        );
        check(
            r#"emails[type eq "work"] and not (emails[type eq "other"])"#,
            true,
        );
        check(r#"emails[not (type eq "work")]"#, true);
    }

    #[test]
    fn value_path_followed_by_sub_attribute_comparison() {
        // Entra's matching query: the same element must be a work email with this value.
        check(
            r#"emails[type eq "work"].value eq "bjensen@example.com""#,
            true,
        );
        check(
            r#"emails[type eq "work"].value eq "babs@jensen.org""#,
            false,
        );
        check(r#"emails[type eq "home"].value pr"#, true);
        check(
            r#"emails[type eq "work"].value eq "BJENSEN@example.com" and userName pr"#,
            true,
        );
    }

    #[test]
    fn multi_valued_complex_without_sub_attribute_compares_value() {
        // PingFederate matches work email as `emails eq "…"`.
        check(r#"emails eq "babs@jensen.org""#, true);
        check(r#"emails co "jensen""#, true);
        check(r#"emails eq "nobody@x""#, false);
        // Single-valued complex with a `value` too: Entra's historical manager query.
        check(
            r#"id eq "2819c223-7f76-453a-919d-413861904646" and manager eq "m-1""#,
            true,
        );
        assert!(matches!(
            parse_filter(r#"name eq "x""#, &USER),
            Err(FilterError::Attribute { .. })
        ));
    }

    #[test]
    fn urn_qualified_names() {
        check(
            &format!(r#"{}:employeeNumber eq "701984""#, urn::ENTERPRISE_USER),
            true,
        );
        check(
            &format!(r#"{}:manager.value eq "m-1""#, urn::ENTERPRISE_USER),
            true,
        );
        check(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "jensen""#,
            true,
        );
        check(r#"employeeNumber eq "1""#, false);
    }

    #[test]
    fn string_escapes_in_values() {
        let resource = json!({"userName": "a", "displayName": "Say \"hi\" \\ é"});
        assert!(parse(r#"displayName eq "Say \"hi\" \\ \u00e9""#).matches(&resource));
        assert!(parse(r#"displayName eq "say \"HI\" \\ É""#).matches(&resource));
        let err = parse_filter(r#"displayName eq "bad \q""#, &USER).unwrap_err();
        assert!(matches!(err, FilterError::BadString { .. }), "{err}");
    }

    #[test]
    fn missing_attributes_never_match_except_under_not() {
        let bare = json!({"userName": "a"});
        assert!(!parse(r#"title eq "x""#).matches(&bare));
        assert!(!parse(r#"title co """#).matches(&bare));
        assert!(!parse(r#"emails[type eq "work"]"#).matches(&bare));
        assert!(parse(r#"not (title eq "x")"#).matches(&bare));
    }

    #[test]
    fn group_filters() {
        let group = json!({"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]});
        let f = parse_filter(r#"members[value eq "u2"]"#, &GROUP).expect("parses");
        assert!(f.matches(&group));
        let f = parse_filter(r#"members.value eq "U2""#, &GROUP).expect("parses");
        assert!(!f.matches(&group), "members.value is caseExact");
        assert!(parse_filter(r#"userName eq "x""#, &GROUP).is_err());
    }

    #[test]
    fn parse_errors_are_reported_with_positions() {
        let cases: &[(&str, &str)] = &[
            ("", "the filter is empty"),
            (
                r#"userName eq "x" garbage"#,
                "expected \"and\", \"or\" or the end of the filter at position 17, found \"garbage\"",
            ),
            (
                r#"userName xx "x""#,
                "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) at position 10, found \"xx\"",
            ),
            (
                r#"(userName eq "x""#,
                "expected \")\" at position 17, found the end of the filter",
            ),
            (
                r#"userName eq "x"#,
                "unterminated string starting at position 13",
            ),
            (
                r#"nickname2 eq "x""#,
                "unknown attribute \"nickname2\" (position 1)",
            ),
            (
                r#"emails[typo eq "work"]"#,
                "attribute \"emails\" has no sub-attribute \"typo\" (position 8)",
            ),
            (
                r#"emails[type eq "work"].nope eq "x""#,
                "attribute \"emails\" has no sub-attribute \"nope\" (position 23)",
            ),
            (
                r#"emails[type eq "work"] and"#,
                "expected an attribute name or \"(\" at position 27, found the end of the filter",
            ),
            (
                "userName eq",
                "expected a value (a quoted string, a number, true, false or null) at position 12, found the end of the filter",
            ),
        ];
        for (text, message) in cases {
            let err = parse_filter(text, &USER).unwrap_err();
            assert_eq!(&err.to_string(), message, "{text}");
        }
        assert!(parse_filter(r#"emails[type[value eq "x"]]"#, &USER).is_err());
    }

    #[test]
    fn simple_eq_only_for_single_valued_core_string_attributes() {
        let f = parse(r#"userName eq "alice""#);
        assert_eq!(f.simple_eq(), Some(("userName", "alice")));
        let f = parse(r#"EXTERNALID Eq "e1""#);
        assert_eq!(f.simple_eq(), Some(("externalId", "e1")));
        let f = parse_filter(r#"displayName eq "Sales""#, &GROUP).expect("parses");
        assert_eq!(f.simple_eq(), Some(("displayName", "Sales")));
        for text in [
            r#"userName ne "alice""#,
            r#"userName eq "a" and active eq true"#,
            r#"emails eq "a@x""#,
            r#"name.givenName eq "a""#,
            r#"employeeNumber eq "1""#,
            "active eq true",
            "userName eq null",
        ] {
            assert_eq!(parse(text).simple_eq(), None, "{text}");
        }
    }

    #[test]
    fn eq_conjunction_describes_the_selected_value() {
        let f = parse_value_filter(r#"type eq "work" and primary eq "true""#, emails_def())
            .expect("parses");
        let parts: Vec<(&str, Value)> = f
            .eq_conjunction()
            .expect("a conjunction of eq")
            .into_iter()
            .map(|(def, v)| (def.name, v.clone()))
            .collect();
        assert_eq!(
            parts,
            vec![("type", json!("work")), ("primary", json!(true))]
        );
        for text in [r#"type eq "work" or type eq "home""#, r#"value co "x""#] {
            let f = parse_value_filter(text, emails_def()).expect("parses");
            assert!(f.eq_conjunction().is_none(), "{text}");
        }
    }

    fn emails_def() -> &'static AttributeDef {
        USER.resolve("emails").expect("emails").0.attr
    }
}
