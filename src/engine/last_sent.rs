//! The IdP's record of what it last sent for a user (`Link::last_desired`), packed: one per
//! linked user lives as long as the run, so for a 100,000-user directory the unpacked form
//! (a `serde_json::Value` per attribute) alone would be well over 100 MB. Packed, it is the
//! attribute paths (static) and their values as one JSON text; unpacked only when a pass
//! diffs against it or disables from it.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::Value;

use crate::profile::DesiredUser;

#[derive(Debug, Clone, PartialEq)]
pub struct LastSent {
    /// Shared by every record of the same shape (`shape`).
    paths: Arc<[&'static str]>,
    /// The values in `paths` order, as a JSON array.
    values: Box<str>,
}

impl LastSent {
    pub fn pack(user: &DesiredUser) -> Self {
        LastSent {
            paths: shape(user.attrs.iter().map(|(p, _)| *p).collect()),
            // Serializing a `Value` cannot fail (its map keys are strings).
            values: serde_json::to_string(&Values(user))
                .unwrap_or_default()
                .into_boxed_str(),
        }
    }

    /// Whether this record is `user` exactly: the same paths in the same order and values
    /// that pack to the same text (so are equal). Told without unpacking or allocating, by
    /// comparing `user`'s packed text as it is written: an IdP that diffs against its own
    /// record passes over each linked user at every event (Okta) and nearly always finds
    /// it unchanged, and the unpack alone was ~3,700 instructions a pass (callgrind). A
    /// `false` says only "not known equal" (an object's keys in another order pack to
    /// another text): the caller then diffs as before.
    pub fn holds(&self, user: &DesiredUser) -> bool {
        let same_paths = self.paths.len() == user.attrs.len()
            && self.paths.iter().zip(&user.attrs).all(|(a, (b, _))| a == b);
        if !same_paths {
            return false;
        }
        let mut rest = Unwritten {
            rest: self.values.as_bytes(),
            same: true,
        };
        serde_json::to_writer(&mut rest, &Values(user)).is_ok() && rest.same && rest.rest.is_empty()
    }

    /// The record as it was packed: same paths, order and values (JSON text round-trips a
    /// `Value` exactly, object key order included with `preserve_order`).
    pub fn unpack(&self) -> DesiredUser {
        let values: Vec<Value> = serde_json::from_str(&self.values).unwrap_or_default();
        DesiredUser {
            attrs: self.paths.iter().copied().zip(values).collect(),
        }
    }
}

/// A user's values as the JSON array `LastSent` keeps, written without collecting them.
struct Values<'a>(&'a DesiredUser);

impl serde::Serialize for Values<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.attrs.iter().map(|(_, v)| v))
    }
}

/// A writer that checks what is written against the text still expected.
struct Unwritten<'a> {
    rest: &'a [u8],
    same: bool,
}

impl std::io::Write for Unwritten<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.rest.strip_prefix(buf) {
            Some(rest) if self.same => self.rest = rest,
            _ => self.same = false,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The most distinct path lists shared; past it a list is kept per record (still right,
/// only larger), so a run of odd mappings cannot grow the table without bound.
const SHAPES: usize = 256;

/// `paths` as a list shared with every earlier record of the same paths in the same order.
/// A profile's mapping gives few such lists (one per set of attributes a user has), so
/// 100,000 records share a handful instead of holding 100,000 copies. Process-wide: the
/// lists are static strings, the same whichever run made them.
fn shape(paths: Vec<&'static str>) -> Arc<[&'static str]> {
    static SEEN: OnceLock<Mutex<Vec<Arc<[&'static str]>>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(shared) = seen.iter().find(|s| ***s == *paths) {
        return shared.clone();
    }
    let shared: Arc<[&'static str]> = paths.into();
    if seen.len() < SHAPES {
        seen.push(shared.clone());
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_packed_record_unpacks_to_the_same_user() {
        let user = DesiredUser {
            attrs: vec![
                ("userName", json!("ada@example.com")),
                ("active", json!(false)),
                ("name.givenName", json!("Ada")),
                (
                    "emails",
                    json!([{"value": "a@x", "type": "work", "primary": true}]),
                ),
                ("urn:x:score", json!(1.25)),
                ("urn:x:big", json!(18446744073709551615u64)),
                ("urn:x:neg", json!(-3)),
                ("title", Value::Null),
                ("obj", json!({"z": 1, "a": 2})),
            ],
        };
        let packed = LastSent::pack(&user);
        let back = packed.unpack();
        assert_eq!(back, user);
        // Key order of objects survives (`preserve_order`), not only equality.
        assert_eq!(back.attrs[8].1.to_string(), r#"{"z":1,"a":2}"#);
        assert_eq!(
            LastSent::pack(&DesiredUser::default()).unpack(),
            DesiredUser::default()
        );
        // Two records of the same shape share one path list.
        let other = LastSent::pack(&DesiredUser {
            attrs: user.attrs.iter().map(|(p, _)| (*p, json!("x"))).collect(),
        });
        assert!(Arc::ptr_eq(&packed.paths, &other.paths));
        assert_eq!(other.unpack().attrs[0], ("userName", json!("x")));
    }

    #[test]
    fn a_record_holds_only_the_user_it_was_packed_from() {
        let user = DesiredUser {
            attrs: vec![
                ("userName", json!("ada@example.com")),
                ("active", json!(true)),
                ("obj", json!({"z": 1, "a": [2, "three"]})),
            ],
        };
        let packed = LastSent::pack(&user);
        assert!(packed.holds(&user));
        let changed = |i: usize, v: Value| {
            let mut u = user.clone();
            u.attrs[i].1 = v;
            u
        };
        // Another value, a value cut short, one written longer, another type.
        for other in [
            changed(0, json!("ada@example.org")),
            changed(0, json!("ada@example.co")),
            changed(0, json!("ada@example.com.au")),
            changed(1, json!("True")),
            changed(2, json!({"z": 1, "a": [2, "three", 4]})),
        ] {
            assert!(!packed.holds(&other), "{other:?}");
        }
        // Another path, one path fewer, one more.
        let mut renamed = user.clone();
        renamed.attrs[1].0 = "enabled";
        let mut fewer = user.clone();
        fewer.attrs.pop();
        let mut more = user.clone();
        more.attrs.push(("title", json!("x")));
        for other in [renamed, fewer, more] {
            assert!(!packed.holds(&other), "{other:?}");
        }
        assert!(LastSent::pack(&DesiredUser::default()).holds(&DesiredUser::default()));
    }
}
