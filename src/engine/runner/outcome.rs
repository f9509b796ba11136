//! What a run of one scenario under one profile ends with: the verdict, the failure with its
//! cause, and what reports read back (log, findings, snapshots).

use serde::Serialize;

use crate::check::finding::{Code, Finding};
use crate::client::Exchange;
use crate::engine::provisioning_log::ProvisioningLog;
use crate::scenario::model::Scenario;

/// Why a scenario did not pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepFailure {
    /// 1-based index of the step in the file.
    pub step: usize,
    pub line: usize,
    pub keyword: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// The request/response pair most relevant to the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
    /// What kind of check failed, when no earlier exchange explains it.
    #[serde(skip)]
    pub code: Option<Code>,
    /// The root cause: the first exchange whose answer broke what the IdP expects, or the
    /// failed check itself when nothing earlier explains it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Finding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// The target could not be used at all (unreachable, credentials, probe): exit 3.
    TargetError,
    /// Failed, but listed in the run's known-failures file: does not fail the run.
    KnownFailure,
    /// Not run: it needs the built-in target (fault switch, token rotation).
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioOutcome {
    pub scenario: String,
    pub file: String,
    pub symptom: String,
    pub profile: String,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<StepFailure>,
    pub warnings: Vec<String>,
    pub requests: u64,
    pub duration_ms: u64,
    /// On disk past a few thousand records (`ProvisioningLog`); reports read it back.
    #[serde(skip)]
    pub log: ProvisioningLog,
    /// Every finding of the run, in order of appearance (grouped across runs by reports).
    #[serde(skip)]
    pub findings: Vec<Finding>,
    /// The directory at each `snapshot` step, as the snapshot file's body holds it, whether
    /// or not it matched: what a vendor's own `insta` test asserts (`Report::directory`).
    #[serde(skip)]
    pub directories: Vec<TakenSnapshot>,
}

/// The directory state one `snapshot` step saw: the run's users and groups, redacted and
/// with the prefix stripped (the body of `snapshots/<scenario>__<name>@<profile>.snap`).
#[derive(Debug, Clone, PartialEq)]
pub struct TakenSnapshot {
    pub name: String,
    pub text: String,
}

/// The outcome of a scenario that was not run, with the reason as its only warning.
pub fn skipped(scenario: &Scenario, profile: &str, reason: String) -> ScenarioOutcome {
    ScenarioOutcome {
        scenario: scenario.name.clone(),
        file: scenario.file.display().to_string(),
        symptom: scenario.symptom.clone(),
        profile: profile.to_string(),
        verdict: Verdict::Skipped,
        failure: None,
        warnings: vec![reason],
        requests: 0,
        duration_ms: 0,
        log: ProvisioningLog::default(),
        findings: vec![],
        directories: vec![],
    }
}
