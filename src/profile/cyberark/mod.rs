//! CyberArk Identity's outbound SCIM from a SAML app (idp-behavior.md §5): "Verify" lists one
//! user and reads the discovery endpoints; changes are pushed at once; users are matched on
//! `userName eq`, POSTed and updated with a PUT of the whole user; roles mapped to the app
//! become destination groups written with PATCH and never deleted. Its sync options decide
//! whether an existing user with the same principal name is overwritten, and whether and how
//! users are de-provisioned; in Preview mode a job writes nothing.

use serde_json::{json, Map, Value};

use super::{
    eq_filter_path, set_path, Before, Cadence, Deprovision, DeprovisionAction, DesiredUser,
    DiffSource, ExistingGroup, ExistingUser, GroupLookup, GroupRemoval, JobSettings,
    MembershipChange, ModifiedProperty, Profile, PushRetry, Scheduling, ScimRequest, Strictness,
    TransientRetry, Update, Verb,
};
use crate::idp::SourceUser;
use crate::profile::desired::{prefixed, text};
use crate::scenario::model::{Step, SyncKind, UserAttr};
use crate::scim::{resource_path, urn};

mod groups;
mod options;

pub use options::{Deprovisioning, OPTIONS};

const WORK_EMAIL: &str = "emails[type eq \"work\"].value";
const ENTERPRISE_EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
const ENTERPRISE_DEPARTMENT: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

/// The app's attribute mapping over the Entra-shaped source. \[I\] CyberArk documents no default
/// SCIM mapping (§7 "mapped attrs \[I\]"); the principal name is `userName` (the sync options
/// match on it, CA-7), the rest are the nearest source attributes, the same ones the Ping
/// profiles use so snapshots compare across profiles. No manager, no `name.formatted`.
const MAPPING: &[(&str, Source)] = &[
    ("userName", Source::Prefixed(UserAttr::UserPrincipalName)),
    ("externalId", Source::MailNickname),
    ("active", Source::Active),
    ("displayName", Source::Prefixed(UserAttr::DisplayName)),
    ("name.givenName", Source::Attr(UserAttr::GivenName)),
    ("name.familyName", Source::Attr(UserAttr::Surname)),
    (WORK_EMAIL, Source::Attr(UserAttr::Mail)),
    ("title", Source::Attr(UserAttr::JobTitle)),
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

/// CA-2: the discovery reads that follow the Verify list, in the documented order. \[I\] The
/// `<id>` of `GET /Schemas/<id>` is each schema the mapping writes: core User, the enterprise
/// extension, core Group.
const DISCOVERY: &[&str] = &[
    "/ServiceProviderConfig",
    "/ResourceTypes/User",
    "/ResourceTypes/Group",
];

#[derive(Debug, Clone)]
pub struct CyberArk {
    /// The sync option for a target user with the same principal name (CA-7): overwrite
    /// (adopt it and PUT the mapped user) or no overwrite (leave it, logged).
    pub existing_user: ExistingUser,
    /// The de-provisioning setting (CA-6).
    pub deprovisioning: Deprovisioning,
    /// "De-provision users in target application when they are disabled in the source
    /// directory" (CA-8). Off: a disabled user is left as it is.
    pub deprovision_disabled: bool,
    /// "Preview mode" (CA-10): jobs compute every change and commit none.
    pub preview: bool,
}

impl CyberArk {
    fn the_deprovision_action(&self) -> DeprovisionAction {
        match self.deprovisioning {
            // Back in a mapped role, the next push re-enables the user with a PUT.
            Deprovisioning::Disable => DeprovisionAction::Disable {
                stays_managed: true,
            },
            Deprovisioning::Delete => DeprovisionAction::Delete,
            Deprovisioning::None => DeprovisionAction::Nothing,
        }
    }
}

impl Profile for CyberArk {
    fn name(&self) -> &'static str {
        "cyberark"
    }

    /// Nothing documents which answers CyberArk rejects: tolerant everywhere \[I\].
    fn strictness(&self) -> Strictness {
        Strictness {
            on_rejected: "CyberArk logs the failure in the provisioning report and tries the \
                          object again with the next change or provisioning job [I]",
            on_transient: "CyberArk logs the failure in the provisioning report and tries the \
                           object again with the next change or provisioning job [I]",
            ..Strictness::tolerant("CyberArk")
        }
    }

    /// \[I\] Nothing documents CyberArk's retries: a failed object waits for the next change or
    /// job (escrow); a Verify that fails leaves provisioning unsaved.
    fn transient_retry(&self) -> TransientRetry {
        TransientRetry {
            idp: "CyberArk",
            pushes: PushRetry::Escrow(Cadence::Doubling),
            probe_failure: "CyberArk's Verify fails, so the provisioning settings cannot be saved and nothing is provisioned",
            ..TransientRetry::of("cyberark")
        }
    }

    /// No provision-on-demand (Entra's), no scheduled import (Okta's), no manager (no
    /// reference attribute is mapped). A `restart` is CA-5's provisioning job with "bypass
    /// caching and re-sync all objects" (`full`) or without (`keep-links`) \[I\].
    fn supports(&self, step: &Step) -> bool {
        match step {
            Step::ProvisionOnDemand(_) | Step::Sync(SyncKind::Import) => false,
            Step::CreateUser(spec) | Step::UpdateUser(spec) => {
                !spec.attrs.contains_key(&UserAttr::Manager)
            }
            _ => true,
        }
    }

    /// CA-3: "Verify" is `GET /Users?count=1`, the first call of the documented list (§7
    /// "Okta/CyberArk: list with small `count`") \[I\].
    fn test_connection(&self) -> ScimRequest {
        ScimRequest::get("/Users?count=1")
    }

    /// CA-2: the discovery endpoints of the documented call list; among the six IdPs only
    /// CyberArk lists them. Each is read once the one before it passed [I: the order and the
    /// moment, at Verify, are not documented].
    fn test_connection_followups(&self) -> Vec<ScimRequest> {
        let schemas = [urn::USER, urn::ENTERPRISE_USER, urn::GROUP]
            .iter()
            .map(|id| ScimRequest::get(format!("/Schemas/{id}")));
        DISCOVERY
            .iter()
            .map(|p| ScimRequest::get(*p))
            .chain(schemas)
            .collect()
    }

    /// \[I\] No documented rule: a 200 with a JSON object that names its schemas (RFC 7644
    /// §3.4.2, RFC 7643 §5, §6) or, for a schema resource (RFC 7643 §7 shows them without
    /// `schemas`), its `id`; a ListResponse must carry an integer `totalResults`. A Verify
    /// list may hold users: CyberArk does not insist on an empty answer.
    fn probe_ok(&self, status: u16, body: Option<&Value>) -> bool {
        let Some(body) = body.filter(|b| status == 200 && b.is_object()) else {
            return false;
        };
        let schemas: Vec<&str> = body
            .get("schemas")
            .and_then(Value::as_array)
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if schemas.contains(&urn::LIST_RESPONSE) {
            return body.get("totalResults").is_some_and(Value::is_u64)
                && body.get("Resources").is_none_or(Value::is_array);
        }
        !schemas.is_empty() || body.get("id").is_some_and(Value::is_string)
    }

    /// CA-10: in Preview mode a job computes its changes without committing them. \[I\] What
    /// that means on the wire: reads (Verify, matching, the read before a PUT, group
    /// listings) are sent so the changes are computed against the real target; every write
    /// is withheld and logged with the request it would have sent. It applies to the
    /// immediate pushes too: every `sync` and event push of the run is a preview.
    fn job(&self) -> JobSettings {
        JobSettings {
            commits_writes: !self.preview,
            ..JobSettings::default()
        }
    }

    /// \[I\] Verify is sent when the admin saves the settings, not before each push.
    fn probe_each_cycle(&self) -> bool {
        false
    }

    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let mut attrs = Vec::with_capacity(MAPPING.len());
        for (path, source) in MAPPING {
            let value = match source {
                Source::Active => Some(Value::Bool(active)),
                Source::Attr(a) => text(user.text(*a)),
                // No UPN tombstone: that rename is Entra's recycle bin (§1.6).
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

    /// CA-2, CA-3: `GET /Users?filter=userName eq "<principal name>"`.
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        let name = desired.user_name().unwrap_or("");
        ScimRequest::get(eq_filter_path("/Users?filter=", "userName", name, ""))
    }

    /// CA-7: overwrite adopts the user (the first push then PUTs the whole mapped user: the
    /// record is empty); no overwrite leaves it alone.
    fn existing_user(&self) -> ExistingUser {
        self.existing_user
    }

    fn managed_paths(&self) -> Vec<&'static str> {
        MAPPING.iter().map(|(p, _)| *p).collect()
    }

    /// CA-2: `POST /Users`. \[I\] The body (§7 "mapped attrs \[I\]"): core and enterprise
    /// schemas, the mapped attributes, `active` as a JSON boolean.
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        ScimRequest::with_body(Verb::Post, "/Users", user_body(desired))
    }

    /// CA-2, CA-3: updates are `PUT /Users/{id}` with the whole mapped user, sent when a mapped
    /// value differs from what CyberArk last sent; this is also the deactivate and reactivate.
    /// \[I\] Nothing says CyberArk cannot clear an attribute: a value the source lost is left
    /// out of the PUT, which clears it on an RFC 7644 §3.5.1 server, and counts as a change.
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        let mut modified = Vec::new();
        for (path, _) in MAPPING {
            let old = before.value(current, path).filter(|v| !v.is_null());
            let new = desired.get(path).cloned();
            if old != new {
                modified.push(ModifiedProperty {
                    name: (*path).into(),
                    old,
                    new,
                });
            }
        }
        if modified.is_empty() {
            return None;
        }
        Some(Update {
            request: ScimRequest::with_body(
                Verb::Put,
                resource_path("Users", id),
                user_body(desired),
            ),
            modified,
        })
    }

    /// CA-5: changes are pushed from CyberArk's own state as they happen; that it diffs against
    /// what it last sent, not against a read of the target, is `\[I\]`.
    fn diff_source(&self) -> DiffSource {
        DiffSource::OwnRecord {
            name: "CyberArk's provisioning state",
        }
    }

    /// CA-6, CA-8: removed from the app's roles or deleted in the source, the user gets the
    /// de-provisioning setting; disabled in the source, only with "de-provision when disabled
    /// in the source directory" on, and otherwise is left as it is \[I\].
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction {
        match why {
            Deprovision::Disabled if !self.deprovision_disabled => DeprovisionAction::Nothing,
            _ => self.the_deprovision_action(),
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// CA-2: groups are read with `GET /Groups` — no filter in the call list — so a
    /// destination group is found by listing and comparing names [I: the paging parameters].
    fn group_lookup(&self) -> GroupLookup {
        GroupLookup::ListAll
    }

    /// CA-4: "If the Destination Group already exists in the application, the existing group
    /// is used"; the role's members are added, the group's own stay.
    fn existing_group(&self) -> ExistingGroup {
        ExistingGroup::Adopt
    }

    /// CA-4: see `groups.rs`.
    fn create_group(&self, display_name: &str, _external_id: &str) -> ScimRequest {
        self.group_post(display_name)
    }

    /// CA-4: "Changing the role or role name only affects group creation if the group name in
    /// the role mapping is also changed": a renamed role renames nothing on the target.
    fn rename_group(&self, _id: &str, _name: &str, _members: &[String]) -> Option<ScimRequest> {
        None
    }

    /// CA-2, CA-3: see `groups.rs`.
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        self.group_patch(change)
    }

    /// CA-4: "If the role is removed from role mapping, the Destination Group remains within
    /// the application, without affecting existing membership". \[I\] A role deleted in the
    /// source loses its mapping too; no `DELETE /Groups` is in the call list (CA-2).
    fn group_removal(&self) -> GroupRemoval {
        GroupRemoval::Keep
    }

    /// CA-5: "CyberArk Identity automatically synchronizes … whenever you make changes to a
    /// role or applicable source directory object"; a `sync` step is a provisioning job.
    fn scheduling(&self) -> Scheduling {
        Scheduling::Events
    }
}

/// The POST and PUT body: core and enterprise schemas and the mapped attributes.
fn user_body(desired: &DesiredUser) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([urn::USER, urn::ENTERPRISE_USER]));
    for (path, value) in &desired.attrs {
        set_path(&mut body, path, value.clone());
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests;
