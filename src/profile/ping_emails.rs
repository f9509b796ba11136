//! The email attributes PingFederate and PingOne map, and the documented way both send them:
//! "two populated email attributes are both marked primary" (idp-behavior.md PF-8 `pf-limits`,
//! P1-7 `p1-limits`). RFC 7643 §2.4 lets `primary: true` appear once; these IdPs cannot send
//! otherwise, so a server that refuses the second primary never gets the user.

use serde_json::{Map, Value};

use super::DesiredUser;

/// The second email the channel maps, from the source's `otherMails`. [I] Neither IdP's
/// documentation names the field or its `type`; `other` is RFC 7643's canonical type for an
/// address that is neither work nor home.
pub(crate) const OTHER_EMAIL: &str = "emails[type eq \"other\"].value";

/// The mapped emails by `type`: the work email (PingFederate's workEmail field, PingOne's Email
/// Address) and `OTHER_EMAIL`.
pub(crate) const MAPPED_TYPES: &[(&str, &str)] = &[
    ("work", "emails[type eq \"work\"].value"),
    ("other", OTHER_EMAIL),
];

/// The `type`s of the mapped emails `desired` carries a value for.
pub(crate) fn written_types(desired: &DesiredUser) -> Vec<&'static str> {
    MAPPED_TYPES
        .iter()
        .filter(|(_, path)| {
            desired
                .get(path)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        })
        .map(|(t, _)| *t)
        .collect()
}

/// Where `body` holds two or more populated emails whose `type` is one of `types`, marks each of
/// them primary, as both IdPs send the emails they map. Any other email (one the target holds,
/// kept in a PingOne PUT) is left as it is, and so is a body with one such email: the quirk is
/// documented for two, and one keeps the primary `set_path` or the overlay gave it.
pub(crate) fn mark_primary(body: &mut Map<String, Value>, types: &[&str]) {
    let Some(emails) = body
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("emails"))
        .and_then(|(_, v)| v.as_array_mut())
    else {
        return;
    };
    let mapped = |email: &Map<String, Value>| {
        let field = |key: &str| {
            email
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        };
        field("type")
            .and_then(Value::as_str)
            .is_some_and(|t| types.iter().any(|m| m.eq_ignore_ascii_case(t)))
            && field("value").is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    };
    let count = emails
        .iter()
        .filter(|e| e.as_object().is_some_and(mapped))
        .count();
    if count < 2 {
        return;
    }
    for email in emails
        .iter_mut()
        .filter_map(Value::as_object_mut)
        .filter(|e| mapped(e))
    {
        let key = email
            .keys()
            .find(|k| k.eq_ignore_ascii_case("primary"))
            .cloned()
            .unwrap_or_else(|| "primary".to_string());
        email.insert(key, Value::Bool(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::set_path;
    use serde_json::json;

    const WORK: &str = "emails[type eq \"work\"].value";

    #[test]
    fn both_mapped_emails_are_primary_and_others_are_left_alone() {
        let mut body = Map::new();
        set_path(&mut body, WORK, json!("kim@contoso.com"));
        set_path(&mut body, OTHER_EMAIL, json!("kim@home.example"));
        assert_eq!(
            body["emails"][1]["primary"],
            json!(false),
            "set_path's one primary"
        );
        body["emails"]
            .as_array_mut()
            .expect("emails")
            .push(json!({"type": "home", "value": "k@h.example", "Primary": false}));
        mark_primary(&mut body, &["work", "other"]);
        assert_eq!(
            body["emails"],
            json!([
                {"primary": true, "type": "work", "value": "kim@contoso.com"},
                {"primary": true, "type": "other", "value": "kim@home.example"},
                {"type": "home", "value": "k@h.example", "Primary": false}
            ])
        );
    }

    #[test]
    fn only_the_types_given_are_marked() {
        let mut body = Map::new();
        set_path(&mut body, WORK, json!("kim@contoso.com"));
        set_path(&mut body, OTHER_EMAIL, json!("kim@home.example"));
        mark_primary(&mut body, &["work"]);
        assert_eq!(body["emails"][1]["primary"], json!(false));
        let desired = DesiredUser {
            attrs: vec![(WORK, json!("kim@contoso.com")), (OTHER_EMAIL, json!(""))],
        };
        assert_eq!(written_types(&desired), vec!["work"]);
        let desired = DesiredUser {
            attrs: vec![(OTHER_EMAIL, json!("kim@home.example"))],
        };
        assert_eq!(written_types(&desired), vec!["other"]);
    }

    #[test]
    fn one_email_stays_the_one_primary_and_an_empty_one_is_not_marked() {
        let mut body = Map::new();
        set_path(&mut body, WORK, json!("kim@contoso.com"));
        body["emails"]
            .as_array_mut()
            .expect("emails")
            .push(json!({"type": "Other", "value": "", "PRIMARY": false}));
        mark_primary(&mut body, &["work", "other"]);
        assert_eq!(
            body["emails"],
            json!([
                {"primary": true, "type": "work", "value": "kim@contoso.com"},
                {"type": "Other", "value": "", "PRIMARY": false}
            ])
        );
        let mut none = Map::new();
        mark_primary(&mut none, &["work"]);
        assert!(none.is_empty());
        // A PingOne PUT over a target that dropped `type`: its untyped primary stays, and the
        // one mapped email keeps the primary the overlay gave it.
        let mut put = json!({"emails": [
            {"primary": true, "value": "kim@contoso.com"},
            {"primary": false, "type": "work", "value": "kim@contoso.com"}
        ]});
        let before = put.clone();
        mark_primary(put.as_object_mut().expect("object"), &["work", "other"]);
        assert_eq!(put, before);
    }
}
