//! A record's time budget (PingFederate's channel Timeout, PF-20): "a record whose processing
//! exceeds it is left for the next cycle". The budget bounds the record — its match, read and
//! write together — not each request, so every request of a record gets what is left of it.
//! Carried as a task-local around one object's pass, so the requests inside need no extra
//! argument and a worker pool's passes (Max Threads) each keep their own.

use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    static RECORD_DEADLINE: Instant;
}

/// Runs `pass` with a budget of `timeout` from now, or unbounded without one.
pub(super) async fn within_record<F: Future>(timeout: Option<Duration>, pass: F) -> F::Output {
    match timeout {
        Some(budget) => RECORD_DEADLINE.scope(Instant::now() + budget, pass).await,
        None => pass.await,
    }
}

/// The time a request may take: what is left of the record's budget inside a pass, `fallback`
/// (the per-request timeout) outside one. `Some(ZERO)` when the budget is spent.
pub(super) fn request_budget(fallback: Option<Duration>) -> Option<Duration> {
    RECORD_DEADLINE
        .try_with(|deadline| deadline.saturating_duration_since(Instant::now()))
        .ok()
        .or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_gets_what_is_left_of_the_records_budget() {
        assert_eq!(
            request_budget(Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(request_budget(None), None);
        within_record(Some(Duration::from_millis(300)), async {
            let left = request_budget(None).expect("inside a record");
            assert!(left <= Duration::from_millis(300) && left > Duration::from_millis(200));
            tokio::time::sleep(Duration::from_millis(350)).await;
            assert_eq!(request_budget(None), Some(Duration::ZERO), "spent");
        })
        .await;
        within_record(None, async {
            assert_eq!(
                request_budget(Some(Duration::from_secs(2))),
                Some(Duration::from_secs(2))
            );
        })
        .await;
    }
}
