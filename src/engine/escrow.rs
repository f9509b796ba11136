//! Escrow (idp-behavior.md §1.8): objects whose export failed transiently, retried in later
//! cycles at the IdP's `Cadence` — Entra's back-off, the next cycle, then every 2nd, 4th, 8th…
//! (30 min, 1 h, 2 h, 4 h with 40-minute cycles), or PingFederate's every next cycle (PF-20).
//! It decides when to retry, never what to send.
//! Cycles are simulated, but a real target is hit in wall time: a retry never comes sooner
//! than a short back-off after the failure, nor sooner than the server's `Retry-After`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::profile::Cadence;

/// The longest `Retry-After` waited out: a server asking for more gets this.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(30);
/// The wall-time wait before the first retry after a fault without `Retry-After`; it
/// doubles with each failure, up to `BACKOFF_CAP`.
pub const BACKOFF_START: Duration = Duration::from_millis(100);
pub const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// The wait before retry number `retry` (1-based) of a request that failed without
/// `Retry-After`: 100 ms, 200 ms, 400 ms… up to `BACKOFF_CAP`.
pub fn backoff(retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(16);
    (BACKOFF_START * (1u32 << doublings)).min(BACKOFF_CAP)
}

/// The wait a `Retry-After` of `seconds` asks for, capped at `RETRY_AFTER_CAP`.
pub fn retry_after(seconds: u64) -> Duration {
    Duration::from_secs(seconds).min(RETRY_AFTER_CAP)
}

/// The wait before retry number `retry`: the server's `Retry-After` when it sent one,
/// the back-off otherwise.
pub fn wait_before_retry(retry_after_seconds: Option<u64>, retry: u32) -> Duration {
    retry_after_seconds.map_or_else(|| backoff(retry), retry_after)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    failures: u32,
    due_cycle: u32,
    /// No retry before this instant, whatever the cycle.
    not_before: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escrow {
    entries: BTreeMap<String, Entry>,
    cadence: Cadence,
}

impl Default for Escrow {
    fn default() -> Self {
        Escrow::new(Cadence::Doubling)
    }
}

impl Escrow {
    /// An empty escrow retrying at the IdP's `cadence`.
    pub fn new(cadence: Cadence) -> Self {
        Escrow {
            entries: BTreeMap::new(),
            cadence,
        }
    }

    /// Records a failure in `cycle`. `Doubling`: the object is retried `2^(failures-1)`
    /// cycles later (at most 16), and not before `backoff(failures)` of wall time has passed.
    /// `EveryCycle`: the next cycle, after the first back-off, however often it failed.
    pub fn insert(&mut self, object: &str, cycle: u32) {
        let failures = self.entries.get(object).map_or(0, |e| e.failures) + 1;
        let (wait, retry) = match self.cadence {
            Cadence::Doubling => (1u32 << (failures - 1).min(4), failures),
            Cadence::EveryCycle => (1, 1),
        };
        self.entries.insert(
            object.to_string(),
            Entry {
                failures,
                due_cycle: cycle + wait,
                not_before: Instant::now() + backoff(retry),
            },
        );
    }

    /// The instant before which the object's retry must not be sent, if it is escrowed.
    pub fn not_before(&self, object: &str) -> Option<Instant> {
        self.entries.get(object).map(|e| e.not_before)
    }

    pub fn remove(&mut self, object: &str) {
        self.entries.remove(object);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn objects(&self) -> BTreeSet<String> {
        self.entries.keys().cloned().collect()
    }

    /// The objects escrowed whose retry is due in `cycle`: a cycle asks for these rather
    /// than asking about every object of the directory.
    pub fn due_in(&self, cycle: u32) -> impl Iterator<Item = &String> {
        self.entries
            .iter()
            .filter(move |(_, e)| e.due_cycle <= cycle)
            .map(|(o, _)| o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Escrow {
        fn due(&self, object: &str, cycle: u32) -> bool {
            self.due_in(cycle).any(|o| o == object)
        }
    }

    #[test]
    fn every_cycle_retries_at_the_next_cycle_however_often_it_failed() {
        let mut e = Escrow::new(Cadence::EveryCycle);
        for cycle in 1..=6 {
            e.insert("a", cycle);
            assert!(
                e.due("a", cycle + 1),
                "failure {cycle}: retried at the next cycle"
            );
            assert!(!e.due("a", cycle), "not in the cycle that failed");
        }
        // The wall-time wait stays the first back-off instead of doubling to the cap.
        let wait = e
            .not_before("a")
            .map(|t| t.saturating_duration_since(Instant::now()));
        assert!(wait.is_some_and(|w| w <= backoff(1)), "{wait:?}");
    }

    #[test]
    fn retries_back_off_exponentially() {
        let mut e = Escrow::default();
        e.insert("a", 1);
        assert!(
            !e.due("a", 1) && e.due("a", 2),
            "first retry: the next cycle"
        );
        e.insert("a", 2);
        assert!(!e.due("a", 3) && e.due("a", 4), "then two cycles later");
        e.insert("a", 4);
        assert!(!e.due("a", 7) && e.due("a", 8), "then four");
        e.insert("b", 1);
        assert_eq!(e.due_in(8).collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(e.due_in(7).collect::<Vec<_>>(), vec!["b"]);
        e.remove("a");
        e.remove("b");
        assert!(e.objects().is_empty() && !e.due("a", 100));
    }

    #[test]
    fn wall_time_waits_double_and_are_capped() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(2), Duration::from_millis(200));
        assert_eq!(backoff(4), Duration::from_millis(800));
        assert_eq!(backoff(40), BACKOFF_CAP);
        assert_eq!(wait_before_retry(Some(1), 3), Duration::from_secs(1));
        assert_eq!(wait_before_retry(Some(3600), 1), RETRY_AFTER_CAP);
        assert_eq!(wait_before_retry(None, 3), Duration::from_millis(400));
        let mut e = Escrow::default();
        let before = Instant::now();
        e.insert("a", 1);
        e.insert("a", 2);
        let not_before = e.not_before("a").expect("escrowed");
        assert!(not_before >= before + Duration::from_millis(200));
        assert_eq!(e.not_before("b"), None);
    }
}
