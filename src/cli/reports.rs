//! The run's reports from the CLI's side: every report path checked before anything is sent
//! (a typo in `--junit` must not cost a 20-minute run its results), the transcript emptied
//! once per run unless `--append`, and every report written once at the end from the
//! library's `Report`, scrubbed once more. `-` sends one report to stdout and the console to
//! stderr.

use std::path::{Path, PathBuf};

use super::run::RunArgs;
use crate::harness::Report;
use crate::report::{self, ReportError};

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

/// Writes every report asked for, each scrubbed once more: the client scrubbed every answer
/// as it arrived; this pass covers the rest.
pub(super) fn write_all(report: &Report, args: &RunArgs) -> Result<(), ReportError> {
    for (flag, path) in destinations(args) {
        match flag {
            "--json" => report.write_json(path)?,
            "--junit" => report.write_junit(path)?,
            "--html" => report.write_html(path)?,
            "--log" => report.write_log(path)?,
            _ => {}
        }
    }
    Ok(())
}
