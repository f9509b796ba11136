//! `set_scoping_filter`: Entra's scoping-filter clauses, in Entra's own operator spelling,
//! checked for the combinations Entra refuses (a comparison without a value, a boolean test
//! on text).

use saphyr::YamlData;

use super::Parser;
use crate::scenario::error::ErrorKind;
use crate::scenario::model::{ScopingClause, ScopingOperator, Step, UserAttr};
use crate::scenario::node::{found, item, At, Entry, Node, Reader};

/// Entra's spelling of the scoping-filter operators, upper case with a space.
const OPERATORS: &[(&str, ScopingOperator)] = &[
    ("EQUALS", ScopingOperator::Equals),
    ("NOT EQUALS", ScopingOperator::NotEquals),
    ("IS TRUE", ScopingOperator::IsTrue),
    ("IS FALSE", ScopingOperator::IsFalse),
    ("IS NULL", ScopingOperator::IsNull),
    ("IS NOT NULL", ScopingOperator::IsNotNull),
    ("INCLUDES", ScopingOperator::Includes),
    ("NOT INCLUDES", ScopingOperator::NotIncludes),
];
const CLAUSE_KEYS: &[&str] = &["attribute", "operator", "value"];

impl Parser<'_> {
    // --- scoping filters ----------------------------------------------------------------

    pub(super) fn set_scoping_filter(&mut self, e: &Entry) -> Option<Step> {
        let YamlData::Sequence(groups) = &e.value.data else {
            self.r.invalid(
                e.value,
                &e.path,
                "a list of clause groups, each a list of clauses (`[]` clears the filter)",
            );
            return None;
        };
        let mut out = Vec::with_capacity(groups.len());
        let mut ok = true;
        for (i, group) in groups.iter().enumerate() {
            match self.scoping_group(group, &item(&e.path, i)) {
                Some(clauses) => out.push(clauses),
                None => ok = false,
            }
        }
        ok.then_some(Step::SetScopingFilter(out))
    }

    /// One group of AND-ed clauses. An empty group would hold for every user, which no
    /// author means; a bare clause map is the usual slip of one `-` too few.
    pub(super) fn scoping_group(&mut self, node: &Node, path: &str) -> Option<Vec<ScopingClause>> {
        let expected = "a non-empty list of clauses (the clauses of a group are AND-ed)";
        let clauses = match &node.data {
            YamlData::Sequence(clauses) if !clauses.is_empty() => clauses,
            YamlData::Mapping(_) => {
                let message = format!(
                    "invalid value for a clause group: expected {expected}, found {}",
                    found(node)
                );
                let err = self
                    .r
                    .error_at(At::start_of(node), ErrorKind::InvalidShape, path, message)
                    .with_help("each group is a list of its own: write `- - { attribute: … }`");
                self.r.push(err);
                return None;
            }
            _ => {
                self.r.invalid(node, path, expected);
                return None;
            }
        };
        let mut out = Vec::with_capacity(clauses.len());
        let mut ok = true;
        for (i, clause) in clauses.iter().enumerate() {
            match self.scoping_clause(clause, &item(path, i)) {
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn scoping_clause(&mut self, node: &Node, path: &str) -> Option<ScopingClause> {
        let map = self.r.map(
            node,
            At::start_of(node),
            path,
            "a clause: a map with `attribute`, `operator` and, to compare, `value`",
        )?;
        self.r.check_keys(&map, CLAUSE_KEYS);
        let attribute = self
            .r
            .required(&map, "attribute")
            .and_then(|a| self.r.word(a.value, &a.path, UserAttr::ALL));
        let operator_entry = self.r.required(&map, "operator");
        let operator = operator_entry.and_then(|o| self.r.word(o.value, &o.path, OPERATORS));
        let value = self.r.optional(&map, "value", Reader::text);

        let mut ok = true;
        if let (Some(o), Some(op)) = (operator_entry, operator) {
            let name = OPERATORS
                .iter()
                .find(|(_, x)| *x == op)
                .map_or("?", |(n, _)| *n);
            let compares = matches!(
                op,
                ScopingOperator::Equals
                    | ScopingOperator::NotEquals
                    | ScopingOperator::Includes
                    | ScopingOperator::NotIncludes
            );
            match map.get("value") {
                // Points at the operator: it is what asks for a value.
                None if compares => {
                    let message =
                        format!("missing required key `value`: `{name}` compares with a value");
                    self.r
                        .report(At::of(o.value), ErrorKind::MissingKey, &map.path, message);
                    ok = false;
                }
                Some(v) if !compares => {
                    let message = format!(
                        "`value` cannot be used with `{name}`: the operator takes no value"
                    );
                    self.r.report(
                        At::of(v.key_node),
                        ErrorKind::InvalidShape,
                        &v.path,
                        message,
                    );
                    ok = false;
                }
                _ => {}
            }
            let boolean_test = matches!(op, ScopingOperator::IsTrue | ScopingOperator::IsFalse);
            if let Some(attr) = attribute.filter(|a| boolean_test && *a != UserAttr::AccountEnabled)
            {
                let message = format!(
                    "`{name}` applies only to the boolean attribute `accountEnabled`, not to `{}`",
                    attr.name()
                );
                let err = self
                    .r
                    .error_at(At::of(o.value), ErrorKind::InvalidValue, &o.path, message)
                    .with_help("compare text with `EQUALS` or `NOT EQUALS` and a `value`");
                self.r.push(err);
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(ScopingClause {
            attribute: attribute?,
            operator: operator?,
            value: value?,
        })
    }
}
