//! The user and group operations of one cycle through the IdP's worker pool (PingFederate's
//! Max Threads, idp-behavior.md PF-19): each object's pass (a user's purge or
//! scope-match-create-update-deprovision; a group's purge or match-create-rename-delete)
//! sends its requests reading the connector store only, and records what it would change;
//! the changes are applied to the store once the passes are over. With one worker the passes
//! run one after another, each applied before the next starts, as a sequential IdP does.
//! This module never decides what a pass sends: that is `users.rs` and `groups.rs`.

use futures::stream::{self, StreamExt};
use serde_json::Value;
use uuid::Uuid;

use super::deadline::within_record;
use super::links::Kind;
use super::log::LogRecord;
use super::{CycleReport, Engine, Link, TARGET_ALREADY_LINKED};
use crate::idp::{Purge, Tenant};

/// What one object's pass did: its log records and request counts, and the changes to the
/// connector store it asks for, in the order a sequential pass would have made them.
#[derive(Debug)]
pub(super) struct Pass {
    pub(super) report: CycleReport,
    changes: Vec<Change>,
    /// A user's or a group's: which links its own are among, and how the record of a link
    /// refused at apply time names it.
    kind: Kind,
    /// A linked group's record, handed on to the membership phase with the group's ref.
    handed_on: Option<(String, LogRecord)>,
}

/// A user's pass: the name `users.rs` and `failure.rs` speak.
pub(super) type UserPass = Pass;

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

impl Pass {
    /// A user's pass.
    pub(super) fn new(cycle_id: u32) -> Self {
        Pass {
            report: CycleReport {
                cycle_id,
                ..CycleReport::default()
            },
            changes: Vec::new(),
            kind: Kind::User,
            handed_on: None,
        }
    }

    /// A group's pass.
    pub(super) fn for_group(cycle_id: u32) -> Self {
        Pass {
            kind: Kind::Group,
            ..Pass::new(cycle_id)
        }
    }

    /// The record of a linked group, which the membership phase completes and logs.
    pub(super) fn hand_on(&mut self, group_ref: &str, rec: LogRecord) {
        self.handed_on = Some((group_ref.to_string(), rec));
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

/// How many finished records a cycle holds before it hands them to the run's log.
const SPILL_BATCH: usize = 1_000;

/// One user or group operation of a cycle.
#[derive(Debug, Clone, Copy)]
pub(super) enum Op<'t> {
    /// A user permanently deleted in the source.
    UserPurge(&'t Purge),
    /// A user in the cycle: created, updated, disabled or deleted as its scope says.
    User(&'t str),
    /// A group deleted in the source.
    GroupPurge(&'t Purge),
    /// A group in the cycle: matched or created, renamed, or deleted when out of scope.
    Group(&'t str),
}

impl Op<'_> {
    /// Whether a failure of the whole endpoint (E-65) met earlier in the cycle stops this
    /// operation. A group deleted in the source is still deleted, as before the pool.
    fn stops_at_global_failure(self) -> bool {
        !matches!(self, Op::GroupPurge(_))
    }
}

impl Engine<'_> {
    /// Runs `ops` through the profile's worker pool and applies their changes. Under
    /// several workers no order holds between objects (PF-19, "no ordering guarantee"); the
    /// log records still come in `ops` order, so a report reads the same whichever request
    /// finished first. Returns the records of the linked groups, in `ops` order, for the
    /// membership phase.
    pub(super) async fn run_ops(
        &mut self,
        tenant: &Tenant,
        ops: &[Op<'_>],
        report: &mut CycleReport,
    ) -> Vec<(String, LogRecord)> {
        let workers = self.profile.worker_threads().max(1);
        let mut handed_on = Vec::new();
        if workers == 1 {
            for op in ops {
                // A failure of the whole endpoint (E-65) stops the cycle's remaining objects.
                if op.stops_at_global_failure() && self.has_global_failure() {
                    break;
                }
                let pass = self.op(tenant, *op, report.cycle_id).await;
                handed_on.extend(self.apply(pass, report));
                self.spill_finished(tenant, report);
                self.progress.done(1);
            }
            return handed_on;
        }
        let cycle_id = report.cycle_id;
        let this = &*self;
        // Boxed as a `Send` stream: the closure's borrowed arguments otherwise make rustc
        // fail to prove the cycle's future `Send` ("FnOnce is not general enough",
        // rust-lang/rust#64552), and the CLI runs the whole run on a runtime worker.
        let window: futures::stream::BoxStream<'_, (usize, Pass)> =
            stream::iter(ops.iter().enumerate())
                .map(|(i, op)| async move {
                    if op.stops_at_global_failure() && this.has_global_failure() {
                        return (i, Pass::new(cycle_id));
                    }
                    let pass = this.op(tenant, *op, cycle_id).await;
                    this.progress.done(1);
                    (i, pass)
                })
                .buffer_unordered(workers)
                .boxed();
        let mut passes: Vec<(usize, Pass)> = window.collect().await;
        passes.sort_by_key(|(i, _)| *i);
        for (_, pass) in passes {
            handed_on.extend(self.apply(pass, report));
            self.spill_finished(tenant, report);
        }
        handed_on
    }

    /// Hands the cycle's finished records to the run's log once `SPILL_BATCH` have piled up:
    /// the longest run of them from the start that nothing later in the cycle amends, so the
    /// log keeps its order. A failure stays (the run and the quarantine judge it from the
    /// report), and so does a user's record that reference resolution may add its manager
    /// step to; everything after them waits with them.
    pub(super) fn spill_finished(&self, tenant: &Tenant, report: &mut CycleReport) {
        let Some(log) = &self.log_spill else { return };
        if report.records.len() < SPILL_BATCH {
            return;
        }
        let done = report
            .records
            .iter()
            .take_while(|r| {
                r.status != crate::scenario::model::Status::Failure
                    && !self.awaits_reference_resolution(tenant, &r.object)
            })
            .count();
        if done > 0 {
            log.extend(report.records.drain(..done));
            report.spilled += done as u64;
        }
    }

    /// One object's pass; with a record timeout (PF-20) the pass, not each of its requests,
    /// is what the timeout bounds. The escrow's wait comes before the budget starts.
    async fn op(&self, tenant: &Tenant, op: Op<'_>, cycle_id: u32) -> Pass {
        let budget = self.job.record_timeout;
        match op {
            Op::UserPurge(p) => {
                let mut pass = Pass::new(cycle_id);
                within_record(
                    budget,
                    self.user_purge_pass(&p.user, p.object_id, &mut pass),
                )
                .await;
                pass
            }
            Op::User(user) => {
                let mut pass = Pass::new(cycle_id);
                self.wait_for_escrow(user).await;
                within_record(budget, self.user_pass(tenant, user, &mut pass)).await;
                pass
            }
            Op::GroupPurge(p) => {
                let mut pass = Pass::for_group(cycle_id);
                within_record(
                    budget,
                    self.group_purge_pass(&p.user, p.object_id, &mut pass),
                )
                .await;
                pass
            }
            Op::Group(group) => {
                let mut pass = Pass::for_group(cycle_id);
                self.wait_for_escrow(group).await;
                within_record(budget, self.group_pass(tenant, group, &mut pass)).await;
                pass
            }
        }
    }

    /// A user through one pass, applied at once: outside a cycle's pool (provision on demand).
    pub(super) async fn process_user(
        &mut self,
        tenant: &Tenant,
        user_ref: &str,
        report: &mut CycleReport,
    ) {
        let mut pass = Pass::new(report.cycle_id);
        self.user_pass(tenant, user_ref, &mut pass).await;
        self.apply(pass, report);
    }

    /// A group through one pass, applied at once: outside a cycle's pool (provision on
    /// demand). The record to which the membership phase adds, if the group is linked.
    pub(super) async fn process_group(
        &mut self,
        tenant: &Tenant,
        group_ref: &str,
        report: &mut CycleReport,
    ) -> Option<LogRecord> {
        let mut pass = Pass::for_group(report.cycle_id);
        self.group_pass(tenant, group_ref, &mut pass).await;
        self.apply(pass, report).map(|(_, rec)| rec)
    }

    /// Applies a pass's changes in the order it asked for them, and merges its log.
    /// A link made by matching that collides with one another pass made meanwhile (two
    /// source objects matched the same target object concurrently) is refused as a
    /// sequential pass would have refused it, and the object's record says so. Returns a
    /// linked group's record for the membership phase, unless its link was refused.
    pub(super) fn apply(
        &mut self,
        pass: Pass,
        report: &mut CycleReport,
    ) -> Option<(String, LogRecord)> {
        let Pass {
            report: mut own,
            changes,
            kind,
            mut handed_on,
        } = pass;
        for change in changes {
            match change {
                Change::Link {
                    object_id,
                    link,
                    matched,
                } => {
                    let other = matched
                        .then(|| self.linked_elsewhere(kind, &link.target_id, object_id))
                        .flatten();
                    match other {
                        Some(other) => {
                            // A group's record is the one handed on; a user's, its last.
                            let rec = match handed_on.take() {
                                Some((_, rec)) => Some(rec),
                                None => own.records.pop(),
                            };
                            if let Some(rec) = rec {
                                own.records.push(rec.failed(
                                    TARGET_ALREADY_LINKED,
                                    format!(
                                        "target {} {} already belongs to source object `{other}`",
                                        kind.noun(),
                                        link.target_id
                                    ),
                                ));
                            }
                            // The rest of this pass's changes build on a link that is refused.
                            break;
                        }
                        None => {
                            self.links.insert(kind, object_id, link);
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
        handed_on
    }
}
