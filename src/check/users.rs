//! Set expectations (`expect: { users: "u1..u300", … }`) against one listing of the target:
//! every user is looked up locally in the pages already read, never with a GET per user, so a
//! directory-sized check costs a few pages, and a server that pages wrongly is judged by the
//! listing (F-PAGING) rather than by hundreds of lookups.

use std::collections::HashMap;

use serde_json::Value;

use super::{strip_prefix, Mismatch, Whereabouts};
use crate::scenario::model::{Ref, UsersExpectation};
use crate::scim::lookup::ClientPath;
use crate::scim::schema::USER;

/// How many differing users the one-line message names; the diff holds all of them.
const NAMED: usize = 5;

/// Checks each user of `exp` against `all`, the target's users as one listing returned them.
/// `located` gives where the run knows each ref to be, in the order of `exp.users`.
pub fn check(
    all: &[Value],
    exp: &UsersExpectation,
    located: &[(Ref, Whereabouts)],
    prefix: &str,
    member_ref: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(), Mismatch> {
    let mut by_id: HashMap<&str, &Value> = HashMap::new();
    let mut by_name: HashMap<String, Vec<&Value>> = HashMap::new();
    for u in all {
        if let Some(id) = u.get("id").and_then(Value::as_str) {
            by_id.insert(id, u);
        }
        if let Some(name) = u.get("userName").and_then(Value::as_str) {
            by_name.entry(name.to_lowercase()).or_default().push(u);
        }
    }
    let named = |name: &str| by_name.get(&name.to_lowercase()).map_or(0, Vec::len);
    let mut differing: Vec<Differs> = Vec::new();
    for (r, w) in located {
        let found = match w {
            Whereabouts::Id(id) => by_id.get(id.as_str()).copied(),
            Whereabouts::UserName(n) => by_name
                .get(&n.to_lowercase())
                .and_then(|v| v.first().copied()),
            Whereabouts::DisplayName(_) | Whereabouts::Unknown => None,
        };
        let mut want = Vec::new();
        let mut got = Vec::new();
        let present = exp.present.unwrap_or(true);
        want.push(format!("present: {present}"));
        got.push(format!("present: {}", found.is_some()));
        if let (Some(resource), true) = (found, present) {
            if let Some(active) = exp.active {
                want.push(format!("active: {active}"));
                got.push(format!("active: {}", text(resource.get("active"))));
            }
            for (path, value) in &exp.attributes {
                let value_now = match ClientPath::parse(path, &USER) {
                    Ok(p) => p
                        .get(resource)
                        .map(|v| match v.as_str().and_then(member_ref) {
                            Some(r) => Value::String(format!("<user:{r}>")),
                            None => strip_prefix(v, prefix),
                        }),
                    Err(e) => return Err(Mismatch::new(e.to_string())),
                };
                let expected = if value.is_null() { None } else { Some(value) };
                want.push(format!("{path}: {}", text(expected)));
                got.push(format!("{path}: {}", text(value_now.as_ref())));
            }
        }
        if let Some(count) = exp.count {
            let name = found
                .and_then(|u| u.get("userName").and_then(Value::as_str))
                .map(str::to_string)
                .or(match w {
                    Whereabouts::UserName(n) => Some(n.clone()),
                    _ => None,
                });
            want.push(format!("records with its userName: {count}"));
            got.push(format!(
                "records with its userName: {}",
                name.as_deref().map_or(0, named)
            ));
        }
        if want != got {
            let problems: Vec<String> = want
                .iter()
                .zip(&got)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| {
                    let (key, expected) = a.split_once(": ").unwrap_or((a, ""));
                    let actual = b.split_once(": ").map_or(b.as_str(), |(_, v)| v);
                    format!("{key} is {actual}, expected {expected}")
                })
                .collect();
            differing.push(Differs {
                r: r.clone(),
                problems: problems.join(", "),
                want: want.join("; "),
                got: got.join("; "),
            });
        }
    }
    if differing.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = differing
        .iter()
        .take(NAMED)
        .map(|d| format!("{}: {}", d.r, d.problems))
        .collect();
    let mut message = format!(
        "{} of {} users differ: {}",
        differing.len(),
        located.len(),
        shown.join("; ")
    );
    if differing.len() > NAMED {
        message.push_str(&format!(
            " (and {} more, in the diff)",
            differing.len() - NAMED
        ));
    }
    let lines = |f: fn(&Differs) -> &str| -> String {
        differing
            .iter()
            .map(|d| format!("{}: {}\n", d.r, f(d)))
            .collect()
    };
    Err(Mismatch {
        message,
        diff: Some((lines(|d| &d.want), lines(|d| &d.got))),
        refused: false,
    })
}

/// One user that does not hold the expectation.
struct Differs {
    r: Ref,
    problems: String,
    want: String,
    got: String,
}

/// A value as the diff shows it; absent is `(absent)`, as in `user:` expectations.
fn text(v: Option<&Value>) -> String {
    v.map_or("(absent)".to_string(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exp(users: &[&str]) -> UsersExpectation {
        UsersExpectation {
            users: users.iter().map(|u| u.to_string()).collect(),
            present: None,
            active: Some(true),
            attributes: [("title".to_string(), json!("Lead"))].into(),
            count: Some(1),
        }
    }

    #[test]
    fn each_user_is_matched_in_the_listing_and_every_difference_is_in_the_diff() {
        let all = vec![
            json!({"id": "1", "userName": "RUN-u1@x", "active": true, "title": "RUN-Lead"}),
            json!({"id": "2", "userName": "RUN-u2@x", "active": false, "title": "Lead"}),
            json!({"id": "3", "userName": "run-u2@X", "active": true, "title": "Lead"}),
        ];
        let located = vec![
            ("u1".to_string(), Whereabouts::Id("1".into())),
            ("u2".to_string(), Whereabouts::UserName("RUN-u2@x".into())),
            ("u3".to_string(), Whereabouts::UserName("RUN-u3@x".into())),
        ];
        let none = |_: &str| None;
        assert_eq!(
            check(&all, &exp(&["u1"]), &located[..1], "RUN-", &none),
            Ok(())
        );
        let m = check(&all, &exp(&["u1", "u2", "u3"]), &located, "RUN-", &none)
            .expect_err("u2 and u3 differ");
        assert_eq!(
            m.message,
            "2 of 3 users differ: u2: active is false, expected true, records with its \
             userName is 2, expected 1; u3: present is false, expected true, records with its \
             userName is 0, expected 1"
        );
        let (want, got) = m.diff.expect("a diff");
        assert_eq!(want.lines().count(), 2, "only differing users: {want}");
        assert!(
            got.starts_with("u2: present: true; active: false;"),
            "{got}"
        );
    }
}
