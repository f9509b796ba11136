//! Scenario paths that are not on disk are looked up among the built-in scenarios
//! (`catalog`), so `scim-harness run entra/` works from any directory. A path on disk always
//! wins: inside the repository, and for a vendor's own folders, nothing changes.

use std::path::{Path, PathBuf};

use super::{discover, load_file, parse_str, ErrorKind, ScenarioError, ScenarioErrors};
use crate::catalog::{self, BuiltinScenario};
use crate::scenario::model::Scenario;

/// One scenario to load: a file on disk, or one compiled into the binary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScenarioFile {
    Disk(PathBuf),
    Builtin(BuiltinScenario),
}

impl ScenarioFile {
    /// The path shown for it; a built-in one says so (`… (built in)`).
    pub fn shown(&self) -> PathBuf {
        match self {
            ScenarioFile::Disk(p) => p.clone(),
            ScenarioFile::Builtin(b) => PathBuf::from(b.shown()),
        }
    }

    /// Parses it; a built-in scenario's `file` is its shown path, so errors, listings and
    /// reports name it the same way.
    pub fn load(&self) -> Result<Scenario, ScenarioErrors> {
        match self {
            ScenarioFile::Disk(p) => load_file(p),
            ScenarioFile::Builtin(b) => parse_str(b.text, &self.shown()),
        }
    }
}

/// The scenarios `paths` name: each path that exists is walked as `discover` does; one that
/// does not is looked up among the built-in scenarios; one that is neither is an error
/// naming it and the built-in folders. All errors are reported together.
pub fn discover_with_builtin(paths: &[PathBuf]) -> Result<Vec<ScenarioFile>, ScenarioErrors> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if std::fs::symlink_metadata(path).is_ok() {
            match discover(std::slice::from_ref(path)) {
                Ok(files) => found.extend(files.into_iter().map(ScenarioFile::Disk)),
                Err(e) => errors.extend(e.0),
            }
            continue;
        }
        match path.to_str().and_then(catalog::select) {
            Some(list) => found.extend(list.into_iter().map(ScenarioFile::Builtin)),
            None => errors.push(not_found(path)),
        }
    }
    if !errors.is_empty() {
        return Err(ScenarioErrors(errors));
    }
    // Named twice (directly and through its folder): runs once, where first named.
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| seen.insert(f.clone()));
    Ok(found)
}

fn not_found(path: &Path) -> ScenarioError {
    ScenarioError::file_level(
        ErrorKind::Io,
        path,
        format!(
            "failed to find scenarios at `{}`: no such file or directory, and no built-in scenarios there (built in: {})",
            path.display(),
            catalog::folders()
                .iter()
                .map(|f| format!("{f}/"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_not_on_disk_is_taken_from_the_built_in_scenarios() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Relative to the test's cwd (the crate root) `entra/` does not exist.
        assert!(!Path::new("entra").exists());
        let files = discover_with_builtin(&[PathBuf::from("entra/")]).expect("built in");
        assert!(!files.is_empty());
        assert!(files.iter().all(|f| matches!(f, ScenarioFile::Builtin(_))));
        let s = files[0].load().expect("a built-in scenario parses");
        assert!(s.file.display().to_string().ends_with(".yaml (built in)"));
        assert!(s.file.starts_with("scenarios/entra"));
        // A folder on disk is walked as before.
        std::fs::write(dir.path().join("own.yaml"), "x").expect("write");
        let disk = discover_with_builtin(&[dir.path().to_path_buf()]).expect("disk");
        assert_eq!(disk, vec![ScenarioFile::Disk(dir.path().join("own.yaml"))]);
    }

    #[test]
    fn an_unknown_path_names_itself_and_the_built_in_folders() {
        let e = discover_with_builtin(&[PathBuf::from("entra/"), PathBuf::from("nowhere/x.yaml")])
            .expect_err("unknown");
        assert_eq!(e.0.len(), 1);
        let text = e.render();
        assert!(text.contains("`nowhere/x.yaml`"), "{text}");
        assert!(text.contains("entra/, "), "{text}");
    }

    #[test]
    fn every_built_in_scenario_parses() {
        for b in crate::catalog::scenarios() {
            let f = ScenarioFile::Builtin(b);
            if let Err(e) = f.load() {
                panic!("{}", e.render());
            }
        }
    }
}
