//! One user through a cycle, as Entra processes it (idp-behavior.md §1.3, §1.4, §1.6): scope,
//! anchor or matching query, create or read-diff-update (Okta and Ping: diff against their own
//! record, read only to build a PUT), and disable. Never re-creates a linked user that vanished
//! (`InvalidAnchor`). A user deleted for good in the source is `user_purge`'s.

use std::borrow::Cow;

use serde_json::Value;
use uuid::Uuid;

use super::links::Kind;
use super::log::{Action, LogRecord, StepType};
use super::matching::{collection_404, Unmatched};
use super::{
    created_id, Engine, LastSent, Link, Sent, UserPass, INCOMPATIBLE, SWITCHED_OFF,
    TARGET_ALREADY_LINKED,
};
use crate::idp::{NotEntitled, Tenant};
use crate::profile::{
    Before, Deprovision, DeprovisionAction, DesiredUser, DiffSource, ExistingUser,
    ModifiedProperty, UserWrite, Verb,
};

/// The skip reason of a matched user the profile leaves alone (`ExistingUser::Leave`).
pub const EXISTING_USER_LEFT: &str = "ExistingUserNotOverwritten";

/// The record of a pass whose IdP found its own record of the user (`name`) unchanged.
fn own_record_unchanged(mut rec: LogRecord, name: &str) -> LogRecord {
    rec.step(StepType::Export, true, [name, " is unchanged"].concat());
    rec.skipped(
        "RedundantExport",
        [name, " is unchanged; nothing sent"].concat(),
    )
}

/// The profile-facing reason for a lost entitlement.
fn reason(why: NotEntitled) -> Deprovision {
    match why {
        NotEntitled::NotAssigned | NotEntitled::ScopingFilter => Deprovision::Unassigned,
        NotEntitled::Disabled => Deprovision::Disabled,
        NotEntitled::SoftDeleted => Deprovision::SoftDeleted,
    }
}

impl Engine<'_> {
    /// What an IdP with its own record of the user (`before`) plans before any read: `None`
    /// when it has nothing to send, else whether its write needs the target's user first. It
    /// reads only to build a whole-object write (Okta's merged PUT, O-13; Ping's PUT), never
    /// for a PATCH such as Okta's (de)activation (O-20, O-24).
    pub(super) fn planned_read(
        &self,
        target_id: &str,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<bool> {
        self.profile
            .update_user(target_id, &Value::Null, desired, before)
            .map(|planned| planned.request.verb == Verb::Put)
    }

    /// Whether processing this user this cycle would disable or delete it on the target:
    /// what the accidental-deletion threshold counts (§1.6).
    pub(super) fn would_deprovision(&self, tenant: &Tenant, user_ref: &str) -> bool {
        let Some(user) = tenant.user(user_ref) else {
            return false;
        };
        let managed = self.links.get(&user.object_id).is_some_and(|l| l.managed);
        match tenant.entitlement(user_ref) {
            Ok(()) => false,
            Err(NotEntitled::NotAssigned | NotEntitled::ScopingFilter)
                if self.job.skip_out_of_scope_deletions =>
            {
                false
            }
            Err(why) => {
                managed
                    && self.profile.deprovision(reason(why)) != DeprovisionAction::Nothing
                    && self.profile.switched_off(UserWrite::Deprovision).is_none()
            }
        }
    }

    /// One user's pass: reads the connector store, sends, and records in `pass` what the
    /// store must change; `pool.rs` applies it.
    pub(super) async fn user_pass(&self, tenant: &Tenant, user_ref: &str, pass: &mut UserPass) {
        let Some(user) = tenant.user(user_ref) else {
            return;
        };
        let entitlement = tenant.entitlement(user_ref);
        let mut rec = LogRecord::new(
            pass.report.cycle_id,
            user_ref,
            LogRecord::source_identity(user.object_id),
        );
        rec.step(StepType::Import, true, "retrieved the user from the source");
        let link = self.links.get(&user.object_id).cloned();
        let in_scope_text: Cow<'static, str> = match entitlement {
            Ok(()) => "effectively entitled".into(),
            Err(NotEntitled::NotAssigned) => {
                "not assigned to the application (IsInProvisioningScope false)".into()
            }
            Err(NotEntitled::ScopingFilter) => format!(
                "the scoping filter does not hold (IsInProvisioningScope false): {}",
                tenant.scoping_filter_text()
            )
            .into(),
            Err(NotEntitled::Disabled) => "accountEnabled is false (IsActive false)".into(),
            Err(NotEntitled::SoftDeleted) => {
                "soft-deleted in the source (IsSoftDeleted true)".into()
            }
        };
        rec.step(
            StepType::Scoping,
            entitlement.is_ok(),
            in_scope_text.clone(),
        );
        let out_of_scope = matches!(
            entitlement,
            Err(NotEntitled::NotAssigned | NotEntitled::ScopingFilter)
        );

        // "Provision Disabled Users" (PF-3, P1-3): a disabled user is created inactive.
        let created_disabled =
            entitlement == Err(NotEntitled::Disabled) && self.profile.provisions_disabled_users();
        if link.is_none() && entitlement.is_err() && !created_disabled {
            // Disabled or unassigned users are never created (§1.6). Told before the mapping
            // runs: an event-driven IdP passes over every unassigned user at each change.
            pass.push(rec.skipped(
                "NotEffectivelyEntitled",
                format!("the user will be skipped: it does not have required entitlement for provisioning ({in_scope_text})"),
            ));
            pass.unescrow(user_ref);
            return;
        }
        let desired = self
            .profile
            .desired_user(user, &self.prefix, entitlement.is_ok());

        // The link as this pass holds it: what the connector store will hold once it is applied.
        let mut linked = match link {
            None => {
                let found = match self.match_user(&desired, &mut rec, &mut pass.report).await {
                    Ok(found) => found,
                    Err(Unmatched::Recorded) => return pass.push(rec),
                    Err(Unmatched::Failed(outcome)) => {
                        return self.fail_in_pass(rec, user_ref, *outcome, pass)
                    }
                };
                let (ids, by) = (found.ids, found.by);
                match ids.as_slice() {
                    [] => {
                        rec.step(StepType::Matching, true, "no matching user on the target");
                        rec.provisioning_action = Action::Create;
                        if let Some(setting) = self.profile.switched_off(UserWrite::Create) {
                            pass.unescrow(user_ref);
                            return pass.push(switched_off(
                                rec,
                                setting,
                                "create",
                                self.profile.name(),
                            ));
                        }
                        let req = self.profile.create_user(&desired);
                        let pending = self.sending_create("Users", &req, desired.user_name());
                        let created = match self.send(&req, &mut pass.report).await {
                            Sent::Answer(r) if r.status == 201 || r.status == 200 => r,
                            Sent::Answer(r) if r.status == 404 => {
                                return pass.push(rec.failed(INCOMPATIBLE, collection_404(&req)))
                            }
                            outcome => return self.fail_in_pass(rec, user_ref, outcome, pass),
                        };
                        let id = match created_id(&req, &created) {
                            Ok(id) => id,
                            Err(finding) => return pass.push(rec.failed(INCOMPATIBLE, finding)),
                        };
                        self.created_resolves(pending, &id);
                        rec.target_identity = Some(id.clone());
                        rec.step(
                            StepType::Export,
                            true,
                            format!("POST answered {}", created.status),
                        );
                        let mut link = Link::new(&id, user_ref);
                        link.last_desired = Some(LastSent::pack(&desired));
                        // The record takes the values sent: nothing reads `desired` after this.
                        rec.modified_properties = desired
                            .attrs
                            .into_iter()
                            .map(|(p, v)| ModifiedProperty {
                                name: p.into(),
                                old: None,
                                new: Some(v),
                            })
                            .collect();
                        pass.link(user.object_id, link, false);
                        pass.unescrow(user_ref);
                        pass.exported(user_ref, created.body.as_deref().unwrap_or(&Value::Null));
                        pass.push(rec);
                        return;
                    }
                    [id] => {
                        if let Some(other) = self.linked_elsewhere(Kind::User, id, user.object_id) {
                            pass.push(rec.failed(
                                TARGET_ALREADY_LINKED,
                                format!(
                                    "target user {id} already belongs to source object `{other}`"
                                ),
                            ));
                            return;
                        }
                        rec.step(
                            StepType::Matching,
                            true,
                            format!("matched target user {id} by {by}"),
                        );
                        if self.profile.existing_user() == ExistingUser::Leave {
                            // CyberArk "no overwrite" (CA-7): logged, not linked, not written.
                            pass.unescrow(user_ref);
                            return pass.push(rec.skipped(
                                EXISTING_USER_LEFT,
                                format!(
                                    "target user {id} already has this userName; {} is set not to overwrite existing users, so it is left as it is",
                                    self.profile.name()
                                ),
                            ));
                        }
                        // Linked at once: a write that fails below leaves the link in place.
                        let link = Link::new(id, user_ref);
                        pass.link(user.object_id, link.clone(), true);
                        link
                    }
                    many => {
                        pass.push(rec.failed(
                            "DuplicateTargetEntries",
                            format!("{} target users match {by}", many.len()),
                        ));
                        return;
                    }
                }
            }
            Some(mut link) if !link.managed => {
                if entitlement.is_err() {
                    pass.push(rec.skipped(
                        "NotEffectivelyEntitled",
                        format!("the user is no longer managed ({in_scope_text}); nothing sent"),
                    ));
                    return;
                }
                link.managed = true;
                pass.link(user.object_id, link.clone(), false);
                link
            }
            Some(_) if out_of_scope && self.job.skip_out_of_scope_deletions => {
                // SkipOutOfScopeDeletions: the account is left as it is (§1.6).
                pass.push(rec.skipped(
                    "SkipOutOfScopeDeletions",
                    format!("out of scope ({in_scope_text}); SkipOutOfScopeDeletions leaves the account as it is"),
                ));
                return;
            }
            Some(_) if entitlement.is_err() && self.held.contains(user_ref) => {
                rec.provisioning_action = Action::Disable;
                return pass.push(staged(rec));
            }
            Some(link) => link,
        };
        let target_id = linked.target_id.clone();
        let action = match entitlement {
            Ok(()) => None,
            Err(why) => Some(self.profile.deprovision(reason(why))),
        };
        if let (
            Some(DeprovisionAction::Disable { .. } | DeprovisionAction::Delete),
            Some(setting),
        ) = (action, self.profile.switched_off(UserWrite::Deprovision))
        {
            rec.target_identity = Some(target_id);
            rec.provisioning_action = match action {
                Some(DeprovisionAction::Delete) => Action::Delete,
                _ => Action::Disable,
            };
            pass.unescrow(user_ref);
            return pass.push(switched_off(
                rec,
                setting,
                "deprovision",
                self.profile.name(),
            ));
        }
        match action {
            Some(DeprovisionAction::Nothing) => {
                return pass.push(rec.skipped(
                    "NotEffectivelyEntitled",
                    format!(
                        "{in_scope_text}; {} leaves the account as it is",
                        self.profile.name()
                    ),
                ));
            }
            Some(DeprovisionAction::Delete) => {
                rec.target_identity = Some(target_id.clone());
                rec.provisioning_action = Action::Delete;
                let req = self.profile.delete_user(&target_id);
                return match self.send(&req, &mut pass.report).await {
                    Sent::Answer(r) if r.is_success() || r.status == 404 => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("DELETE answered {}", r.status),
                        );
                        pass.unlink(user.object_id);
                        pass.unescrow(user_ref);
                        pass.push(rec);
                    }
                    outcome => self.fail_in_pass(rec, user_ref, outcome, pass),
                };
            }
            _ => {}
        }
        rec.target_identity = Some(target_id.clone());

        // Linked: diff and update. Entra reads the target and diffs against its answer
        // (E-23); Okta and Ping diff against their own record of what they last sent.
        let source = self.profile.diff_source();
        if let (DiffSource::OwnRecord { name }, Some(last)) = (source, &linked.last_desired) {
            // Its own record is what it would diff against: one equal to what it wants now
            // has nothing to send, told without unpacking the record.
            if last.holds(&desired) {
                pass.unescrow(user_ref);
                return pass.push(own_record_unchanged(rec, name));
            }
        }
        let record = match source {
            DiffSource::Target => None,
            DiffSource::OwnRecord { .. } => Some(
                linked
                    .last_desired
                    .as_ref()
                    .map(LastSent::unpack)
                    .unwrap_or_default(),
            ),
        };
        let before = record.as_ref().map_or(Before::Target, Before::Record);
        // An entitled user's change is an update (reactivation too); a lost entitlement was
        // the deprovision above.
        let update_off = entitlement
            .is_ok()
            .then(|| self.profile.switched_off(UserWrite::Update))
            .flatten();
        let read = match (source, &record) {
            (DiffSource::OwnRecord { name }, Some(_)) => {
                match self.planned_read(&target_id, &desired, before) {
                    None => {
                        pass.unescrow(user_ref);
                        return pass.push(own_record_unchanged(rec, name));
                    }
                    Some(_) if update_off.is_some() => {
                        rec.provisioning_action = Action::Update;
                        pass.unescrow(user_ref);
                        let setting = update_off.unwrap_or_default();
                        return pass.push(switched_off(
                            rec,
                            setting,
                            "update",
                            self.profile.name(),
                        ));
                    }
                    Some(read) => read,
                }
            }
            _ => true,
        };
        let current = if read {
            let req = self.profile.read_user(&target_id);
            match self.send(&req, &mut pass.report).await {
                Sent::Answer(r) if r.status == 200 => r.body.unwrap_or_default(),
                Sent::Answer(r) if r.status == 404 => {
                    // The service does not silently re-create (§1.3).
                    pass.push(rec.failed(
                        "InvalidAnchor",
                        format!(
                            "GET {} answered 404: the linked target user is gone",
                            req.path
                        ),
                    ));
                    return;
                }
                outcome => return self.fail_in_pass(rec, user_ref, outcome, pass),
            }
        } else {
            Default::default()
        };
        let mut pushed = Vec::new();
        match self
            .profile
            .update_user(&target_id, &current, &desired, before)
        {
            None => {
                let (step, reason) = match source {
                    DiffSource::Target => (
                        "the target already matches".to_string(),
                        "the target already matches the source".to_string(),
                    ),
                    DiffSource::OwnRecord { name } => (
                        format!("{name} is unchanged"),
                        format!("{name} is unchanged; nothing sent"),
                    ),
                };
                rec.step(StepType::Export, true, step);
                rec = rec.skipped("RedundantExport", reason);
                pass.unescrow(user_ref);
            }
            Some(_) if update_off.is_some() => {
                rec.provisioning_action = Action::Update;
                pass.unescrow(user_ref);
                let setting = update_off.unwrap_or_default();
                return pass.push(switched_off(rec, setting, "update", self.profile.name()));
            }
            Some(update) => {
                rec.provisioning_action = if entitlement.is_err() {
                    Action::Disable
                } else {
                    Action::Update
                };
                let verb = update.request.verb.as_str();
                match self.send(&update.request, &mut pass.report).await {
                    Sent::Answer(r) if r.is_success() => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("{verb} answered {}", r.status),
                        );
                        pushed.clone_from(&update.modified);
                        pass.unescrow(user_ref);
                    }
                    outcome => return self.fail_in_pass(rec, user_ref, outcome, pass),
                }
                // What the IdP sends after the update (Okta's password sync, O-14).
                for req in self.profile.after_update(&target_id, &update.modified) {
                    match self.send(&req, &mut pass.report).await {
                        Sent::Answer(r) if r.is_success() => rec.step(
                            StepType::Export,
                            true,
                            format!("{} answered {}", req.verb.as_str(), r.status),
                        ),
                        outcome => return self.fail_in_pass(rec, user_ref, outcome, pass),
                    }
                }
                rec.modified_properties = update.modified;
            }
        }
        // Entra: unassigned or scoped out, disabled once, then no longer managed (§1.6).
        if let Some(DeprovisionAction::Disable {
            stays_managed: false,
        }) = action
        {
            linked.managed = false;
        }
        linked.last_desired = Some(LastSent::pack(&match &record {
            // The IdP's record now holds what it pushed, and only that.
            Some(record) => record.after(&pushed, &desired),
            None => desired.clone(),
        }));
        pass.link(user.object_id, linked, false);
        pass.exported(user_ref, &current);
        pass.push(rec);
    }

    /// The source object another link of `kind` already ties `target_id` to, if any.
    pub(super) fn linked_elsewhere(
        &self,
        kind: Kind,
        target_id: &str,
        object_id: Uuid,
    ) -> Option<String> {
        let other = self.links.linked_elsewhere(kind, target_id, object_id)?;
        Some(other.object.clone())
    }
}

/// A user write the IdP's admin switched off: nothing sent, and the log says which setting.
pub(super) fn switched_off(rec: LogRecord, setting: &str, write: &str, idp: &str) -> LogRecord {
    rec.skipped(
        SWITCHED_OFF,
        format!("{setting} is off: {idp} does not {write} users; nothing sent"),
    )
}

/// A disable or delete held back by accidental-deletion prevention (§1.6).
pub(super) fn staged(mut rec: LogRecord) -> LogRecord {
    rec.provisioning_action = super::log::Action::StagedDelete;
    rec.skipped(
        "StagedDelete",
        "held by accidental-deletion prevention: the cycle exceeded the deletion threshold",
    )
}
