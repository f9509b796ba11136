//! PingFederate's outbound SCIM Provisioner (idp-behavior.md §3): polled; users matched on the
//! Unique User Identifier, POSTed, then PUT whole (`users.rs`); groups by full-list PUT or
//! per-member PATCH (`groups.rs`). It never PATCHes a user and never clears an attribute (the
//! PUT keeps what the source lost). Max Threads runs a poll's operations through a worker pool.

use serde_json::Value;

use super::{
    Before, Deprovision, DeprovisionAction, DesiredUser, DiffSource, ExistingGroup, GroupLookup,
    MatchKey, MembershipChange, Profile, Scheduling, ScimRequest, Strictness, Update,
};
use crate::idp::SourceUser;
use crate::scenario::model::{Step, UserAttr};

mod groups;
mod options;
mod users;

pub use options::{GroupUpdates, RemoveUserAction, UniqueUserIdentifier, OPTIONS};
pub use users::{ENTERPRISE_DEPARTMENT, ENTERPRISE_EMPLOYEE_NUMBER, WORK_EMAIL};

#[derive(Debug, Clone)]
pub struct PingFederate {
    pub identifier: UniqueUserIdentifier,
    /// "Filter Expression": overrides the identifier's filter; `%s` is the identifier's value.
    pub filter_expression: Option<String>,
    pub remove_action: RemoveUserAction,
    pub group_updates: GroupUpdates,
    pub max_threads: usize,
    /// The channel's per-record Timeout (§3): a slower record is skipped to the next cycle.
    pub timeout: Option<std::time::Duration>,
    /// "Provision Disabled Users" (PF-3): a user disabled in the source is created with
    /// `active: false` and kept, not removed. Off by default \[I\].
    pub provision_disabled: bool,
}

impl Profile for PingFederate {
    fn name(&self) -> &'static str {
        "pingfederate"
    }

    /// "None, Basic, OAuth2 bearer, OAuth2 client-credentials (+scope)" (PF-2, `pf-settings`).
    fn client_credentials(&self) -> bool {
        true
    }

    /// Nothing documents which answers PingFederate rejects: tolerant everywhere \[I\].
    fn strictness(&self) -> Strictness {
        Strictness {
            on_rejected: "PingFederate logs the failure and tries the record again on its next \
                          cycle [I]",
            on_transient: "PingFederate logs the failure and tries the record again on its next \
                           cycle [I]",
            ..Strictness::tolerant("PingFederate")
        }
    }

    /// No provision-on-demand (an Entra feature), and no manager: the channel maps no
    /// reference attribute, so a scenario that sets one expects what PingFederate cannot do.
    /// The channel Timeout as the engine's per-record timeout (§3).
    fn job(&self) -> crate::profile::JobSettings {
        crate::profile::JobSettings {
            record_timeout: self.timeout,
            ..crate::profile::JobSettings::default()
        }
    }

    fn supports(&self, step: &Step) -> bool {
        match step {
            Step::ProvisionOnDemand(_) | Step::Sync(crate::scenario::model::SyncKind::Import) => {
                false
            }
            Step::CreateUser(spec) | Step::UpdateUser(spec) => {
                !spec.attrs.contains_key(&UserAttr::Manager)
            }
            _ => true,
        }
    }

    /// \[I\] PingFederate's connection check is not documented (§7: "not documented [I: first
    /// sync]"). The first thing a first sync sends is the matching query, so the probe is
    /// that query for a random value that cannot exist: `userName eq "<guid>"` by default.
    fn test_connection(&self) -> ScimRequest {
        self.users_query(&uuid::Uuid::new_v4().to_string())
    }

    /// \[I\] Success is a 200 ListResponse, whatever it holds: PingFederate has no documented
    /// rule, and unlike Entra (§1.2) nothing says it insists on zero hits.
    fn probe_ok(&self, status: u16, body: Option<&Value>) -> bool {
        status == 200
            && body
                .and_then(|b| b.get("totalResults"))
                .is_some_and(Value::is_u64)
    }

    /// PF-5: the channel's attribute mapping (see `users.rs`).
    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        self.user_desired(user, prefix, active)
    }

    /// PF-4: see `users.rs`.
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        self.user_match(desired)
    }

    /// PF-4: see `users.rs`.
    fn match_key(&self, desired: &DesiredUser) -> MatchKey {
        self.user_match_key(desired)
    }

    fn managed_paths(&self) -> Vec<&'static str> {
        Self::user_paths()
    }

    /// PF-5: see `users.rs`.
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        self.user_post(desired)
    }

    /// PF-6, PF-7: a PUT of the whole user that never clears (see `users.rs`).
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        self.user_put(id, current, desired, before)
    }

    /// PF-18: the engine keeps its sync state in an internal database and polls the source
    /// for changes; a user is written when its mapped values differ from that state, not
    /// from what the target answers `\[I\]`.
    fn diff_source(&self) -> DiffSource {
        DiffSource::OwnRecord {
            name: "PingFederate's sync state",
        }
    }

    /// §3 "Remove User Action" applies to every deprovision trigger alike: the user deleted,
    /// disabled, or removed from the targeted group or filter. A disabled user stays managed:
    /// back in scope, the next poll re-enables it with a PUT.
    /// With "Provision Disabled Users" a disabled user is kept as a disabled account: the
    /// PUT with `active: false`, whatever the Remove User Action `\[I\]`.
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction {
        if why == Deprovision::Disabled && self.provision_disabled {
            return DeprovisionAction::Disable {
                stays_managed: true,
            };
        }
        match self.remove_action {
            RemoveUserAction::Disable => DeprovisionAction::Disable {
                stays_managed: true,
            },
            RemoveUserAction::Delete => DeprovisionAction::Delete,
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// §3: "group lookup retrieves all groups and matches client-side".
    fn group_lookup(&self) -> GroupLookup {
        GroupLookup::ListAll
    }

    /// \[I\] §3 is silent on a same-named group already on the target. The client-side match
    /// finds it and the channel manages it from then on; in PUT mode the first membership PUT
    /// then replaces whatever members it had.
    fn reads_linked_group(&self) -> bool {
        // PingFederate keeps its sync state in an internal database (PF-18) and finds groups
        // by listing them all (PF-10); nothing documents a read by id before a change [I].
        false
    }

    fn existing_group(&self) -> ExistingGroup {
        ExistingGroup::Adopt
    }

    /// PF-11, PF-12: see `groups.rs`.
    fn create_group(&self, display_name: &str, _external_id: &str) -> ScimRequest {
        self.group_post(display_name, &[])
    }

    /// PF-15: see `groups.rs`.
    fn rename_group(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        Some(self.group_rename(id, display_name, members))
    }

    /// PF-13, PF-14: see `groups.rs`.
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        self.group_membership(change)
    }

    /// PF-19 "Max Threads": worker threads pulling user and group operations from one queue,
    /// no ordering; the engine runs a poll's user operations, its group operations and a
    /// group's membership requests through that many workers.
    fn worker_threads(&self) -> usize {
        self.max_threads
    }
    /// §3: the engine polls the source (every 60 s by default); a `sync` step is one poll.
    fn scheduling(&self) -> Scheduling {
        Scheduling::Cycles
    }

    /// \[I\] Nothing documents a probe at the start of each poll (§7: test connection "not
    /// documented"); a poll goes straight to its work.
    fn probe_each_cycle(&self) -> bool {
        false
    }

    /// PF-12: the group POST carries its members (see `groups.rs`).
    fn create_group_with_members(
        &self,
        display_name: &str,
        _external_id: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        Some(self.group_post(display_name, members))
    }

    /// PF-3 "Provision Disabled Users" (option `provision_disabled_users`).
    fn provisions_disabled_users(&self) -> bool {
        self.provision_disabled
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::scenario::model::{AttrValue, UserSpec};
    use serde_json::json;
    use std::collections::BTreeMap;

    pub(super) fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub(super) fn pf(pairs: &[(&str, &str)]) -> PingFederate {
        PingFederate::from_options(&options(pairs)).expect("valid options")
    }

    #[test]
    fn probe_is_the_matching_query_for_a_random_value() {
        let p = pf(&[]);
        let a = p.test_connection();
        let b = p.test_connection();
        assert!(
            a.path.starts_with("/Users?filter=userName+eq+%22"),
            "{}",
            a.path
        );
        assert_ne!(a.path, b.path);
        assert!(p.probe_ok(200, Some(&json!({"totalResults": 0, "Resources": []}))));
        assert!(p.probe_ok(200, Some(&json!({"totalResults": 3, "Resources": []}))));
        assert!(!p.probe_ok(200, Some(&json!({"Resources": []}))));
        assert!(!p.probe_ok(404, Some(&json!({"totalResults": 0}))));
    }

    #[test]
    fn remove_user_action_applies_to_every_trigger() {
        let all = [
            Deprovision::Unassigned,
            Deprovision::Disabled,
            Deprovision::SoftDeleted,
            Deprovision::Purged,
        ];
        for why in all {
            assert_eq!(
                pf(&[]).deprovision(why),
                DeprovisionAction::Disable {
                    stays_managed: true
                }
            );
            assert_eq!(
                pf(&[("remove_user_action", "delete")]).deprovision(why),
                DeprovisionAction::Delete
            );
        }
    }

    #[test]
    fn provisioned_disabled_users_are_kept_disabled_whatever_the_remove_action() {
        let p = pf(&[
            ("provision_disabled_users", "true"),
            ("remove_user_action", "delete"),
        ]);
        assert!(p.provisions_disabled_users());
        assert!(!pf(&[]).provisions_disabled_users());
        assert_eq!(
            p.deprovision(Deprovision::Disabled),
            DeprovisionAction::Disable {
                stays_managed: true
            }
        );
        assert_eq!(
            p.deprovision(Deprovision::Unassigned),
            DeprovisionAction::Delete
        );
    }

    #[test]
    fn no_provision_on_demand_and_no_manager() {
        let p = pf(&[]);
        assert!(!p.supports(&Step::ProvisionOnDemand("alice".into())));
        let with_manager = UserSpec {
            user: "bob".into(),
            attrs: BTreeMap::from([(UserAttr::Manager, AttrValue::Text("alice".into()))]),
        };
        assert!(!p.supports(&Step::CreateUser(with_manager.clone())));
        assert!(!p.supports(&Step::UpdateUser(with_manager)));
        assert!(p.supports(&Step::Restart(
            crate::scenario::model::RestartKind::KeepLinks
        )));
        assert!(p.supports(&Step::SoftDeleteUser("alice".into())));
        assert_eq!(p.set_manager("u-1", "u-2", false), None);
    }
}
