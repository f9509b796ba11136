//! Escrow (idp-behavior.md §1.8): objects whose export failed transiently, retried in later
//! cycles with back-off — the next cycle, then every 2nd, 4th, 8th… (Entra: 30 min, 1 h, 2 h,
//! 4 h with 40-minute cycles). It decides when to retry, never what to send.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    failures: u32,
    due_cycle: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Escrow {
    entries: BTreeMap<String, Entry>,
}

impl Escrow {
    /// Records a failure in `cycle`; the object is retried `2^(failures-1)` cycles later.
    pub fn insert(&mut self, object: &str, cycle: u32) {
        let failures = self.entries.get(object).map_or(0, |e| e.failures) + 1;
        let wait = 1u32 << (failures - 1).min(4);
        self.entries.insert(
            object.to_string(),
            Entry {
                failures,
                due_cycle: cycle + wait,
            },
        );
    }

    pub fn remove(&mut self, object: &str) {
        self.entries.remove(object);
    }

    /// Whether the object is escrowed and its retry is due in `cycle`.
    pub fn due(&self, object: &str, cycle: u32) -> bool {
        self.entries
            .get(object)
            .is_some_and(|e| e.due_cycle <= cycle)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn objects(&self) -> BTreeSet<String> {
        self.entries.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        e.remove("a");
        assert!(e.objects().is_empty() && !e.due("a", 100));
    }
}
