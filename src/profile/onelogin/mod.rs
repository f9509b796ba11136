//! OneLogin's "SCIM Provisioner with SAML" apps (idp-behavior.md §6): enabling probes a
//! userName that cannot exist (an empty list or a 404 passes), each user given access is
//! looked up by userName and created from the admin's SCIM JSON template, later changes go as
//! PATCH, groups are found by listing `GET /Groups` and memberships change by group PATCH, and
//! a removed user is deleted, suspended or left alone as the admin chose. The template's
//! observed type drift (string `active`, `"id": null`, one `emails` object) is reproduced on
//! purpose: a server that refuses it is what the harness must reveal.

mod options;
mod template;

use serde_json::{json, Map, Value};

pub use options::{RemovalAction, OPTIONS};
pub use template::{Template, TemplateError, DEFAULT_TEMPLATE};

use super::{
    eq_filter_path, quote, Before, Cadence, Deprovision, DeprovisionAction, DesiredUser,
    DiffSource, GroupLookup, MembershipChange, ModifiedProperty, Profile, PushRetry, Scheduling,
    ScimRequest, Strictness, TransientRetry, Update, Verb,
};
use crate::idp::SourceUser;
use crate::scenario::model::{Step, SyncKind, UserAttr};
use crate::scim::request::{members_op, object, patch_op};
use crate::scim::resource_path;
use template::{Expr, Field, Piece};

#[derive(Debug)]
pub struct OneLogin {
    /// The SCIM JSON template (OL-1): shipped default or the admin's (`template_file`).
    pub template: Template,
    /// What a user's removal does (OL-5, option `removal_action`).
    pub removal: RemovalAction,
    /// OL-6: `{$user.active}` goes as the string `"true"`/`"false"` (option `string_active`).
    pub string_active: bool,
    /// OL-6: the POST carries `"id": null` (option `null_id`).
    pub null_id: bool,
    /// OL-6: `emails` elements go without `primary` (option `emails_without_primary`).
    pub emails_without_primary: bool,
    /// OL-6: a PATCH replacing `emails` carries one object, not an array
    /// (option `patch_email_object`).
    pub patch_email_object: bool,
}

impl OneLogin {
    /// The source value a OneLogin user field stands for.
    fn field(user: &SourceUser, prefix: &str, field: Field) -> Option<String> {
        let text = |a: UserAttr| user.text(a).map(str::to_string);
        let prefixed = |a: UserAttr| user.text(a).map(|v| format!("{prefix}{v}"));
        match field {
            Field::UserName => prefixed(UserAttr::UserPrincipalName),
            Field::DisplayName => prefixed(UserAttr::DisplayName),
            Field::Email => text(UserAttr::Mail),
            Field::FirstName => text(UserAttr::GivenName),
            Field::LastName => text(UserAttr::Surname),
            Field::Title => text(UserAttr::JobTitle),
            Field::Department => text(UserAttr::Department),
            Field::EmployeeNumber => text(UserAttr::EmployeeId),
            Field::Active => None,
        }
    }

    /// The template rendered for `desired`, with the template quirks applied: what both the
    /// POST and the PATCH are cut from.
    fn rendered(&self, desired: &DesiredUser) -> Map<String, Value> {
        let mut body = match self
            .template
            .render(|p| desired.get(p).cloned(), self.string_active)
        {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if self.emails_without_primary {
            if let Some(emails) = body.get_mut("emails") {
                let elements: Vec<&mut Value> = match emails {
                    Value::Array(items) => items.iter_mut().collect(),
                    one => vec![one],
                };
                for e in elements {
                    if let Some(e) = e.as_object_mut() {
                        e.remove("primary");
                    }
                }
            }
        }
        body
    }

    /// `active` as the template would render it.
    fn active_value(&self, active: bool) -> Value {
        if self.string_active {
            Value::String(active.to_string())
        } else {
            Value::Bool(active)
        }
    }
}

impl Profile for OneLogin {
    fn name(&self) -> &'static str {
        "onelogin"
    }

    /// OL-2: a 404 to the userName lookup means "no such user" (`ol-implement` documents it
    /// for the probe; that the lookup before a create reads it the same way is \[I\]). Nothing
    /// documents what OneLogin rejects otherwise: tolerant \[I\].
    fn strictness(&self) -> Strictness {
        Strictness {
            match_404_is_empty: true,
            on_rejected: "OneLogin marks the user's provisioning as failed in the app's Users \
                          tab and tries again with the user's next change [I]",
            on_transient: "OneLogin marks the user's provisioning as failed and tries again \
                           with the user's next change [I]",
            ..Strictness::tolerant("OneLogin")
        }
    }

    /// \[I\] nothing documents OneLogin's retries; a failed push waits for the next change,
    /// as an escrow does.
    fn transient_retry(&self) -> TransientRetry {
        TransientRetry {
            idp: "OneLogin",
            probe_attempts: 3,
            pushes: PushRetry::Escrow(Cadence::Doubling),
            probe_failure: "OneLogin cannot enable provisioning for the app (the initial \
                            connection fails), so nothing is provisioned",
        }
    }

    /// OneLogin has no provision-on-demand, no job to restart and no scheduled import (OL-4:
    /// provisioning follows each access change), and the harness's template has no manager.
    fn supports(&self, step: &Step) -> bool {
        match step {
            Step::ProvisionOnDemand(_) | Step::Restart(_) | Step::Sync(SyncKind::Import) => false,
            Step::CreateUser(spec) | Step::UpdateUser(spec) => {
                !spec.attrs.contains_key(&UserAttr::Manager)
            }
            _ => true,
        }
    }

    /// OL-2 (`ol-implement`): enabling provisioning looks up a userName known not to exist.
    fn test_connection(&self) -> ScimRequest {
        let probe = uuid::Uuid::new_v4().to_string();
        ScimRequest::get(eq_filter_path("/Users?filter=", "userName", &probe, ""))
    }

    /// OL-2: "an empty array of users or alternately a 404" both confirm the endpoint. An
    /// empty ListResponse and a bare `[]` are both read as the empty array \[I\].
    fn probe_ok(&self, status: u16, body: Option<&Value>) -> bool {
        match (status, body) {
            (404, _) => true,
            (200, Some(Value::Array(items))) => items.is_empty(),
            (200, Some(body)) => {
                body.get("totalResults").and_then(Value::as_u64) == Some(0)
                    || body
                        .get("Resources")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty)
            }
            _ => false,
        }
    }

    /// OL-1: what the template's placeholders fill, in template order, and `active` always:
    /// suspending and restoring change it whether or not the template writes it.
    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let mut attrs = Vec::new();
        for slot in &self.template.slots {
            let value = match &slot.expr {
                Expr::Active => Some(Value::Bool(active)),
                Expr::Text(pieces) => {
                    let text: String = pieces
                        .iter()
                        .map(|p| match p {
                            Piece::Literal(l) => l.clone(),
                            Piece::Field(f) => Self::field(user, prefix, *f).unwrap_or_default(),
                        })
                        .collect();
                    let text = text.trim();
                    (!text.is_empty()).then(|| Value::String(text.to_string()))
                }
            };
            if let Some(v) = value {
                attrs.push((slot.path, v));
            }
        }
        if !self.template.writes_active() {
            attrs.push(("active", Value::Bool(active)));
        }
        DesiredUser { attrs }
    }

    /// OL-3/OL-4: `GET /Users?filter=userName eq "<userName>"`.
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        let name = desired.user_name().unwrap_or_default();
        ScimRequest::get(eq_filter_path("/Users?filter=", "userName", name, ""))
    }

    /// OL-2: an empty list or a 404 both mean "no such user" [I for the match].
    fn match_hits(&self, status: u16, body: Option<&Value>) -> Option<Vec<Value>> {
        match status {
            200 => Some(super::list_resources(body)),
            404 => Some(vec![]),
            _ => None,
        }
    }

    fn managed_paths(&self) -> Vec<&'static str> {
        let mut paths: Vec<&'static str> = self.template.slots.iter().map(|s| s.path).collect();
        if !self.template.writes_active() {
            paths.push("active");
        }
        paths
    }

    /// OL-1, OL-6: `POST /Users` with the template filled in: `active` a string by default,
    /// and `"id": null` as the observed templates carry it.
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        let mut body = self.rendered(desired);
        if self.null_id {
            body.insert("id".into(), Value::Null);
        }
        ScimRequest::with_body(Verb::Post, "/Users", Value::Object(body))
    }

    /// OL-4 (`djscim2`): OneLogin updates with PATCH; the harness sends one path-less
    /// `replace` whose value holds each top-level attribute that changed, as the template
    /// renders it [I: `ol-implement` says only "Update User"; the one observed shape is a
    /// replace carrying `emails`]. With `patch_email_object`, `emails` goes as one object.
    /// A value cleared in the source is not sent: the template has nothing to render for it
    /// \[I\]. Suspend and restore are this PATCH with `active` alone.
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        let rendered = self.rendered(desired);
        let mut value = Map::new();
        let mut modified = Vec::new();
        for (path, want) in &desired.attrs {
            let have = before.value(current, path);
            if have.as_ref() == Some(want) {
                continue;
            }
            let top = template::top_level(path);
            let sent = match rendered.get(top) {
                Some(v) => Some(v.clone()),
                None if *path == "active" => want.as_bool().map(|b| self.active_value(b)),
                None => None,
            };
            let Some(mut sent) = sent else {
                continue;
            };
            if top == "emails" && self.patch_email_object {
                if let Value::Array(items) = &sent {
                    sent = items.first().cloned().unwrap_or(Value::Null);
                }
            }
            value.insert(top.to_string(), sent);
            modified.push(ModifiedProperty {
                name: (*path).into(),
                old: have,
                new: Some(want.clone()),
            });
        }
        if modified.is_empty() {
            return None;
        }
        let body = patch_op(vec![object([
            ("op", Value::from("replace")),
            ("value", Value::Object(value)),
        ])]);
        Some(Update {
            request: ScimRequest::with_body(Verb::Patch, resource_path("Users", id), body),
            modified,
        })
    }

    /// \[I\] OL-4: OneLogin pushes a user when it changes in OneLogin (or its access does); what
    /// changed is judged against what it last pushed, not a read of the target.
    fn diff_source(&self) -> DiffSource {
        DiffSource::OwnRecord {
            name: "OneLogin's last pushed state",
        }
    }

    /// OL-4: provisioning follows each change as it happens [I: no cycle is documented; the
    /// optional admin approval of OL-5 is not modelled].
    fn scheduling(&self) -> Scheduling {
        Scheduling::Events
    }

    /// OL-2: the probe is sent when provisioning is enabled, not before pushes.
    fn probe_each_cycle(&self) -> bool {
        false
    }

    /// OL-5: "Delete", "Suspend" or "Do nothing" when a user is deleted or loses access. A
    /// user suspended in the source is suspended on the target whatever the removal action
    /// [I: its `{$user.active}` changed; the setting names deletion and access removal only].
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction {
        if why == Deprovision::Disabled {
            return DeprovisionAction::Disable {
                stays_managed: true,
            };
        }
        match self.removal {
            RemovalAction::Suspend => DeprovisionAction::Disable {
                stays_managed: true,
            },
            RemovalAction::Delete => DeprovisionAction::Delete,
            RemovalAction::Nothing => DeprovisionAction::Nothing,
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// OL-4: "Refresh Entitlements" lists the groups (`GET /Groups`), matched by name on
    /// OneLogin's side [I: the paging parameters are the harness's, as for PingFederate].
    fn group_lookup(&self) -> GroupLookup {
        GroupLookup::ListAll
    }

    /// OL-3 lists "Get User by ID" among the calls a server must support, but for groups only
    /// "Get Groups": a server built to that list need not answer `GET /Groups/{id}`, and
    /// reading the group before every change failed each membership change against it. So
    /// OneLogin decides a rename from the name it last sent, as PingFederate does \[I\].
    fn reads_linked_group(&self) -> bool {
        false
    }

    /// \[I\] a rename is a PATCH replace of `displayName`, in the group PATCH OneLogin uses for
    /// memberships (OL-4).
    fn rename_group(
        &self,
        id: &str,
        display_name: &str,
        _members: &[String],
    ) -> Option<ScimRequest> {
        Some(ScimRequest::with_body(
            Verb::Patch,
            resource_path("Groups", id),
            patch_op(vec![
                json!({"op": "replace", "path": "displayName", "value": display_name}),
            ]),
        ))
    }

    /// OL-4: memberships are sent as PATCH on the group: one request with a `remove` per
    /// member that left (`members[value eq "<id>"]`, RFC 7644 §3.5.2.2) and one `add` of
    /// those who joined [I: the operations' shape is not documented].
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        let mut ops: Vec<Value> = change
            .remove
            .iter()
            .map(|m| {
                json!({"op": "remove",
                       "path": format!("members[value eq {}]", quote(m))})
            })
            .collect();
        if !change.add.is_empty() {
            ops.push(members_op("add", &change.add));
        }
        if ops.is_empty() {
            return vec![];
        }
        vec![ScimRequest::with_body(
            Verb::Patch,
            resource_path("Groups", &change.group_id),
            patch_op(ops),
        )]
    }
}

#[cfg(test)]
mod tests;
