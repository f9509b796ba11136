//! The connector data store's links (§1.8 "keeps links"): each source object's target
//! object, and the way back from a target object to the source objects linked to it.
//!
//! The way back is what refuses a second source object matched to a target object another
//! already holds (`TARGET_ALREADY_LINKED`). Found by scanning every link, that check made an
//! initial cycle that matches an existing directory quadratic: 100,000 users matched, each
//! compared with every link made before it. Users and groups are apart, as in the IdP's
//! connector space: a server that numbers each collection on its own (user `1`, group `1`)
//! holds two different objects under one id. RFC 7643 §3.1 wants an id unique across all of
//! a provider's resources, so that server is at fault, but an IdP does not mistake its group
//! for its user, and neither does the harness: the check finds a second source object
//! matched to one target object, not a clash of ids across collections.

use foldhash::fast::RandomState;
use foldhash::HashMap;
use std::hash::BuildHasher;

use uuid::Uuid;

use super::Link;

/// Which collection a linked target object is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    User,
    Group,
}

impl Kind {
    /// As a log record names it.
    pub(super) fn noun(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
        }
    }
}

/// The source objects under one key of the way back, first linked first. Nearly always
/// one; several only when a server gave two creates one id, or two ids share a hash.
#[derive(Debug)]
enum Owners {
    One(Uuid),
    Many(Vec<Uuid>),
}

impl Owners {
    fn iter(&self) -> impl Iterator<Item = &Uuid> {
        match self {
            Owners::One(id) => std::slice::from_ref(id).iter(),
            Owners::Many(ids) => ids.iter(),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Links {
    /// By hash: looked up for every object of every pass and every group member, never
    /// walked in order (a B-tree of 110,000 random UUIDs is ~17 comparisons across nodes
    /// a few cache lines apart for each).
    by_object: HashMap<Uuid, Link>,
    /// The way back, keyed by a hash of kind and target id: no copy of the id per link.
    /// What a key holds is checked against the link itself, so two ids sharing a hash
    /// never pass for one.
    owners: HashMap<u64, Owners>,
    hasher: RandomState,
}

impl Links {
    fn key(&self, kind: Kind, target_id: &str) -> u64 {
        self.hasher.hash_one((kind, target_id))
    }

    pub(super) fn get(&self, object_id: &Uuid) -> Option<&Link> {
        self.by_object.get(object_id)
    }

    pub(super) fn contains_key(&self, object_id: &Uuid) -> bool {
        self.by_object.contains_key(object_id)
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Link> {
        self.by_object.values()
    }

    /// Links `object_id` of `kind` as `link` says, replacing what it held.
    pub(super) fn insert(&mut self, kind: Kind, object_id: Uuid, link: Link) {
        let key = self.key(kind, &link.target_id);
        if let Some(old) = self.by_object.insert(object_id, link) {
            let old_key = self.key(kind, &old.target_id);
            if old_key == key {
                // Still linked to the same target object: already in the way back.
                return;
            }
            self.forget(old_key, object_id);
        }
        match self.owners.get_mut(&key) {
            None => {
                self.owners.insert(key, Owners::One(object_id));
            }
            Some(owners) => {
                if owners.iter().any(|o| *o == object_id) {
                    return;
                }
                let mut ids: Vec<Uuid> = owners.iter().copied().collect();
                ids.push(object_id);
                *owners = Owners::Many(ids);
            }
        }
    }

    /// Unlinks `object_id`, whichever kind it is.
    pub(super) fn remove(&mut self, object_id: &Uuid) {
        let Some(old) = self.by_object.remove(object_id) else {
            return;
        };
        for kind in [Kind::User, Kind::Group] {
            let key = self.key(kind, &old.target_id);
            self.forget(key, *object_id);
        }
    }

    fn forget(&mut self, key: u64, object_id: Uuid) {
        let Some(owners) = self.owners.get_mut(&key) else {
            return;
        };
        match owners {
            Owners::One(id) if *id == object_id => {
                self.owners.remove(&key);
            }
            Owners::One(_) => {}
            Owners::Many(ids) => {
                ids.retain(|id| *id != object_id);
                if let [only] = ids.as_slice() {
                    *owners = Owners::One(*only);
                }
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.by_object.clear();
        self.owners.clear();
    }

    /// The member ids a group's link records as written (the target id stays).
    pub(super) fn set_members(
        &mut self,
        object_id: &Uuid,
        written: std::collections::BTreeSet<String>,
    ) {
        if let Some(l) = self.by_object.get_mut(object_id) {
            l.members = written;
        }
    }

    /// The link of the first other source object of `kind` linked to `target_id`, if any.
    pub(super) fn linked_elsewhere(
        &self,
        kind: Kind,
        target_id: &str,
        object_id: Uuid,
    ) -> Option<&Link> {
        self.owners
            .get(&self.key(kind, target_id))?
            .iter()
            .filter(|o| **o != object_id)
            .filter_map(|o| self.by_object.get(o))
            .find(|l| l.target_id == target_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(target: &str, object: &str) -> Link {
        Link::new(target, object)
    }

    #[test]
    fn another_object_linked_to_a_target_id_is_found_and_the_object_itself_is_not() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut links = Links::default();
        links.insert(Kind::User, a, link("t1", "alice"));
        links.insert(Kind::User, b, link("t2", "bob"));
        assert!(links.linked_elsewhere(Kind::User, "t1", a).is_none());
        let other = links
            .linked_elsewhere(Kind::User, "t1", c)
            .map(|l| &l.object);
        assert_eq!(other.map(String::as_str), Some("alice"));
        assert!(links.linked_elsewhere(Kind::User, "t3", c).is_none());
    }

    /// A server that numbers each collection on its own (against RFC 7643 §3.1) holds user
    /// `1` and group `1`: a group matched to group `1` is not linked to the user.
    #[test]
    fn users_and_groups_with_the_same_id_are_different_objects() {
        let (user, group, other_group) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut links = Links::default();
        links.insert(Kind::User, user, link("1", "alice"));
        assert!(links.linked_elsewhere(Kind::Group, "1", group).is_none());
        links.insert(Kind::Group, group, link("1", "sales"));
        let held = links.linked_elsewhere(Kind::Group, "1", other_group);
        assert_eq!(held.map(|l| l.object.as_str()), Some("sales"));
        let held = links.linked_elsewhere(Kind::User, "1", other_group);
        assert_eq!(held.map(|l| l.object.as_str()), Some("alice"));
    }

    /// Two creates given one id by a broken server: both are owners, the first linked is
    /// named first, and unlinking one leaves the other found.
    #[test]
    fn several_owners_of_one_id_are_kept_in_link_order_until_unlinked() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut links = Links::default();
        links.insert(Kind::User, a, link("dup", "first"));
        links.insert(Kind::User, b, link("dup", "second"));
        let named = |links: &Links, asking| {
            links
                .linked_elsewhere(Kind::User, "dup", asking)
                .map(|l| l.object.clone())
        };
        assert_eq!(named(&links, c).as_deref(), Some("first"));
        assert_eq!(named(&links, a).as_deref(), Some("second"));
        links.remove(&a);
        assert_eq!(named(&links, c).as_deref(), Some("second"));
        assert_eq!(named(&links, b), None);
        links.remove(&b);
        assert_eq!(named(&links, c), None);
        assert!(links.owners.is_empty(), "{:?}", links.owners);
    }

    /// Relinked to another target id, an object is found under the new id only; relinked
    /// to the same one (an update of the link), it stays found once.
    #[test]
    fn a_relinked_object_moves_in_the_way_back() {
        let (a, c) = (Uuid::new_v4(), Uuid::new_v4());
        let mut links = Links::default();
        links.insert(Kind::User, a, link("old", "alice"));
        let mut same = link("old", "alice");
        same.managed = false;
        links.insert(Kind::User, a, same);
        assert!(matches!(links.owners.values().next(), Some(Owners::One(_))));
        links.insert(Kind::User, a, link("new", "alice"));
        assert!(links.linked_elsewhere(Kind::User, "old", c).is_none());
        assert!(links.linked_elsewhere(Kind::User, "new", c).is_some());
        assert_eq!(links.owners.len(), 1);
        links.clear();
        assert!(links.linked_elsewhere(Kind::User, "new", c).is_none());
        assert!(links.get(&a).is_none());
    }
}
