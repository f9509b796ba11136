//! How the engine's requests reach the target: counted as the target sees them (a write
//! preview mode withholds is not), through the profile's worker pool, no sooner than a
//! `Retry-After` or an escrow's back-off allows, within the record's budget (PF-20), and
//! through the rate limit.

use std::sync::PoisonError;
use std::time::Instant;

use futures::stream::{self, StreamExt};

use super::escrow::retry_after;
use super::log::is_transient;
use super::{deadline, CycleReport, Engine};
use crate::client::{ClientError, FailureKind, Response};
use crate::scim::ScimRequest;

pub(super) enum Sent {
    Answer(Response),
    /// Sent, and the exchange failed on the way: a timeout, a broken connection, a
    /// redirect or an oversized answer. The target may have seen it.
    Transport(ClientError),
    /// Never reached the target: no connection could be made, the token endpoint gave no
    /// token (PF-2), or the record's budget was spent before it (PF-20). Not counted.
    Unsent(ClientError),
    /// A write preview mode withheld (CA-10): not sent, so there is no answer.
    Preview(ScimRequest),
}

impl Sent {
    /// Whether the target saw the request: what a cycle's request counts count.
    pub(super) fn reached_target(&self) -> bool {
        matches!(self, Sent::Answer(_) | Sent::Transport(_))
    }
}

impl Engine<'_> {
    /// A write withheld by preview mode is not counted, nor one that never reached the
    /// target: the counts are what the target saw.
    pub(super) async fn send(&self, req: &ScimRequest, report: &mut CycleReport) -> Sent {
        if self.withholds(req) {
            return Sent::Preview(req.clone());
        }
        let sent = self.exchange(req).await;
        if sent.reached_target() {
            self.count_reached(req, report);
        }
        sent
    }

    /// A request that reached the target, counted once for the cycle report and the
    /// progress listener alike: both count what the target saw.
    pub(super) fn count_reached(&self, req: &ScimRequest, report: &mut CycleReport) {
        *report.requests.entry(req.verb.as_str()).or_default() += 1;
        self.progress.sent(1);
    }

    /// Sends requests through a pool of `parallelism` workers, as an IdP with a worker pool
    /// does: a worker takes the next request as soon as its own is answered (PF-19);
    /// outcomes in request order.
    pub(super) async fn send_all(
        &self,
        requests: &[ScimRequest],
        parallelism: usize,
        report: &mut CycleReport,
    ) -> Vec<Sent> {
        let outcomes = self.exchange_all(requests, parallelism).await;
        for (req, outcome) in requests.iter().zip(&outcomes) {
            if outcome.reached_target() {
                self.count_reached(req, report);
            }
        }
        outcomes
    }

    /// `send_all`'s exchanges, one outcome per request in request order; a write preview
    /// mode withholds is not sent.
    async fn exchange_all(&self, requests: &[ScimRequest], parallelism: usize) -> Vec<Sent> {
        if parallelism <= 1 {
            // In turn, not through `buffer_unordered(1)`: its `FuturesUnordered` wakes its own
            // task after every poll of its one request, a second poll of the cycle per answer.
            let mut out = Vec::with_capacity(requests.len());
            for r in requests {
                out.push(match self.withholds(r) {
                    true => Sent::Preview(r.clone()),
                    false => self.exchange(r).await,
                });
            }
            return out;
        }
        // Boxed as a `Send` stream, like `run_ops`'s window (rust-lang/rust#64552).
        let window: futures::stream::BoxStream<'_, (usize, Sent)> =
            stream::iter(requests.iter().enumerate())
                .map(|(i, r)| async move {
                    if self.withholds(r) {
                        return (i, Sent::Preview(r.clone()));
                    }
                    (i, self.exchange(r).await)
                })
                .buffer_unordered(parallelism.max(1))
                .boxed();
        let mut out: Vec<(usize, Sent)> = window.collect().await;
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, sent)| sent).collect()
    }

    /// Sends one logical request. With `honor_retry_after`, a 429 carrying `Retry-After`
    /// (capped at `RETRY_AFTER_CAP`) is waited out and retried once within the cycle; the
    /// retry is not counted.
    async fn exchange(&self, req: &ScimRequest) -> Sent {
        let first = self.exchange_once(req).await;
        match first {
            Sent::Answer(r)
                if r.status == 429 && r.retry_after.is_some() && self.job.honor_retry_after =>
            {
                // `exchange_once` waits out the Retry-After it just remembered.
                self.exchange_once(req).await
            }
            first => first,
        }
    }

    /// One HTTP exchange, no sooner than the target allows: a `Retry-After` on a transient
    /// answer holds every later request to the target until it has passed.
    pub(super) async fn exchange_once(&self, req: &ScimRequest) -> Sent {
        self.wait_until(self.target_not_before()).await;
        if let Some(rate) = &self.rate {
            rate.acquire().await;
        }
        let budget = deadline::request_budget(self.job.record_timeout);
        let spent = budget == Some(std::time::Duration::ZERO);
        let outcome = if spent {
            // The record's budget is spent: it is left for the next cycle unsent (PF-20).
            let url = format!("{}{}", self.client.base(), req.path);
            Err(ClientError::Timeout {
                url: self.client.redactor().scrub(&url),
                seconds: 0, // named below, with the record's Timeout
            })
        } else {
            self.client.send_within(req, budget).await
        };
        let sent = match (outcome, self.job.record_timeout) {
            (Ok(r), _) => {
                if let (true, Some(seconds)) = (is_transient(r.status), r.retry_after) {
                    let until = Instant::now() + retry_after(seconds);
                    let mut not_before = self
                        .not_before
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    *not_before = Some(not_before.map_or(until, |t| t.max(until)));
                }
                Sent::Answer(r)
            }
            // What ran out is the record's Timeout, not the client's (which the client's
            // error names).
            (Err(ClientError::Timeout { url, .. }), Some(record)) => {
                Sent::Transport(ClientError::Timeout {
                    url,
                    seconds: record.as_secs(),
                })
            }
            (Err(e), _) => Sent::Transport(e),
        };
        match sent {
            Sent::Transport(e) if spent || unsent(&e) => Sent::Unsent(e),
            sent => sent,
        }
    }

    fn target_not_before(&self) -> Option<Instant> {
        *self
            .not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn wait_until(&self, instant: Option<Instant>) {
        if let Some(wait) = instant.and_then(|t| t.checked_duration_since(Instant::now())) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Before an escrowed object is retried: its wall-time back-off must have passed.
    pub(super) async fn wait_for_escrow(&self, object: &str) {
        self.wait_until(self.escrow.not_before(object)).await;
    }
}

/// A client error that left nothing on the wire: no connection (or no TLS session) was
/// made, or the token endpoint gave no token, so the request itself was never written.
fn unsent(e: &ClientError) -> bool {
    matches!(e.kind(), FailureKind::Connect | FailureKind::TokenEndpoint)
}
