//! Known-failures files (`run --known-failures FILE`): scenario × profile pairs a target is
//! known to fail, each with the server bug and the IdP behaviour it breaks. A listed failure
//! does not fail the run; an unlisted one still does. Errors carry file:line:column.

use std::path::Path;

use saphyr::{LoadableYamlNode, MarkedYaml, Marker};

use super::error::{ErrorKind, ScenarioError, ScenarioErrors};
use super::node::{At, Reader};

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFailure {
    pub scenario: String,
    pub profile: String,
    pub reason: String,
    /// Text the failure's root cause must contain (its code and title) for the entry to mask
    /// it: a new, different failure of a listed scenario still fails the run.
    pub finding: Option<String>,
    /// Line of the entry, for "listed but passed" messages.
    pub line: usize,
}

const KEYS: &[&str] = &["scenario", "profile", "reason", "finding"];

pub fn parse(text: &str, file: &Path) -> Result<Vec<KnownFailure>, ScenarioErrors> {
    let mut r = Reader::new(file, text);
    let docs = match MarkedYaml::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let at = At {
                start: *e.marker(),
                end: *e.marker(),
            };
            return Err(r
                .error_at(
                    at,
                    ErrorKind::Syntax,
                    "",
                    format!("invalid YAML: {}", e.info()),
                )
                .into());
        }
    };
    let mut out = Vec::new();
    if let Some(root) = docs.first() {
        if let Some(items) = r.list(root, "known failures") {
            for (i, item) in items.iter().enumerate() {
                let path = format!("[{i}]");
                let Some(map) = r.map(
                    item,
                    At::start_of(item),
                    &path,
                    "a map with scenario, profile and reason",
                ) else {
                    continue;
                };
                r.check_keys(&map, KEYS);
                let field = |key: &str, r: &mut Reader| {
                    r.required(&map, key)
                        .and_then(|e| r.string(e.value, &e.path))
                };
                let scenario = field("scenario", &mut r);
                let profile = field("profile", &mut r);
                let reason = field("reason", &mut r);
                let finding = map.get("finding").and_then(|e| r.string(e.value, &e.path));
                if let (Some(scenario), Some(profile), Some(reason)) = (scenario, profile, reason) {
                    out.push(KnownFailure {
                        scenario,
                        profile,
                        reason,
                        finding,
                        line: At::start_of(item).line(),
                    });
                }
            }
        }
    } else {
        let start = Marker::new(0, 1, 0);
        r.report(
            At { start, end: start },
            ErrorKind::MissingKey,
            "",
            "the file is empty; expected a list of known failures".into(),
        );
    }
    if r.errors.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioErrors(std::mem::take(&mut r.errors)))
    }
}

/// Every entry must name a scenario this run loaded and a profile that exists: a typo would
/// otherwise mask nothing and go unnoticed. An entry for a pair the run does not select
/// (another `--profile`) is fine. `scenarios` holds the names the run loaded, protocol checks
/// included; `profiles` every profile name there is.
pub fn check_entries(
    entries: &[KnownFailure],
    file: &Path,
    scenarios: &[String],
    profiles: &[&str],
) -> Result<(), ScenarioErrors> {
    let mut errors = Vec::new();
    for k in entries {
        let at = |field: &str, message: String| {
            ScenarioError::at_span(
                ErrorKind::InvalidValue,
                file,
                super::model::Span {
                    line: k.line,
                    column: 1,
                },
                field,
                message,
            )
        };
        if !scenarios.contains(&k.scenario) {
            let mut e = at(
                "scenario",
                format!(
                    "`{}` is not a scenario of this run ({} loaded); the entry would mask nothing",
                    k.scenario,
                    scenarios.len()
                ),
            );
            if let Some(near) =
                super::suggest::did_you_mean(&k.scenario, scenarios.iter().map(String::as_str))
            {
                e = e.with_help(format!("did you mean `{near}`?"));
            }
            errors.push(e);
        }
        if !profiles.contains(&k.profile.as_str()) {
            let mut e = at(
                "profile",
                format!(
                    "`{}` is not a profile; known: {}",
                    k.profile,
                    profiles.join(", ")
                ),
            );
            if let Some(near) = super::suggest::did_you_mean(&k.profile, profiles.iter().copied()) {
                e = e.with_help(format!("did you mean `{near}`?"));
            }
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ScenarioErrors(errors))
    }
}

pub fn load(path: &Path) -> Result<Vec<KnownFailure>, ScenarioErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::file_level(
            ErrorKind::Io,
            path,
            format!(
                "failed to read known-failures file `{}`: {e}",
                path.display()
            ),
        )
    })?;
    parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_name_a_loaded_scenario_and_a_real_profile() {
        let file = Path::new("k.yaml");
        let entries = parse(
            "- scenario: okta-conflict\n  profile: okta\n  reason: a\n\
             - scenario: okta-conflit\n  profile: okta\n  reason: typo\n\
             - scenario: okta-conflict\n  profile: octa\n  reason: typo\n",
            file,
        )
        .expect("parses");
        let loaded = vec!["okta-conflict".to_string()];
        let errs = check_entries(&entries, file, &loaded, &["entra", "okta"]).unwrap_err();
        let got: Vec<(usize, &str, Option<&str>)> = errs
            .0
            .iter()
            .map(|e| {
                (
                    e.span.map_or(0, |s| s.line),
                    e.message.as_str(),
                    e.help.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    4,
                    "`okta-conflit` is not a scenario of this run (1 loaded); the entry would mask nothing",
                    Some("did you mean `okta-conflict`?")
                ),
                (
                    7,
                    "`octa` is not a profile; known: entra, okta",
                    Some("did you mean `okta`?")
                ),
            ]
        );
        assert!(check_entries(&entries[..1], file, &loaded, &["entra", "okta"]).is_ok());
    }

    #[test]
    fn reads_entries_and_rejects_unknown_keys_with_positions() {
        let ok = parse(
            "- scenario: a\n  profile: entra\n  reason: bug\n",
            Path::new("k.yaml"),
        )
        .expect("parses");
        assert_eq!(
            ok,
            vec![KnownFailure {
                scenario: "a".into(),
                profile: "entra".into(),
                reason: "bug".into(),
                finding: None,
                line: 1
            }]
        );
        let pinned = parse(
            "- scenario: a\n  profile: entra\n  reason: bug\n  finding: F-REJECTED x\n",
            Path::new("k.yaml"),
        )
        .expect("parses");
        assert_eq!(pinned[0].finding.as_deref(), Some("F-REJECTED x"));
        let err = parse(
            "- scenario: a\n  profil: entra\n  reason: bug\n",
            Path::new("k.yaml"),
        )
        .expect_err("typo");
        let text = err.render();
        assert!(text.contains("k.yaml:2:3"), "{text}");
        assert!(text.contains("unknown key `profil`"), "{text}");
        assert!(text.contains("missing required key `profile`"), "{text}");
    }
}
