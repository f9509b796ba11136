//! Reference resolution (idp-behavior.md §1.5): after users are created or updated, the
//! manager is written in a separate PATCH, and only when the manager itself is provisioned;
//! otherwise it stays unset until provisioning is restarted (E-31), even if a later cycle
//! touches the user. A manager removed in the source is cleared in its own PATCH (E-34).

use serde_json::Value;

use super::log::StepType;
use super::{CycleReport, Engine, Sent};
use crate::idp::Tenant;
use crate::profile::ModifiedProperty;
use crate::scenario::model::UserAttr;
use crate::scim::urn;

impl Engine<'_> {
    pub(super) async fn resolve_references(&mut self, tenant: &Tenant, report: &mut CycleReport) {
        let exported = std::mem::take(&mut self.exported);
        for (user_ref, have) in exported {
            let Some(user) = tenant.user(&user_ref) else {
                continue;
            };
            let Some(user_id) = self.links.get(&user.object_id).map(|l| l.target_id.clone()) else {
                continue;
            };
            let Some(manager_ref) = user.text(UserAttr::Manager) else {
                // Removed in the source while the target still names one (E-34).
                if let Some(old) = have {
                    let rec_index = record_of(report, &user_ref);
                    self.clear_manager(&user_ref, &user_id, old, rec_index, report)
                        .await;
                }
                continue;
            };
            // Looked up only for a user with a manager: a scan per user of a 100,000-user
            // cycle's records would make the pass quadratic.
            let rec_index = record_of(report, &user_ref);
            let manager_id = tenant
                .user(manager_ref)
                .and_then(|m| self.links.get(&m.object_id))
                .map(|l| l.target_id.clone());
            if self.unresolved_managers.get(&user_ref).map(String::as_str) == Some(manager_ref) {
                // Out of scope when the user was processed: only a restart fills it in,
                // even once the manager is provisioned (E-31).
                if let Some(i) = rec_index {
                    report.records[i].step(
                        StepType::ReferenceResolution,
                        false,
                        format!("manager `{manager_ref}` was not provisioned when this user was; the reference stays unset until provisioning is restarted"),
                    );
                }
                continue;
            }
            let Some(manager_id) = manager_id else {
                self.unresolved_managers
                    .insert(user_ref.clone(), manager_ref.to_string());
                if let Some(i) = rec_index {
                    report.records[i].step(
                        StepType::ReferenceResolution,
                        false,
                        format!(
                            "manager `{manager_ref}` is not provisioned; the reference stays unset"
                        ),
                    );
                }
                continue;
            };
            if have.as_deref() == Some(manager_id.as_str()) {
                continue;
            }
            let Some(req) = self.profile.set_manager_at(
                self.client.base(),
                &user_id,
                &manager_id,
                have.is_some(),
            ) else {
                continue;
            };
            let outcome = self.send(&req, report).await;
            let Some(i) = rec_index else {
                continue;
            };
            match outcome {
                Sent::Answer(r) if r.is_success() => {
                    let rec = &mut report.records[i];
                    rec.step(
                        StepType::ReferenceResolution,
                        true,
                        format!("manager written: PATCH answered {}", r.status),
                    );
                    rec.modified_properties.push(ModifiedProperty {
                        name: "manager".into(),
                        old: have.map(Value::String),
                        new: Some(Value::String(manager_id)),
                    });
                }
                outcome => {
                    let rec = report.records.remove(i);
                    self.fail(rec, &user_ref, outcome, report);
                }
            }
        }
    }

    /// Sends the profile's manager removal for a user whose manager was removed in the
    /// source, and logs it on the user's record.
    async fn clear_manager(
        &mut self,
        user_ref: &str,
        user_id: &str,
        old: String,
        rec_index: Option<usize>,
        report: &mut CycleReport,
    ) {
        let Some(req) = self.profile.remove_manager(user_id, &old) else {
            return;
        };
        let outcome = self.send(&req, report).await;
        let Some(i) = rec_index else {
            return;
        };
        match outcome {
            Sent::Answer(r) if r.is_success() => {
                let rec = &mut report.records[i];
                rec.step(
                    StepType::ReferenceResolution,
                    true,
                    format!("manager removed: PATCH answered {}", r.status),
                );
                rec.modified_properties.push(ModifiedProperty {
                    name: "manager".into(),
                    old: Some(Value::String(old)),
                    new: None,
                });
            }
            outcome => {
                let rec = report.records.remove(i);
                self.fail(rec, user_ref, outcome, report);
            }
        }
    }
}

impl Engine<'_> {
    /// Whether reference resolution at the end of this cycle may add a step to `object`'s
    /// record: a user whose source names a manager, or whose target named one when exported.
    pub(super) fn awaits_reference_resolution(&self, tenant: &Tenant, object: &str) -> bool {
        tenant
            .user(object)
            .is_some_and(|u| u.text(UserAttr::Manager).is_some())
            || self.exported.get(object).is_some_and(Option::is_some)
    }
}

/// Where the user's record of this cycle is, to add its reference-resolution step.
fn record_of(report: &CycleReport, user_ref: &str) -> Option<usize> {
    report
        .records
        .iter()
        .rposition(|r| r.object == user_ref && r.cycle_id == report.cycle_id)
}

/// The manager id a target user names (`enterprise:2.0:User:manager`, its `value` or the
/// bare string some servers answer), none when unset or empty.
pub(super) fn manager_of(current: &Value) -> Option<String> {
    current
        .get(urn::ENTERPRISE_USER)
        .and_then(|e| e.get("manager"))
        .and_then(|m| m.get("value").or(Some(m)))
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
}
