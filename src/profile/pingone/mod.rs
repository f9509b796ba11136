//! PingOne's outbound SCIM provisioning connection (idp-behavior.md §4): each change is pushed
//! at once, users are matched with the admin's `USER_FILTER` template, created with POST and
//! updated with a PUT of the whole user, deprovisioned per `REMOVE_ACTION`, and group
//! memberships travel as part of the group (PUT). It never sends PATCH and never clears an
//! attribute the target holds (§4 limitations). The users' requests live in `users.rs`, the
//! groups' in `groups.rs`, the connection settings in `options.rs`.

use serde_json::Value;

use super::{
    Before, Deprovision, DeprovisionAction, DesiredUser, DiffSource, ExistingGroup, MatchKey,
    MembershipChange, Profile, Scheduling, ScimRequest, Strictness, Update, UserWrite, Verb,
};
use crate::idp::SourceUser;
use crate::scenario::model::{Step, UserAttr};
use crate::scim::member_path;

mod groups;
mod options;
mod overlay;
mod users;

pub use groups::{GroupNameSource, GROUP_BASE_DN};
pub use options::{RemoveAction, UniqueUserIdentifier, OPTIONS};

/// §4 (`p1-filter`): the documented example, with PingOne's capitalised operator as written.
pub const DEFAULT_USER_FILTER: &str = "username Eq \"%s\"";

#[derive(Debug)]
pub struct PingOne {
    /// `USER_FILTER`: the matching query with `%s` for the user's userName (§4).
    pub user_filter: String,
    pub remove_action: RemoveAction,
    /// The admin's answer when a group of the same name exists on the target (§4).
    pub existing_group: ExistingGroup,
    /// "Provision disabled accounts" (P1-3): a user disabled in PingOne is created with
    /// `active: false` and kept, not removed. Off by default \[I\].
    pub provision_disabled: bool,
    /// `UNIQUE_USER_IDENTIFIER` (P1-1): which value `%s` in `USER_FILTER` stands for.
    pub identifier: UniqueUserIdentifier,
    /// `SCHEMA_EXTENSION_URNS` (P1-1): extension schemas listed in the user's `schemas`
    /// after core and enterprise.
    pub extension_urns: Vec<String>,
    /// `USERS_RESOURCE` (P1-1): the collection every user request goes to, `/Users` unless
    /// the admin set another, relative to the SCIM base URL.
    pub users_resource: String,
    /// `GROUPS_RESOURCE` (P1-1): the same for groups, `/Groups` by default.
    pub groups_resource: String,
    /// `GROUP_NAME_SOURCE` (P1-1): the group's name or its distinguished name.
    pub group_name_source: GroupNameSource,
    /// `CREATE_USERS`, `UPDATE_USERS`, `DISABLE_USERS` (P1-1): the switches that let
    /// PingOne create, update, and disable or delete users. All on by default.
    pub create_users: bool,
    pub update_users: bool,
    pub disable_users: bool,
    /// How many events of one burst are pushed at once (option `event_concurrency`, P1-15):
    /// 1 unless set \[I\].
    pub event_concurrency: usize,
}

impl Profile for PingOne {
    fn name(&self) -> &'static str {
        "pingone"
    }

    /// Nothing documents which answers PingOne rejects: tolerant everywhere \[I\].
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

    /// \[I\] §4 does not document what "Test connection" sends (§7: "not documented"). The
    /// connection only knows its user filter, so the probe is that filter on a random value
    /// that matches no one, as Entra and OneLogin probe (§1.2, §6).
    fn test_connection(&self) -> ScimRequest {
        self.user_query(&uuid::Uuid::new_v4().to_string())
    }

    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        self.mapped_user(user, prefix, active)
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
        Self::mapped_paths()
    }

    /// `GET {USERS_RESOURCE}/{id}`: the read before the whole-user PUT (P1-8).
    fn read_user(&self, id: &str) -> ScimRequest {
        ScimRequest::get(member_path(&self.users_resource, id))
    }

    /// `DELETE {USERS_RESOURCE}/{id}`: `REMOVE_ACTION` delete (P1-9).
    fn delete_user(&self, id: &str) -> ScimRequest {
        ScimRequest {
            verb: Verb::Delete,
            path: member_path(&self.users_resource, id),
            body: None,
        }
    }

    /// P1-5: `PingOne::user_post`.
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        self.user_post(desired)
    }

    /// P1-6, P1-8: the PUT of the whole user, `PingOne::user_put`.
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        self.user_put(id, current, desired, before)
    }

    /// P1-13: a change to the user in PingOne is pushed at once; what changed is judged
    /// against what PingOne last pushed, not against a read of the target `\[I\]`.
    fn diff_source(&self) -> DiffSource {
        DiffSource::OwnRecord {
            name: "PingOne's last pushed state",
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// P1-1 `GROUP_NAME_SOURCE`: `PingOne::group_name`.
    fn group_display_name(&self, name: &str) -> String {
        self.group_name(name)
    }

    /// P1-12: `PingOne::group_query`.
    fn match_group(&self, display_name: &str) -> ScimRequest {
        self.group_query(display_name)
    }

    /// P1-12: `PingOne::group_post`.
    fn create_group(&self, display_name: &str, _external_id: &str) -> ScimRequest {
        self.group_post(display_name)
    }

    /// `GET {GROUPS_RESOURCE}/{id}`: the read of a same-named group before merge or
    /// overwrite (P1-11).
    fn read_group(&self, id: &str) -> ScimRequest {
        ScimRequest::get(member_path(&self.groups_resource, id))
    }

    /// `DELETE {GROUPS_RESOURCE}/{id}` (P1-12).
    fn delete_group(&self, id: &str) -> ScimRequest {
        ScimRequest {
            verb: Verb::Delete,
            path: member_path(&self.groups_resource, id),
            body: None,
        }
    }

    /// \[I\] §7 marks PingOne's group rename "? [I: yes]". It is the group PUT with the new name
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

    /// \[I\] §4: "group memberships are part of the group", so a membership change is the group
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

    /// P1-15: a burst's events through `event_concurrency` workers (default 1, \[I\]).
    fn worker_threads(&self) -> usize {
        self.event_concurrency
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
    /// PUT with `active: false`, whatever `REMOVE_ACTION` says `\[I\]`.
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

    /// P1-1 `CREATE_USERS` / `UPDATE_USERS` / `DISABLE_USERS`. `DISABLE_USERS` off keeps
    /// `REMOVE_ACTION` delete from deleting too [I: the API names only "disable"; its
    /// PingFederate sibling is one "User Disable/Delete" switch, and an admin who stops
    /// disables would not expect deletes]. Reactivation is an update, as PingFederate's
    /// "can only re-enable a user if User Update is selected" says of its sibling \[I\].
    fn switched_off(&self, write: UserWrite) -> Option<&'static str> {
        match write {
            UserWrite::Create => (!self.create_users).then_some("CREATE_USERS"),
            UserWrite::Update => (!self.update_users).then_some("UPDATE_USERS"),
            UserWrite::Deprovision => (!self.disable_users).then_some("DISABLE_USERS"),
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

    #[test]
    fn each_switch_turns_off_its_write() {
        let on = pingone(&[]);
        for write in [UserWrite::Create, UserWrite::Update, UserWrite::Deprovision] {
            assert_eq!(on.switched_off(write), None, "{write:?}");
        }
        for (option, write, setting) in [
            ("create_users", UserWrite::Create, "CREATE_USERS"),
            ("update_users", UserWrite::Update, "UPDATE_USERS"),
            ("disable_users", UserWrite::Deprovision, "DISABLE_USERS"),
        ] {
            let p = pingone(&[(option, "false")]);
            assert_eq!(p.switched_off(write), Some(setting));
            let others = [UserWrite::Create, UserWrite::Update, UserWrite::Deprovision];
            for other in others.into_iter().filter(|w| *w != write) {
                assert_eq!(p.switched_off(other), None, "{option} leaves {other:?} on");
            }
        }
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
