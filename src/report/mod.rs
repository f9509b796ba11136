//! Reports, written from the collected scenario outcomes: the console (progress as each
//! scenario finishes, then a summary), JSON, JUnit XML and the provisioning log as JSON lines.
//! A report never contains a token: what it renders was scrubbed by the client at ingress
//! and once more by the CLI, so a server that echoes the token still gets its report.

pub mod console;
pub mod junit;

use std::path::Path;

use serde_json::json;

use crate::check::finding::{group, Group};
use crate::engine::runner::{ScenarioOutcome, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("failed to write report {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub target_errors: usize,
    pub known: usize,
    pub skipped: usize,
    pub warnings: usize,
}

pub fn totals(outcomes: &[ScenarioOutcome]) -> Totals {
    let mut t = Totals::default();
    for o in outcomes {
        match o.verdict {
            Verdict::Passed => t.passed += 1,
            Verdict::Failed => t.failed += 1,
            Verdict::TargetError => t.target_errors += 1,
            Verdict::KnownFailure => t.known += 1,
            Verdict::Skipped => t.skipped += 1,
        }
        // A skip's reason is its only warning: counted as the skip, not twice.
        if o.verdict != Verdict::Skipped {
            t.warnings += o.warnings.len();
        }
    }
    t
}

/// Writes a report file. The text arrives clean: the client replaced every secret in what
/// the server sent, and the CLI scrubs the whole text once more before calling this; a
/// report knows no secret of its own.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|source| ReportError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// The findings of a run grouped by cause, in the order reports show them.
pub fn findings(outcomes: &[ScenarioOutcome]) -> Vec<Group> {
    group(outcomes.iter().map(|o| {
        let root = o
            .failure
            .as_ref()
            .and_then(|f| f.cause.as_ref())
            .filter(|_| {
                matches!(
                    o.verdict,
                    Verdict::Failed | Verdict::TargetError | Verdict::KnownFailure
                )
            })
            .map(|c| c.key.as_str());
        (
            format!("{}@{}", o.scenario, o.profile),
            o.findings.as_slice(),
            root,
        )
    }))
}

/// The machine-readable report (`--json`).
pub fn json(outcomes: &[ScenarioOutcome]) -> String {
    let t = totals(outcomes);
    let findings = findings(outcomes);
    let doc = json!({
        "summary": {
            "passed": t.passed,
            "failed": t.failed,
            "target_errors": t.target_errors,
            "known_failures": t.known,
            "skipped": t.skipped,
            "warnings": t.warnings,
        },
        "findings": findings,
        "scenarios": outcomes,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The provisioning log as JSON lines (`--log`), each record tagged with scenario and profile.
pub fn log_lines(outcomes: &[ScenarioOutcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        for rec in &o.log {
            let mut v = serde_json::to_value(rec).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("scenario".into(), json!(o.scenario));
                obj.insert("profile".into(), json!(o.profile));
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    out
}
