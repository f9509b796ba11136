//! Large directories: above `LARGE_DIRECTORY` users a snapshot is a summary (counts, content
//! hashes, a small sample) and every object is kept one line each in a `.snap.users` side
//! file, so the `.snap` stays a page a reviewer can read and a mismatch still names each
//! object that differs, in full.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{compare, remove_if_present, Mode, Outcome};

/// Above this many users a snapshot is a summary: counts, a hash of the whole redacted
/// content and a small sample, so the `.snap` stays a page a reviewer can read.
pub const LARGE_DIRECTORY: usize = 50;

/// How many users the sample of a summary shows: the first, the last and evenly between.
const SAMPLE: usize = 3;

/// The snapshot of a large directory: the summary that is the `.snap` body, and one line
/// per object — each user as `ref {json}`, then each group as `group:ref {json}` with all
/// its members — kept beside it as `.snap.users` so a mismatch can name every object that
/// differs, in full.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub text: String,
    pub lines: String,
}

/// The summary of `state` (`{"users": {ref: …}, "groups": {ref: …}}`), or None when the
/// directory is small enough to snapshot whole.
pub fn summarize(state: &Value) -> Option<Summary> {
    let users = state.get("users").and_then(Value::as_object)?;
    if users.len() <= LARGE_DIRECTORY {
        return None;
    }
    let lines: String = users.iter().map(|(r, v)| format!("{r} {v}\n")).collect();
    let absent = users.values().filter(|v| v.is_string()).count();
    let unlinked = users.keys().filter(|k| k.starts_with("unlinked:")).count();
    let active = |want: bool| {
        users
            .values()
            .filter(|v| v.get("active").and_then(Value::as_bool) == Some(want))
            .count()
    };
    let keys: Vec<&String> = users.keys().collect();
    let mut sample = Map::new();
    for i in 0..SAMPLE {
        let k = keys[i * (keys.len() - 1) / (SAMPLE - 1)];
        sample.insert(k.clone(), users[k].clone());
    }
    let mut summary = serde_json::json!({
        "users": users.len() - unlinked,
        "absent": absent,
        "unlinked": unlinked,
        "active": active(true),
        "inactive": active(false),
        "content": format!("fnv1a64:{:016x}", fnv1a64(lines.as_bytes())),
        "sample": sample,
    });
    let mut lines = lines;
    if let Some(groups) = state.get("groups").and_then(Value::as_object) {
        let (part, group_lines) = summarize_groups(groups);
        if let Some(obj) = summary.as_object_mut() {
            obj.insert("groups".into(), part);
        }
        lines.push_str(&group_lines);
    }
    Some(Summary {
        text: serde_json::to_string_pretty(&summary).unwrap_or_default(),
        lines,
    })
}

/// The groups part of a summary and the groups' side-file lines. Groups are few even in a
/// large directory, but their member lists are what grows: the summary counts members per
/// group instead of listing them, and hashes the full lines on their own, so the users'
/// `content` hash stays the same whether a scenario has groups or not.
fn summarize_groups(groups: &Map<String, Value>) -> (Value, String) {
    let lines: String = groups
        .iter()
        .map(|(r, v)| format!("group:{r} {v}\n"))
        .collect();
    let members = |v: &Value| {
        v.get("members")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    let unlinked = groups.keys().filter(|k| k.starts_with("unlinked:")).count();
    let keys: Vec<&String> = groups.keys().collect();
    let picked: Vec<&String> = if keys.len() <= SAMPLE {
        keys
    } else {
        (0..SAMPLE)
            .map(|i| keys[i * (keys.len() - 1) / (SAMPLE - 1)])
            .collect()
    };
    let mut sample = Map::new();
    for k in picked {
        let mut shown = groups[k].clone();
        if let Some(obj) = shown.as_object_mut() {
            let n = members(&groups[k]);
            obj.insert("members".into(), Value::from(n));
        }
        sample.insert(k.clone(), shown);
    }
    let part = serde_json::json!({
        "groups": groups.len() - unlinked,
        "absent": groups.values().filter(|v| v.is_string()).count(),
        "unlinked": unlinked,
        "members": groups.values().map(members).sum::<usize>(),
        "content": format!("fnv1a64:{:016x}", fnv1a64(lines.as_bytes())),
        "sample": sample,
    });
    (part, lines)
}

/// FNV-1a, 64 bits: a content fingerprint stable across platforms and Rust versions (the
/// std hasher promises neither), not a defence against anyone.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `.snap.users` beside the `.snap`: the per-user lines of a summarized snapshot.
pub fn users_file(path: &Path) -> PathBuf {
    path.with_extension("snap.users")
}

/// Compares a summarized snapshot, writing its per-user lines with it as `mode` says. On a
/// mismatch the expected and actual text are every user line that differs, in full, when
/// the stored lines are there to compare with; otherwise the two summaries.
pub fn compare_summary(
    path: &Path,
    source: &str,
    expression: &str,
    summary: &Summary,
    mode: Mode,
) -> std::io::Result<Outcome> {
    let outcome = compare(path, source, expression, &summary.text, mode)?;
    let lines_path = users_file(path);
    match &outcome {
        Outcome::Matched if mode != Mode::ReadOnly => {
            remove_if_present(&lines_path.with_extension("users.new"))?
        }
        Outcome::Matched => {}
        Outcome::Written(_) => {
            std::fs::write(&lines_path, &summary.lines)?;
            remove_if_present(&lines_path.with_extension("users.new"))?;
        }
        Outcome::Mismatch { pending, .. } => {
            if pending.is_some() {
                std::fs::write(lines_path.with_extension("users.new"), &summary.lines)?;
            }
        }
    }
    let Outcome::Mismatch {
        expected,
        actual,
        pending,
    } = outcome
    else {
        return Ok(outcome);
    };
    let stored = super::stored(&lines_path, source)?;
    let Some(stored) = stored.filter(|_| expected.is_some()) else {
        return Ok(Outcome::Mismatch {
            expected,
            actual,
            pending,
        });
    };
    let (want, got) = differing_lines(&stored, &summary.lines);
    Ok(Outcome::Mismatch {
        expected: Some(format!("{}\n{want}", expected.unwrap_or_default())),
        actual: format!("{actual}\n{got}"),
        pending,
    })
}

/// The user lines that differ between two `.snap.users` texts, each side in ref order; a
/// user missing on one side shows as `ref (none)`.
pub(super) fn differing_lines(stored: &str, now: &str) -> (String, String) {
    let split = |text: &str| -> std::collections::BTreeMap<String, String> {
        text.lines()
            .map(|l| {
                let (r, rest) = l.split_once(' ').unwrap_or((l, ""));
                (r.to_string(), rest.to_string())
            })
            .collect()
    };
    let (old, new) = (split(stored), split(now));
    let mut refs: Vec<&String> = old.keys().chain(new.keys()).collect();
    refs.sort();
    refs.dedup();
    let (mut want, mut got) = (String::new(), String::new());
    for r in refs {
        let (a, b) = (old.get(r), new.get(r));
        if a != b {
            want.push_str(&format!("{r} {}\n", a.map_or("(none)", String::as_str)));
            got.push_str(&format!("{r} {}\n", b.map_or("(none)", String::as_str)));
        }
    }
    (want, got)
}

#[cfg(test)]
mod tests {
    use super::super::file_name;
    use super::*;
    use serde_json::json;

    /// A snapshot directory not yet created, inside a temporary one removed with its guard
    /// when the test ends.
    fn tmp(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let root = tempfile::tempdir().expect("tmp");
        let dir = root.path().join(name);
        (root, dir)
    }

    fn large(n: usize, inactive: &str) -> Value {
        let mut users = Map::new();
        for i in 1..=n {
            let r = format!("u{i}");
            let active = r != inactive;
            users.insert(
                r.clone(),
                json!({"id": format!("<user:{r}>"), "active": active}),
            );
        }
        users.insert("gone".into(), json!("absent"));
        json!({ "users": users })
    }

    #[test]
    fn a_large_directory_is_summarized_and_a_mismatch_names_each_differing_user_in_full() {
        let small = large(10, "");
        assert_eq!(
            summarize(&small),
            None,
            "small directories are snapshotted whole"
        );
        let before = summarize(&large(60, "")).expect("summarized");
        let summary: Value = serde_json::from_str(&before.text).expect("json");
        assert_eq!(summary["users"], 61);
        assert_eq!(summary["absent"], 1);
        assert_eq!(summary["active"], 60);
        assert_eq!(summary["sample"].as_object().map(Map::len), Some(3));
        assert!(before.text.lines().count() < 30, "{}", before.text);
        assert_eq!(before.lines.lines().count(), 61);

        let (_root, dir) = tmp("large");
        let path = file_name(&dir, "sc", "big", "entra");
        let wrote = compare_summary(&path, "sc.yaml", "snapshot big", &before, Mode::Accept);
        assert_eq!(wrote.expect("io"), Outcome::Written(path.clone()));
        assert!(users_file(&path).exists());
        let same = compare_summary(&path, "sc.yaml", "snapshot big", &before, Mode::ReadOnly);
        assert_eq!(same.expect("io"), Outcome::Matched);

        // One user deactivated: counts and hash change, and the diff holds that user alone.
        let after = summarize(&large(60, "u42")).expect("summarized");
        let out = compare_summary(&path, "sc.yaml", "snapshot big", &after, Mode::ReadOnly);
        let Outcome::Mismatch {
            expected: Some(expected),
            actual,
            pending: None,
        } = out.expect("io")
        else {
            panic!("a changed user is a mismatch");
        };
        assert!(
            expected.ends_with("u42 {\"id\":\"<user:u42>\",\"active\":true}\n"),
            "{expected}"
        );
        assert!(
            actual.ends_with("u42 {\"id\":\"<user:u42>\",\"active\":false}\n"),
            "{actual}"
        );
        assert!(!actual.contains("u41 "), "only differing users: {actual}");
        assert!(actual.contains("\"inactive\": 1"), "{actual}");
    }

    #[test]
    fn groups_of_a_large_directory_are_counted_hashed_and_kept_whole_in_the_side_file() {
        let users_only = summarize(&large(60, "")).expect("summarized");
        let mut state = large(60, "");
        let members: Vec<Value> = (1..=55).map(|i| json!(format!("<user:u{i}>"))).collect();
        state["groups"] = json!({
            "big": {"id": "<group:big>", "displayName": "Big", "members": members},
            "gone": "absent",
            "unlinked:Big": {"id": "<unlinked>", "displayName": "Big", "members": ["<user:u1>"]}
        });
        let with_groups = summarize(&state).expect("summarized");
        let summary: Value = serde_json::from_str(&with_groups.text).expect("json");
        assert_eq!(summary["groups"]["groups"], 2);
        assert_eq!(summary["groups"]["absent"], 1);
        assert_eq!(summary["groups"]["unlinked"], 1);
        assert_eq!(summary["groups"]["members"], 56);
        assert_eq!(summary["groups"]["sample"]["big"]["members"], 55);
        let before: Value = serde_json::from_str(&users_only.text).expect("json");
        assert_eq!(
            summary["content"], before["content"],
            "the users' hash does not move when groups are added"
        );
        let big = with_groups
            .lines
            .lines()
            .find(|l| l.starts_with("group:big "))
            .expect("a side-file line per group");
        assert!(big.contains("\"<user:u55>\""), "{big}");
        assert!(with_groups.lines.starts_with(&users_only.lines));

        // A member lost: the group hash changes and the diff names that group's line.
        let (_root, dir) = tmp("groups");
        let path = super::super::file_name(&dir, "sc", "big", "entra");
        compare_summary(&path, "sc.yaml", "snapshot big", &with_groups, Mode::Accept).expect("io");
        state["groups"]["big"]["members"]
            .as_array_mut()
            .expect("members")
            .pop();
        let lost = summarize(&state).expect("summarized");
        let out = compare_summary(&path, "sc.yaml", "snapshot big", &lost, Mode::ReadOnly);
        let Outcome::Mismatch { actual, .. } = out.expect("io") else {
            panic!("a lost member is a mismatch");
        };
        assert!(actual.contains("}\ngroup:big {"), "{actual}");
        assert!(
            !actual.contains("\nu1 "),
            "only the differing group: {actual}"
        );
    }
}
