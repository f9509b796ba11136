//! Ownership is proven, not assumed: a resource a filter query returned is taken for the
//! object looked for only when it carries the value the filter asked for. A server that
//! ignores `filter` answers with unrelated objects; those are never adopted, written or deleted.

use serde_json::Value;

use crate::scim::lookup::ClientPath;
use crate::scim::request::ScimRequest;
use crate::scim::schema::{find, GROUP, USER};

/// One matching lookup: the filter query, and what a resource in its answer must carry to
/// be taken for the object looked for. IdPs that match on several attributes (Entra's
/// matching precedence, E-10) send one lookup per attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub request: ScimRequest,
    pub key: MatchKey,
}

/// How a value compares (RFC 7643 §2.2 `caseExact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Exact,
    Insensitive,
}

/// What a lookup matched on: the attribute and the value the filter carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchKey {
    /// The attribute path (`userName`, `emails`, `displayName`); `None` for a free-form
    /// filter expression whose attribute the harness cannot name: then some attribute of the
    /// resource must hold the value.
    pub attribute: Option<String>,
    pub value: String,
    pub case: Case,
    /// `user` or `group`, for messages.
    pub noun: &'static str,
}

impl MatchKey {
    /// `userName`, compared case-insensitively as RFC 7643 §4.1.1 defines it.
    pub fn user_name(value: &str) -> Self {
        MatchKey::user_attribute("userName", value)
    }

    /// A group's `displayName`, compared exactly.
    pub fn display_name(value: &str) -> Self {
        MatchKey {
            attribute: Some("displayName".into()),
            value: value.to_string(),
            case: Case::Exact,
            noun: "group",
        }
    }

    /// A group's `externalId`, compared exactly (a common attribute, caseExact, RFC 7643
    /// §3.1).
    pub fn group_external_id(value: &str) -> Self {
        MatchKey {
            attribute: Some("externalId".into()),
            value: value.to_string(),
            case: Case::Exact,
            noun: "group",
        }
    }

    /// A user attribute, compared as the User schema says (`externalId` exactly, `userName`
    /// and `emails` case-insensitively).
    pub fn user_attribute(attribute: &str, value: &str) -> Self {
        // `id` and `externalId` are common attributes, caseExact (RFC 7643 §3.1).
        let exact = ["id", "externalId"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(attribute))
            || find(USER.schema.attributes, attribute).is_some_and(|a| a.case_exact);
        MatchKey {
            attribute: Some(attribute.to_string()),
            value: value.to_string(),
            case: if exact {
                Case::Exact
            } else {
                Case::Insensitive
            },
            noun: "user",
        }
    }

    /// The key of a filter template with `%s` for `value` (PingOne's USER_FILTER,
    /// PingFederate's Filter Expression): `<attr> eq "%s"` names its attribute; any other
    /// expression only tells that some attribute must hold the value.
    pub fn from_template(template: &str, value: &str) -> Self {
        let words: Vec<&str> = template.split_whitespace().collect();
        match words.as_slice() {
            [attr, op, v] if op.eq_ignore_ascii_case("eq") && *v == "\"%s\"" => {
                MatchKey::user_attribute(attr, value)
            }
            _ => MatchKey {
                attribute: None,
                value: value.to_string(),
                case: Case::Insensitive,
                noun: "user",
            },
        }
    }

    fn equal(&self, s: &str) -> bool {
        match self.case {
            Case::Exact => s == self.value,
            Case::Insensitive => s.eq_ignore_ascii_case(&self.value),
        }
    }

    /// Whether the value equals the key, in a string, a list of strings, or the `value` of
    /// a multi-valued attribute's elements.
    fn holds(&self, v: &Value) -> bool {
        match v {
            Value::String(s) => self.equal(s),
            Value::Array(items) => items.iter().any(|i| match i {
                Value::Object(o) => o.get("value").is_some_and(|x| self.holds(x)),
                other => self.holds(other),
            }),
            _ => false,
        }
    }

    fn anywhere(&self, v: &Value) -> bool {
        match v {
            Value::Object(o) => o.values().any(|x| self.anywhere(x)),
            Value::Array(a) => a.iter().any(|x| self.anywhere(x)),
            other => self.holds(other),
        }
    }

    fn path<'a>(&self, attribute: &'a str) -> Option<ClientPath<'a>> {
        let rt = if self.noun == "group" { &GROUP } else { &USER };
        ClientPath::parse(attribute, rt).ok()
    }

    /// Whether the resource really carries the key's value.
    pub fn held_by(&self, resource: &Value) -> bool {
        match &self.attribute {
            None => self.anywhere(resource),
            Some(attribute) => self
                .path(attribute)
                .and_then(|p| p.get(resource).cloned())
                .is_some_and(|v| self.holds(&v)),
        }
    }

    /// What the resource holds instead, for a finding: `a user whose userName is "bob@x"`.
    pub fn describe(&self, resource: &Value) -> String {
        let id = match resource.get("id") {
            Some(Value::String(s)) => format!(" (id {s:?})"),
            Some(other) => format!(" (id {other})"),
            None => String::new(),
        };
        match &self.attribute {
            None => format!(
                "a {}{id} that holds {:?} in no attribute",
                self.noun, self.value
            ),
            Some(attribute) => match self.path(attribute).and_then(|p| p.get(resource).cloned()) {
                Some(v) => format!("a {}{id} whose {attribute} is {v}", self.noun),
                None => format!("a {}{id} without {attribute}", self.noun),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_name_compares_case_insensitively() {
        let k = MatchKey::user_name("shx-Ada@contoso.com");
        assert!(k.held_by(&json!({"id": "1", "userName": "SHX-ada@CONTOSO.com"})));
        assert!(!k.held_by(&json!({"id": "2", "userName": "bob@other.com"})));
        assert!(!k.held_by(&json!({"id": "3"})));
        assert_eq!(
            k.describe(&json!({"id": "2", "userName": "bob@other.com"})),
            r#"a user (id "2") whose userName is "bob@other.com""#
        );
    }

    #[test]
    fn external_id_and_display_name_compare_exactly() {
        assert!(!MatchKey::user_attribute("externalId", "Ab").held_by(&json!({"externalId": "ab"})));
        assert!(MatchKey::user_attribute("externalId", "Ab").held_by(&json!({"externalId": "Ab"})));
        assert!(!MatchKey::display_name("Sales").held_by(&json!({"displayName": "sales"})));
        assert!(MatchKey::display_name("Sales").held_by(&json!({"displayName": "Sales"})));
    }

    #[test]
    fn a_group_external_id_compares_exactly() {
        let k = MatchKey::group_external_id("shx-0b1c");
        assert!(k.held_by(&json!({"id": "g1", "externalId": "shx-0b1c"})));
        assert!(!k.held_by(&json!({"id": "g2", "externalId": "shx-0B1C"})));
        assert!(!k.held_by(&json!({"id": "g3", "displayName": "shx-0b1c"})));
    }

    #[test]
    fn multi_valued_attributes_match_on_any_value() {
        let k = MatchKey::user_attribute("emails", "a@x.com");
        assert!(k.held_by(&json!({"emails": [{"value": "b@x.com"}, {"value": "A@x.com"}]})));
        assert!(!k.held_by(&json!({"emails": [{"value": "b@x.com"}]})));
    }

    #[test]
    fn templates_name_their_attribute_when_they_can() {
        let k = MatchKey::from_template("username Eq \"%s\"", "a@x");
        assert_eq!(k.attribute.as_deref(), Some("username"));
        assert!(k.held_by(&json!({"userName": "A@x"})));
        let k = MatchKey::from_template("userName eq \"%s\" or emails eq \"%s\"", "a@x");
        assert_eq!(k.attribute, None);
        assert!(k.held_by(&json!({"emails": [{"value": "a@x"}]})));
        assert!(!k.held_by(&json!({"userName": "b@x"})));
    }
}
