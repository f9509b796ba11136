//! IdP profiles: how a change in the source directory becomes SCIM requests — which verb,
//! which body, which op casing, how objects are matched and deprovisioned. One module per IdP;
//! what differs between IdPs is data (`Dialect`, the attribute mapping) where a table serves.
//! A profile builds requests; it never sends them (that is `client`) nor decides when (`engine`).

pub mod cyberark;
mod desired;
pub mod entra;
mod job;
pub mod okta;
pub mod onelogin;
mod ping_emails;
pub mod pingfederate;
pub mod pingone;
mod policy;

use std::collections::BTreeMap;

use serde_json::Value;

pub use crate::scim::request::{
    encode_query_value, eq_filter_path, escape_filter_value, list_resources, quote, set_parsed,
    set_path, ScimRequest, Verb,
};

use crate::idp::SourceUser;
use crate::scenario::model::Step;
use crate::scim::resource_path;
pub use crate::scim::{Lookup, MatchKey};
pub use desired::{Before, DesiredUser, DiffSource, ModifiedProperty, Update};
pub(crate) use job::event_concurrency;
pub use job::{
    Cadence, JobSettings, Level, PushRetry, Strictness, TransientRetry, MAX_EVENT_CONCURRENCY,
};
pub use policy::{
    Deprovision, DeprovisionAction, ExistingGroup, ExistingUser, GroupLookup, GroupRemoval,
    Scheduling, UserWrite,
};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProfileError {
    #[error("unknown profile `{0}`; known profiles: {known}", known = NAMES.join(", "))]
    UnknownProfile(String),
    #[error("unknown option `{key}` for profile {profile}; known options: {known}")]
    UnknownOption {
        profile: &'static str,
        key: String,
        known: String,
    },
    #[error("invalid value `{value}` for option `{key}`: expected {expected}")]
    BadOption {
        key: String,
        value: String,
        expected: &'static str,
    },
}

/// How an IdP provisions users. Implementations are one file each under `profile/`.
pub trait Profile: Send + Sync {
    fn name(&self) -> &'static str;

    /// Whether the profile can replay a step (e.g. only Entra has provision-on-demand).
    fn supports(&self, step: &Step) -> bool;

    /// The connection probe sent on "Test Connection" and at the start of each cycle.
    fn test_connection(&self) -> ScimRequest;

    /// The attribute mapping: what the target should hold for a source user.
    /// `prefix` marks every object of this run; `active` is the entitlement outcome.
    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser;

    /// The userName the mapping gives a source user: what the engine and the judge name a
    /// user by. A profile whose userName is cheaper to tell than its whole mapping says so:
    /// Okta names each member of a group it pushes, for every group.
    fn user_name(&self, user: &SourceUser, prefix: &str) -> Option<String> {
        self.desired_user(user, prefix, true)
            .user_name()
            .map(str::to_string)
    }

    /// The query that looks for an unlinked user on the target before creating it.
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest;

    /// What `match_user` matches on: a resource in its answer is the user only if it
    /// carries this. Default: userName, case-insensitively.
    fn match_key(&self, desired: &DesiredUser) -> MatchKey {
        MatchKey::user_name(desired.user_name().unwrap_or_default())
    }

    /// The lookups for an unlinked user, highest precedence first: the engine sends them in
    /// order and stops at the first that finds something (Entra's matching precedence,
    /// E-10). Default: one, `match_user` with `match_key`.
    fn user_lookups(&self, desired: &DesiredUser) -> Vec<Lookup> {
        vec![Lookup {
            request: self.match_user(desired),
            key: self.match_key(desired),
        }]
    }

    /// The target attribute paths the mapping writes; snapshots keep only these.
    fn managed_paths(&self) -> Vec<&'static str>;

    fn create_user(&self, desired: &DesiredUser) -> ScimRequest;

    fn read_user(&self, id: &str) -> ScimRequest {
        ScimRequest::get(resource_path("Users", id))
    }

    /// What an update is diffed against (default: the target's answer, as Entra does).
    fn diff_source(&self) -> DiffSource {
        DiffSource::Target
    }

    /// The update that brings the user to `desired`, if any: which attributes changed is
    /// judged from `before`; `current` (the target's answer) is what a body built from the
    /// target's representation starts from. With `Before::Record` whether an update is
    /// returned must depend on the record and `desired` only: the engine first asks with
    /// `current` = `Value::Null` to decide whether to read the target at all.
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update>;

    /// The profile as provision-on-demand uses it, when that differs (Entra: POD ignores the
    /// `aadOptscim062020` flag, §1.1). `None`: the same profile.
    fn for_on_demand(&self) -> Option<Box<dyn Profile>> {
        None
    }

    fn delete_user(&self, id: &str) -> ScimRequest {
        ScimRequest {
            verb: Verb::Delete,
            path: resource_path("Users", id),
            body: None,
        }
    }

    /// Provisioning-job settings the engine applies (thresholds, retries, batch sizes).
    fn job(&self) -> JobSettings {
        JobSettings::default()
    }

    /// Whether the profile provisions groups at all.
    fn provisions_groups(&self) -> bool {
        false
    }

    /// The matching query for an unlinked group (`display_name` already carries the prefix).
    fn match_group(&self, display_name: &str) -> ScimRequest {
        ScimRequest::get(eq_filter_path(
            "/Groups?filter=",
            "displayName",
            display_name,
            "",
        ))
    }

    /// The lookups for an unlinked group, highest precedence first, as `user_lookups`
    /// (`display_name` and `external_id` as `create_group` gets them). Default: one,
    /// `match_group` on displayName.
    fn group_lookups(&self, display_name: &str, external_id: &str) -> Vec<Lookup> {
        let _ = external_id;
        vec![Lookup {
            request: self.match_group(display_name),
            key: MatchKey::display_name(display_name),
        }]
    }

    fn create_group(&self, display_name: &str, external_id: &str) -> ScimRequest {
        let _ = external_id;
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            serde_json::json!({"schemas": [crate::scim::urn::GROUP], "displayName": display_name}),
        )
    }

    fn read_group(&self, id: &str) -> ScimRequest {
        ScimRequest::get(resource_path("Groups", id))
    }

    /// Whether the IdP reads a linked group (`read_group`) before changing it and takes a
    /// rename from the displayName the server returns; otherwise it decides from the name it
    /// last sent (`Link::group_name`) and reads nothing. Most profiles read.
    fn reads_linked_group(&self) -> bool {
        true
    }

    /// The rename of a linked group; `members` are the member ids the target holds as far
    /// as the IdP knows (IdPs that write the group whole need them). `None`: the IdP does
    /// not push renames.
    fn rename_group(&self, id: &str, display_name: &str, members: &[String])
        -> Option<ScimRequest>;

    /// The requests that change a group's membership: `add` and `remove` are the delta the
    /// IdP computed, `all` the whole desired member list (target ids) for IdPs that send it.
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest>;

    /// How many operations the IdP's worker pool runs at once (PingFederate's Max Threads,
    /// PF-19): the user and group operations of a cycle, and the membership requests of a group.
    /// One: everything in order, one request at a time.
    fn worker_threads(&self) -> usize {
        1
    }

    /// How an unlinked group is looked up on the target.
    fn group_lookup(&self) -> GroupLookup {
        GroupLookup::Filter
    }

    /// What the IdP does when a group with the same name already exists on the target.
    fn existing_group(&self) -> ExistingGroup {
        ExistingGroup::Adopt
    }

    /// What the IdP does when its matching query finds an unlinked user (CyberArk's
    /// "overwrite" sync option, CA-7). Default: adopt it and write to it from then on.
    fn existing_user(&self) -> ExistingUser {
        ExistingUser::Adopt
    }

    /// What becomes of a linked group that leaves the IdP's scope or is deleted in the source
    /// (CyberArk keeps it, CA-4). Default: `DELETE /Groups/{id}` (Entra, §1.7).
    fn group_removal(&self) -> GroupRemoval {
        GroupRemoval::Delete
    }

    /// When changes reach the target: in cycles (`sync` steps) or as events, at once.
    fn scheduling(&self) -> Scheduling {
        Scheduling::Cycles
    }

    /// Whether each cycle starts with the connection probe (Entra does, §1.2).
    fn probe_each_cycle(&self) -> bool {
        true
    }

    /// Whether the probe's answer counts as success. Default: Entra's rule, 200 with an
    /// empty ListResponse (§1.2).
    fn probe_ok(&self, status: u16, body: Option<&serde_json::Value>) -> bool {
        status == 200
            && body
                .and_then(|b| b.get("totalResults"))
                .and_then(serde_json::Value::as_u64)
                == Some(0)
    }

    /// The resources a matching query found, or `None` when the answer is a failure. They
    /// are what the server returned: the engine adopts only those carrying `match_key`.
    fn match_hits(&self, status: u16, body: Option<&serde_json::Value>) -> Option<Vec<Value>> {
        (status == 200).then(|| list_resources(body))
    }

    /// One page of a scheduled import (`sync: import`), from 1-based `start_index`; `None`:
    /// the IdP does not import.
    fn import_page(&self, start_index: u64) -> Option<ScimRequest> {
        let _ = start_index;
        None
    }

    /// Whether a 409 is escrowed and retried (Entra, §1.3) or left to the admin (Okta raises
    /// a task and stops, §2.2).
    fn retries_conflicts(&self) -> bool {
        true
    }

    /// What the IdP does to a managed user that stops being entitled.
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction;

    fn delete_group(&self, id: &str) -> ScimRequest {
        ScimRequest {
            verb: Verb::Delete,
            path: resource_path("Groups", id),
            body: None,
        }
    }

    /// Writes a user's manager (reference resolution, after the user exists); `None` for
    /// IdPs that do not provision the manager reference.
    fn set_manager(&self, user_id: &str, manager_id: &str, replacing: bool) -> Option<ScimRequest> {
        let _ = (user_id, manager_id, replacing);
        None
    }

    /// Which answers the IdP fails on and which it tolerates, and what it does with a
    /// failure: the table `check::judge` reads. Default: tolerant everywhere \[I\], for IdPs
    /// that document no rule.
    fn strictness(&self) -> Strictness {
        Strictness::tolerant(self.name())
    }

    /// How the IdP lives with transient faults (5xx but 501, 429, resets, timeouts): how
    /// often it tries the connection probe, what becomes of a failed push, and what a probe
    /// that fails for good costs. Default: the table in `TransientRetry::of`.
    fn transient_retry(&self) -> TransientRetry {
        TransientRetry::of(self.name())
    }

    /// Whether the IdP can authenticate with OAuth 2 client credentials (PF-2). Default: no,
    /// a bearer token the admin pastes; a run with client credentials skips such profiles.
    fn client_credentials(&self) -> bool {
        false
    }

    /// The headers the IdP puts on every request, GET included (`ScimClient::with_headers`),
    /// each replacing the client's own. Default: none, so every request carries the client's
    /// `User-Agent: scim-harness/<version>`, `Accept: application/scim+json`, and
    /// `Content-Type: application/scim+json` when a body goes — the IdP's are not documented.
    fn wire_headers(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Requests the admin's Test Connection sends after `test_connection` passed, each
    /// judged by `probe_ok` like it (Okta lists groups, O-2; Entra reads a random group,
    /// E-7); the probe that opens a cycle does not send them. Default: none.
    fn test_connection_followups(&self) -> Vec<ScimRequest> {
        Vec::new()
    }

    /// Whether a member that is no longer entitled (unassigned, disabled, soft-deleted) is
    /// still written into a group. Default: yes; Okta does not push inactive users (O-25) and
    /// Entra writes no member out of scope (E-56).
    fn pushes_inactive_members(&self) -> bool {
        true
    }

    /// Whether membership requests carry each member's `display` (its userName), so the
    /// engine fills `MembershipChange::display`. Default: no; Okta does (O-30). The engine
    /// skips working out every member's userName for the others: on a 100,000-user cycle it
    /// was a tenth of Entra's group phase.
    fn sends_member_display(&self) -> bool {
        false
    }

    /// Requests sent after an update of user `id` succeeded, `modified` being what it
    /// changed (Okta's password-sync PATCH, O-14). Default: none.
    fn after_update(&self, id: &str, modified: &[ModifiedProperty]) -> Vec<ScimRequest> {
        let _ = (id, modified);
        Vec::new()
    }

    /// The group POST when it carries the members the group already has (target ids of its
    /// provisioned users, in order), as PingFederate's does (idp-behavior.md PF-12). `None`:
    /// `create_group` is sent and the members follow in the membership phase.
    fn create_group_with_members(
        &self,
        display_name: &str,
        external_id: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        let _ = (display_name, external_id, members);
        None
    }

    /// The admin setting that switches `write` off, when it is off: the engine then sends
    /// nothing for it and logs a skip naming the setting. Default: every write is on.
    fn switched_off(&self, write: UserWrite) -> Option<&'static str> {
        let _ = write;
        None
    }

    /// The `displayName` the IdP gives a source group called `name` (the run prefix already
    /// on it): in every match, POST, rename and membership write. Default: the name itself;
    /// PingOne's `GROUP_NAME_SOURCE` may make it a distinguished name (P1-1).
    fn group_display_name(&self, name: &str) -> String {
        name.to_string()
    }

    /// Whether a user disabled in the source is still created, with `active: false`
    /// (PingFederate's and PingOne's "Provision Disabled Users", PF-3, P1-3). Default: never
    /// (Entra's `NotEffectivelyEntitled`, E-21).
    fn provisions_disabled_users(&self) -> bool {
        false
    }

    /// Clears a user's manager that was removed in the source (reference resolution);
    /// `None` for IdPs that send nothing then.
    fn remove_manager(&self, user_id: &str, manager_id: &str) -> Option<ScimRequest> {
        let _ = (user_id, manager_id);
        None
    }

    /// `set_manager` for a target at `base_url` (the tenant URL, no trailing slash), for
    /// shapes that carry an absolute `$ref` (Entra's historical `manager=ref-list`, E-33).
    /// Default: `set_manager`.
    fn set_manager_at(
        &self,
        base_url: &str,
        user_id: &str,
        manager_id: &str,
        replacing: bool,
    ) -> Option<ScimRequest> {
        let _ = base_url;
        self.set_manager(user_id, manager_id, replacing)
    }
}

/// A group membership delta, as the engine computed it.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipChange {
    pub group_id: String,
    pub display_name: String,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub all: Vec<String>,
    /// Member target ids → the display value IdPs that send one use (Okta's `display`).
    pub display: std::collections::BTreeMap<String, String>,
}

/// Every profile name `--profile` accepts.
pub const NAMES: &[&str] = &[
    "entra",
    "okta",
    "pingfederate",
    "pingone",
    "cyberark",
    "onelogin",
];

/// Builds a profile from its name and options (`--option key=value` and scenario options).
pub fn by_name(
    name: &str,
    options: &BTreeMap<String, String>,
) -> Result<Box<dyn Profile>, ProfileError> {
    match name {
        "entra" => Ok(Box::new(entra::Entra::from_options(options)?)),
        "okta" => Ok(Box::new(okta::Okta::from_options(options)?)),
        "pingfederate" => Ok(Box::new(pingfederate::PingFederate::from_options(options)?)),
        "pingone" => Ok(Box::new(pingone::PingOne::from_options(options)?)),
        "cyberark" => Ok(Box::new(cyberark::CyberArk::from_options(options)?)),
        "onelogin" => Ok(Box::new(onelogin::OneLogin::from_options(options)?)),
        other => Err(ProfileError::UnknownProfile(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A new IdP is registered in `NAMES`/`by_name` and in the scenario language's
    /// `PROFILES` (which must not depend on this stage); this keeps the two in step.
    #[test]
    fn every_profile_is_known_to_the_scenario_language_and_builds_with_defaults() {
        assert_eq!(NAMES, crate::scenario::PROFILES);
        for name in NAMES {
            let p = by_name(name, &BTreeMap::new()).map_err(|e| e.to_string());
            assert_eq!(p.map(|p| p.name()), Ok(*name));
        }
    }

    /// Ada with every mapped attribute, Bo with a UPN only.
    fn ada_and_bo() -> crate::idp::Tenant {
        use crate::scenario::model::{AttrValue, UserAttr};
        let text = |s: &str| AttrValue::Text(s.into());
        let mut tenant = crate::idp::Tenant::default();
        let full = BTreeMap::from([
            (UserAttr::UserPrincipalName, text("ada@contoso.com")),
            (UserAttr::Mail, text("ada@contoso.com")),
            (UserAttr::GivenName, text("Ada")),
            (UserAttr::Surname, text("Lovelace")),
            (UserAttr::DisplayName, text("Ada Lovelace")),
            (UserAttr::JobTitle, text("Engineer")),
            (UserAttr::Department, text("R&D")),
            (UserAttr::EmployeeId, text("42")),
        ]);
        let bare = BTreeMap::from([(UserAttr::UserPrincipalName, text("bo@contoso.com"))]);
        for (name, attrs) in [("ada", full), ("bo", bare)] {
            tenant.create_user(name, attrs).expect("create");
        }
        tenant
    }

    /// What the engine relies on to skip a pass whose record packs to what the profile
    /// wants now (`LastSent::holds`): diffed against an equal record of its own, a profile
    /// has nothing to send.
    #[test]
    fn a_profile_diffing_against_its_own_record_sends_nothing_when_the_record_is_what_it_wants() {
        let tenant = ada_and_bo();
        let mut checked = 0;
        for profile in NAMES {
            let p = by_name(profile, &BTreeMap::new()).expect("profile");
            if p.diff_source() == DiffSource::Target {
                continue;
            }
            for (user, active) in [("ada", true), ("ada", false), ("bo", true)] {
                let source = tenant.user(user).expect("user");
                let want = p.desired_user(source, "run1-", active);
                let update = p.update_user("t1", &Value::Null, &want, Before::Record(&want));
                assert_eq!(update.map(|u| u.request), None, "{profile} {user} {active}");
                checked += 1;
            }
        }
        // Okta, PingFederate, PingOne, CyberArk and OneLogin keep a record of their own.
        assert_eq!(checked, 5 * 3);
    }

    /// A profile that tells a userName without its whole mapping (Okta) tells the mapping's.
    #[test]
    fn every_profile_names_a_user_as_its_mapping_does() {
        let tenant = ada_and_bo();
        for profile in NAMES {
            let p = by_name(profile, &BTreeMap::new()).expect("profile");
            for user in ["ada", "bo"] {
                let source = tenant.user(user).expect("user");
                let mapped = p.desired_user(source, "run1-", true);
                let name = p.user_name(source, "run1-");
                assert_eq!(name.as_deref(), mapped.user_name(), "{profile} {user}");
                assert!(
                    name.is_some_and(|n| n.starts_with("run1-")),
                    "{profile} {user}"
                );
            }
        }
    }

    #[test]
    fn event_concurrency_is_one_by_default_and_a_whole_number_up_to_32() {
        for name in ["okta", "pingone"] {
            let default = by_name(name, &BTreeMap::new()).map(|p| p.worker_threads());
            assert_eq!(default.ok(), Some(1), "{name}: O-38, P1-15 [I]");
            let four = BTreeMap::from([("event_concurrency".to_string(), "4".to_string())]);
            assert_eq!(
                by_name(name, &four).map(|p| p.worker_threads()).ok(),
                Some(4)
            );
            for bad in ["0", "33", "x"] {
                let opts = BTreeMap::from([("event_concurrency".to_string(), bad.to_string())]);
                assert!(
                    matches!(by_name(name, &opts), Err(ProfileError::BadOption { .. })),
                    "{name} {bad}"
                );
            }
        }
    }

    #[test]
    fn the_record_after_an_update_holds_what_was_pushed_and_keeps_the_rest() {
        let record = DesiredUser {
            attrs: vec![
                ("userName", json!("a@x")),
                ("title", json!("Dev")),
                ("department", json!("R&D")),
                ("active", json!(true)),
            ],
        };
        // department cleared in the source (not pushed), title changed, active flipped but
        // held back: only title was pushed.
        let desired = DesiredUser {
            attrs: vec![
                ("userName", json!("a@x")),
                ("title", json!("Lead")),
                ("active", json!(false)),
            ],
        };
        let pushed = [ModifiedProperty {
            name: "title".into(),
            old: Some(json!("Dev")),
            new: Some(json!("Lead")),
        }];
        let after = record.after(&pushed, &desired);
        assert_eq!(
            after.attrs,
            vec![
                ("userName", json!("a@x")),
                ("title", json!("Lead")),
                ("active", json!(true)),
                ("department", json!("R&D")),
            ]
        );
        assert_eq!(
            Before::Record(&after).value(&Value::Null, "title"),
            Some(json!("Lead"))
        );
        assert_eq!(
            Before::Target.value(&json!({"name": {"givenName": "A"}}), "name.givenName"),
            Some(json!("A"))
        );
    }
}
