//! The run's reports from the CLI's side: every report path checked before anything is sent
//! (a typo in `--junit` must not cost a 20-minute run its results), the transcript emptied
//! once per run unless `--append`, what the run was (`RunInfo`), and every report written
//! once at the end, scrubbed once more. `-` sends one report to stdout and the console to
//! stderr.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::run::{RunArgs, Target};
use crate::client::{scrub_userinfo, Redactor, TenantUrl};
use crate::engine::runner::ScenarioOutcome;
use crate::report::{self, Interruption, ReportError, RunInfo};

/// The report options of a run, by flag, in the order they are written.
fn destinations(args: &RunArgs) -> Vec<(&'static str, &PathBuf)> {
    [
        ("--json", args.json.as_ref()),
        ("--junit", args.junit.as_ref()),
        ("--html", args.html.as_ref()),
        ("--log", args.log.as_ref()),
        ("--transcript", args.transcript.as_ref()),
    ]
    .into_iter()
    .filter_map(|(flag, path)| path.map(|p| (flag, p)))
    .collect()
}

/// Checks that every report can be written where asked, before the run starts; empties the
/// transcript unless `--append`. Errors read `--junit out/x.xml: cannot write there: …`.
pub(super) fn preflight(args: &RunArgs) -> Result<(), String> {
    let wanted = destinations(args);
    let to_stdout: Vec<&str> = wanted
        .iter()
        .filter(|(_, p)| report::is_stdout(p))
        .map(|(flag, _)| *flag)
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "{} all ask for stdout (`-`); only one report can go there",
            to_stdout.join(", ")
        ));
    }
    if to_stdout == ["--transcript"] {
        return Err(
            "--transcript -: the transcript is written while the run goes on; give it a file"
                .into(),
        );
    }
    for (flag, path) in &wanted {
        if report::is_stdout(path) {
            continue;
        }
        let failed = |why: String| format!("{flag} {}: cannot write there: {why}", path.display());
        if path.is_dir() {
            return Err(failed("it is a directory".into()));
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            return Err(failed(format!(
                "the directory {} does not exist",
                parent.display()
            )));
        }
        let existed = path.exists();
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create(true);
        if *flag == "--transcript" && !args.append {
            // One run, one transcript: lines of an earlier run would read as this one's.
            open.truncate(true);
        }
        open.open(path).map_err(|e| failed(e.to_string()))?;
        if !existed && *flag != "--transcript" {
            // Only proving it can be written: a run that fails early leaves no empty report.
            let _ = std::fs::remove_file(path);
        }
    }
    if !to_stdout.is_empty() {
        super::move_console_to_stderr();
    }
    Ok(())
}

/// The target as reports name it: never its credentials.
pub(super) fn shown_target(target: &Target, given: Option<&str>, redactor: &Redactor) -> String {
    match target {
        Target::Builtin => "built-in".into(),
        Target::DryRun { shown_base } => {
            format!("dry run (nothing sent to {})", scrub_userinfo(shown_base))
        }
        Target::External { .. } => redactor.scrub(&scrub_userinfo(given.unwrap_or_default())),
    }
}

/// Per profile, the options every run of it got: `--option` (a `profile.` prefix narrows one
/// to that profile) and, for Entra, the flag in the tenant URL. Mirrors the console's
/// `profiles:` line.
pub(super) fn profile_options<'a>(
    names: impl IntoIterator<Item = &'a str>,
    args: &RunArgs,
    cli_options: &BTreeMap<String, String>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let flagged = args
        .target
        .as_deref()
        .and_then(|t| TenantUrl::parse(t).ok())
        .is_some_and(|u| crate::profile::entra::Dialect::flagged_in(&u));
    names
        .into_iter()
        .map(|name| {
            let mut options = BTreeMap::new();
            if name == "entra" && flagged {
                options.insert("patch_dialect".to_string(), "aadOptscim062020".to_string());
            }
            options.extend(super::run::for_profile(
                name,
                cli_options.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
            (name.to_string(), options)
        })
        .collect()
}

/// How a run ended early, for the reports.
pub(super) fn interruption(stopped: Option<(impl ToString, usize)>) -> Option<Interruption> {
    stopped.map(|(cause, not_run)| Interruption {
        cause: cause.to_string(),
        not_run,
    })
}

/// Writes every report asked for, each scrubbed once more: the client scrubbed every answer
/// as it arrived; this pass covers the rest.
pub(super) fn write_all(
    outcomes: &[ScenarioOutcome],
    info: &RunInfo,
    args: &RunArgs,
    redactor: &Redactor,
) -> Result<(), ReportError> {
    let rendered = |flag: &str| -> Result<String, ReportError> {
        Ok(match flag {
            "--json" => report::json::render(outcomes, info),
            "--junit" => report::junit::render(outcomes, info)?,
            "--html" => report::html::render(outcomes, info),
            _ => report::log_lines(outcomes),
        })
    };
    for (flag, path) in destinations(args) {
        if flag == "--transcript" {
            continue;
        }
        report::write_file(path, &redactor.scrub(&rendered(flag)?))?;
    }
    Ok(())
}
