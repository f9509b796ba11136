//! Okta over SCIM 2.0 (idp-behavior.md §2), OIN or AIW: the SCIM template's mapping and POST
//! (§2.2), GET + PUT of the merged object (§2.3), path-less (de)activation PATCH (§2.4), Push
//! Groups (§2.5). It must never build `DELETE /Users`: Okta does not delete users (§2.4).

mod groups;
mod users;

use std::collections::BTreeMap;

use serde_json::Value;

pub use users::{okta_user_id, LOCALE, WORK_EMAIL};

use super::{
    Before, Deprovision, DeprovisionAction, DesiredUser, DiffSource, ExistingGroup, Level,
    MembershipChange, ModifiedProperty, Profile, ProfileError, Scheduling, ScimRequest, Strictness,
    Update,
};
use crate::idp::SourceUser;
use crate::scenario::model::Step;
use crate::scim::{resource_path, urn};

/// The two ways an app is integrated with Okta (§2, `okta-scim20`, `okta-faq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// OIN catalog (SCIM template): PUT for profile pushes, PATCH for activate/deactivate and
    /// group membership.
    Oin,
    /// App Integration Wizard: PUT for every update, including (de)activation and groups.
    Aiw,
}

impl Integration {
    pub fn option_value(self) -> &'static str {
        match self {
            Integration::Oin => "oin",
            Integration::Aiw => "aiw",
        }
    }
}

pub struct Okta {
    pub integration: Integration,
    /// Push Groups' "Rename groups" setting (§2.5): when on, every membership PATCH also
    /// carries the path-less `{id, displayName}` replace.
    pub push_group_rename: bool,
    /// How an OIN membership change is pushed (O-30): the delta, or the whole list.
    pub member_push: MemberPush,
    /// The most members one OIN membership PATCH carries (O-30: ~1,000 reported `[O]`).
    pub member_batch: usize,
    /// The "Sync Password" push setting (O-14): OIN pushes a password change with a PATCH.
    /// The source directory has no passwords and the scenario language no password step, so
    /// with it on every profile push of a user stands for a password change too `\[I\]`.
    pub password_sync: bool,
    /// How many events of one burst are pushed at once (option `event_concurrency`, O-38):
    /// 1 unless set \[I\].
    pub event_concurrency: usize,
}

/// The two documented shapes of an OIN membership PATCH (O-30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberPush {
    /// `remove members[value eq "<id>"]` per removed member, one `add` of the added ones.
    Delta,
    /// One `replace` of `members` with the whole list ("full push").
    Replace,
}

/// O-30: the batch size reported by the community `[O]`, unverified.
pub const MEMBER_BATCH: usize = 1000;

/// O-5 (`okta-blog-1956`): the headers on every request Okta's SCIM client sends, GET
/// included — a `Content-Type` even without a body.
pub const WIRE_HEADERS: &[(&str, &str)] = &[
    ("User-Agent", "Okta SCIM Client 1.0.0"),
    ("Accept", "application/scim+json"),
    ("Content-Type", "application/scim+json; charset=utf-8"),
];

/// Options a scenario or `--option` may set.
pub const OPTIONS: &[&str] = &[
    "integration",
    "push_group_rename",
    "member_push",
    "member_batch",
    "password_sync",
    "event_concurrency",
];

impl Okta {
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, ProfileError> {
        let mut okta = Okta {
            integration: Integration::Oin,
            push_group_rename: true,
            member_push: MemberPush::Delta,
            member_batch: MEMBER_BATCH,
            password_sync: false,
            event_concurrency: 1,
        };
        for (key, value) in options {
            match key.as_str() {
                "integration" => {
                    okta.integration = match value.to_ascii_lowercase().as_str() {
                        "oin" => Integration::Oin,
                        "aiw" => Integration::Aiw,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`oin` (catalog app) or `aiw` (App Integration Wizard)",
                            })
                        }
                    }
                }
                "push_group_rename" | "password_sync" => {
                    let on = match value.as_str() {
                        "true" | "True" => true,
                        "false" | "False" => false,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`true` or `false`",
                            })
                        }
                    };
                    if key == "password_sync" {
                        okta.password_sync = on;
                    } else {
                        okta.push_group_rename = on;
                    }
                }
                "member_push" => {
                    okta.member_push = match value.to_ascii_lowercase().as_str() {
                        "delta" => MemberPush::Delta,
                        "replace" => MemberPush::Replace,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`delta` (remove + add) or `replace` (full push)",
                            })
                        }
                    }
                }
                "event_concurrency" => {
                    okta.event_concurrency = crate::profile::event_concurrency(key, value)?
                }
                "member_batch" => {
                    okta.member_batch = match value.parse::<usize>() {
                        Ok(n) if n > 0 => n,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "a number of members per PATCH, at least 1",
                            })
                        }
                    }
                }
                _ => {
                    return Err(ProfileError::UnknownOption {
                        profile: "okta",
                        key: key.clone(),
                        known: OPTIONS.join(", "),
                    })
                }
            }
        }
        Ok(okta)
    }
}

impl Profile for Okta {
    fn name(&self) -> &'static str {
        "okta"
    }

    /// O-11: a create answers `201` with the full user (an empty body fails); O-13: Okta
    /// reads the user its PUT returns; O-2: Test Connection checks the ListResponse schema
    /// and integer `totalResults`/`itemsPerPage`/`startIndex`; O-6: a 404 to the matching
    /// query means "no such user". Failures become admin tasks, never retried (O-12, O-37).
    fn strictness(&self) -> Strictness {
        Strictness {
            idp: "Okta",
            create_201: Level::Strict,
            put_returns_resource: Level::Strict,
            content_type: Level::Tolerant,
            list_shape: Level::Strict,
            list_paging: Level::Strict,
            delete_404: Level::Tolerant,
            match_404_is_empty: true,
            on_rejected: "Okta raises an admin task for the user and does not retry; an admin \
                          must retry it (O-12, O-37)",
            on_transient: "Okta raises an admin task for the user and does not retry; an admin \
                           must retry it (O-37)",
        }
    }

    /// Okta has neither provision-on-demand nor a "restart provisioning" (§2.6: pushes are
    /// event-driven; imports are a different feature).
    fn supports(&self, step: &Step) -> bool {
        !matches!(step, Step::ProvisionOnDemand(_) | Step::Restart(_))
    }

    /// §2.6: imports page with `startIndex` and `count=100` until `totalResults`.
    fn import_page(&self, start_index: u64) -> Option<ScimRequest> {
        Some(ScimRequest::get(format!(
            "/Users?startIndex={start_index}&count=100"
        )))
    }

    /// §2.2: a 409 stops the job with a task for the admin; Okta does not retry it.
    fn retries_conflicts(&self) -> bool {
        false
    }

    /// §2.1: saving the configuration lists two users; `count=2` is a constant.
    fn test_connection(&self) -> ScimRequest {
        ScimRequest::get("/Users?startIndex=1&count=2")
    }

    /// §2.2, O-8, O-9: see `Okta::desired`.
    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        Okta::desired(user, prefix, active)
    }

    fn user_name(&self, user: &SourceUser, prefix: &str) -> Option<String> {
        Some(Okta::login(user, prefix))
    }

    /// §2.2 step 1: filter on userName, with Okta's paging parameters after it.
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        Okta::user_query(desired)
    }

    /// The mapped paths without `externalId` (see `Okta::mapped_paths`).
    fn managed_paths(&self) -> Vec<&'static str> {
        Okta::mapped_paths()
    }

    /// §2.2 step 3 (see `Okta::post_user`).
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        Okta::post_user(desired)
    }

    /// O-13, O-34: Okta pushes when the Okta user's profile changes, comparing it with its
    /// app-user profile — what it last pushed — never with what a GET returned `\[I\]`.
    fn diff_source(&self) -> DiffSource {
        DiffSource::OwnRecord {
            name: "Okta's app-user profile",
        }
    }

    /// §2.3/§2.4 (see `Okta::user_update`).
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        self.user_update(id, current, desired, before)
    }

    fn scheduling(&self) -> Scheduling {
        Scheduling::Events
    }

    /// O-38: a burst's events through `event_concurrency` workers (default 1, \[I\]).
    fn worker_threads(&self) -> usize {
        self.event_concurrency
    }

    /// Okta probes only on "Test Connection" / saving the configuration (§2.1), never before
    /// a push.
    fn probe_each_cycle(&self) -> bool {
        false
    }

    /// §2.1: 200 with a ListResponse whose counters are integers (§2.6). An empty list is
    /// accepted [I: §2.1 says only Okta's Runscope suite insists on a non-empty one].
    fn probe_ok(&self, status: u16, body: Option<&Value>) -> bool {
        let Some(body) = body.filter(|_| status == 200) else {
            return false;
        };
        let is_list = body
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn::LIST_RESPONSE)));
        let numeric = ["totalResults", "itemsPerPage", "startIndex"]
            .iter()
            .all(|k| body.get(*k).and_then(Value::as_u64).is_some());
        let resources_ok = body.get("Resources").is_none_or(Value::is_array);
        is_list && numeric && resources_ok
    }

    /// §2.2 step 1: an empty ListResponse or a 404 both mean "no such user".
    fn match_hits(&self, status: u16, body: Option<&Value>) -> Option<Vec<Value>> {
        match status {
            200 => Some(super::list_resources(body)),
            404 => Some(vec![]),
            _ => None,
        }
    }

    /// §2.4: unassigned, deactivated or suspended, soft-deleted → deactivate, and the app
    /// user stays linked, so a reassignment reactivates it instead of creating another.
    /// Okta never sends `DELETE /Users` (O-23). Okta deletes only a deactivated user: deleting
    /// an active one deactivates it first, which deprovisions its apps (O-23). So a purge
    /// deactivates too; for a user already deactivated, Okta's own record shows nothing to
    /// send, and nothing is sent.
    fn deprovision(&self, _why: Deprovision) -> DeprovisionAction {
        DeprovisionAction::Disable {
            stays_managed: true,
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// \[I\] O-26 (see `Okta::group_query`).
    fn match_group(&self, display_name: &str) -> ScimRequest {
        Okta::group_query(display_name)
    }

    /// §2.5: a name that already exists cannot be pushed without Group Linking.
    fn existing_group(&self) -> ExistingGroup {
        ExistingGroup::Fail
    }

    /// §2.5, O-27 (see `Okta::post_group`).
    fn create_group(&self, display_name: &str, _external_id: &str) -> ScimRequest {
        Okta::post_group(display_name)
    }

    /// §2.5: read with members (no `excludedAttributes`).
    fn read_group(&self, id: &str) -> ScimRequest {
        ScimRequest::get(resource_path("Groups", id))
    }

    /// O-29, O-31 (see `Okta::group_rename`).
    fn rename_group(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        self.group_rename(id, display_name, members)
    }

    /// O-30, O-31 (see `Okta::membership_requests`).
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        self.membership_requests(change)
    }

    /// O-2: after the user probe, Test API Credentials lists groups, judged like the probe
    /// (a ListResponse with integer counters).
    fn test_connection_followups(&self) -> Vec<ScimRequest> {
        vec![ScimRequest::get("/Groups?count=100&startIndex=1")]
    }

    /// O-25 (`okta-grouppush-prereq`): inactive users are not pushed as group members.
    fn pushes_inactive_members(&self) -> bool {
        false
    }

    /// O-30: an `add` carries each member's `display`, the userName.
    fn sends_member_display(&self) -> bool {
        true
    }

    /// O-14: with "Sync Password" on, an OIN profile push is followed by the password-sync
    /// PATCH (see `Okta::password_sync_after`).
    fn after_update(&self, id: &str, modified: &[ModifiedProperty]) -> Vec<ScimRequest> {
        self.password_sync_after(id, modified)
    }

    /// O-5: Okta's `User-Agent`, `Accept` and `Content-Type` on every request.
    fn wire_headers(&self) -> Vec<(String, String)> {
        WIRE_HEADERS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::urn;
    use serde_json::json;

    pub(super) fn okta(options: &[(&str, &str)]) -> Okta {
        Okta::from_options(
            &options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .expect("valid options")
    }

    #[test]
    fn probe_and_match_queries() {
        let o = okta(&[]);
        assert_eq!(
            o.test_connection(),
            ScimRequest::get("/Users?startIndex=1&count=2")
        );
        assert_eq!(
            o.test_connection_followups(),
            vec![ScimRequest::get("/Groups?count=100&startIndex=1")]
        );
        let desired = DesiredUser {
            attrs: vec![("userName", json!("a+b@x.com"))],
        };
        assert_eq!(
            o.match_user(&desired).path,
            "/Users?filter=userName+eq+%22a%2Bb%40x.com%22&startIndex=1&count=100"
        );
        assert_eq!(
            o.match_group("Sales").path,
            "/Groups?filter=displayName+eq+%22Sales%22&startIndex=1&count=100"
        );
    }

    #[test]
    fn probe_accepts_any_list_response_with_integer_counters() {
        let o = okta(&[]);
        let list = |total: Value| {
            json!({"schemas": [urn::LIST_RESPONSE], "totalResults": total, "itemsPerPage": 0,
                   "startIndex": 1, "Resources": []})
        };
        assert!(o.probe_ok(200, Some(&list(json!(0)))));
        assert!(o.probe_ok(200, Some(&list(json!(7)))));
        assert!(!o.probe_ok(200, Some(&list(json!("0")))));
        assert!(!o.probe_ok(200, Some(&json!({"totalResults": 0}))));
        assert!(!o.probe_ok(200, None));
        assert!(!o.probe_ok(500, Some(&list(json!(0)))));
    }

    #[test]
    fn a_404_on_the_match_means_not_found() {
        let o = okta(&[]);
        assert_eq!(o.match_hits(404, None), Some(vec![]));
        assert_eq!(
            o.match_hits(200, Some(&json!({"Resources": [{"id": "u9"}]}))),
            Some(vec![json!({"id": "u9"})])
        );
        assert_eq!(o.match_hits(500, None), None);
    }

    #[test]
    fn deprovisioning_never_deletes_users() {
        let o = okta(&[]);
        for why in [
            Deprovision::Unassigned,
            Deprovision::Disabled,
            Deprovision::SoftDeleted,
            Deprovision::Purged,
        ] {
            assert_eq!(
                o.deprovision(why),
                DeprovisionAction::Disable {
                    stays_managed: true
                }
            );
        }
    }

    #[test]
    fn scheduling_probe_and_unsupported_steps() {
        let o = okta(&[]);
        assert_eq!(o.scheduling(), Scheduling::Events);
        assert!(!o.probe_each_cycle());
        assert!(!o.supports(&Step::ProvisionOnDemand("a".into())));
        assert!(!o.supports(&Step::Restart(
            crate::scenario::model::RestartKind::KeepLinks
        )));
        assert!(o.supports(&Step::DisableUser("a".into())));
        assert_eq!(o.set_manager("u1", "u2", false), None);
    }

    #[test]
    fn options_are_parsed_and_unknown_ones_rejected() {
        assert_eq!(
            okta(&[("integration", "AIW")]).integration,
            Integration::Aiw
        );
        assert!(!okta(&[("push_group_rename", "false")]).push_group_rename);
        let bad = |k: &str, v: &str| {
            Okta::from_options(&BTreeMap::from([(k.to_string(), v.to_string())]))
        };
        assert!(matches!(
            bad("integration", "scim"),
            Err(ProfileError::BadOption { .. })
        ));
        assert!(matches!(
            bad("push_group_rename", "yes"),
            Err(ProfileError::BadOption { .. })
        ));
        assert_eq!(okta(&[]).member_push, MemberPush::Delta);
        assert_eq!(okta(&[]).member_batch, 1000);
        assert_eq!(
            okta(&[("member_push", "replace")]).member_push,
            MemberPush::Replace
        );
        assert_eq!(okta(&[("member_batch", "50")]).member_batch, 50);
        for (k, v) in [("member_push", "full"), ("member_batch", "0")] {
            assert!(matches!(bad(k, v), Err(ProfileError::BadOption { .. })));
        }
        assert!(matches!(
            bad("patch_dialect", "x"),
            Err(ProfileError::UnknownOption {
                profile: "okta",
                ..
            })
        ));
    }
}
