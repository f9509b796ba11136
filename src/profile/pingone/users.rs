//! PingOne's users (idp-behavior.md §4.2–§4.4, P1-4–P1-8): the outbound mapping, the
//! `USER_FILTER` query, the POST with core and enterprise schemas, and the PUT of the whole
//! user built from the target's representation. Never a PATCH (P1-6).

use serde_json::{json, Map, Value};

use super::overlay::overlay;
use super::{PingOne, UniqueUserIdentifier};
use crate::idp::SourceUser;
use crate::profile::desired::{prefixed, text};
use crate::profile::ping_emails::{mark_primary, written_types, OTHER_EMAIL};
use crate::profile::{
    encode_query_value, escape_filter_value, set_path, Before, DesiredUser, ModifiedProperty,
    ScimRequest, Update, Verb,
};
use crate::scenario::model::UserAttr;
use crate::scim::{member_path, urn};

const WORK_EMAIL: &str = "emails[type eq \"work\"].value";
const ENTERPRISE_EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
const ENTERPRISE_DEPARTMENT: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

/// PingOne's SCIM outbound mapping over the Entra-shaped source: Username → `userName`, Email
/// Address → the work email, Given/Family Name, Title, External ID, and the enterprise
/// attributes §4 says the connector provisions. The source's UPN plays PingOne's Username and
/// its mailNickname PingOne's External ID [I: PingOne's own defaults name PingOne attributes,
/// which an Entra-shaped directory does not have; these are the nearest equivalents, and the
/// same sources the Entra profile uses, so snapshots compare across profiles]. There is no
/// manager and no `name.formatted` (PingOne has no computed join like Entra's).
const MAPPING: &[(&str, Source)] = &[
    ("userName", Source::Prefixed(UserAttr::UserPrincipalName)),
    ("active", Source::Active),
    ("displayName", Source::Prefixed(UserAttr::DisplayName)),
    ("title", Source::Attr(UserAttr::JobTitle)),
    (WORK_EMAIL, Source::Attr(UserAttr::Mail)),
    (OTHER_EMAIL, Source::Attr(UserAttr::OtherMails)),
    ("name.givenName", Source::Attr(UserAttr::GivenName)),
    ("name.familyName", Source::Attr(UserAttr::Surname)),
    ("externalId", Source::MailNickname),
    (
        ENTERPRISE_EMPLOYEE_NUMBER,
        Source::Attr(UserAttr::EmployeeId),
    ),
    (ENTERPRISE_DEPARTMENT, Source::Attr(UserAttr::Department)),
];

#[derive(Debug, Clone, Copy)]
enum Source {
    Active,
    Attr(UserAttr),
    /// Carries the run prefix, so every object the run writes is recognisable.
    Prefixed(UserAttr),
    MailNickname,
}

/// Attributes the target owns: a PUT built from the target's representation leaves them out
/// (RFC 7643 §3.1 `id`/`meta`; `groups` is read-only, §4.1.2).
const SERVER_OWNED: &[&str] = &["id", "meta", "groups"];

impl PingOne {
    /// The target paths `MAPPING` writes.
    pub(super) fn mapped_paths() -> Vec<&'static str> {
        MAPPING.iter().map(|(p, _)| *p).collect()
    }

    /// The value `%s` stands for: the mapped attribute `UNIQUE_USER_IDENTIFIER` names [I: the
    /// API reference lists the setting without its values; the harness offers the three
    /// mapped identifiers]. `""` when the user has none.
    pub(super) fn identifier_value<'a>(&self, desired: &'a DesiredUser) -> &'a str {
        let path = match self.identifier {
            UniqueUserIdentifier::UserName => "userName",
            UniqueUserIdentifier::Email => WORK_EMAIL,
            UniqueUserIdentifier::ExternalId => "externalId",
        };
        desired
            .get(path)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Core and enterprise (P1-5), then the `SCHEMA_EXTENSION_URNS` [I: how PingOne lists
    /// them is not documented; the URNs go in `schemas` as RFC 7643 §3 asks].
    fn user_schemas(&self) -> Vec<Value> {
        let mut schemas = vec![json!(urn::USER), json!(urn::ENTERPRISE_USER)];
        schemas.extend(self.extension_urns.iter().map(|u| json!(u)));
        schemas
    }

    /// `GET {USERS_RESOURCE}?filter=<template with %s replaced>`. The value is escaped as a SCIM string
    /// (`"` and `\`) [I: §4 only shows the template; an unescaped quote would make the filter
    /// unparsable, which is a harness artefact rather than a finding about the server].
    pub(super) fn user_query(&self, value: &str) -> ScimRequest {
        let escaped = escape_filter_value(value);
        let filter = self.user_filter.replace("%s", &escaped);
        ScimRequest::get(format!(
            "{}?filter={}",
            self.users_resource,
            encode_query_value(&filter)
        ))
    }

    /// The mapping applied to a source user (`MAPPING`); `active` is the entitlement outcome.
    pub(super) fn mapped_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let mut attrs = Vec::with_capacity(MAPPING.len());
        for (path, source) in MAPPING {
            let value = match source {
                Source::Active => Some(Value::Bool(active)),
                Source::Attr(a) => text(user.text(*a)),
                // No UPN tombstone: that rename is Entra's recycle bin (§1.6), not PingOne's.
                Source::Prefixed(a) => text(user.text(*a)).map(|v| match v {
                    Value::String(s) => prefixed(prefix, &s),
                    other => other,
                }),
                Source::MailNickname => Some(prefixed(prefix, &user.mail_nickname())),
            };
            if let Some(v) = value {
                attrs.push((*path, v));
            }
        }
        DesiredUser { attrs }
    }

    /// §4/§7: core + enterprise schemas and the mapped attributes that have values
    /// [I: nothing else — no `meta` or `roles` as Entra adds, no password].
    pub(super) fn user_post(&self, desired: &DesiredUser) -> ScimRequest {
        let mut body = Map::new();
        body.insert("schemas".into(), Value::Array(self.user_schemas()));
        for (path, value) in &desired.attrs {
            set_path(&mut body, path, value.clone());
        }
        mark_primary(&mut body, &written_types(desired));
        ScimRequest::with_body(Verb::Post, &self.users_resource, Value::Object(body))
    }

    /// §4: updates are a PUT of the whole user, never PATCH. The body starts from the target's
    /// own representation and overlays the mapped values [I, from §4's limitations: the
    /// provisioner "cannot clear attributes", and Ping's limitations page adds that attributes
    /// existing on the application cannot be removed during an update — both are what a
    /// read-modify-write PUT does]. So an attribute cleared in the source keeps its target
    /// value, and clearing alone sends nothing. The same PUT with `active: false` is the
    /// disable of `remove_action: disable`, with `active: true` the reactivation.
    /// Which values changed is judged against `before` (PingOne's last pushed state, see
    /// `diff_source`).
    pub(super) fn user_put(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        let mut modified = Vec::new();
        for (path, want) in &desired.attrs {
            let have = before.value(current, path);
            if have.as_ref() != Some(want) {
                modified.push(ModifiedProperty {
                    name: (*path).into(),
                    old: have,
                    new: Some(want.clone()),
                });
            }
        }
        if modified.is_empty() {
            return None;
        }
        // The POST's list, configured extensions included, then any the target echoes: a PUT
        // that listed an extension only when the server happened to echo it would carry
        // that extension's attributes under a URN its `schemas` does not name.
        let mut schemas = self.user_schemas();
        let held = current.as_object().cloned().unwrap_or_default();
        for s in held
            .get("schemas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !schemas.contains(s) {
                schemas.push(s.clone());
            }
        }
        let mut body = Map::new();
        body.insert("schemas".into(), Value::Array(schemas));
        for (key, value) in held {
            let owned = SERVER_OWNED.iter().any(|o| o.eq_ignore_ascii_case(&key));
            if !owned && !key.eq_ignore_ascii_case("schemas") {
                body.insert(key, value);
            }
        }
        for (path, value) in &desired.attrs {
            overlay(&mut body, path, value.clone());
        }
        // Only the emails the mapping writes: one the target holds and the source no longer
        // has stays as the target had it.
        mark_primary(&mut body, &written_types(desired));
        Some(Update {
            request: ScimRequest::with_body(
                Verb::Put,
                member_path(&self.users_resource, id),
                Value::Object(body),
            ),
            modified,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::tests::pingone;
    use super::*;
    use crate::idp::Tenant;
    use crate::profile::Profile;
    use crate::scenario::model::AttrValue;

    fn alice(t: &mut Tenant) -> SourceUser {
        let attrs = BTreeMap::from([
            (
                UserAttr::UserPrincipalName,
                AttrValue::Text("alice@contoso.com".into()),
            ),
            (UserAttr::Mail, AttrValue::Text("alice@contoso.com".into())),
            (UserAttr::GivenName, AttrValue::Text("Alice".into())),
            (UserAttr::Surname, AttrValue::Text("Smith".into())),
            (UserAttr::Department, AttrValue::Text("Sales".into())),
        ]);
        t.create_user("alice", attrs).expect("create");
        t.user("alice").cloned().expect("alice")
    }

    /// What a correct server holds after the POST, plus what servers add.
    fn alice_on_target() -> Value {
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "id": "u-1",
            "userName": "alice@contoso.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "externalId": "alice",
            urn::ENTERPRISE_USER: {"department": "Sales"},
            "groups": [{"value": "g-1"}],
            "meta": {"resourceType": "User", "version": "W/\"1\""}
        })
    }

    #[test]
    fn match_query_is_the_filter_template_as_written() {
        let mut t = Tenant::new();
        let p = pingone(&[]);
        let desired = p.desired_user(&alice(&mut t), "", true);
        assert_eq!(
            p.match_user(&desired).path,
            "/Users?filter=username+Eq+%22alice%40contoso.com%22"
        );
        let p = pingone(&[("user_filter", "email Co \"%s\"")]);
        assert_eq!(
            p.match_user(&desired).path,
            "/Users?filter=email+Co+%22alice%40contoso.com%22"
        );
        // A quote in the value stays inside the string literal.
        let odd = DesiredUser {
            attrs: vec![("userName", json!("o\"neil@x"))],
        };
        assert_eq!(
            pingone(&[]).match_user(&odd).path,
            format!(
                "/Users?filter={}",
                encode_query_value(r#"username Eq "o\"neil@x""#)
            )
        );
    }

    #[test]
    fn test_connection_is_the_user_filter_on_a_fresh_random_value() {
        let p = pingone(&[]);
        let (a, b) = (p.test_connection(), p.test_connection());
        assert_eq!(a.verb, Verb::Get);
        assert!(a.path.starts_with("/Users?filter=username+Eq+%22"));
        assert_ne!(a.path, b.path);
    }

    #[test]
    fn post_body_is_core_and_enterprise_with_the_mapped_values() {
        let mut t = Tenant::new();
        let p = pingone(&[]);
        let req = p.create_user(&p.desired_user(&alice(&mut t), "run-", true));
        assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Users"));
        assert_eq!(
            req.body.as_deref().cloned(),
            Some(json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "userName": "run-alice@contoso.com",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "externalId": "run-alice",
                urn::ENTERPRISE_USER: {"department": "Sales"}
            }))
        );
    }

    #[test]
    fn update_is_a_put_of_the_whole_user_from_the_target_representation() {
        let mut t = Tenant::new();
        alice(&mut t);
        t.update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::Surname, AttrValue::Text("Jones".into())),
                (UserAttr::Mail, AttrValue::Text("aj@contoso.com".into())),
            ]),
        )
        .expect("update");
        let p = pingone(&[]);
        let mut current = alice_on_target();
        // A home email the target holds is kept; the work email is changed in place.
        current["emails"] = json!([
            {"type": "home", "value": "a@home.example"},
            {"primary": true, "type": "work", "value": "alice@contoso.com"}
        ]);
        let desired = p.desired_user(t.user("alice").expect("alice"), "", true);
        let update = p
            .update_user("u-1", &current, &desired, Before::Target)
            .expect("changed");
        assert_eq!(
            (update.request.verb, update.request.path.as_str()),
            (Verb::Put, "/Users/u-1")
        );
        assert_eq!(
            update.request.body.as_deref().cloned(),
            Some(json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "userName": "alice@contoso.com",
                "active": true,
                "emails": [
                    {"type": "home", "value": "a@home.example"},
                    {"primary": true, "type": "work", "value": "aj@contoso.com"}
                ],
                "name": {"givenName": "Alice", "familyName": "Jones"},
                "externalId": "alice",
                urn::ENTERPRISE_USER: {"department": "Sales"}
            }))
        );
        let names: Vec<&str> = update.modified.iter().map(|m| m.name.as_ref()).collect();
        assert_eq!(names, [WORK_EMAIL, "name.familyName"]);
    }

    #[test]
    fn a_cleared_attribute_is_never_cleared_on_the_target() {
        let mut t = Tenant::new();
        alice(&mut t);
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("clear");
        let p = pingone(&[]);
        let desired = p.desired_user(t.user("alice").expect("alice"), "", true);
        // Clearing alone: nothing to send.
        assert_eq!(
            p.update_user("u-1", &alice_on_target(), &desired, Before::Target),
            None
        );
        // With another change, the PUT carries the department the target holds.
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, AttrValue::Text("Lead".into()))]),
        )
        .expect("title");
        let desired = p.desired_user(t.user("alice").expect("alice"), "", true);
        let body = p
            .update_user("u-1", &alice_on_target(), &desired, Before::Target)
            .expect("title changed")
            .request
            .body
            .expect("body");
        assert_eq!(body[urn::ENTERPRISE_USER], json!({"department": "Sales"}));
        assert_eq!(body["title"], json!("Lead"));
    }

    #[test]
    fn a_put_lists_the_configured_extension_schemas_whether_or_not_the_target_echoes_them() {
        let mut t = Tenant::new();
        alice(&mut t);
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, AttrValue::Text("Jones".into()))]),
        )
        .expect("update");
        let p = pingone(&[("schema_extension_urns", "urn:acme:params:scim:schemas:User")]);
        let desired = p.desired_user(t.user("alice").expect("alice"), "", true);
        let schemas = |current: &Value| {
            p.update_user("u-1", current, &desired, Before::Target)
                .and_then(|u| u.request.body)
                .map(|b| b["schemas"].clone())
        };
        let listed = json!([
            urn::USER,
            urn::ENTERPRISE_USER,
            "urn:acme:params:scim:schemas:User"
        ]);
        // The target echoes only core and enterprise.
        assert_eq!(schemas(&alice_on_target()), Some(listed.clone()));
        // It echoes the extension too: listed once.
        let mut echoed = alice_on_target();
        echoed["schemas"] = listed.clone();
        assert_eq!(schemas(&echoed), Some(listed));
    }

    #[test]
    fn disable_and_reactivate_are_the_same_put_with_active_flipped() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let p = pingone(&[]);
        let off = p
            .update_user(
                "u-1",
                &alice_on_target(),
                &p.desired_user(&user, "", false),
                Before::Target,
            )
            .expect("disable");
        let mut expected = alice_on_target();
        for key in SERVER_OWNED {
            expected.as_object_mut().expect("object").remove(*key);
        }
        expected["active"] = json!(false);
        assert_eq!(off.request.body.as_deref().cloned(), Some(expected.clone()));
        assert_eq!(off.request.verb, Verb::Put);
        let mut disabled = alice_on_target();
        disabled["active"] = json!(false);
        let on = p
            .update_user(
                "u-1",
                &disabled,
                &p.desired_user(&user, "", true),
                Before::Target,
            )
            .expect("reactivate");
        expected["active"] = json!(true);
        assert_eq!(on.request.body.as_deref().cloned(), Some(expected));
    }

    #[test]
    fn nothing_is_sent_when_the_target_matches() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let p = pingone(&[]);
        assert_eq!(
            p.update_user(
                "u-1",
                &alice_on_target(),
                &p.desired_user(&user, "", true),
                Before::Target
            ),
            None
        );
    }
}
