//! One user through a cycle, as Entra processes it (idp-behavior.md §1.3, §1.4, §1.6): scope,
//! anchor or matching query, create or read-diff-update (Okta and Ping: diff against their own
//! record, read only to build a PUT), disable, and DELETE on a purge of a still-managed user. Never re-creates a linked user that vanished (`InvalidAnchor`).

use serde_json::Value;
use uuid::Uuid;

use super::log::{Action, LogRecord, StepType};
use super::{
    collection_404, created_id, owned_ids, CycleReport, Engine, Link, Sent, INCOMPATIBLE,
    TARGET_ALREADY_LINKED,
};
use crate::idp::{NotEntitled, Tenant};
use crate::profile::{
    Before, Deprovision, DeprovisionAction, DiffSource, ExistingUser, ModifiedProperty, Verb,
};

/// The skip reason of a matched user the profile leaves alone (`ExistingUser::Leave`).
pub const EXISTING_USER_LEFT: &str = "ExistingUserNotOverwritten";

/// The profile-facing reason for a lost entitlement.
fn reason(why: NotEntitled) -> Deprovision {
    match why {
        NotEntitled::NotAssigned | NotEntitled::ScopingFilter => Deprovision::Unassigned,
        NotEntitled::Disabled => Deprovision::Disabled,
        NotEntitled::SoftDeleted => Deprovision::SoftDeleted,
    }
}

impl Engine<'_> {
    /// A permanently deleted user: DELETE only if still managed (§1.6).
    pub(super) async fn process_user_purge(
        &mut self,
        user: &str,
        object_id: Uuid,
        report: &mut CycleReport,
    ) {
        let Some(link) = self.links.get(&object_id).cloned() else {
            return;
        };
        let mut rec = LogRecord::new(report.cycle_id, user, object_id.to_string());
        rec.step(
            StepType::Import,
            true,
            "the user was permanently deleted in the source",
        );
        rec.target_identity = Some(link.target_id.clone());
        if !link.managed {
            self.links.remove(&object_id);
            report.records.push(rec.skipped(
                "NotEffectivelyEntitled",
                "the user was no longer managed (out of scope before the delete); nothing sent",
            ));
            return;
        }
        let action = self.profile.deprovision(Deprovision::Purged);
        if action == DeprovisionAction::Nothing {
            return report.records.push(rec.skipped(
                "NotEffectivelyEntitled",
                format!(
                    "{} does not deprovision deleted users; nothing sent",
                    self.profile.name()
                ),
            ));
        }
        if self.held.contains(user) {
            rec.provisioning_action = Action::Delete;
            return report.records.push(staged(rec));
        }
        if let DeprovisionAction::Disable { .. } = action {
            rec.provisioning_action = Action::Disable;
            let Some(last) = link.last_desired.clone() else {
                return report.records.push(rec.skipped(
                    "NotEffectivelyEntitled",
                    "nothing was exported for this user; nothing sent",
                ));
            };
            let mut desired = last.clone();
            for (path, value) in desired.attrs.iter_mut() {
                if *path == "active" {
                    *value = Value::Bool(false);
                }
            }
            let req = self.profile.read_user(&link.target_id);
            let current = match self.send(&req, report).await {
                Sent::Answer(r) if r.status == 200 => r.body.unwrap_or(Value::Null),
                outcome => return self.fail(rec, user, outcome, report),
            };
            let before = match self.profile.diff_source() {
                DiffSource::Target => Before::Target,
                DiffSource::OwnRecord { .. } => Before::Record(&last),
            };
            if let Some(update) =
                self.profile
                    .update_user(&link.target_id, &current, &desired, before)
            {
                match self.send(&update.request, report).await {
                    Sent::Answer(r) if r.is_success() => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("{} answered {}", update.request.verb.as_str(), r.status),
                        );
                        rec.modified_properties = update.modified;
                    }
                    outcome => return self.fail(rec, user, outcome, report),
                }
            }
            self.links.remove(&object_id);
            self.escrow.remove(user);
            return report.records.push(rec);
        }
        rec.provisioning_action = Action::Delete;
        let req = self.profile.delete_user(&link.target_id);
        match self.send(&req, report).await {
            Sent::Answer(r) if r.is_success() || r.status == 404 => {
                rec.step(
                    StepType::Export,
                    true,
                    format!("DELETE answered {}", r.status),
                );
                self.links.remove(&object_id);
                self.escrow.remove(user);
                report.records.push(rec);
            }
            outcome => self.fail(rec, user, outcome, report),
        }
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
                managed && self.profile.deprovision(reason(why)) != DeprovisionAction::Nothing
            }
        }
    }

    pub(super) async fn process_user(
        &mut self,
        tenant: &Tenant,
        user_ref: &str,
        report: &mut CycleReport,
    ) {
        let Some(user) = tenant.user(user_ref) else {
            return;
        };
        let entitlement = tenant.entitlement(user_ref);
        let mut rec = LogRecord::new(report.cycle_id, user_ref, user.object_id.to_string());
        rec.step(StepType::Import, true, "retrieved the user from the source");
        let desired = self
            .profile
            .desired_user(user, &self.prefix, entitlement.is_ok());
        let link = self.links.get(&user.object_id).cloned();
        let in_scope_text = match entitlement {
            Ok(()) => "effectively entitled".to_string(),
            Err(NotEntitled::NotAssigned) => {
                "not assigned to the application (IsInProvisioningScope false)".into()
            }
            Err(NotEntitled::ScopingFilter) => format!(
                "the scoping filter does not hold (IsInProvisioningScope false): {}",
                tenant.scoping_filter_text()
            ),
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

        let target_id = match link {
            None => {
                // "Provision Disabled Users" (PF-3, P1-3): a disabled user is created inactive.
                let created_disabled = entitlement == Err(NotEntitled::Disabled)
                    && self.profile.provisions_disabled_users();
                if entitlement.is_err() && !created_disabled {
                    // Disabled or unassigned users are never created (§1.6).
                    report.records.push(rec.skipped(
                        "NotEffectivelyEntitled",
                        format!("the user will be skipped: it does not have required entitlement for provisioning ({in_scope_text})"),
                    ));
                    self.escrow.remove(user_ref);
                    return;
                }
                let req = self.profile.match_user(&desired);
                let (status, hits) = match self.send(&req, report).await {
                    Sent::Answer(r) => match self.profile.match_hits(r.status, r.body.as_ref()) {
                        Some(hits) => (r.status, hits),
                        None if r.status == 404 => {
                            return report
                                .records
                                .push(rec.failed(INCOMPATIBLE, collection_404(&req)))
                        }
                        None => return self.fail(rec, user_ref, Sent::Answer(r), report),
                    },
                    outcome => return self.fail(rec, user_ref, outcome, report),
                };
                let key = self.profile.match_key(&desired);
                let ids = match owned_ids(&req, status, &key, &hits) {
                    Ok(ids) => ids,
                    Err(finding) => {
                        rec.step(StepType::Matching, false, finding.clone());
                        return report.records.push(rec.failed(INCOMPATIBLE, finding));
                    }
                };
                match ids.as_slice() {
                    [] => {
                        rec.step(StepType::Matching, true, "no matching user on the target");
                        rec.provisioning_action = Action::Create;
                        let req = self.profile.create_user(&desired);
                        let pending = self.created.sending("Users", desired.user_name());
                        let created = match self.send(&req, report).await {
                            Sent::Answer(r) if r.status == 201 || r.status == 200 => r,
                            Sent::Answer(r) if r.status == 404 => {
                                return report
                                    .records
                                    .push(rec.failed(INCOMPATIBLE, collection_404(&req)))
                            }
                            outcome => return self.fail(rec, user_ref, outcome, report),
                        };
                        let id = match created_id(&req, &created) {
                            Ok(id) => id,
                            Err(finding) => {
                                return report.records.push(rec.failed(INCOMPATIBLE, finding))
                            }
                        };
                        self.created.resolve(pending, &id);
                        rec.target_identity = Some(id.clone());
                        rec.step(
                            StepType::Export,
                            true,
                            format!("POST answered {}", created.status),
                        );
                        rec.modified_properties = desired
                            .attrs
                            .iter()
                            .map(|(p, v)| ModifiedProperty {
                                name: (*p).to_string(),
                                old: None,
                                new: Some(v.clone()),
                            })
                            .collect();
                        let mut link = Link::new(&id, user_ref);
                        link.last_desired = Some(desired.clone());
                        self.links.insert(user.object_id, link);
                        self.escrow.remove(user_ref);
                        self.exported.insert(
                            user_ref.to_string(),
                            created.body.clone().unwrap_or(Value::Null),
                        );
                        report.records.push(rec);
                        return;
                    }
                    [id] => {
                        if let Some(other) = self.linked_elsewhere(id, user.object_id) {
                            report.records.push(rec.failed(
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
                            format!(
                                "matched target user {id} by {}",
                                key.attribute.as_deref().unwrap_or("the filter")
                            ),
                        );
                        if self.profile.existing_user() == ExistingUser::Leave {
                            // CyberArk "no overwrite" (CA-7): logged, not linked, not written.
                            self.escrow.remove(user_ref);
                            report.records.push(rec.skipped(
                                EXISTING_USER_LEFT,
                                format!(
                                    "target user {id} already has this userName; {} is set not to overwrite existing users, so it is left as it is",
                                    self.profile.name()
                                ),
                            ));
                            return;
                        }
                        self.links.insert(user.object_id, Link::new(id, user_ref));
                        id.clone()
                    }
                    many => {
                        report.records.push(rec.failed(
                            "DuplicateTargetEntries",
                            format!(
                                "{} target users match {}",
                                many.len(),
                                key.attribute.as_deref().unwrap_or("the filter")
                            ),
                        ));
                        return;
                    }
                }
            }
            Some(link) if !link.managed => {
                if entitlement.is_err() {
                    report.records.push(rec.skipped(
                        "NotEffectivelyEntitled",
                        format!("the user is no longer managed ({in_scope_text}); nothing sent"),
                    ));
                    return;
                }
                if let Some(l) = self.links.get_mut(&user.object_id) {
                    l.managed = true;
                }
                link.target_id
            }
            Some(_) if out_of_scope && self.job.skip_out_of_scope_deletions => {
                // SkipOutOfScopeDeletions: the account is left as it is (§1.6).
                report.records.push(rec.skipped(
                    "SkipOutOfScopeDeletions",
                    format!("out of scope ({in_scope_text}); SkipOutOfScopeDeletions leaves the account as it is"),
                ));
                return;
            }
            Some(_) if entitlement.is_err() && self.held.contains(user_ref) => {
                rec.provisioning_action = Action::Disable;
                return report.records.push(staged(rec));
            }
            Some(link) => link.target_id,
        };
        let action = match entitlement {
            Ok(()) => None,
            Err(why) => Some(self.profile.deprovision(reason(why))),
        };
        match action {
            Some(DeprovisionAction::Nothing) => {
                return report.records.push(rec.skipped(
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
                return match self.send(&req, report).await {
                    Sent::Answer(r) if r.is_success() || r.status == 404 => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("DELETE answered {}", r.status),
                        );
                        self.links.remove(&user.object_id);
                        self.escrow.remove(user_ref);
                        report.records.push(rec);
                    }
                    outcome => self.fail(rec, user_ref, outcome, report),
                };
            }
            _ => {}
        }
        rec.target_identity = Some(target_id.clone());

        // Linked: diff and update. Entra reads the target and diffs against its answer
        // (E-23); Okta and Ping diff against their own record of what they last sent.
        let source = self.profile.diff_source();
        let record = match source {
            DiffSource::Target => None,
            DiffSource::OwnRecord { .. } => Some(
                self.links
                    .get(&user.object_id)
                    .and_then(|l| l.last_desired.clone())
                    .unwrap_or_default(),
            ),
        };
        let before = record.as_ref().map_or(Before::Target, Before::Record);
        // With its own record the IdP knows before any read whether it will write; it reads
        // only to build a whole-object write (Okta's merged PUT, O-13; Ping's PUT), never for
        // a PATCH such as Okta's (de)activation (O-20, O-24).
        let read = match (source, &record) {
            (DiffSource::OwnRecord { name }, Some(_)) => {
                match self
                    .profile
                    .update_user(&target_id, &Value::Null, &desired, before)
                {
                    None => {
                        rec.step(StepType::Export, true, format!("{name} is unchanged"));
                        report.records.push(rec.skipped(
                            "RedundantExport",
                            format!("{name} is unchanged; nothing sent"),
                        ));
                        self.escrow.remove(user_ref);
                        return;
                    }
                    Some(planned) => planned.request.verb == Verb::Put,
                }
            }
            _ => true,
        };
        let current = if read {
            let req = self.profile.read_user(&target_id);
            match self.send(&req, report).await {
                Sent::Answer(r) if r.status == 200 => r.body.unwrap_or(Value::Null),
                Sent::Answer(r) if r.status == 404 => {
                    // The service does not silently re-create (§1.3).
                    report.records.push(rec.failed(
                        "InvalidAnchor",
                        format!(
                            "GET {} answered 404: the linked target user is gone",
                            req.path
                        ),
                    ));
                    return;
                }
                outcome => return self.fail(rec, user_ref, outcome, report),
            }
        } else {
            Value::Null
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
                self.escrow.remove(user_ref);
            }
            Some(update) => {
                rec.provisioning_action = if entitlement.is_err() {
                    Action::Disable
                } else {
                    Action::Update
                };
                let verb = update.request.verb.as_str();
                match self.send(&update.request, report).await {
                    Sent::Answer(r) if r.is_success() => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("{verb} answered {}", r.status),
                        );
                        pushed.clone_from(&update.modified);
                        self.escrow.remove(user_ref);
                    }
                    outcome => return self.fail(rec, user_ref, outcome, report),
                }
                // What the IdP sends after the update (Okta's password sync, O-14).
                for req in self.profile.after_update(&target_id, &update.modified) {
                    match self.send(&req, report).await {
                        Sent::Answer(r) if r.is_success() => rec.step(
                            StepType::Export,
                            true,
                            format!("{} answered {}", req.verb.as_str(), r.status),
                        ),
                        outcome => return self.fail(rec, user_ref, outcome, report),
                    }
                }
                rec.modified_properties = update.modified;
            }
        }
        if let Some(l) = self.links.get_mut(&user.object_id) {
            // Entra: unassigned or scoped out, disabled once, then no longer managed (§1.6).
            if let Some(DeprovisionAction::Disable {
                stays_managed: false,
            }) = action
            {
                l.managed = false;
            }
            l.last_desired = Some(match &record {
                // The IdP's record now holds what it pushed, and only that.
                Some(record) => record.after(&pushed, &desired),
                None => desired.clone(),
            });
        }
        self.exported.insert(user_ref.to_string(), current);
        report.records.push(rec);
    }

    /// The source object another link already ties `target_id` to, if any.
    pub(super) fn linked_elsewhere(&self, target_id: &str, object_id: Uuid) -> Option<String> {
        self.links
            .iter()
            .find(|(oid, l)| l.target_id == target_id && **oid != object_id)
            .map(|(_, l)| l.object.clone())
    }
}

/// A disable or delete held back by accidental-deletion prevention (§1.6).
pub(super) fn staged(mut rec: LogRecord) -> LogRecord {
    rec.provisioning_action = super::log::Action::StagedDelete;
    rec.skipped(
        "StagedDelete",
        "held by accidental-deletion prevention: the cycle exceeded the deletion threshold",
    )
}
