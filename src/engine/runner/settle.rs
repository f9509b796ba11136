//! Letting escrow settle before a check: the cycles Entra would run later (40 minutes apart)
//! to retry escrowed objects, and which transient failures were made good by them.

use super::{Run, Stop, SETTLE_CYCLES};
use crate::engine::provisioning_log::LogEntry;
use crate::profile::PushRetry;
use crate::scenario::model::{Status, SyncKind};

impl Run<'_> {
    /// Runs the cycles Entra would run later, until escrow is empty or the bound is reached;
    /// transient faults that then succeeded become warnings.
    pub(super) async fn settle(&mut self) -> Result<(), Stop> {
        self.settle_with(true).await
    }

    /// Whether a failed record was made good later: an IdP that escrows retried it until it
    /// left escrow; one that does not retry (Okta raises an admin task) needs a success
    /// record for the object after it.
    pub(super) fn retried_with_success(&self, failed: &LogEntry) -> bool {
        match self.engine.profile.transient_retry().pushes {
            PushRetry::Escrow(_) => true,
            PushRetry::AdminTask => self.log.with_entries(|log| {
                log.iter().any(|r| {
                    r.object == failed.object
                        && r.cycle_id > failed.cycle_id
                        && r.status == Status::Success
                })
            }),
        }
    }

    /// `strict: false` lets an `expect: log` look at a failure that persists: it is the
    /// expectation that judges it, not the settle.
    pub(super) async fn settle_with(&mut self, strict: bool) -> Result<(), Stop> {
        let mut rounds = 0;
        while !self.engine.escrowed().is_empty() && rounds < SETTLE_CYCLES {
            rounds += 1;
            let judged = self.judge_as_spilled();
            let cycle = self.engine.cycle(&self.tenant, SyncKind::Incremental).await;
            self.take_spilled(judged);
            let report = match cycle {
                Ok(r) => r,
                Err(e) => return Err(self.cycle_failure(e)),
            };
            self.absorb(report, false);
        }
        let escrowed = self.engine.escrowed();
        let pending = std::mem::take(&mut self.unacknowledged);
        let (settled, kept): (Vec<LogEntry>, Vec<LogEntry>) = pending.into_iter().partition(|r| {
            let transient = r.error_code.as_deref().is_some_and(|c| {
                matches!(
                    c,
                    "TooManyRequests"
                        | "InternalServerError"
                        | "Timeout"
                        | "WebExceptionProtocolError"
                )
            });
            transient && !escrowed.contains(&*r.object) && self.retried_with_success(r)
        });
        for r in settled {
            self.warnings.push(format!(
                "{} failed in cycle {} with {} ({}) and succeeded on a later cycle",
                r.object,
                r.cycle_id,
                r.error_code.as_deref().unwrap_or("?"),
                r.reason.as_deref().unwrap_or("")
            ));
        }
        self.unacknowledged = kept;
        let persistent = escrowed.iter().find(|o| !self.acknowledged.contains(*o));
        if let (true, Some(obj)) = (strict, persistent) {
            let last = self.log.with_entries(|log| {
                log.iter().rev().find(|r| *r.object == **obj).map(|r| {
                    format!(
                        "{} ({})",
                        r.error_code.as_deref().unwrap_or("?"),
                        r.reason.as_deref().unwrap_or("")
                    )
                })
            });
            return Err(Stop::Failed(self.failure(format!(
                "{obj} still fails after {SETTLE_CYCLES} more cycles of retries with back-off: {}",
                last.unwrap_or_default()
            ))));
        }
        Ok(())
    }
}
