//! Scenario files: parsing YAML into the `model`, with every error naming file, line, column
//! and field before anything is sent to a server. This stage reads files and nothing else.

mod builtin;
mod error;
pub mod known;
pub mod model;
mod node;
mod parse;
pub mod population;
mod refs;
mod suggest;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

pub use builtin::{discover_with_builtin, ScenarioFile};
pub use error::{ErrorKind, ScenarioError, ScenarioErrors};
pub use parse::{PROFILES, STEP_KEYWORDS};

use model::Scenario;

/// Parses one scenario from `text`; `file` names it in errors and in `Scenario::file`.
pub fn parse_str(text: &str, file: &Path) -> Result<Scenario, ScenarioErrors> {
    parse::parse(text, file)
}

/// Reads and parses one scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let text = fs::read_to_string(path).map_err(|e| {
        ScenarioError::file_level(
            ErrorKind::Io,
            path,
            format!("failed to read scenario file `{}`: {e}", path.display()),
        )
    })?;
    parse_str(&text, path)
}

/// Parses every file and text, then checks that no two of them, nor of `given`, share a
/// name. Every file's errors are reported together, rendered one file after another: the
/// CLI prints the text and the library returns it, so both faces tell a typo the same way.
pub fn load_all(
    files: &[ScenarioFile],
    texts: &[(PathBuf, String)],
    given: Vec<Scenario>,
) -> Result<Vec<Scenario>, String> {
    let mut scenarios = Vec::new();
    let mut errors = String::new();
    let parsed = files
        .iter()
        .map(ScenarioFile::load)
        .chain(texts.iter().map(|(f, t)| parse_str(t, f)));
    for result in parsed {
        match result {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push_str(&e.render()),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    scenarios.extend(given);
    check_unique_names(&scenarios).map_err(|e| e.render())?;
    Ok(scenarios)
}

/// The scenario files named by `paths`: a file is taken as is; a directory is walked
/// recursively for `*.yaml` and `*.yml`, sorted, so runs and reports list scenarios in a
/// stable order. A path that does not exist is an error; all such errors are reported.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioErrors> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut found, &mut errors),
            Ok(_) => found.push(path.clone()),
            Err(e) => errors.push(ScenarioError::file_level(
                ErrorKind::Io,
                path,
                format!("failed to find scenarios at `{}`: {e}", path.display()),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ScenarioErrors(errors));
    }
    // A file named twice (directly and through its directory) runs once, where first named.
    let mut seen = std::collections::HashSet::new();
    found.retain(|p| seen.insert(p.clone()));
    Ok(found)
}

/// Appends the YAML files under `dir`, sorted by path, and an error for each entry that
/// cannot be read. Symlinked directories are not followed, so a link cycle cannot make
/// discovery loop.
fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<ScenarioError>) {
    let io_error = |path: &Path, e: std::io::Error| {
        ScenarioError::file_level(
            ErrorKind::Io,
            path,
            format!("failed to list scenarios in `{}`: {e}", path.display()),
        )
    };
    let mut entries = match fs::read_dir(dir).and_then(|rd| rd.collect::<Result<Vec<_>, _>>()) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(io_error(dir, e));
            return;
        }
    };
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk(&path, out, errors),
            Ok(_) => {
                if is_yaml(&path) && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    out.push(path);
                }
            }
            Err(e) => errors.push(io_error(&path, e)),
        }
    }
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Two files with the same `name:` would share snapshots and known-failure entries: the
/// second is an error at its `name:` line, naming the first.
pub fn check_unique_names(scenarios: &[Scenario]) -> Result<(), ScenarioErrors> {
    let mut seen: std::collections::BTreeMap<&str, &Path> = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    for s in scenarios {
        if let Some(first) = seen.insert(&s.name, &s.file) {
            seen.insert(&s.name, first);
            // A built-in scenario's text is in the binary, not at its shown path.
            let line = crate::catalog::scenario_text(&s.file.display().to_string())
                .map(str::to_string)
                .or_else(|| std::fs::read_to_string(&s.file).ok())
                .and_then(|t| t.lines().position(|l| l.starts_with("name:")))
                .map_or(1, |i| i + 1);
            errors.push(ScenarioError::at_span(
                ErrorKind::Duplicate,
                &s.file,
                model::Span { line, column: 7 },
                "name",
                format!(
                    "scenario name `{}` is also the name of `{}`; names must be unique (they name snapshots and known-failure entries)",
                    s.name,
                    first.display()
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ScenarioErrors(errors))
    }
}
