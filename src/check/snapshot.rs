//! Directory snapshots: the run's own objects as the target holds them, normalized so one
//! file holds for every correct server (server ids → refs, run prefix stripped, objectIds →
//! `<objectId:ref>`, only the attributes the profile manages). Files use insta's `.snap`
//! format so `cargo insta review` works; nothing is written when `CI` is set.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// What to do when the stored snapshot differs or is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write `.snap.new` beside the file for review (insta's default).
    Review,
    /// Overwrite the `.snap` (`--accept`).
    Accept,
    /// Write nothing (`CI` set).
    ReadOnly,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Matched,
    /// Accepted or newly written with `--accept`.
    Written(PathBuf),
    Mismatch {
        expected: Option<String>,
        actual: String,
        /// Where the new version was written for review, if it was.
        pending: Option<PathBuf>,
    },
}

/// `snapshots/<scenario>__<snapshot>@<profile>.snap`.
pub fn file_name(dir: &Path, scenario: &str, snapshot: &str, profile: &str) -> PathBuf {
    dir.join(format!("{scenario}__{snapshot}@{profile}.snap"))
}

fn render(source: &str, expression: &str, content: &str) -> String {
    format!("---\nsource: {source}\nexpression: \"{expression}\"\n---\n{content}\n")
}

/// The body of a `.snap` file: everything after the second `---` line.
pub fn body(text: &str) -> Option<String> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(rest[end + 5..].trim_end_matches('\n').to_string())
}

/// Compares `actual` with the stored snapshot and writes according to `mode`.
pub fn compare(
    path: &Path,
    source: &str,
    expression: &str,
    actual: &str,
    mode: Mode,
) -> std::io::Result<Outcome> {
    let expected = match std::fs::read_to_string(path) {
        Ok(text) => body(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if expected.as_deref() == Some(actual) {
        let pending = path.with_extension("snap.new");
        if pending.exists() {
            std::fs::remove_file(pending)?;
        }
        return Ok(Outcome::Matched);
    }
    let text = render(source, expression, actual);
    match mode {
        Mode::Accept => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
            Ok(Outcome::Written(path.to_path_buf()))
        }
        Mode::Review => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let pending = path.with_extension("snap.new");
            std::fs::write(&pending, text)?;
            Ok(Outcome::Mismatch {
                expected,
                actual: actual.to_string(),
                pending: Some(pending),
            })
        }
        Mode::ReadOnly => Ok(Outcome::Mismatch {
            expected,
            actual: actual.to_string(),
            pending: None,
        }),
    }
}

/// Replaces every occurrence of the given strings (server ids, objectId hex, run prefix).
pub fn redact(value: &Value, replacements: &[(String, String)]) -> Value {
    match value {
        Value::String(s) => {
            let mut out = s.clone();
            for (from, to) in replacements {
                if !from.is_empty() {
                    out = out.replace(from.as_str(), to);
                }
            }
            Value::String(out)
        }
        Value::Array(items) => {
            let mut v: Vec<Value> = items.iter().map(|x| redact(x, replacements)).collect();
            // Multi-valued attributes are unordered (RFC 7643 §2.4): sort for stability.
            v.sort_by_key(|x| x.to_string());
            Value::Array(v)
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), redact(v, replacements)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

/// A source object of the run and where the target holds it.
#[derive(Debug, Clone)]
pub struct Owned {
    pub r: String,
    pub id: Option<String>,
    pub object_id: Option<uuid::Uuid>,
}

/// Which attributes a snapshot keeps.
#[derive(Debug, Clone)]
pub enum View {
    /// Only the attribute paths the profile writes (plus `id`).
    Managed(Vec<&'static str>),
    /// Everything, with `meta` timestamps, version and location redacted (`--full`).
    Full,
}

fn keep(resource: &Value, view: &View) -> Value {
    match view {
        View::Full => {
            let mut whole = resource.clone();
            if let Some(meta) = whole.get_mut("meta").and_then(Value::as_object_mut) {
                for key in ["created", "lastModified", "version", "location"] {
                    if meta.contains_key(key) {
                        meta.insert(key.into(), Value::String("[redacted]".into()));
                    }
                }
            }
            whole
        }
        View::Managed(paths) => {
            let mut kept = Map::new();
            kept.insert(
                "id".into(),
                resource.get("id").cloned().unwrap_or(Value::Null),
            );
            for path in paths {
                let got = crate::scim::lookup::ClientPath::parse(path, &crate::scim::schema::USER)
                    .ok()
                    .and_then(|p| p.get(resource).cloned());
                if let Some(v) = got {
                    crate::scim::request::set_path(&mut kept, path, v);
                }
            }
            Value::Object(kept)
        }
    }
}

/// The users part of a directory snapshot: each owned ref (or `"absent"`), then every other
/// user carrying the run prefix as `unlinked:<userName>` — duplicates the run left behind.
pub fn users_state(all: &[Value], owned: &[Owned], prefix: &str, view: &View) -> Value {
    let mut replacements: Vec<(String, String)> = Vec::new();
    for o in owned {
        if let Some(oid) = o.object_id {
            replacements.push((oid.simple().to_string(), format!("<objectId:{}>", o.r)));
        }
        if let Some(id) = &o.id {
            replacements.push((id.clone(), format!("<user:{}>", o.r)));
        }
    }
    if !prefix.is_empty() {
        replacements.push((prefix.to_string(), String::new()));
    }
    let by_id = |id: &str| all.iter().find(|u| crate::scim::server_id(u) == Ok(id));
    let mut users = Map::new();
    for o in owned {
        let value = match o.id.as_deref().and_then(by_id) {
            Some(resource) => redact(&keep(resource, view), &replacements),
            None => Value::String("absent".into()),
        };
        users.insert(o.r.clone(), value);
    }
    let known: Vec<&str> = owned.iter().filter_map(|o| o.id.as_deref()).collect();
    let mut extras: Vec<(String, Value)> = all
        .iter()
        .filter(|u| {
            let id = u.get("id").and_then(Value::as_str).unwrap_or_default();
            let carries_prefix = ["userName", "externalId", "displayName"].iter().any(|k| {
                u.get(*k)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.contains(prefix))
            });
            !known.contains(&id) && !prefix.is_empty() && carries_prefix
        })
        .map(|u| {
            let mut value = keep(u, view);
            if let Some(obj) = value.as_object_mut() {
                obj.insert("id".into(), Value::String("<unlinked>".into()));
            }
            let value = redact(&value, &replacements);
            let name = value
                .get("userName")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            (format!("unlinked:{name}"), value)
        })
        .collect();
    extras.sort_by(|a, b| (&a.0, a.1.to_string()).cmp(&(&b.0, b.1.to_string())));
    for (i, (key, value)) in extras.into_iter().enumerate() {
        let key = if users.contains_key(&key) {
            format!("{key}#{i}")
        } else {
            key
        };
        users.insert(key, value);
    }
    serde_json::json!({ "users": users })
}

/// Above this many users a snapshot is a summary: counts, a hash of the whole redacted
/// content and a small sample, so the `.snap` stays a page a reviewer can read.
pub const LARGE_DIRECTORY: usize = 50;

/// How many users the sample of a summary shows: the first, the last and evenly between.
const SAMPLE: usize = 3;

/// The snapshot of a large directory: the summary that is the `.snap` body, and one line
/// per user (`ref {json}`), kept beside it as `.snap.users` so a mismatch can name every
/// user that differs, in full.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub text: String,
    pub lines: String,
}

/// The summary of `state` (`{"users": {ref: …}}`), or None when the directory is small
/// enough to snapshot whole.
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
    let summary = serde_json::json!({
        "users": users.len() - unlinked,
        "absent": absent,
        "unlinked": unlinked,
        "active": active(true),
        "inactive": active(false),
        "content": format!("fnv1a64:{:016x}", fnv1a64(lines.as_bytes())),
        "sample": sample,
    });
    Some(Summary {
        text: serde_json::to_string_pretty(&summary).unwrap_or_default(),
        lines,
    })
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
        Outcome::Matched => {
            let pending = lines_path.with_extension("users.new");
            if pending.exists() {
                std::fs::remove_file(pending)?;
            }
        }
        Outcome::Written(_) => std::fs::write(&lines_path, &summary.lines)?,
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
    let stored = match std::fs::read_to_string(&lines_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
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
fn differing_lines(stored: &str, now: &str) -> (String, String) {
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
    use super::*;
    use serde_json::json;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scim-harness-snap-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn review_writes_pending_and_accept_makes_it_match() {
        let dir = tmp("review");
        let path = file_name(&dir, "sc", "after", "entra");
        let first = compare(
            &path,
            "sc.yaml",
            "snapshot after",
            "{\"a\": 1}",
            Mode::Review,
        )
        .expect("io");
        let Outcome::Mismatch {
            expected: None,
            pending: Some(p),
            ..
        } = first
        else {
            panic!("missing snapshot is a mismatch with a pending file: {first:?}");
        };
        assert!(p.ends_with("sc__after@entra.snap.new"));
        assert_eq!(
            compare(
                &path,
                "sc.yaml",
                "snapshot after",
                "{\"a\": 1}",
                Mode::Accept
            )
            .expect("io"),
            Outcome::Written(path.clone())
        );
        assert_eq!(
            compare(
                &path,
                "sc.yaml",
                "snapshot after",
                "{\"a\": 1}",
                Mode::ReadOnly
            )
            .expect("io"),
            Outcome::Matched
        );
        assert!(!p.exists(), "a match removes the stale pending file");
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(text.starts_with("---\nsource: sc.yaml\n"));
        assert_eq!(body(&text).as_deref(), Some("{\"a\": 1}"));
    }

    #[test]
    fn read_only_mode_writes_nothing() {
        let dir = tmp("ci");
        let path = file_name(&dir, "sc", "s", "entra");
        let out = compare(&path, "sc.yaml", "snapshot s", "x", Mode::ReadOnly).expect("io");
        assert!(matches!(out, Outcome::Mismatch { pending: None, .. }));
        assert!(!dir.exists());
    }

    #[test]
    fn users_state_maps_refs_and_surfaces_unlinked_duplicates() {
        let all = vec![
            json!({"id": "1", "userName": "RUN-a@x", "title": "t", "meta": {"created": "now"}}),
            json!({"id": "2", "userName": "RUN-a@x.dup", "externalId": "RUN-a"}),
            json!({"id": "3", "userName": "someone-else@x"}),
        ];
        let owned = vec![
            Owned {
                r: "a".into(),
                id: Some("1".into()),
                object_id: None,
            },
            Owned {
                r: "gone".into(),
                id: None,
                object_id: None,
            },
        ];
        let state = users_state(
            &all,
            &owned,
            "RUN-",
            &View::Managed(vec!["userName", "title"]),
        );
        assert_eq!(
            state,
            json!({"users": {
                "a": {"id": "<user:a>", "userName": "a@x", "title": "t"},
                "gone": "absent",
                "unlinked:a@x.dup": {"id": "<unlinked>", "userName": "a@x.dup"}
            }})
        );
        let full = users_state(&all, &owned[..1], "RUN-", &View::Full);
        assert_eq!(full["users"]["a"]["meta"]["created"], "[redacted]");
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

        let dir = tmp("large");
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
    fn redaction_replaces_ids_and_sorts_multi_valued() {
        let v = json!({"id": "abc-123", "members": [{"value": "u2"}, {"value": "u1"}], "userName": "RUNX-alice"});
        let out = redact(
            &v,
            &[
                ("abc-123".into(), "<user:alice>".into()),
                ("RUNX-".into(), String::new()),
                ("u1".into(), "<user:a>".into()),
                ("u2".into(), "<user:b>".into()),
            ],
        );
        assert_eq!(
            out,
            json!({"id": "<user:alice>", "members": [{"value": "<user:a>"}, {"value": "<user:b>"}], "userName": "alice"})
        );
    }
}
