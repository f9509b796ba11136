//! The directory's objects by their ref: found by hash, walked in ref order.
//!
//! A cycle looks each user up several times (the user, its entitlement, its groups) and
//! each group member again, while it walks the whole directory once. In a `BTreeMap` of
//! 100,000 users every lookup compares ~30 refs across ~5 nodes, each node a few cache
//! lines away, and a user's pass made ~5 of them; a hash lookup is one hash and one probe.
//! The walk keeps the `BTreeMap`'s order (by ref), which cycles, reports and snapshots
//! are made in, from a set of the refs alone.

use std::collections::BTreeSet;

use foldhash::HashMap;

use crate::scenario::model::Ref;

#[derive(Debug, Clone)]
pub(super) struct Keyed<T> {
    items: HashMap<Ref, T>,
    /// The refs of `items`, sorted: what `iter` and `keys` walk.
    order: BTreeSet<Ref>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            items: HashMap::default(),
            order: BTreeSet::new(),
        }
    }
}

impl<T> Keyed<T> {
    pub(super) fn get(&self, r: &str) -> Option<&T> {
        self.items.get(r)
    }

    pub(super) fn get_mut(&mut self, r: &str) -> Option<&mut T> {
        self.items.get_mut(r)
    }

    pub(super) fn contains_key(&self, r: &str) -> bool {
        self.items.contains_key(r)
    }

    /// Adds or replaces the object at `r`; the one it replaces, if any.
    pub(super) fn insert(&mut self, r: Ref, item: T) -> Option<T> {
        if !self.items.contains_key(&r) {
            self.order.insert(r.clone());
        }
        self.items.insert(r, item)
    }

    pub(super) fn remove(&mut self, r: &str) -> Option<T> {
        let item = self.items.remove(r)?;
        self.order.remove(r);
        Some(item)
    }

    /// Every object with its ref, in ref order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&Ref, &T)> {
        self.order
            .iter()
            .filter_map(move |r| self.items.get_key_value(r))
    }

    /// Every ref, in order.
    pub(super) fn keys(&self) -> impl Iterator<Item = &Ref> {
        self.order.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_found_by_ref_and_walked_in_ref_order_after_any_changes() {
        let mut k = Keyed::default();
        for r in ["u3", "u10", "u1", "g2"] {
            assert_eq!(k.insert(r.to_string(), r.len()), None);
        }
        assert_eq!(k.insert("u1".into(), 7), Some(2));
        assert_eq!(k.get("u1"), Some(&7));
        assert!(k.contains_key("g2") && !k.contains_key("u2"));
        if let Some(v) = k.get_mut("u3") {
            *v = 30;
        }
        assert_eq!(k.remove("u10"), Some(3));
        assert_eq!(k.remove("u10"), None);
        let walked: Vec<(&str, usize)> = k.iter().map(|(r, v)| (r.as_str(), *v)).collect();
        assert_eq!(walked, [("g2", 2), ("u1", 7), ("u3", 30)]);
        assert!(k.keys().eq(["g2", "u1", "u3"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .iter()));
        // A ref removed and added again is walked once, in its place.
        k.insert("g2".into(), 9);
        k.remove("g2");
        k.insert("g2".into(), 4);
        assert_eq!(k.keys().count(), 3);
        assert_eq!(k.iter().next(), Some((&"g2".to_string(), &4)));
    }
}
