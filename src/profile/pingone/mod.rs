//! PingOne's outbound SCIM provisioning connection (idp-behavior.md §4): each change is pushed
//! at once, users are matched with the admin's `USER_FILTER` template, created with POST and
//! updated with a PUT of the whole user, deprovisioned per `REMOVE_ACTION`, and group
//! memberships travel as part of the group (PUT). It never sends PATCH and never clears an
//! attribute the target holds (§4 limitations).

use serde_json::{json, Map, Value};

use super::{
    encode_query_value, set_path, Before, Deprovision, DeprovisionAction, DesiredUser, DiffSource,
    ExistingGroup, MatchKey, MembershipChange, ModifiedProperty, Profile, Scheduling, ScimRequest,
    Strictness, Update, Verb,
};
use crate::idp::SourceUser;
use crate::scenario::model::{Step, UserAttr};
use crate::scim::{resource_path, urn};

mod options;
mod overlay;

pub use options::{RemoveAction, UniqueUserIdentifier, OPTIONS};
use overlay::overlay;

/// §4 (`p1-filter`): the documented example, with PingOne's capitalised operator as written.
pub const DEFAULT_USER_FILTER: &str = "username Eq \"%s\"";

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

#[derive(Debug)]
pub struct PingOne {
    /// `USER_FILTER`: the matching query with `%s` for the user's userName (§4).
    pub user_filter: String,
    pub remove_action: RemoveAction,
    /// The admin's answer when a group of the same name exists on the target (§4).
    pub existing_group: ExistingGroup,
    /// "Provision disabled accounts" (P1-3): a user disabled in PingOne is created with
    /// `active: false` and kept, not removed. Off by default [I].
    pub provision_disabled: bool,
    /// `UNIQUE_USER_IDENTIFIER` (P1-1): which value `%s` in `USER_FILTER` stands for.
    pub identifier: UniqueUserIdentifier,
    /// `SCHEMA_EXTENSION_URNS` (P1-1): extension schemas listed in the user's `schemas`
    /// after core and enterprise.
    pub extension_urns: Vec<String>,
}

impl PingOne {
    /// The value `%s` stands for: the mapped attribute `UNIQUE_USER_IDENTIFIER` names [I: the
    /// API reference lists the setting without its values; the harness offers the three
    /// mapped identifiers]. `""` when the user has none.
    fn identifier_value<'a>(&self, desired: &'a DesiredUser) -> &'a str {
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
    fn user_schemas(&self) -> Value {
        let mut schemas = vec![json!(urn::USER), json!(urn::ENTERPRISE_USER)];
        schemas.extend(self.extension_urns.iter().map(|u| json!(u)));
        Value::Array(schemas)
    }

    /// `GET /Users?filter=<template with %s replaced>`. The value is escaped as a SCIM string
    /// (`"` and `\`) [I: §4 only shows the template; an unescaped quote would make the filter
    /// unparsable, which is a harness artefact rather than a finding about the server].
    fn user_query(&self, value: &str) -> ScimRequest {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        let filter = self.user_filter.replace("%s", &escaped);
        ScimRequest::get(format!("/Users?filter={}", encode_query_value(&filter)))
    }

    /// Group writes are one object: name and the whole member list (§4 "group memberships
    /// are part of the group"; PingFederate's full-list PUT, §3, is the documented sibling).
    fn group_put(&self, id: &str, display_name: &str, members: &[String]) -> ScimRequest {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        ScimRequest::with_body(
            Verb::Put,
            resource_path("Groups", id),
            json!({"schemas": [urn::GROUP], "displayName": display_name, "members": members}),
        )
    }
}

fn text(v: Option<&str>) -> Option<Value> {
    v.filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
}

impl Profile for PingOne {
    fn name(&self) -> &'static str {
        "pingone"
    }

    /// Nothing documents which answers PingOne rejects: tolerant everywhere [I].
    fn strictness(&self) -> Strictness {
        Strictness {
            on_rejected: "PingOne logs the failure and tries again with the next change [I]",
            on_transient: "PingOne logs the failure and tries again with the next change [I]",
            ..Strictness::tolerant("PingOne")
        }
    }

    /// PingOne has no provision-on-demand, no restart of a provisioning job (changes are
    /// events, there is no cycle to restart) and does not provision the manager reference.
    fn supports(&self, step: &Step) -> bool {
        match step {
            Step::ProvisionOnDemand(_)
            | Step::Restart(_)
            | Step::Sync(crate::scenario::model::SyncKind::Import) => false,
            Step::CreateUser(spec) | Step::UpdateUser(spec) => {
                !spec.attrs.contains_key(&UserAttr::Manager)
            }
            _ => true,
        }
    }

    /// [I] §4 does not document what "Test connection" sends (§7: "not documented"). The
    /// connection only knows its user filter, so the probe is that filter on a random value
    /// that matches no one, as Entra and OneLogin probe (§1.2, §6).
    fn test_connection(&self) -> ScimRequest {
        self.user_query(&uuid::Uuid::new_v4().to_string())
    }

    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let mut attrs = Vec::new();
        for (path, source) in MAPPING {
            let value = match source {
                Source::Active => Some(Value::Bool(active)),
                Source::Attr(a) => text(user.text(*a)),
                // No UPN tombstone: that rename is Entra's recycle bin (§1.6), not PingOne's.
                Source::Prefixed(a) => text(user.text(*a)).map(|v| match v {
                    Value::String(s) => Value::String(format!("{prefix}{s}")),
                    other => other,
                }),
                Source::MailNickname => {
                    Some(Value::String(format!("{prefix}{}", user.mail_nickname())))
                }
            };
            if let Some(v) = value {
                attrs.push((*path, v));
            }
        }
        DesiredUser { attrs }
    }

    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        self.user_query(self.identifier_value(desired))
    }

    /// USER_FILTER's `%s` is the `UNIQUE_USER_IDENTIFIER` value (the userName by default);
    /// the template names the attribute it is compared with (`username Eq "%s"` by default).
    fn match_key(&self, desired: &DesiredUser) -> MatchKey {
        MatchKey::from_template(&self.user_filter, self.identifier_value(desired))
    }

    fn managed_paths(&self) -> Vec<&'static str> {
        MAPPING.iter().map(|(p, _)| *p).collect()
    }

    /// §4/§7: core + enterprise schemas and the mapped attributes that have values
    /// [I: nothing else — no `meta` or `roles` as Entra adds, no password].
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        let mut body = Map::new();
        body.insert("schemas".into(), self.user_schemas());
        for (path, value) in &desired.attrs {
            set_path(&mut body, path, value.clone());
        }
        ScimRequest::with_body(Verb::Post, "/Users", Value::Object(body))
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
    fn update_user(
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
                    name: (*path).to_string(),
                    old: have,
                    new: Some(want.clone()),
                });
            }
        }
        if modified.is_empty() {
            return None;
        }
        let mut schemas = vec![json!(urn::USER), json!(urn::ENTERPRISE_USER)];
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
        Some(Update {
            request: ScimRequest::with_body(
                Verb::Put,
                resource_path("Users", id),
                Value::Object(body),
            ),
            modified,
        })
    }

    /// P1-13: a change to the user in PingOne is pushed at once; what changed is judged
    /// against what PingOne last pushed, not against a read of the target `[I]`.
    fn diff_source(&self) -> DiffSource {
        DiffSource::OwnRecord {
            name: "PingOne's last pushed state",
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// [I] §4 does not show the group POST; PingFederate's carries only `displayName` and
    /// `members` (§3). The trait gives no member list here, so the members follow at once in
    /// the membership PUT.
    fn create_group(&self, display_name: &str, _external_id: &str) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            json!({"schemas": [urn::GROUP], "displayName": display_name}),
        )
    }

    /// [I] §7 marks PingOne's group rename "? [I: yes]". It is the group PUT with the new name
    /// and the members last sent for the group: `rename_group` is not given the member list,
    /// and a PUT without `members` would empty the group on an RFC 7644 server. A group this
    /// profile never wrote members for goes with `members: []`, which is what PingOne holds
    /// for it unless an `overwrite` link found the target's members equal to its own.
    /// The group written whole: its new name and the members it holds.
    fn rename_group(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        Some(self.group_put(id, display_name, members))
    }

    /// [I] §4: "group memberships are part of the group", so a membership change is the group
    /// written whole — `PUT /Groups/{id}` with its name and every member — never a PATCH delta.
    /// A rename that coincides with a membership change travels in the same PUT.
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        vec![self.group_put(&change.group_id, &change.display_name, &change.all)]
    }

    /// §4: a group with the same name on the target is merged or overwritten, as the admin
    /// acknowledged when configuring the rule.
    fn existing_group(&self) -> ExistingGroup {
        self.existing_group
    }

    /// §4: changes are pushed in near real time, not in cycles.
    fn scheduling(&self) -> Scheduling {
        Scheduling::Events
    }

    /// §4 documents no probe before pushes; Test Connection is an admin action.
    fn probe_each_cycle(&self) -> bool {
        false
    }

    /// §4 `REMOVE_ACTION` for every way a user stops being provisioned [I: the reference names
    /// no per-reason difference; the Ping provisioners share one remove action that fires on
    /// delete, disable and leaving the targeted set (§3, `pf-aws-options`)]. PingOne has no
    /// "no longer managed" state as Entra does after an unassignment, so a disabled user stays
    /// managed and is re-enabled when it comes back.
    /// With disabled accounts provisioned, a disabled user is kept as a disabled account: the
    /// PUT with `active: false`, whatever `REMOVE_ACTION` says `[I]`.
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction {
        if why == Deprovision::Disabled && self.provision_disabled {
            return DeprovisionAction::Disable {
                stays_managed: true,
            };
        }
        match self.remove_action {
            RemoveAction::Disable => DeprovisionAction::Disable {
                stays_managed: true,
            },
            RemoveAction::Delete => DeprovisionAction::Delete,
        }
    }

    /// P1-3 provisioning of disabled accounts (option `provision_disabled_users`).
    fn provisions_disabled_users(&self) -> bool {
        self.provision_disabled
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::idp::Tenant;
    use crate::scenario::model::{AttrValue, UserSpec};
    use std::collections::BTreeMap;

    pub(super) fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub(super) fn pingone(pairs: &[(&str, &str)]) -> PingOne {
        PingOne::from_options(&opts(pairs)).expect("valid options")
    }

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
            req.body,
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
            update.request.body,
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
        let names: Vec<&str> = update.modified.iter().map(|m| m.name.as_str()).collect();
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
        assert_eq!(off.request.body, Some(expected.clone()));
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
        assert_eq!(on.request.body, Some(expected));
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

    #[test]
    fn every_reason_takes_the_remove_action() {
        for (option, action) in [
            (
                "disable",
                DeprovisionAction::Disable {
                    stays_managed: true,
                },
            ),
            ("delete", DeprovisionAction::Delete),
        ] {
            let p = pingone(&[("remove_action", option)]);
            for why in [
                Deprovision::Unassigned,
                Deprovision::Disabled,
                Deprovision::SoftDeleted,
                Deprovision::Purged,
            ] {
                assert_eq!(p.deprovision(why), action, "{option} {why:?}");
            }
        }
    }

    #[test]
    fn groups_are_written_whole_and_renames_keep_the_members() {
        let p = pingone(&[]);
        assert_eq!(
            p.create_group("Sales", "ext").body,
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales"}))
        );
        let change = MembershipChange {
            group_id: "g-1".into(),
            display_name: "Sales".into(),
            add: vec!["u-2".into()],
            remove: vec![],
            all: vec!["u-1".into(), "u-2".into()],
            display: BTreeMap::new(),
        };
        let reqs = p.membership(&change);
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].verb, reqs[0].path.as_str()),
            (Verb::Put, "/Groups/g-1")
        );
        let members = json!([{"value": "u-1"}, {"value": "u-2"}]);
        assert_eq!(
            reqs[0].body,
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales", "members": members}))
        );
        assert_eq!(
            p.rename_group("g-1", "Sales EMEA", &["u-1".to_string(), "u-2".to_string()])
                .and_then(|r| r.body),
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales EMEA", "members": members}))
        );
        let del = p.delete_group("g-1");
        assert_eq!((del.verb, del.body), (Verb::Delete, None));
        assert_eq!(
            p.rename_group("g-1", "X", &[])
                .and_then(|r| r.body)
                .expect("body")["members"],
            json!([])
        );
    }

    #[test]
    fn provisioned_disabled_users_are_kept_disabled_whatever_the_remove_action() {
        let p = pingone(&[
            ("provision_disabled_users", "true"),
            ("remove_action", "delete"),
        ]);
        assert!(p.provisions_disabled_users());
        assert!(!pingone(&[]).provisions_disabled_users());
        assert_eq!(
            p.deprovision(Deprovision::Disabled),
            DeprovisionAction::Disable {
                stays_managed: true
            }
        );
        assert_eq!(
            p.deprovision(Deprovision::Purged),
            DeprovisionAction::Delete
        );
    }

    #[test]
    fn events_without_probes_pod_restart_or_manager() {
        let p = pingone(&[]);
        assert_eq!(p.scheduling(), Scheduling::Events);
        assert!(!p.probe_each_cycle());
        assert!(p.provisions_groups());
        assert!(!p.supports(&Step::ProvisionOnDemand("a".into())));
        assert!(!p.supports(&Step::Restart(
            crate::scenario::model::RestartKind::KeepLinks
        )));
        let with_manager = UserSpec {
            user: "a".into(),
            attrs: BTreeMap::from([(UserAttr::Manager, AttrValue::Text("b".into()))]),
        };
        assert!(!p.supports(&Step::UpdateUser(with_manager)));
        assert!(p.supports(&Step::DisableUser("a".into())));
        assert_eq!(p.set_manager("u-1", "u-2", false), None);
    }
}
