//! Why a harness could not be built or run. Each error's text is the diagnostic the CLI
//! prints (with its `error: ` and, for scenario files, file:line:col and a caret), so a
//! vendor's program and `scim-harness run` say the same thing about the same mistake.

use crate::scenario::ScenarioErrors;

/// A mistake found before anything is sent, or a failure of the harness itself.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A profile name no IdP answers to.
    #[error("error: unknown profile `{name}`; known profiles: {known}")]
    UnknownProfile { name: String, known: String },
    /// Scenario files or the known-failures file did not parse (rendered diagnostics).
    #[error("{0}")]
    Scenario(String),
    /// A profile refused an option, placed at the scenario's `options:` line or `--option`.
    #[error("{0}")]
    Option(String),
    /// A scenario names a profile that cannot replay one of its steps.
    #[error("{0}")]
    Unsupported(String),
    /// A setting that cannot be used: the tenant URL does not parse, a shard is out of range.
    #[error("error: {0}")]
    Setting(String),
    /// Filter, shard and profiles left nothing to run: a mistake, never a pass.
    #[error("error: no scenario runs selected: {0}")]
    NothingSelected(String),
    /// A transcript file could not be opened for a run.
    #[error("error: {0}")]
    Transcript(String),
    /// The built-in server or a client could not be started: a bug of ours or the machine.
    #[error("error: {0}")]
    Internal(String),
}

impl HarnessError {
    /// Whether the caller asked for something that cannot run (the CLI's exit 2), as
    /// opposed to a failure of the harness itself (exit 4).
    pub fn is_usage(&self) -> bool {
        !matches!(self, HarnessError::Internal(_))
    }
}

impl From<ScenarioErrors> for HarnessError {
    fn from(e: ScenarioErrors) -> Self {
        // Rendered diagnostics end with a newline; Display leaves the last one to the printer.
        let text = e.render();
        HarnessError::Scenario(text.strip_suffix('\n').unwrap_or(&text).to_string())
    }
}

/// A rendered diagnostic (ends with a newline) as an error's text.
pub(super) fn rendered(text: String) -> String {
    text.strip_suffix('\n').map(str::to_string).unwrap_or(text)
}
