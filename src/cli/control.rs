//! What a `run` selects and how loudly it speaks: `--filter GLOB` keeps the scenarios (and
//! `protocol-<check>` checks) whose name matches, `--fail-fast` stops starting runs after the
//! first failure, `-q`/`-v` choose how much of each run the console shows.

use clap::Args;

use crate::report::console::Detail;

#[derive(Debug, Args)]
pub struct ControlArgs {
    /// Run only scenarios whose `name:` matches GLOB (`*` any run of characters, `?` one),
    /// repeatable; protocol checks match as `protocol-<check>`, e.g. `--filter 'entra-*'`.
    #[arg(long = "filter", value_name = "GLOB")]
    pub filters: Vec<String>,
    /// Start no new run after the first failed one (a known failure or a skip does not
    /// count); the rest are reported as not run and the run exits 1.
    #[arg(long)]
    pub fail_fast: bool,
    /// Print only failures, findings and the summary.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each run's provisioning log: cycle, action, object and status.
    #[arg(short, long)]
    pub verbose: bool,
}

impl ControlArgs {
    pub fn detail(&self) -> Detail {
        match (self.quiet, self.verbose) {
            (true, _) => Detail::Quiet,
            (_, true) => Detail::Verbose,
            _ => Detail::Normal,
        }
    }
}
