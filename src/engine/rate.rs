//! A request rate for a whole provisioning job, held on the client side (option `rate`,
//! idp-behavior.md E-67): a token bucket of one token, refilled every `1 / rate` seconds, that
//! every HTTP exchange of the job takes from before it is sent, whichever worker sends it. One
//! token means no burst: an idle job does not bank requests and then fire them at once, so a
//! server sees at most `rate` requests in any second — the shape of Microsoft's "at least 25
//! requests per second" bar for gallery apps. Runs on tokio's clock, so tests pause it.
//! Never decides what is sent, only when.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The job's request rate.
#[derive(Debug)]
pub struct RateLimit {
    /// Time between two tokens.
    interval: Duration,
    /// When the next token is there; `None` before the first request.
    next: Mutex<Option<Instant>>,
    /// Tokens handed out: how many exchanges went through the limit.
    granted: AtomicU64,
}

impl RateLimit {
    /// A limit of `per_second` requests per second; `None` for a rate that is not a
    /// positive finite number (the option parser refuses those first).
    pub fn per_second(per_second: f64) -> Option<Self> {
        if !per_second.is_finite() || per_second <= 0.0 {
            return None;
        }
        // Whole nanoseconds, so 25/s is exactly 40 ms rather than 39.999… ms.
        let nanos = (1e9 / per_second).round().max(1.0) as u64;
        Some(RateLimit {
            interval: Duration::from_nanos(nanos),
            next: Mutex::new(None),
            granted: AtomicU64::new(0),
        })
    }

    /// Time between two requests.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How many requests went through the limit so far.
    pub fn granted(&self) -> u64 {
        self.granted.load(Ordering::SeqCst)
    }

    /// Waits for the next token. Tokens are reserved in the order callers arrive, under the
    /// lock, so concurrent workers are spaced one interval apart however they are scheduled.
    pub async fn acquire(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        self.granted.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn only_a_positive_finite_rate_makes_a_limit() {
        assert!(RateLimit::per_second(0.0).is_none());
        assert!(RateLimit::per_second(-3.0).is_none());
        assert!(RateLimit::per_second(f64::NAN).is_none());
        assert!(RateLimit::per_second(f64::INFINITY).is_none());
        assert_eq!(
            RateLimit::per_second(25.0).map(|l| l.interval()),
            Some(40 * MS)
        );
        assert_eq!(
            RateLimit::per_second(0.5).map(|l| l.interval()),
            Some(2000 * MS)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_worker_is_spaced_one_interval_apart() {
        let limit = RateLimit::per_second(25.0).expect("rate");
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..10 {
            limit.acquire().await;
            at.push(Instant::now() - start);
        }
        let expected: Vec<Duration> = (0..10).map(|i| i * 40 * MS).collect();
        assert_eq!(at, expected, "the first at once, then one every 40 ms");
        assert_eq!(limit.granted(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_workers_share_one_rate() {
        let limit = Arc::new(RateLimit::per_second(25.0).expect("rate"));
        let start = Instant::now();
        let workers: Vec<_> = (0..5)
            .map(|_| {
                let limit = limit.clone();
                tokio::spawn(async move {
                    let mut at = Vec::new();
                    for _ in 0..10 {
                        limit.acquire().await;
                        at.push(Instant::now() - start);
                    }
                    at
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.expect("worker"));
        }
        all.sort();
        // Five workers together get the rate one worker gets: 50 requests, 40 ms apart.
        let expected: Vec<Duration> = (0..50).map(|i| i * 40 * MS).collect();
        assert_eq!(all, expected);
        // So no second holds more than 25 of them.
        for from in &all {
            let in_window = all
                .iter()
                .filter(|t| **t >= *from && **t < *from + 1000 * MS);
            assert!(in_window.count() <= 25);
        }
        assert_eq!(limit.granted(), 50);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_job_banks_no_burst() {
        let limit = RateLimit::per_second(25.0).expect("rate");
        limit.acquire().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        limit.acquire().await;
        limit.acquire().await;
        limit.acquire().await;
        // After five idle seconds the next request goes at once, but the ones after it
        // wait their turn: 125 saved-up tokens would have let all three through at once.
        assert_eq!(Instant::now() - start, 80 * MS);
    }
}
