//! Directory snapshots: the run's own objects as the target holds them, normalized so one
//! file holds for every correct server (server ids → refs, run prefix stripped, objectIds →
//! `<objectId:ref>`, only the attributes the profile manages). Files use insta's `.snap`
//! format so `cargo insta review` works; nothing is written when `CI` is set.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

mod groups;
pub mod pending;
mod summary;

pub use groups::{groups_state, GROUP_PATHS};
pub use summary::{compare_summary, summarize, users_file, Summary, LARGE_DIRECTORY};

/// What to do when the stored snapshot differs or is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write `.snap.new` beside the file for review (insta's default).
    Review,
    /// Overwrite the `.snap` (`--accept`).
    Accept,
    /// Write nothing (`CI` set).
    ReadOnly,
    /// Compare nothing, write nothing: the directory only goes to the run's outcome, for a
    /// library caller to assert with its own tool (`Report::directory` and insta).
    Collect,
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
    let expected = stored(path, source)?.as_deref().and_then(body);
    if expected.as_deref() == Some(actual) {
        // A read-only run touches no file: without a snapshot directory `path` is relative
        // to the working directory, where a `.snap.new` is not the run's to delete.
        if mode != Mode::ReadOnly {
            remove_if_present(&path.with_extension("snap.new"))?;
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
            // A pending version is stale once the snapshot is written.
            remove_if_present(&path.with_extension("snap.new"))?;
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
        Mode::ReadOnly | Mode::Collect => Ok(Outcome::Mismatch {
            expected,
            actual: actual.to_string(),
            pending: None,
        }),
    }
}

/// The stored text of the snapshot file at `path`: the file in the snapshot directory, or,
/// when there is none and `source` is a built-in scenario (`… (built in)`), the snapshot
/// compiled into the binary under the same name. A vendor's own file always wins, so an
/// accepted `.snap` overrides the built-in one; a scenario read from disk never falls back,
/// so deleting a snapshot in the repository to record it again still records it.
pub(crate) fn stored(path: &Path, source: &str) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let built_in = crate::catalog::scenario_text(source).is_some();
            Ok(path
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|_| built_in)
                .and_then(crate::catalog::snapshot)
                .map(str::to_string))
        }
        Err(e) => Err(e),
    }
}

/// Removes a pending file that may or may not be there.
pub(crate) fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
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
    keep_as(resource, view, &crate::scim::schema::USER)
}

/// `keep` for a resource of type `rt`: managed paths are parsed against its schema.
fn keep_as(resource: &Value, view: &View, rt: &crate::scim::schema::ResourceTypeDef) -> Value {
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
            redact_refs(&mut whole);
            whole
        }
        View::Managed(paths) => {
            let mut kept = Map::new();
            kept.insert(
                "id".into(),
                resource.get("id").cloned().unwrap_or(Value::Null),
            );
            for path in paths {
                let got = crate::scim::lookup::ClientPath::parse(path, rt)
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

/// Every `$ref` (a user's `groups`, a group's `members`) is an absolute URL carrying the
/// server's base, which differs from server to server (and port to port): redacted like
/// `meta.location`; `value` beside it still says which object it is.
fn redact_refs(value: &mut Value) {
    match value {
        Value::Object(o) => {
            for (k, v) in o.iter_mut() {
                if k == "$ref" {
                    *v = Value::String("[redacted]".into());
                } else {
                    redact_refs(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_refs),
        _ => {}
    }
}

/// How server-assigned text becomes stable: each known server id becomes its ref
/// (`<user:alice>`, `<group:sales>`), each source objectId `<objectId:ref>`, and the run
/// prefix disappears. One redaction serves users and groups, so a user's `groups` and a
/// group's `members` read the same refs.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    replacements: Vec<(String, String)>,
    /// Server id → `<user:ref>` / `<group:ref>`, for exact lookups (members).
    refs: std::collections::BTreeMap<String, String>,
}

impl Redaction {
    pub fn new(users: &[Owned], groups: &[Owned], prefix: &str) -> Self {
        let mut r = Redaction::default();
        for (owned, kind) in [(users, "user"), (groups, "group")] {
            for o in owned {
                if let Some(oid) = o.object_id {
                    let to = format!("<objectId:{}>", o.r);
                    r.replacements.push((oid.simple().to_string(), to.clone()));
                    r.replacements.push((oid.hyphenated().to_string(), to));
                }
                if let Some(id) = &o.id {
                    let to = format!("<{kind}:{}>", o.r);
                    r.replacements.push((id.clone(), to.clone()));
                    r.refs.insert(id.clone(), to);
                }
            }
        }
        if !prefix.is_empty() {
            r.replacements.push((prefix.to_string(), String::new()));
        }
        r
    }

    pub fn apply(&self, value: &Value) -> Value {
        redact(value, &self.replacements)
    }

    /// The ref of a server id the run knows (`<user:alice>`), if it knows it.
    pub fn reference(&self, id: &str) -> Option<&str> {
        self.refs.get(id).map(String::as_str)
    }
}

/// Whether a listed resource carries the run prefix in one of `keys`: an object of this run
/// that no ref points at.
fn carries_prefix(resource: &Value, keys: &[&str], prefix: &str) -> bool {
    !prefix.is_empty()
        && keys.iter().any(|k| {
            resource
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(|v| v.contains(prefix))
        })
}

/// Adds the `unlinked:<name>` entries after the owned ones, sorted, numbered on a clash.
fn push_unlinked(into: &mut Map<String, Value>, mut extras: Vec<(String, Value)>) {
    extras.sort_by(|a, b| (&a.0, a.1.to_string()).cmp(&(&b.0, b.1.to_string())));
    for (i, (key, value)) in extras.into_iter().enumerate() {
        let key = if into.contains_key(&key) {
            format!("{key}#{i}")
        } else {
            key
        };
        into.insert(key, value);
    }
}

/// The users part of a directory snapshot: each owned ref (or `"absent"`), then every other
/// user carrying the run prefix as `unlinked:<userName>` — duplicates the run left behind.
pub fn users_state(
    all: &[Value],
    owned: &[Owned],
    redaction: &Redaction,
    prefix: &str,
    view: &View,
) -> Map<String, Value> {
    let by_id = |id: &str| all.iter().find(|u| crate::scim::server_id(u) == Ok(id));
    let mut users = Map::new();
    for o in owned {
        let value = match o.id.as_deref().and_then(by_id) {
            Some(resource) => redaction.apply(&keep(resource, view)),
            None => Value::String("absent".into()),
        };
        users.insert(o.r.clone(), value);
    }
    let known: Vec<&str> = owned.iter().filter_map(|o| o.id.as_deref()).collect();
    let extras: Vec<(String, Value)> = all
        .iter()
        .filter(|u| {
            let id = u.get("id").and_then(Value::as_str).unwrap_or_default();
            !known.contains(&id)
                && carries_prefix(u, &["userName", "externalId", "displayName"], prefix)
        })
        .map(|u| {
            let mut value = keep(u, view);
            if let Some(obj) = value.as_object_mut() {
                obj.insert("id".into(), Value::String("<unlinked>".into()));
            }
            let value = redaction.apply(&value);
            let name = value
                .get("userName")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            (format!("unlinked:{name}"), value)
        })
        .collect();
    push_unlinked(&mut users, extras);
    users
}

/// The whole directory snapshot: `{"users": …, "groups": …}`. `groups` is left out when the
/// run has none, so a users-only scenario's snapshot reads as it always has.
pub fn directory_state(users: Map<String, Value>, groups: Map<String, Value>) -> Value {
    let mut state = Map::new();
    state.insert("users".into(), Value::Object(users));
    if !groups.is_empty() {
        state.insert("groups".into(), Value::Object(groups));
    }
    Value::Object(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A snapshot directory not yet created, inside a temporary one removed with its guard
    /// when the test ends.
    fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().expect("tmp");
        let dir = root.path().join(name);
        (root, dir)
    }

    #[test]
    fn review_writes_pending_and_accept_makes_it_match() {
        let (_root, dir) = tmp("review");
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

    /// A read-only run (CI, dry run, no snapshot directory) deletes nothing, not even a
    /// stale `.snap.new`: without a directory the path is relative to the user's cwd.
    #[test]
    fn a_read_only_match_leaves_files_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = file_name(dir.path(), "sc", "after", "entra");
        std::fs::write(&path, render("sc.yaml", "snapshot after", "{}")).expect("write");
        let stray = path.with_extension("snap.new");
        std::fs::write(&stray, "not the run's").expect("write");
        let matched = compare(&path, "sc.yaml", "snapshot after", "{}", Mode::ReadOnly);
        assert_eq!(matched.expect("io"), Outcome::Matched);
        assert!(
            stray.exists(),
            "a read-only match removed {}",
            stray.display()
        );
        let matched = compare(&path, "sc.yaml", "snapshot after", "{}", Mode::Review);
        assert_eq!(matched.expect("io"), Outcome::Matched);
        assert!(
            !stray.exists(),
            "a reviewing match clears the stale pending file"
        );
    }

    /// A built-in scenario compares against the built-in snapshot when the snapshot
    /// directory has none; a mismatch goes pending in that directory, and once accepted the
    /// directory's own file is the expected one. A scenario from disk never falls back.
    #[test]
    fn built_in_snapshots_stand_in_until_the_directory_has_its_own() {
        let (_root, dir) = tmp("builtin");
        let scenario = crate::catalog::select("entra")
            .into_iter()
            .flatten()
            .find(|s| {
                let name = s.text.lines().find_map(|l| l.strip_prefix("name: "));
                name.is_some_and(|n| {
                    crate::catalog::snapshot(&format!("{}__after-initial@entra.snap", n.trim()))
                        .is_some()
                })
            })
            .expect("a built-in entra scenario with an after-initial snapshot");
        let name = scenario
            .text
            .lines()
            .find_map(|l| l.strip_prefix("name: "))
            .map(str::trim)
            .unwrap_or_default();
        let path = file_name(&dir, name, "after-initial", "entra");
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let built_in = crate::catalog::snapshot(file).and_then(body).expect("body");
        let source = scenario.shown();
        let same = compare(&path, &source, "snapshot", &built_in, Mode::Review).expect("io");
        assert_eq!(same, Outcome::Matched);
        assert!(
            !dir.exists(),
            "a match against the built-in one writes nothing"
        );
        // The same content from a scenario on disk: no snapshot there, so it is new.
        let on_disk = compare(&path, scenario.path, "snapshot", &built_in, Mode::ReadOnly);
        assert!(matches!(
            on_disk,
            Ok(Outcome::Mismatch { expected: None, .. })
        ));
        let other = compare(&path, &source, "snapshot", "{}", Mode::Review).expect("io");
        let Outcome::Mismatch {
            expected: Some(expected),
            pending: Some(p),
            ..
        } = other
        else {
            panic!("a differing built-in snapshot is a mismatch: {other:?}");
        };
        assert_eq!(expected, built_in);
        assert!(
            p.starts_with(&dir),
            "pending goes to the snapshot directory"
        );
        let pending = pending::Pending::at(&p).expect("pending");
        assert_eq!(pending.bodies().expect("io").0, Some(built_in.clone()));
        pending.accept().expect("accept");
        let now = compare(&path, &source, "snapshot", "{}", Mode::ReadOnly).expect("io");
        assert_eq!(
            now,
            Outcome::Matched,
            "the accepted file overrides the built-in one"
        );
    }

    #[test]
    fn read_only_mode_writes_nothing() {
        let (_root, dir) = tmp("ci");
        let path = file_name(&dir, "sc", "s", "entra");
        let out = compare(&path, "sc.yaml", "snapshot s", "x", Mode::ReadOnly).expect("io");
        assert!(matches!(out, Outcome::Mismatch { pending: None, .. }));
        assert!(!dir.exists());
    }

    #[test]
    fn users_state_maps_refs_and_surfaces_unlinked_duplicates() {
        let all = vec![
            json!({"id": "1", "userName": "RUN-a@x", "title": "t", "meta": {"created": "now"},
                   "groups": [{"value": "grp-x", "$ref": "http://host:1234/Groups/grp-x"}]}),
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
        let redaction = Redaction::new(&owned, &[], "RUN-");
        let state = users_state(
            &all,
            &owned,
            &redaction,
            "RUN-",
            &View::Managed(vec!["userName", "title"]),
        );
        assert_eq!(
            directory_state(state, Map::new()),
            json!({"users": {
                "a": {"id": "<user:a>", "userName": "a@x", "title": "t"},
                "gone": "absent",
                "unlinked:a@x.dup": {"id": "<unlinked>", "userName": "a@x.dup"}
            }})
        );
        let full = users_state(&all, &owned[..1], &redaction, "RUN-", &View::Full);
        assert_eq!(full["a"]["meta"]["created"], "[redacted]");
        assert_eq!(
            full["a"]["groups"],
            json!([{"value": "grp-x", "$ref": "[redacted]"}]),
            "a reference URL carries the server's base"
        );
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
