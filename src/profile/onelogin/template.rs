//! OneLogin's SCIM JSON template (idp-behavior.md §6, OL-1): the admin writes the create body
//! as JSON whose strings carry `{$user.*}` and `{$parameters.*}` placeholders, and OneLogin
//! fills them in per user. This module parses a template once, finds which target attribute
//! each placeholder fills, and renders bodies from a `DesiredUser`. It never decides which
//! request goes out (that is `mod.rs`).

use serde_json::{Map, Value};

use crate::scim::urn;

/// The template shipped with the profile: the "SCIM Provisioner with SAML (SCIM v2
/// Enterprise)" shape of the vendors' setup guides (`livingsec`, `scimdev-onelogin`, OneLogin's
/// own Enterprise schema example), plus `"active": "{$user.active}"` as integration guides
/// write it (`keepnet`). `{$parameters.scimusername}` is the app's "SCIM Username" parameter.
pub const DEFAULT_TEMPLATE: &str = include_str!("default-template.json");

pub const WORK_EMAIL: &str = "emails[type eq \"work\"].value";
pub const ENTERPRISE_DEPARTMENT: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
pub const ENTERPRISE_EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";

/// The target attributes a placeholder may fill: the harness tracks these for updates and
/// snapshots [I: a template may hold any JSON; the harness's source directory has no values
/// for addresses, phone numbers or roles, so a placeholder elsewhere is refused up front
/// rather than silently sent empty].
const TRACKED: &[&str] = &[
    "userName",
    "active",
    "displayName",
    "nickName",
    "title",
    "userType",
    "externalId",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    WORK_EMAIL,
    ENTERPRISE_DEPARTMENT,
    ENTERPRISE_EMPLOYEE_NUMBER,
];

/// A OneLogin user field a placeholder names, and the source attribute that plays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The SCIM Username parameter / OneLogin username: the source's UPN, with the run prefix.
    UserName,
    Email,
    FirstName,
    LastName,
    /// OneLogin's display name, with the run prefix like every profile's displayName.
    DisplayName,
    Title,
    Department,
    EmployeeNumber,
    /// `{$user.active}`: the user's status, `true` or `false`.
    Active,
}

/// Placeholder names the harness fills. `$user.*` are OneLogin user fields, `$parameters.*`
/// the app's parameters an admin maps to them; both spellings of title and department occur
/// in the guides (`livingsec` uses `$parameters.title`) [I: which parameters an app defines is
/// the admin's choice; these are mapped to the nearest source attribute].
pub const FIELDS: &[(&str, Field)] = &[
    ("parameters.scimusername", Field::UserName),
    ("user.username", Field::UserName),
    ("user.email", Field::Email),
    ("user.firstname", Field::FirstName),
    ("user.lastname", Field::LastName),
    ("user.display_name", Field::DisplayName),
    ("user.title", Field::Title),
    ("parameters.title", Field::Title),
    ("user.department", Field::Department),
    ("parameters.department", Field::Department),
    ("user.employee_number", Field::EmployeeNumber),
    ("parameters.employee_number", Field::EmployeeNumber),
    ("user.active", Field::Active),
];

/// One step into the template's JSON.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// What fills a placeholder-bearing string of the template.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Exactly `{$user.active}`: rendered as the user's status (`string_active` decides the
    /// JSON type).
    Active,
    /// Text with placeholders, e.g. `{$user.firstname} {$user.lastname}`.
    Text(Vec<Piece>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Literal(String),
    Field(Field),
}

/// A string of the template that carries placeholders: where it is, which target attribute
/// it fills, and what it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    at: Vec<Seg>,
    pub path: &'static str,
    pub expr: Expr,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    body: Map<String, Value>,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template is not JSON: {0}")]
    NotJson(String),
    #[error("the template must be a JSON object")]
    NotAnObject,
    #[error("unknown placeholder `{{${0}}}`; known: {known}", known = known_fields())]
    UnknownPlaceholder(String),
    #[error("unclosed placeholder in `{0}`")]
    Unclosed(String),
    #[error("a placeholder fills `{0}`, which the harness does not track; placeholders may fill: {known}", known = TRACKED.join(", "))]
    UntrackedPath(String),
    #[error("`{0}` is filled twice")]
    Twice(String),
    #[error("`{{$user.active}}` must be the whole value of `active`, found `{0}`")]
    ActiveNotAlone(String),
    #[error("the template has no placeholder for `userName`: OneLogin matches users on it")]
    NoUserName,
}

fn known_fields() -> String {
    FIELDS
        .iter()
        .map(|(n, _)| format!("{{${n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The placeholders of one template string, or `None` when it has none.
fn pieces(text: &str) -> Result<Option<Vec<Piece>>, TemplateError> {
    if !text.contains("{$") {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{$") {
        if start > 0 {
            out.push(Piece::Literal(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| TemplateError::Unclosed(text.to_string()))?;
        let name = &after[..end];
        let field = FIELDS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
            .ok_or_else(|| TemplateError::UnknownPlaceholder(name.to_string()))?;
        out.push(Piece::Field(field));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest.to_string()));
    }
    Ok(Some(out))
}

/// The tracked target path a template string at `keys` (object keys from the root, array
/// indexes left out) fills: `name.givenName`, the work email, an enterprise attribute.
fn target_path(keys: &[&str], email_type: Option<&str>) -> Result<&'static str, TemplateError> {
    let written = match keys {
        [emails, value] if emails.eq_ignore_ascii_case("emails") => {
            // [I] only the work email has a source value; another type is refused.
            format!(
                "emails[type eq \"{}\"].{value}",
                email_type.unwrap_or_default()
            )
        }
        [ext, attr] if ext.starts_with("urn:") => format!("{ext}:{attr}"),
        _ => keys.join("."),
    };
    TRACKED
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&written))
        .copied()
        .ok_or(TemplateError::UntrackedPath(written))
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| TemplateError::NotJson(e.to_string()))?;
        let Value::Object(body) = value else {
            return Err(TemplateError::NotAnObject);
        };
        let mut slots = Vec::new();
        collect(&Value::Object(body.clone()), &mut vec![], None, &mut slots)?;
        for (i, s) in slots.iter().enumerate() {
            if slots[..i].iter().any(|o| o.path == s.path) {
                return Err(TemplateError::Twice(s.path.to_string()));
            }
        }
        if !slots.iter().any(|s| s.path == "userName") {
            return Err(TemplateError::NoUserName);
        }
        Ok(Template { body, slots })
    }

    pub fn default_template() -> Template {
        // The shipped template is checked by a unit test; an error here is a bug of ours.
        Template::parse(DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("default template: {e}"))
    }

    /// Whether the template writes `active` at all.
    pub fn writes_active(&self) -> bool {
        self.slots.iter().any(|s| s.path == "active")
    }

    /// The body for a user whose tracked attributes are `value(path)`: every slot filled, the
    /// slots without a value left out with whatever they leave empty (an email element without
    /// `value`, an empty `name`) [I: what OneLogin does with an empty field is not documented;
    /// sending `""` would fail on servers for reasons that are the harness's, not theirs].
    /// `active` goes as `"true"`/`"false"` when `string_active`, as a JSON boolean otherwise.
    pub fn render(&self, value: impl Fn(&str) -> Option<Value>, string_active: bool) -> Value {
        let mut body = Value::Object(self.body.clone());
        for slot in &self.slots {
            let filled = match (value(slot.path), &slot.expr) {
                (Some(Value::Bool(b)), Expr::Active) if string_active => {
                    Value::String(b.to_string())
                }
                (Some(v), _) => v,
                (None, _) => Value::Null,
            };
            if let Some(target) = pointer_mut(&mut body, &slot.at) {
                *target = filled;
            }
        }
        prune(&mut body);
        body
    }
}

/// Finds the placeholder strings under `value`, at `at` from the root.
fn collect(
    value: &Value,
    at: &mut Vec<Seg>,
    email_type: Option<&str>,
    slots: &mut Vec<Slot>,
) -> Result<(), TemplateError> {
    match value {
        Value::Object(map) => {
            let ty = map.get("type").and_then(Value::as_str).or(email_type);
            for (k, v) in map {
                at.push(Seg::Key(k.clone()));
                collect(v, at, ty, slots)?;
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(Seg::Index(i));
                collect(v, at, email_type, slots)?;
                at.pop();
            }
        }
        Value::String(text) => {
            let Some(parts) = pieces(text)? else {
                return Ok(());
            };
            let keys: Vec<&str> = at
                .iter()
                .filter_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    Seg::Index(_) => None,
                })
                .collect();
            let path = target_path(&keys, email_type)?;
            let expr = match parts.as_slice() {
                [Piece::Field(Field::Active)] => Expr::Active,
                _ if parts.contains(&Piece::Field(Field::Active)) || path == "active" => {
                    return Err(TemplateError::ActiveNotAlone(text.clone()))
                }
                _ => Expr::Text(parts),
            };
            slots.push(Slot {
                at: at.clone(),
                path,
                expr,
            });
        }
        _ => {}
    }
    Ok(())
}

fn pointer_mut<'a>(mut value: &'a mut Value, at: &[Seg]) -> Option<&'a mut Value> {
    for seg in at {
        value = match seg {
            Seg::Key(k) => value.as_object_mut()?.get_mut(k)?,
            Seg::Index(i) => value.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(value)
}

/// Drops nulls, empty objects and arrays, and multi-valued elements (or a lone `emails`
/// object) left without a `value` (RFC 7643 §2.4: an element is its value). `schemas` stays.
fn prune(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                prune(v);
            }
            map.retain(|k, v| {
                let lone_email_without_value =
                    k.eq_ignore_ascii_case("emails") && v.is_object() && v.get("value").is_none();
                !empty(v) && !lone_email_without_value
            });
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                prune(v);
            }
            items.retain(|v| !empty(v) && (!v.is_object() || v.get("value").is_some()));
        }
        _ => {}
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The top-level attribute of the body a tracked path lives in: `name` for `name.givenName`,
/// `emails` for the work email, the extension URN for an enterprise attribute.
pub fn top_level(path: &str) -> &str {
    if let Some(rest) = path.strip_prefix(urn::ENTERPRISE_USER) {
        if rest.starts_with(':') {
            return urn::ENTERPRISE_USER;
        }
    }
    let end = path.find(['.', '[']).unwrap_or(path.len());
    &path[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_shipped_template_parses_and_fills_the_tracked_attributes() {
        let t = Template::default_template();
        let paths: Vec<&str> = t.slots.iter().map(|s| s.path).collect();
        assert_eq!(
            paths,
            vec![
                "userName",
                "name.givenName",
                "name.familyName",
                "displayName",
                "title",
                WORK_EMAIL,
                "active",
                ENTERPRISE_DEPARTMENT
            ]
        );
        assert!(t.writes_active());
    }

    #[test]
    fn render_fills_types_active_and_drops_what_has_no_value() {
        let t = Template::default_template();
        let value = |p: &str| match p {
            "userName" => Some(json!("a@x")),
            "name.familyName" => Some(json!("Smith")),
            "active" => Some(json!(false)),
            _ => None,
        };
        let body = t.render(value, true);
        assert_eq!(
            body,
            json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "userName": "a@x",
                "name": {"familyName": "Smith"},
                "active": "false"
            })
        );
        assert_eq!(t.render(value, false)["active"], json!(false));
    }

    #[test]
    fn a_lone_emails_object_and_mixed_text_are_templates_too() {
        let t = Template::parse(
            r#"{"userName": "{$user.username}",
                "name": {"formatted": "{$user.firstname} {$user.lastname}"},
                "emails": {"value": "{$user.email}", "type": "work"}}"#,
        )
        .expect("valid");
        assert_eq!(
            t.slots.iter().map(|s| s.path).collect::<Vec<_>>(),
            vec!["userName", "name.formatted", WORK_EMAIL]
        );
        assert_eq!(
            t.slots[1].expr,
            Expr::Text(vec![
                Piece::Field(Field::FirstName),
                Piece::Literal(" ".into()),
                Piece::Field(Field::LastName)
            ])
        );
        let body = t.render(|p| (p == "userName").then(|| json!("a")), true);
        assert_eq!(
            body,
            json!({"userName": "a"}),
            "an email object without value goes"
        );
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        let cases = [
            ("[1]", "the template must be a JSON object"),
            ("{\"userName\": \"{$user.nickname}\"}", "unknown placeholder `{$user.nickname}`"),
            ("{\"userName\": \"{$user.email\"}", "unclosed placeholder"),
            (
                "{\"userName\": \"{$user.email}\", \"addresses\": [{\"locality\": \"{$user.city}\"}]}",
                "unknown placeholder",
            ),
            (
                "{\"userName\": \"{$user.email}\", \"phone\": \"{$user.title}\"}",
                "fills `phone`, which the harness does not track",
            ),
            (
                "{\"userName\": \"{$user.email}\", \"emails\": [{\"value\": \"{$user.email}\", \"type\": \"home\"}]}",
                "fills `emails[type eq \"home\"].value`",
            ),
            ("{\"title\": \"{$user.title}\"}", "no placeholder for `userName`"),
            (
                "{\"userName\": \"{$user.email}\", \"active\": \"is {$user.active}\"}",
                "must be the whole value of `active`",
            ),
            (
                "{\"userName\": \"{$user.email}\", \"title\": \"{$user.title}\", \"Title\": \"x{$user.title}\"}",
                "`title` is filled twice",
            ),
            ("{\"userName\": ", "the template is not JSON"),
        ];
        for (text, message) in cases {
            let err = Template::parse(text).expect_err(text).to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
    }

    #[test]
    fn top_level_attribute_of_each_tracked_path() {
        assert_eq!(top_level("name.givenName"), "name");
        assert_eq!(top_level(WORK_EMAIL), "emails");
        assert_eq!(top_level(ENTERPRISE_DEPARTMENT), urn::ENTERPRISE_USER);
        assert_eq!(top_level("active"), "active");
    }
}
