//! The protocol suite on the command line: `run --suite protocol` (only the suite),
//! `run --check NAME` (only the named checks or groups), `run` with no paths (scenarios and
//! the suite), and the checks in `list`. The suite runs against `--target`, or a fresh
//! built-in server when there is none; its outcomes join the scenarios' in every report.

use clap::{Args, ValueEnum};

use super::ExitCode;
use crate::protocol::{self, Check};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Suite {
    /// Every SCIM behaviour the IdPs rely on, checked directly (see `list`).
    Protocol,
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Run a built-in suite: `protocol`. Without scenario PATHS only the suite runs; `run`
    /// with neither PATHS nor --suite runs the scenarios and the suite.
    #[arg(long, value_enum, value_name = "SUITE")]
    pub suite: Option<Suite>,
    /// Run only these protocol checks, comma-separated or repeated: a check name
    /// (`create.returns-201-with-location`, also as `protocol-…` or `protocol/…`) or a group
    /// (`filter`). Implies --suite protocol.
    #[arg(long = "check", value_delimiter = ',', value_name = "NAME")]
    pub checks: Vec<String>,
    /// Wall-time limit of one protocol check.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub check_timeout: u64,
}

impl SuiteArgs {
    /// Whether the suite was asked for by name.
    pub fn asked(&self) -> bool {
        self.suite.is_some() || !self.checks.is_empty()
    }

    /// The checks to run, or a usage error.
    pub fn selected(&self) -> Result<Vec<&'static Check>, ExitCode> {
        protocol::select(&self.checks).map_err(|e| {
            eprintln!("error: --check: {e}");
            ExitCode::Usage
        })
    }
}

/// Lines of `list` for the checks.
pub fn list() {
    let checks = protocol::checks();
    for c in &checks {
        let level = match c.level {
            protocol::Level::Required => "required",
            protocol::Level::Optional => "optional (a failure warns)",
        };
        say!("protocol/{}  [protocol]", c.name);
        say!("    checks:  {}", c.summary);
        say!("    rfc:     {} — {level}", c.section);
        say!("    idps:    {}", c.idps);
    }
    say!("{} protocol checks", checks.len());
}
