//! What a harness run came to: every outcome (scenario runs, then protocol checks), what the
//! run was (`RunInfo`), what cleanup could not prove deleted, and whether it was stopped;
//! with the verdict the CLI maps to its exit code and the reports of `report`, each
//! scrubbed once more of every token the run knew.

use std::path::Path;

use crate::check::finding::Group;
use crate::client::Redactor;
use crate::engine::runner::{ScenarioOutcome, Verdict};
use crate::report::{self, Interruption, ReportError, RunInfo, Totals};

/// A run's overall result, in the order the CLI's exit codes rank them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    /// Every run passed, was a known failure or was skipped; nothing left behind.
    Passed,
    /// A run failed, the run was stopped early, or objects are still on the target (exit 1).
    Failed,
    /// The target could not be used at all: unreachable, credentials, base URL (exit 3).
    TargetError,
}

/// The result of [`Harness::run`](super::Harness::run).
pub struct Report {
    outcomes: Vec<ScenarioOutcome>,
    info: RunInfo,
    left_behind: Vec<String>,
    redactor: Redactor,
}

impl Report {
    pub(super) fn new(
        outcomes: Vec<ScenarioOutcome>,
        info: RunInfo,
        left_behind: Vec<String>,
        redactor: Redactor,
    ) -> Report {
        Report {
            outcomes,
            info,
            left_behind,
            redactor,
        }
    }

    /// Every outcome, scenario runs in list order, then the protocol checks.
    pub fn outcomes(&self) -> &[ScenarioOutcome] {
        &self.outcomes
    }

    /// The outcome of one scenario under one profile.
    pub fn outcome(&self, scenario: &str, profile: &str) -> Option<&ScenarioOutcome> {
        self.outcomes
            .iter()
            .find(|o| o.scenario == scenario && o.profile == profile)
    }

    /// The directory as the last `snapshot` step of `scenario` under `profile` saw it: the
    /// run's users and groups with server ids as refs, the prefix stripped, `meta` redacted,
    /// multi-valued attributes sorted — the text of its `snapshots/` file, whether it matched
    /// or not. Made for `insta::assert_snapshot!(report.directory("…", "entra").unwrap())` in
    /// a vendor's own `cargo test`. None when that run took no snapshot (or did not run).
    pub fn directory(&self, scenario: &str, profile: &str) -> Option<&str> {
        let o = self.outcome(scenario, profile)?;
        o.directories.last().map(|d| d.text.as_str())
    }

    /// The directory as one named `snapshot` step saw it (see [`Report::directory`]).
    pub fn snapshot(&self, scenario: &str, profile: &str, name: &str) -> Option<&str> {
        let o = self.outcome(scenario, profile)?;
        o.directories
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.text.as_str())
    }

    /// What the run was: target, profiles and their options, prefix, start, duration.
    pub fn info(&self) -> &RunInfo {
        &self.info
    }

    /// Objects the run created that cleanup could not prove deleted, one line each.
    pub fn left_behind(&self) -> &[String] {
        &self.left_behind
    }

    /// Set when the deadline, a signal or fail-fast stopped the run before its last run.
    pub fn interrupted(&self) -> Option<&Interruption> {
        self.info.interrupted.as_ref()
    }

    /// Passed, failed, skipped … counted.
    pub fn totals(&self) -> Totals {
        report::totals(&self.outcomes)
    }

    /// The findings of the run grouped by cause, in the order reports show them.
    pub fn findings(&self) -> Vec<Group> {
        report::findings(&self.outcomes)
    }

    /// The run's overall result: a target error outranks a failure.
    pub fn verdict(&self) -> RunVerdict {
        if self
            .outcomes
            .iter()
            .any(|o| o.verdict == Verdict::TargetError)
        {
            RunVerdict::TargetError
        } else if self.info.interrupted.is_some()
            || !self.left_behind.is_empty()
            || self.outcomes.iter().any(|o| o.verdict == Verdict::Failed)
        {
            RunVerdict::Failed
        } else {
            RunVerdict::Passed
        }
    }

    /// Whether the run passed as a whole (what `assert!` in a vendor's test wants).
    pub fn passed(&self) -> bool {
        self.verdict() == RunVerdict::Passed
    }

    /// The JSON report's text.
    pub fn json(&self) -> String {
        self.redactor
            .scrub(&report::json::render(&self.outcomes, &self.info))
    }

    /// The JUnit XML report's text.
    pub fn junit(&self) -> Result<String, ReportError> {
        Ok(self
            .redactor
            .scrub(&report::junit::render(&self.outcomes, &self.info)?))
    }

    /// The self-contained HTML report's text.
    pub fn html(&self) -> String {
        self.redactor
            .scrub(&report::html::render(&self.outcomes, &self.info))
    }

    /// The provisioning log as JSON lines, each record tagged with scenario and profile.
    pub fn log(&self) -> String {
        self.redactor.scrub(&report::log_lines(&self.outcomes))
    }

    /// Writes the JSON report to `path` (`-`: stdout).
    pub fn write_json(&self, path: &Path) -> Result<(), ReportError> {
        report::write_file(path, &self.json())
    }

    /// Writes the JUnit XML report to `path` (`-`: stdout).
    pub fn write_junit(&self, path: &Path) -> Result<(), ReportError> {
        report::write_file(path, &self.junit()?)
    }

    /// Writes the HTML report to `path` (`-`: stdout).
    pub fn write_html(&self, path: &Path) -> Result<(), ReportError> {
        report::write_file(path, &self.html())
    }

    /// Writes the provisioning log to `path` (`-`: stdout).
    pub fn write_log(&self, path: &Path) -> Result<(), ReportError> {
        report::write_file(path, &self.log())
    }
}
