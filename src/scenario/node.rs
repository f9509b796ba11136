//! A typed reader over saphyr's marked YAML tree: maps with known keys, scalars of one type,
//! refs, JSON values. Every mismatch becomes a positioned `ScenarioError` collected in the
//! reader; nothing here knows the scenario vocabulary beyond the words it is handed.

use std::path::Path;

use saphyr::{MarkedYaml, Marker, Scalar, YamlData};

use super::error::{ErrorKind, ScenarioError};
use super::model::Span;
use super::suggest::did_you_mean;

pub(crate) type Node<'i> = MarkedYaml<'i>;

/// Where a node sits in the text (0-based columns, as saphyr counts). saphyr does not
/// re-export its span type, so this is the reader's own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub start: Marker,
    pub end: Marker,
}

impl At {
    pub fn of(node: &Node) -> At {
        At {
            start: node.span.start,
            end: node.span.end,
        }
    }

    /// Just the start of `node`: a one-character caret at a block that spans many lines.
    pub fn start_of(node: &Node) -> At {
        At {
            start: node.span.start,
            end: node.span.start,
        }
    }

    pub fn line(&self) -> usize {
        self.start.line()
    }
}

/// The path of `key` inside `parent`. Keys that would make the path ambiguous (a SCIM path
/// like `name.givenName`) are bracketed and quoted.
pub(crate) fn child(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{key:?}]"),
    }
}

/// The path of item `i` of the list at `parent`.
pub(crate) fn item(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The last segment of a field path, for "invalid value for `…`".
fn leaf(field: &str) -> &str {
    if let Some(start) = field.rfind("[\"").filter(|_| field.ends_with("\"]")) {
        return &field[start + 2..field.len() - 2];
    }
    field.rsplit('.').next().unwrap_or(field)
}

/// Describes a node for "found …" in messages.
pub(crate) fn found(node: &Node) -> String {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => format!("string {s:?}"),
        YamlData::Representation(s, _, _) => format!("string {s:?}"),
        YamlData::Value(Scalar::Integer(i)) => format!("integer {i}"),
        YamlData::Value(Scalar::FloatingPoint(f)) => format!("number {f}"),
        YamlData::Value(Scalar::Boolean(b)) => format!("boolean {b}"),
        YamlData::Value(Scalar::Null) => "null".to_string(),
        YamlData::Sequence(items) if items.is_empty() => "an empty list".to_string(),
        YamlData::Sequence(_) => "a list".to_string(),
        YamlData::Mapping(pairs) if pairs.is_empty() => "an empty map".to_string(),
        YamlData::Mapping(_) => "a map".to_string(),
        YamlData::Tagged(tag, _) => format!("a value tagged `{tag}`"),
        YamlData::Alias(_) | YamlData::BadValue => "an unreadable value".to_string(),
    }
}

/// The text of a string scalar, if the node is one.
pub(crate) fn as_str<'n>(node: &'n Node) -> Option<&'n str> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s),
        YamlData::Representation(s, _, _) => Some(s),
        _ => None,
    }
}

pub(crate) fn is_null(node: &Node) -> bool {
    matches!(node.data, YamlData::Value(Scalar::Null))
}

/// One `key: value` pair of a map whose key is a string.
pub(crate) struct Entry<'n, 'i> {
    pub key: &'n str,
    pub key_node: &'n Node<'i>,
    pub value: &'n Node<'i>,
    /// The path of the value.
    pub path: String,
}

/// A YAML map read with string keys, in document order.
pub(crate) struct Map<'n, 'i> {
    pub entries: Vec<Entry<'n, 'i>>,
    /// Where "missing key" errors point: the key that introduced the map when there is one,
    /// so the caret lands on `create_user`, not on a block spanning many lines.
    pub anchor: At,
    pub path: String,
}

impl<'n, 'i> Map<'n, 'i> {
    pub fn get(&self, key: &str) -> Option<&Entry<'n, 'i>> {
        self.entries.iter().find(|e| e.key == key)
    }
}

/// Reads nodes into typed values, collecting every error instead of stopping at the first.
pub(crate) struct Reader<'t> {
    file: &'t Path,
    lines: Vec<&'t str>,
    pub errors: Vec<ScenarioError>,
}

impl<'t> Reader<'t> {
    pub fn new(file: &'t Path, text: &'t str) -> Self {
        Reader {
            file,
            lines: text.lines().collect(),
            errors: Vec::new(),
        }
    }

    /// An error at a saphyr span (0-based columns) turned into the model's 1-based position.
    pub fn error_at(
        &self,
        at: At,
        kind: ErrorKind,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, col) = (at.start.line(), at.start.col());
        let source_line = line
            .checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .map(|l| l.to_string());
        let width = if at.end.line() == line {
            at.end.col().saturating_sub(col)
        } else {
            // A block spanning lines: underline to the end of its first line.
            source_line
                .as_deref()
                .map(|l| l.trim_end().chars().count().saturating_sub(col))
                .unwrap_or(1)
        };
        ScenarioError {
            kind,
            file: self.file.to_path_buf(),
            span: Some(Span {
                line,
                column: col + 1,
            }),
            width: width.max(1),
            field: field.to_string(),
            message: message.into(),
            help: None,
            source_line,
        }
    }

    pub fn push(&mut self, e: ScenarioError) {
        self.errors.push(e);
    }

    pub fn report(&mut self, at: At, kind: ErrorKind, field: &str, message: String) {
        let e = self.error_at(at, kind, field, message);
        self.push(e);
    }

    /// "invalid value for `leaf`: expected …, found …" at `node`.
    pub fn invalid(&mut self, node: &Node, field: &str, expected: &str) {
        let message = format!(
            "invalid value for `{}`: expected {expected}, found {}",
            leaf(field),
            found(node)
        );
        self.report(At::of(node), ErrorKind::InvalidValue, field, message);
    }

    /// Reads a map with string keys. `anchor` is where missing-key errors will point.
    pub fn map<'n, 'i>(
        &mut self,
        node: &'n Node<'i>,
        anchor: At,
        path: &str,
        expected: &str,
    ) -> Option<Map<'n, 'i>> {
        let YamlData::Mapping(pairs) = &node.data else {
            self.invalid(node, path, expected);
            return None;
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match as_str(k) {
                Some(key) => entries.push(Entry {
                    key,
                    key_node: k,
                    value: v,
                    path: child(path, key),
                }),
                None => {
                    let message = format!("keys must be text, found {}", found(k));
                    self.report(At::of(k), ErrorKind::InvalidValue, path, message);
                }
            }
        }
        Some(Map {
            entries,
            anchor,
            path: path.to_string(),
        })
    }

    /// Reports every key of `map` not in `allowed`, with the allowed list and a suggestion.
    pub fn check_keys(&mut self, map: &Map, allowed: &[&str]) {
        for e in &map.entries {
            if allowed.contains(&e.key) {
                continue;
            }
            let message = format!(
                "unknown key `{}`; expected one of: {}",
                e.key,
                allowed.join(", ")
            );
            let mut err =
                self.error_at(At::of(e.key_node), ErrorKind::UnknownKey, &e.path, message);
            if let Some(s) = did_you_mean(e.key, allowed.iter().copied()) {
                err = err.with_help(format!("did you mean `{s}`?"));
            }
            self.push(err);
        }
    }

    /// The entry for `key`, or a "missing required key" error at the map's anchor.
    pub fn required<'m, 'n, 'i>(
        &mut self,
        map: &'m Map<'n, 'i>,
        key: &str,
    ) -> Option<&'m Entry<'n, 'i>> {
        let entry = map.get(key);
        if entry.is_none() {
            let message = format!("missing required key `{key}`");
            self.report(map.anchor, ErrorKind::MissingKey, &map.path, message);
        }
        entry
    }

    /// Reads the optional `key` of `map` with `read`: `Some(None)` when absent, `None` when
    /// present but invalid (already reported), so callers can read every key before giving up.
    pub fn optional<T>(
        &mut self,
        map: &Map,
        key: &str,
        read: impl FnOnce(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<Option<T>> {
        match map.get(key) {
            Some(e) => read(self, e.value, &e.path).map(Some),
            None => Some(None),
        }
    }

    /// A non-empty string.
    pub fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        match as_str(node) {
            Some(s) if !s.trim().is_empty() => Some(s.to_string()),
            _ => {
                self.invalid(node, field, "non-empty text");
                None
            }
        }
    }

    /// Text, accepting numbers as their written form (`employeeId: 42` is "42"): an author
    /// who writes an id unquoted means the digits, not a number.
    pub fn text(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
            YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
            _ => self.string(node, field),
        }
    }

    /// Any scalar but null, as text (profile options are strings to the profile).
    pub fn scalar_text(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
            YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => {
                self.text(node, field)
            }
            _ => match as_str(node) {
                Some(s) => Some(s.to_string()),
                None => {
                    self.invalid(node, field, "a text, number or boolean value");
                    None
                }
            },
        }
    }

    pub fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
        match node.data {
            YamlData::Value(Scalar::Boolean(b)) => Some(b),
            _ => {
                self.invalid(node, field, "a boolean (true or false)");
                None
            }
        }
    }

    pub fn count(&mut self, node: &Node, field: &str) -> Option<u64> {
        match node.data {
            YamlData::Value(Scalar::Integer(i)) if i >= 0 => u64::try_from(i).ok(),
            _ => {
                self.invalid(node, field, "a non-negative integer");
                None
            }
        }
    }

    /// One of a fixed set of words, with a suggestion for near misses.
    pub fn word<T: Copy>(&mut self, node: &Node, field: &str, choices: &[(&str, T)]) -> Option<T> {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        if let Some(s) = as_str(node) {
            if let Some((_, v)) = choices.iter().find(|(n, _)| *n == s) {
                return Some(*v);
            }
        }
        let expected = format!("one of {}", names.join(", "));
        let message = format!(
            "invalid value for `{}`: expected {expected}, found {}",
            leaf(field),
            found(node)
        );
        let mut err = self.error_at(At::of(node), ErrorKind::InvalidValue, field, message);
        if let Some(s) = as_str(node).and_then(|s| did_you_mean(s, names.iter().copied())) {
            err = err.with_help(format!("did you mean `{s}`?"));
        }
        self.push(err);
        None
    }

    pub fn list<'n, 'i>(&mut self, node: &'n Node<'i>, field: &str) -> Option<&'n [Node<'i>]> {
        match &node.data {
            YamlData::Sequence(items) => Some(items),
            _ => {
                self.invalid(node, field, "a list");
                None
            }
        }
    }

    /// Any YAML value as JSON, for SCIM attribute values written in the scenario.
    pub fn json(&mut self, node: &Node, field: &str) -> Option<serde_json::Value> {
        use serde_json::Value;
        match &node.data {
            YamlData::Value(Scalar::Null) => Some(Value::Null),
            YamlData::Value(Scalar::Boolean(b)) => Some(Value::Bool(*b)),
            YamlData::Value(Scalar::Integer(i)) => Some(Value::from(*i)),
            YamlData::Value(Scalar::FloatingPoint(f)) => match serde_json::Number::from_f64(f.0) {
                Some(n) => Some(Value::Number(n)),
                None => {
                    self.invalid(node, field, "a finite number");
                    None
                }
            },
            YamlData::Value(Scalar::String(s)) | YamlData::Representation(s, _, _) => {
                Some(Value::String(s.to_string()))
            }
            YamlData::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, it) in items.iter().enumerate() {
                    match self.json(it, &item(field, i)) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(Value::Array(out))
            }
            YamlData::Mapping(_) => {
                let map = self.map(node, At::of(node), field, "a map")?;
                let mut out = serde_json::Map::new();
                let mut ok = map.entries.len() == count_pairs(node);
                for e in &map.entries {
                    match self.json(e.value, &e.path) {
                        Some(v) => {
                            out.insert(e.key.to_string(), v);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(Value::Object(out))
            }
            YamlData::Tagged(..) | YamlData::Alias(_) | YamlData::BadValue => {
                self.invalid(node, field, "a plain YAML value");
                None
            }
        }
    }
}

fn count_pairs(node: &Node) -> usize {
    match &node.data {
        YamlData::Mapping(m) => m.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_keys_that_contain_separators() {
        assert_eq!(child("", "name"), "name");
        assert_eq!(child("steps[2]", "create_user"), "steps[2].create_user");
        assert_eq!(
            child("steps[5].expect.attributes", "name.givenName"),
            "steps[5].expect.attributes[\"name.givenName\"]"
        );
        assert_eq!(
            leaf("steps[5].expect.attributes[\"name.givenName\"]"),
            "name.givenName"
        );
        assert_eq!(
            leaf("steps[2].create_user.accountEnabled"),
            "accountEnabled"
        );
    }
}
