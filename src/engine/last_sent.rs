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
        let values: Vec<&Value> = user.attrs.iter().map(|(_, v)| v).collect();
        LastSent {
            paths: shape(user.attrs.iter().map(|(p, _)| *p).collect()),
            // Serializing a `Value` cannot fail (its map keys are strings).
            values: serde_json::to_string(&values)
                .unwrap_or_default()
                .into_boxed_str(),
        }
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
}
