//! The user operations of one cycle through the IdP's worker pool (PingFederate's Max Threads,
//! idp-behavior.md PF-19): each user's pass (purge, or scope-match-create-update-deprovision)
//! sends its requests reading the connector store only, and records what it would change;
//! the changes are applied to the store once the passes are over. With one worker the passes
//! run one after another, each applied before the next starts, as a sequential IdP does.
//! This module never decides what a pass sends: that is `users.rs`.

use futures::stream::{self, StreamExt};
use serde_json::Value;
use uuid::Uuid;

use super::log::LogRecord;
use super::{CycleReport, Engine, Link, TARGET_ALREADY_LINKED};
use crate::idp::{Purge, Tenant};

/// What one user's pass did: its log records and request counts, and the changes to the
/// connector store it asks for, in the order a sequential pass would have made them.
#[derive(Debug)]
pub(super) struct UserPass {
    pub(super) report: CycleReport,
    changes: Vec<Change>,
}

/// A change to the connector store a pass asks for.
#[derive(Debug)]
enum Change {
    /// The link as the pass leaves it; `matched`: first made by adopting a matched target
    /// user, so it must not collide with a link another pass made meanwhile.
    Link {
        object_id: Uuid,
        link: Link,
        matched: bool,
    },
    Unlink(Uuid),
    Escrow(String),
    Unescrow(String),
    /// The user was exported, and the manager id its target record names: all that
    /// reference resolution reads of it (the whole record, kept for 100,000 users, would be
    /// hundreds of megabytes).
    Exported(String, Option<String>),
}

impl UserPass {
    pub(super) fn new(cycle_id: u32) -> Self {
        UserPass {
            report: CycleReport {
                cycle_id,
                ..CycleReport::default()
            },
            changes: Vec::new(),
        }
    }

    pub(super) fn link(&mut self, object_id: Uuid, link: Link, matched: bool) {
        self.changes.push(Change::Link {
            object_id,
            link,
            matched,
        });
    }

    pub(super) fn unlink(&mut self, object_id: Uuid) {
        self.changes.push(Change::Unlink(object_id));
    }

    pub(super) fn escrow(&mut self, user: &str) {
        self.changes.push(Change::Escrow(user.to_string()));
    }

    pub(super) fn unescrow(&mut self, user: &str) {
        self.changes.push(Change::Unescrow(user.to_string()));
    }

    pub(super) fn exported(&mut self, user: &str, current: &Value) {
        let manager = super::references::manager_of(current);
        self.changes
            .push(Change::Exported(user.to_string(), manager));
    }

    pub(super) fn push(&mut self, rec: LogRecord) {
        self.report.records.push(rec);
    }
}

/// One user operation of a cycle.
#[derive(Debug, Clone, Copy)]
pub(super) enum UserOp<'t> {
    /// A user permanently deleted in the source.
    Purge(&'t Purge),
    /// A user in the cycle: created, updated, disabled or deleted as its scope says.
    User(&'t str),
}

impl Engine<'_> {
    /// Runs `ops` through the profile's worker pool and applies their changes. Under
    /// several workers no order holds between users (PF-19, "no ordering guarantee"); the
    /// log records still come in `ops` order, so a report reads the same whichever request
    /// finished first.
    pub(super) async fn user_ops(
        &mut self,
        tenant: &Tenant,
        ops: &[UserOp<'_>],
        report: &mut CycleReport,
    ) {
        let workers = self.profile.worker_threads().max(1);
        if workers == 1 {
            for op in ops {
                // A failure of the whole endpoint (E-65) stops the cycle's remaining users.
                if self.has_global_failure() {
                    break;
                }
                let pass = self.user_op(tenant, *op, report.cycle_id).await;
                self.apply(pass, report);
                self.progress.done(1);
            }
            return;
        }
        let cycle_id = report.cycle_id;
        let this = &*self;
        let mut passes: Vec<(usize, UserPass)> = stream::iter(ops.iter().enumerate())
            .map(|(i, op)| async move {
                if this.has_global_failure() {
                    return (i, UserPass::new(cycle_id));
                }
                let pass = this.user_op(tenant, *op, cycle_id).await;
                this.progress.done(1);
                (i, pass)
            })
            .buffer_unordered(workers)
            .collect()
            .await;
        passes.sort_by_key(|(i, _)| *i);
        for (_, pass) in passes {
            self.apply(pass, report);
        }
    }

    async fn user_op(&self, tenant: &Tenant, op: UserOp<'_>, cycle_id: u32) -> UserPass {
        let mut pass = UserPass::new(cycle_id);
        match op {
            UserOp::Purge(p) => self.user_purge_pass(&p.user, p.object_id, &mut pass).await,
            UserOp::User(user) => {
                self.wait_for_escrow(user).await;
                self.user_pass(tenant, user, &mut pass).await;
            }
        }
        pass
    }

    /// A user through one pass, applied at once: outside a cycle's pool (provision on demand).
    pub(super) async fn process_user(
        &mut self,
        tenant: &Tenant,
        user_ref: &str,
        report: &mut CycleReport,
    ) {
        let mut pass = UserPass::new(report.cycle_id);
        self.user_pass(tenant, user_ref, &mut pass).await;
        self.apply(pass, report);
    }

    /// Applies a pass's changes in the order it asked for them, and merges its log.
    /// A link made by matching that collides with one another pass made meanwhile (two
    /// source users matched the same target user concurrently) is refused as a sequential
    /// pass would have refused it, and the user's record says so.
    pub(super) fn apply(&mut self, pass: UserPass, report: &mut CycleReport) {
        let UserPass {
            report: mut own,
            changes,
        } = pass;
        for change in changes {
            match change {
                Change::Link {
                    object_id,
                    link,
                    matched,
                } => {
                    let other = matched
                        .then(|| self.linked_elsewhere(&link.target_id, object_id))
                        .flatten();
                    match other {
                        Some(other) => {
                            if let Some(rec) = own.records.pop() {
                                own.records.push(rec.failed(
                                    TARGET_ALREADY_LINKED,
                                    format!(
                                        "target user {} already belongs to source object `{other}`",
                                        link.target_id
                                    ),
                                ));
                            }
                            // The rest of this pass's changes build on a link that is refused.
                            break;
                        }
                        None => {
                            self.links.insert(object_id, link);
                        }
                    }
                }
                Change::Unlink(object_id) => {
                    self.links.remove(&object_id);
                }
                Change::Escrow(user) => self.escrow.insert(&user, own.cycle_id),
                Change::Unescrow(user) => self.escrow.remove(&user),
                Change::Exported(user, manager) => {
                    self.exported.insert(user, manager);
                }
            }
        }
        for (verb, n) in own.requests {
            *report.requests.entry(verb).or_default() += n;
        }
        report.records.extend(own.records);
        report.warnings.extend(own.warnings);
    }
}
