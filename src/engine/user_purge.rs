//! A user deleted for good in the source (idp-behavior.md §1.6): a DELETE while the user is
//! still managed, or the IdP's deactivation (PingFederate's Disable, OneLogin's Suspend,
//! Okta, which deletes only deactivated users: O-23), or nothing.

use serde_json::Value;
use uuid::Uuid;

use super::log::{Action, LogRecord, StepType};
use super::users::{staged, switched_off};
use super::{Engine, LastSent, Sent, UserPass};
use crate::profile::{Before, Deprovision, DeprovisionAction, DiffSource, UserWrite};

impl Engine<'_> {
    /// A permanently deleted user: DELETE only if still managed (§1.6).
    pub(super) async fn user_purge_pass(&self, user: &str, object_id: Uuid, pass: &mut UserPass) {
        let Some(link) = self.links.get(&object_id).cloned() else {
            return;
        };
        let mut rec = LogRecord::new(
            pass.report.cycle_id,
            user,
            LogRecord::source_identity(object_id),
        );
        rec.step(
            StepType::Import,
            true,
            "the user was permanently deleted in the source",
        );
        rec.target_identity = Some(link.target_id.clone());
        if !link.managed {
            pass.unlink(object_id);
            pass.push(rec.skipped(
                "NotEffectivelyEntitled",
                "the user was no longer managed (out of scope before the delete); nothing sent",
            ));
            return;
        }
        let action = self.profile.deprovision(Deprovision::Purged);
        if action == DeprovisionAction::Nothing {
            return pass.push(rec.skipped(
                "NotEffectivelyEntitled",
                format!(
                    "{} does not deprovision deleted users; nothing sent",
                    self.profile.name()
                ),
            ));
        }
        if let Some(setting) = self.profile.switched_off(UserWrite::Deprovision) {
            // The source object is gone for good: nothing will ever deprovision it.
            pass.unlink(object_id);
            pass.unescrow(user);
            return pass.push(switched_off(
                rec,
                setting,
                "deprovision",
                self.profile.name(),
            ));
        }
        if self.held.contains(user) {
            rec.provisioning_action = Action::Delete;
            return pass.push(staged(rec));
        }
        if let DeprovisionAction::Disable { .. } = action {
            rec.provisioning_action = Action::Disable;
            let Some(last) = link.last_desired.as_ref().map(LastSent::unpack) else {
                return pass.push(rec.skipped(
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
            let before = match self.profile.diff_source() {
                DiffSource::Target => Before::Target,
                DiffSource::OwnRecord { .. } => Before::Record(&last),
            };
            // As for an update (`planned_read`). A user the IdP already deactivated draws
            // nothing at its purge (Okta, O-23), not a read.
            let read = match before {
                Before::Record(_) => match self.planned_read(&link.target_id, &desired, before) {
                    None => {
                        pass.unlink(object_id);
                        pass.unescrow(user);
                        return pass.push(rec.skipped(
                            "RedundantExport",
                            format!(
                                "{} already deactivated the user; nothing sent",
                                self.profile.name()
                            ),
                        ));
                    }
                    Some(read) => read,
                },
                Before::Target => true,
            };
            let current = if read {
                let req = self.profile.read_user(&link.target_id);
                match self.send(&req, &mut pass.report).await {
                    Sent::Answer(r) if r.status == 200 => r.body.unwrap_or_default(),
                    outcome => return self.fail_in_pass(rec, user, outcome, pass),
                }
            } else {
                Default::default()
            };
            if let Some(update) =
                self.profile
                    .update_user(&link.target_id, &current, &desired, before)
            {
                match self.send(&update.request, &mut pass.report).await {
                    Sent::Answer(r) if r.is_success() => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("{} answered {}", update.request.verb.as_str(), r.status),
                        );
                        rec.modified_properties = update.modified;
                    }
                    outcome => return self.fail_in_pass(rec, user, outcome, pass),
                }
            }
            pass.unlink(object_id);
            pass.unescrow(user);
            return pass.push(rec);
        }
        rec.provisioning_action = Action::Delete;
        let req = self.profile.delete_user(&link.target_id);
        match self.send(&req, &mut pass.report).await {
            Sent::Answer(r) if r.is_success() || r.status == 404 => {
                rec.step(
                    StepType::Export,
                    true,
                    format!("DELETE answered {}", r.status),
                );
                pass.unlink(object_id);
                pass.unescrow(user);
                pass.push(rec);
            }
            outcome => self.fail_in_pass(rec, user, outcome, pass),
        }
    }
}
