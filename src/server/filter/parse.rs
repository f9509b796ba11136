//! The filter grammar of RFC 7644 §3.4.2.2: a lexer and a recursive-descent parser that
//! checks every attribute name and literal against the schema tables as it reads them, so
//! a filter that parses can always be evaluated.

use serde_json::Value;

use super::{coerce_bool, parse_datetime, CompareOp, FilterError, Node, Operand};
use crate::scim::schema::{AttrType, AttributeDef, ResourceTypeDef};
use crate::server::path;

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
pub(super) enum Scope {
    Resource(&'static ResourceTypeDef),
    /// Inside `[…]`: sub-attributes of this complex attribute.
    Element(&'static AttributeDef),
}

pub(super) struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    end_pos: usize,
    scope: Scope,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str, scope: Scope) -> Result<Self, FilterError> {
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

    pub(super) fn parse_all(mut self) -> Result<Node, FilterError> {
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
pub(super) fn word_literal(word: &str) -> Option<Value> {
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
