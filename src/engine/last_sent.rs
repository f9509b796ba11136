//! The IdP's record of what it last sent for a user (`Link::last_desired`), packed: one per
//! linked user lives as long as the run, so for a 100,000-user directory the unpacked form
//! (a `serde_json::Value` per attribute) alone would be well over 100 MB. Packed, it is the
//! attribute paths (static) and their values as one JSON text; unpacked only when a pass
//! diffs against it or disables from it.

use serde_json::Value;

use crate::profile::DesiredUser;

#[derive(Debug, Clone, PartialEq)]
pub struct LastSent {
    paths: Box<[&'static str]>,
    /// The values in `paths` order, as a JSON array.
    values: Box<str>,
}

impl LastSent {
    pub fn pack(user: &DesiredUser) -> Self {
        let values: Vec<&Value> = user.attrs.iter().map(|(_, v)| v).collect();
        LastSent {
            paths: user.attrs.iter().map(|(p, _)| *p).collect(),
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
    }
}
