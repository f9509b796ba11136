//! What a failed request does to its object (idp-behavior.md §1.3, §1.8, O-12, O-37): a
//! failed log record, and an escrow for a retry in a later cycle, or, for an IdP that does not
//! retry (Okta), an admin task named in the reason. A write preview mode withheld ends its
//! object's processing the same way, with a preview record instead (CA-10). Never sends anything.

use super::log::{error_code_for_status, is_transient, LogRecord};
use super::preview::previewed;
use super::{short, CycleReport, Engine, Sent, UserPass, INCOMPATIBLE};
use crate::client::ClientError;
use crate::profile::PushRetry;

impl Engine<'_> {
    /// A user's request failed: logged, and escrowed or left to the admin as the IdP does.
    pub(super) fn fail(
        &mut self,
        rec: LogRecord,
        user: &str,
        outcome: Sent,
        report: &mut CycleReport,
    ) {
        self.fail_object(rec, user, Kind::User, outcome, report);
    }

    /// A group's request failed.
    pub(super) fn fail_group(
        &mut self,
        rec: LogRecord,
        group: &str,
        outcome: Sent,
        report: &mut CycleReport,
    ) {
        self.fail_object(rec, group, Kind::Group, outcome, report);
    }

    fn fail_object(
        &mut self,
        rec: LogRecord,
        object: &str,
        kind: Kind,
        outcome: Sent,
        report: &mut CycleReport,
    ) {
        let (rec, escrow) = self.failure(rec, object, kind, outcome);
        if escrow {
            self.escrow.insert(object, report.cycle_id);
        }
        report.records.push(rec);
    }

    /// A user's request failed within a pass: the failed record, and the escrow as a change
    /// the pass asks for.
    pub(super) fn fail_in_pass(
        &self,
        rec: LogRecord,
        user: &str,
        outcome: Sent,
        pass: &mut UserPass,
    ) {
        let (rec, escrow) = self.failure(rec, user, Kind::User, outcome);
        if escrow {
            pass.escrow(user);
        }
        pass.push(rec);
    }

    /// A group's request failed within a pass (PF-19's pool runs group operations too).
    pub(super) fn fail_group_in_pass(
        &self,
        rec: LogRecord,
        group: &str,
        outcome: Sent,
        pass: &mut UserPass,
    ) {
        let (rec, escrow) = self.failure(rec, group, Kind::Group, outcome);
        if escrow {
            pass.escrow(group);
        }
        pass.push(rec);
    }

    /// The failed record for an object's request, and whether the object is escrowed for a
    /// retry in a later cycle or left to the admin as the IdP does.
    fn failure(
        &self,
        rec: LogRecord,
        object: &str,
        kind: Kind,
        outcome: Sent,
    ) -> (LogRecord, bool) {
        let escrows = matches!(self.profile.transient_retry().pushes, PushRetry::Escrow(_));
        let escrow;
        let mut rec = match outcome {
            // Not a failure: preview mode withheld the write; nothing to retry or hand over.
            Sent::Preview(req) => return (previewed(rec, vec![req]), false),
            Sent::Answer(r) => {
                // Transient faults and conflicts are escrowed and retried later (§1.3, §1.8).
                escrow = escrows
                    && (is_transient(r.status)
                        || (r.status == 409 && self.profile.retries_conflicts()));
                rec.failed(
                    error_code_for_status(r.status),
                    format!("HTTP {}: {}", r.status, short(&r.text())),
                )
            }
            Sent::Transport(e) | Sent::Unsent(e) => {
                escrow = escrows;
                // A redirect or an oversized answer is how the server is built, not a passing
                // fault: retried like any failure, but never settled as transient.
                let code = match e {
                    ClientError::Timeout { .. } => "Timeout",
                    ClientError::Redirected { .. } | ClientError::BodyTooLarge { .. } => {
                        INCOMPATIBLE
                    }
                    _ => "WebExceptionProtocolError",
                };
                rec.failed(code, e.to_string())
            }
        };
        if !escrows {
            // Okta (O-12, O-37): the failure becomes a task for the admin; nothing retries it.
            let task = match kind {
                Kind::User => format!(
                    "raises an admin task (\"Automatic provisioning of user {object} to app {OKTA_APP} failed\")"
                ),
                Kind::Group => format!("marks the push of group {object} \"Push failed\" (an admin task)"),
            };
            let reason = rec.reason.take().unwrap_or_default();
            rec.reason = Some(format!(
                "{reason}; {} {task} and does not retry; an admin must retry it",
                self.profile.transient_retry().idp
            ));
        }
        (rec, escrow)
    }
}

/// What a failed object is, for the admin task that names it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    User,
    Group,
}

/// How the harness's target app is named in the Okta admin tasks it imitates.
const OKTA_APP: &str = "SCIM app";
