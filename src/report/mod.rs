//! Reports, written once at the end from the collected scenario outcomes and what the run
//! was (`RunInfo`): the console (progress as each scenario finishes, then a summary), JSON,
//! JUnit XML, one self-contained HTML file and the provisioning log as JSON lines.
//! A report never contains a token: what it renders was scrubbed by the client at ingress
//! and once more by the CLI, so a server that echoes the token still gets its report.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;

use std::collections::BTreeMap;
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
    #[error("failed to render the {format} report: {reason}")]
    Render {
        format: &'static str,
        reason: String,
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

/// What a run was, beside its outcomes: what every report names at its top.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// `scim-harness/<version>`.
    pub tool: String,
    /// The tenant URL with credentials replaced, `built-in` or `dry run (…)`.
    pub target: String,
    /// Per profile, the options every run of it got (`--option`, the tenant URL's flags);
    /// a scenario's own `options:` come on top and are not listed here.
    pub profiles: BTreeMap<String, BTreeMap<String, String>>,
    pub prefix: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub duration_ms: u64,
    /// Set when a signal or `--deadline` stopped the run.
    pub interrupted: Option<Interruption>,
}

#[derive(Debug, Clone)]
pub struct Interruption {
    /// `SIGINT`, `SIGTERM` or `the run deadline of 2 s (--deadline)`.
    pub cause: String,
    /// Scenario runs never started because of it.
    pub not_run: usize,
}

impl Interruption {
    /// `stopped by SIGINT: 3 scenario runs not run`, as the console says it.
    pub fn line(&self) -> String {
        format!(
            "stopped by {}: {} scenario runs not run",
            self.cause, self.not_run
        )
    }
}

impl RunInfo {
    /// A run of `scim-harness` at `started_at` against the built-in server; the CLI fills in
    /// the rest.
    pub fn new(started_at: chrono::DateTime<chrono::Utc>) -> RunInfo {
        RunInfo {
            tool: concat!("scim-harness/", env!("CARGO_PKG_VERSION")).to_string(),
            target: "built-in".into(),
            profiles: BTreeMap::new(),
            prefix: String::new(),
            started_at,
            duration_ms: 0,
            interrupted: None,
        }
    }
}

/// Writes a report to `path`, or to standard output when `path` is `-`. The text arrives
/// clean: the client replaced every secret in what the server sent, and the CLI scrubs the
/// whole text once more before calling this; a report knows no secret of its own.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    let failed = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    if is_stdout(path) {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(failed);
    }
    std::fs::write(path, text).map_err(failed)
}

/// `-` names standard output, as it does for most command-line tools.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
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

/// The provisioning log as JSON lines (`--log`), each record tagged with scenario and profile.
pub fn log_lines(outcomes: &[ScenarioOutcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        o.log.for_each(|rec| {
            let mut v = serde_json::to_value(&rec).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("scenario".into(), json!(o.scenario));
                obj.insert("profile".into(), json!(o.profile));
            }
            out.push_str(&v.to_string());
            out.push('\n');
        });
    }
    out
}
