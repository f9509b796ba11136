//! PingFederate's user requests (idp-behavior.md §3.2–§3.4, PF-4…PF-7): the channel's
//! attribute mapping, matching on the Unique User Identifier or a Filter Expression, the POST,
//! and the whole-user PUT that never clears an attribute. The trait impl in `mod.rs` delegates
//! here.

use serde_json::{json, Map, Value};

use super::{PingFederate, UniqueUserIdentifier};
use crate::idp::SourceUser;
use crate::profile::desired::{prefixed, text};
use crate::profile::ping_emails::{mark_primary, written_types, MAPPED_TYPES, OTHER_EMAIL};
use crate::profile::{
    encode_query_value, escape_filter_value, quote, set_path, Before, DesiredUser, MatchKey,
    ModifiedProperty, ScimRequest, Update, Verb,
};
use crate::scenario::model::UserAttr;
use crate::scim::{resource_path, urn};

pub const WORK_EMAIL: &str = "emails[type eq \"work\"].value";
pub const ENTERPRISE_EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
pub const ENTERPRISE_DEPARTMENT: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

/// The channel's attribute mapping from an AD-like source, in the order the body carries it.
/// PingFederate ships no default mapping: the admin maps LDAP attributes to the connector's
/// fields (userName, workEmail, givenName, familyName, displayName, title, externalId,
/// employeeNumber, department…). [I] This is the mapping an AD channel gets when each field
/// takes its namesake: login from the UPN, externalId from the account name (mailNickname,
/// standing in for sAMAccountName), no `name.formatted` (no single source attribute holds it)
/// and no manager (a DN, not a SCIM reference).
const MAPPING: &[(&str, Source)] = &[
    ("userName", Source::Upn),
    ("externalId", Source::AccountName),
    ("active", Source::Active),
    ("displayName", Source::Prefixed(UserAttr::DisplayName)),
    ("name.givenName", Source::Attr(UserAttr::GivenName)),
    ("name.familyName", Source::Attr(UserAttr::Surname)),
    (WORK_EMAIL, Source::Attr(UserAttr::Mail)),
    (OTHER_EMAIL, Source::Attr(UserAttr::OtherMails)),
    ("title", Source::Attr(UserAttr::JobTitle)),
    (
        ENTERPRISE_EMPLOYEE_NUMBER,
        Source::Attr(UserAttr::EmployeeId),
    ),
    (ENTERPRISE_DEPARTMENT, Source::Attr(UserAttr::Department)),
];

#[derive(Debug, Clone, Copy)]
enum Source {
    /// The UPN as the directory holds it, with the run prefix. PingFederate reads an LDAP
    /// entry: Entra's recycle-bin tombstone prefix (§1.6) never reaches it.
    Upn,
    /// mailNickname with the run prefix.
    AccountName,
    Active,
    Attr(UserAttr),
    Prefixed(UserAttr),
}

impl PingFederate {
    /// The matching filter for an identifier value (§3). With a Filter Expression, `%s` takes
    /// the value of the Unique User Identifier, as PingOne documents for its own `%s` (§4).
    /// [I] The value is escaped for a quoted filter string (`"` and `\`); whether PingFederate
    /// escapes is not documented.
    fn filter(&self, value: &str) -> String {
        match (&self.filter_expression, self.identifier) {
            (Some(template), _) => template.replace("%s", &escape_filter_value(value)),
            (None, UniqueUserIdentifier::UserName) => format!("userName eq {}", quote(value)),
            (None, UniqueUserIdentifier::WorkEmail) => format!("emails eq {}", quote(value)),
        }
    }

    /// The value of the Unique User Identifier for a user (`""` without one).
    fn identifier_value<'a>(&self, desired: &'a DesiredUser) -> &'a str {
        let value = match self.identifier {
            UniqueUserIdentifier::UserName => desired.user_name(),
            UniqueUserIdentifier::WorkEmail => desired.get(WORK_EMAIL).and_then(Value::as_str),
        };
        value.unwrap_or_default()
    }

    pub(super) fn users_query(&self, value: &str) -> ScimRequest {
        ScimRequest::get(format!(
            "/Users?filter={}",
            encode_query_value(&self.filter(value))
        ))
    }

    /// PF-5: the channel's `MAPPING` applied to a source user, with the run prefix.
    pub(super) fn user_desired(
        &self,
        user: &SourceUser,
        prefix: &str,
        active: bool,
    ) -> DesiredUser {
        let mut attrs = Vec::with_capacity(MAPPING.len());
        for (path, source) in MAPPING {
            let value = match source {
                Source::Upn => {
                    let upn = user.text(UserAttr::UserPrincipalName).unwrap_or_default();
                    Some(prefixed(prefix, upn))
                }
                Source::AccountName => Some(prefixed(prefix, &user.mail_nickname())),
                Source::Active => Some(Value::Bool(active)),
                Source::Attr(a) => text(user.text(*a)),
                Source::Prefixed(a) => text(user.text(*a)).map(|v| match v {
                    Value::String(s) => prefixed(prefix, &s),
                    other => other,
                }),
            };
            // An LDAP attribute without a value maps to nothing: the field is not sent.
            if let Some(v) = value {
                attrs.push((*path, v));
            }
        }
        DesiredUser { attrs }
    }

    /// §3: `userName eq "<v>"`, `emails eq "<v>"` or the Filter Expression. [I] Without a
    /// work email, the workEmail identifier has no value: the filter compares with `""`.
    pub(super) fn user_match(&self, desired: &DesiredUser) -> ScimRequest {
        self.users_query(self.identifier_value(desired))
    }

    /// The identifier the filter carries: userName, a work email among `emails`, or for a
    /// Filter Expression the attribute it names (any attribute when it is not `<attr> eq "%s"`).
    pub(super) fn user_match_key(&self, desired: &DesiredUser) -> MatchKey {
        let value = self.identifier_value(desired);
        match (&self.filter_expression, self.identifier) {
            (Some(template), _) => MatchKey::from_template(template, value),
            (None, UniqueUserIdentifier::UserName) => MatchKey::user_name(value),
            (None, UniqueUserIdentifier::WorkEmail) => MatchKey::user_attribute("emails", value),
        }
    }

    pub(super) fn user_paths() -> Vec<&'static str> {
        MAPPING.iter().map(|(p, _)| *p).collect()
    }

    /// §3 "create POST" with the mapped attributes; booleans as JSON booleans (§7: "bool
    /// [I]"). [I] Both schemas are listed, as for PingOne (§4, "core+enterprise").
    pub(super) fn user_post(&self, desired: &DesiredUser) -> ScimRequest {
        let mut body = Map::new();
        body.insert("schemas".into(), json!([urn::USER, urn::ENTERPRISE_USER]));
        for (path, value) in &desired.attrs {
            set_path(&mut body, path, value.clone());
        }
        mark_primary(&mut body, &written_types(desired));
        ScimRequest::with_body(Verb::Post, "/Users", Value::Object(body))
    }

    /// §3: updates are a PUT of the whole mapped user, and an attribute cannot be cleared
    /// once set ("cannot clear an attribute once set", `pf-limits`): a mapped attribute the
    /// source no longer has is sent with the value the target holds, so the PUT keeps it.
    /// Sent only when a mapped value differs; this is also the deactivate (`active: false`)
    /// and reactivate request.
    /// Which values changed is judged against `before` (PingFederate's sync state, see
    /// `diff_source`); the value kept for a cleared attribute is the target's.
    pub(super) fn user_put(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        let mut body = Map::new();
        body.insert("schemas".into(), json!([urn::USER, urn::ENTERPRISE_USER]));
        let mut modified = Vec::new();
        for (path, _) in MAPPING {
            match desired.get(path) {
                Some(want) => {
                    let old = before.value(current, path).filter(|v| !v.is_null());
                    if old.as_ref() != Some(want) {
                        modified.push(ModifiedProperty {
                            name: (*path).into(),
                            old,
                            new: Some(want.clone()),
                        });
                    }
                    set_path(&mut body, path, want.clone());
                }
                None => {
                    let kept = Before::Target.value(current, path).filter(|v| !v.is_null());
                    if let Some(kept) = kept {
                        set_path(&mut body, path, kept);
                    }
                }
            }
        }
        if modified.is_empty() {
            return None;
        }
        // Kept values are sent as the mapped fields they are (PF-7), so they count as populated.
        let sent: Vec<&str> = MAPPED_TYPES.iter().map(|(t, _)| *t).collect();
        mark_primary(&mut body, &sent);
        Some(Update {
            request: ScimRequest::with_body(
                Verb::Put,
                resource_path("Users", id),
                Value::Object(body),
            ),
            modified,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{json, Value};

    use super::super::tests::pf;
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
            (UserAttr::Department, AttrValue::Text("R&D".into())),
        ]);
        t.create_user("alice", attrs).expect("create");
        t.user("alice").cloned().expect("alice")
    }

    /// What a correct server holds after the create of alice with `p`'s POST.
    fn held(p: &PingFederate, user: &SourceUser) -> Value {
        let mut body = p
            .create_user(&p.desired_user(user, "", true))
            .body
            .map(std::sync::Arc::unwrap_or_clone)
            .expect("POST has a body");
        body["id"] = json!("u-1");
        body
    }

    #[test]
    fn post_body_carries_the_mapped_attributes_with_a_boolean_active() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let p = pf(&[]);
        let req = p.create_user(&p.desired_user(&user, "run-", true));
        assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Users"));
        assert_eq!(
            req.body.as_deref().cloned(),
            Some(json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "userName": "run-alice@contoso.com",
                "externalId": "run-alice",
                "active": true,
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
                (urn::ENTERPRISE_USER): {"department": "R&D"}
            }))
        );
    }

    #[test]
    fn a_soft_deleted_user_keeps_its_user_name() {
        let mut t = Tenant::new();
        alice(&mut t);
        t.soft_delete_user("alice").expect("soft delete");
        let user = t.user("alice").expect("alice");
        let p = pf(&[]);
        let desired = p.desired_user(user, "", false);
        assert_eq!(desired.user_name(), Some("alice@contoso.com"));
        assert_eq!(desired.get("active"), Some(&Value::Bool(false)));
    }

    #[test]
    fn matching_queries_follow_the_unique_user_identifier() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let cases = [
            (vec![], "userName+eq+%22alice%40contoso.com%22"),
            (
                vec![("unique_user_identifier", "workEmail")],
                "emails+eq+%22alice%40contoso.com%22",
            ),
            (
                vec![("filter_expression", "userName sw \"%s\"")],
                "userName+sw+%22alice%40contoso.com%22",
            ),
            (
                vec![
                    ("unique_user_identifier", "workEmail"),
                    ("filter_expression", "emails.value eq \"%s\""),
                ],
                "emails.value+eq+%22alice%40contoso.com%22",
            ),
        ];
        for (opts, query) in cases {
            let p = pf(&opts);
            let req = p.match_user(&p.desired_user(&user, "", true));
            assert_eq!(req.verb, Verb::Get);
            assert_eq!(req.path, format!("/Users?filter={query}"), "{opts:?}");
        }
    }

    #[test]
    fn filter_expression_values_are_escaped() {
        let p = pf(&[("filter_expression", "userName eq \"%s\"")]);
        assert_eq!(p.filter(r#"a"b\c"#), r#"userName eq "a\"b\\c""#);
    }

    #[test]
    fn update_is_a_put_of_the_whole_user() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let p = pf(&[]);
        let current = held(&p, &user);
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, AttrValue::Text("Engineer".into()))]),
        )
        .expect("update");
        let user = t.user("alice").expect("alice");
        let update = p
            .update_user(
                "u-1",
                &current,
                &p.desired_user(user, "", true),
                Before::Target,
            )
            .expect("an update");
        assert_eq!(update.request.verb, Verb::Put);
        assert_eq!(update.request.path, "/Users/u-1");
        assert_eq!(
            update.request.body.as_deref().cloned(),
            Some(json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "userName": "alice@contoso.com",
                "externalId": "alice",
                "active": true,
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
                "title": "Engineer",
                (urn::ENTERPRISE_USER): {"department": "R&D"}
            }))
        );
        assert_eq!(
            update.modified,
            vec![ModifiedProperty {
                name: "title".into(),
                old: None,
                new: Some(json!("Engineer"))
            }]
        );
    }

    #[test]
    fn a_cleared_attribute_is_not_cleared() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let p = pf(&[]);
        let current = held(&p, &user);
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("clear department");
        let cleared = t.user("alice").cloned().expect("alice");
        // Only the clear: nothing differs that PingFederate would send.
        assert_eq!(
            p.update_user(
                "u-1",
                &current,
                &p.desired_user(&cleared, "", true),
                Before::Target
            ),
            None
        );
        // With another change, the PUT carries the target's department along.
        let update = p
            .update_user(
                "u-1",
                &current,
                &p.desired_user(&cleared, "", false),
                Before::Target,
            )
            .expect("the disable");
        let body = update.request.body.expect("body");
        assert_eq!(body[urn::ENTERPRISE_USER], json!({"department": "R&D"}));
        assert_eq!(body["active"], json!(false));
        assert_eq!(update.modified.len(), 1);
    }

    #[test]
    fn nothing_to_send_when_the_target_already_matches() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let p = pf(&[]);
        let current = held(&p, &user);
        assert_eq!(
            p.update_user(
                "u-1",
                &current,
                &p.desired_user(&user, "", true),
                Before::Target
            ),
            None
        );
    }
}
