//! The project's own scenarios and snapshots, compiled into the binary by `build.rs`, so an
//! installed `scim-harness` runs them from any directory. This module only answers lookups
//! by path; which files a run uses is decided by the CLI (disk first, then these).

mod files {
    include!(concat!(env!("OUT_DIR"), "/catalog.rs"));
}

/// Appended to a built-in scenario's path wherever it is shown (list, diagnostics, reports,
/// snapshot headers), so a reader never looks for a file that is not on their disk.
pub const BUILTIN_SUFFIX: &str = " (built in)";

const SCENARIOS: &str = "scenarios/";
const SNAPSHOTS: &str = "snapshots/";

/// A built-in scenario file: its path as in the repository and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BuiltinScenario {
    pub path: &'static str,
    pub text: &'static str,
}

impl BuiltinScenario {
    /// The path shown for it: `scenarios/entra/foo.yaml (built in)`.
    pub fn shown(&self) -> String {
        format!("{}{BUILTIN_SUFFIX}", self.path)
    }
}

/// Every built-in scenario, sorted by path (the order a directory walk gives on disk).
pub fn scenarios() -> impl Iterator<Item = BuiltinScenario> {
    files::FILES
        .iter()
        .filter(|(p, _)| p.starts_with(SCENARIOS) && (p.ends_with(".yaml") || p.ends_with(".yml")))
        .map(|&(path, text)| BuiltinScenario { path, text })
}

/// The built-in scenarios a path names, as a user would write it for the repository:
/// `entra`, `entra/`, `scenarios/entra`, `./scenarios/entra/foo.yaml`, `scenarios`. None when
/// it names none of them.
pub fn select(given: &str) -> Option<Vec<BuiltinScenario>> {
    let trimmed = given.replace('\\', "/");
    let mut path = trimmed.as_str();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let path = path.trim_end_matches('/');
    let path = match path {
        "" | "." | "scenarios" => "",
        p => p.strip_prefix(SCENARIOS).unwrap_or(p),
    };
    let found: Vec<BuiltinScenario> = scenarios()
        .filter(|s| {
            let inner = &s.path[SCENARIOS.len()..];
            path.is_empty()
                || inner == path
                || inner
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

/// The top-level folders of the built-in scenarios (`common`, `entra`, …), for an error
/// that says what could have been meant.
pub fn folders() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = scenarios()
        .filter_map(|s| s.path[SCENARIOS.len()..].split_once('/').map(|(f, _)| f))
        .collect();
    out.dedup();
    out
}

/// The text of the built-in scenario shown as `shown` (`… (built in)`), if it is one.
pub fn scenario_text(shown: &str) -> Option<&'static str> {
    let path = shown.strip_suffix(BUILTIN_SUFFIX)?;
    scenarios().find(|s| s.path == path).map(|s| s.text)
}

/// A built-in snapshot file (`entra-…@entra.snap`, or its `.snap.users` side file) by name.
pub fn snapshot(file_name: &str) -> Option<&'static str> {
    files::FILES
        .iter()
        .find(|(p, _)| p.strip_prefix(SNAPSHOTS) == Some(file_name))
        .map(|&(_, text)| text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repository_scenario_is_built_in() {
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/entra"))
            .expect("scenarios/entra is readable")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml"))
            })
            .count();
        let built_in = select("entra/").expect("entra is built in").len();
        assert!(on_disk > 0);
        assert_eq!(built_in, on_disk);
    }

    #[test]
    fn a_selection_is_written_as_in_the_repository() {
        let all = select("scenarios").expect("all").len();
        assert_eq!(select("./scenarios/").map(|v| v.len()), Some(all));
        assert_eq!(select("").map(|v| v.len()), Some(all));
        let one = &select("entra").expect("entra")[0];
        assert_eq!(select(one.path).expect("by full path"), vec![*one]);
        let inner = &one.path[SCENARIOS.len()..];
        assert_eq!(select(inner).expect("without scenarios/"), vec![*one]);
        // A prefix of a folder name is not that folder.
        assert_eq!(select("entr"), None);
        assert_eq!(select("nothing/here.yaml"), None);
    }

    #[test]
    fn folders_are_listed_once_each() {
        let folders = folders();
        assert!(folders.contains(&"entra") && folders.contains(&"okta"));
        let mut unique = folders.clone();
        unique.dedup();
        assert_eq!(unique, folders);
    }

    #[test]
    fn a_shown_path_finds_its_text_and_snapshots_are_built_in() {
        let s = select("entra").expect("entra")[0];
        assert_eq!(scenario_text(&s.shown()), Some(s.text));
        assert_eq!(scenario_text(s.path), None, "a disk path is not built in");
        let snap = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"))
            .expect("snapshots readable")
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().ends_with(".snap"))
            .expect("a snapshot");
        let text = std::fs::read_to_string(snap.path()).expect("readable");
        assert_eq!(
            snapshot(&snap.file_name().to_string_lossy()),
            Some(text.as_str())
        );
        assert_eq!(snapshot("no-such__x@entra.snap"), None);
    }
}
