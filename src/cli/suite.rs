//! The protocol suite on the command line: `run --suite protocol` (only the suite),
//! `run --check NAME` (only the named checks or groups), `run` with no paths (scenarios and
//! the suite), and the checks in `list`. The suite runs against `--target`, or a fresh
//! built-in server when there is none; its outcomes join the scenarios' in every report.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use super::ExitCode;
use crate::check::finding::{Code, Finding, Severity};
use crate::client::{Redactor, ScimClient, Secret, Transport};
use crate::engine::runner::{ScenarioOutcome, StepFailure, Verdict};
use crate::protocol::{self, Check, SuiteSettings};
use crate::report::console::Console;
use crate::scenario::known::KnownFailure;

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

/// Where the suite sends its requests: `--target` (base URL, token, and how to connect) or,
/// when `None`, a fresh built-in server.
pub type External = Option<(String, Option<Secret>, Transport)>;

/// What the suite did.
pub struct SuiteRun {
    pub outcomes: Vec<ScenarioOutcome>,
    /// Objects cleanup could not prove deleted, labelled by check.
    pub left: Vec<String>,
}

/// Everything `run` knows that the suite needs.
pub struct SuiteRunArgs<'a> {
    pub checks: Vec<&'static Check>,
    pub external: External,
    pub prefix: String,
    pub timeout: Duration,
    pub check_timeout: Duration,
    pub keep: bool,
    pub max_body: u64,
    pub console: &'a Console,
    pub redactor: &'a Redactor,
    pub known: &'a [KnownFailure],
}

/// Runs the suite, printing each outcome as it is known.
pub async fn run(a: SuiteRunArgs<'_>) -> Result<SuiteRun, ExitCode> {
    let (builtin, base, token, transport) = match a.external {
        Some((base, token, transport)) => (None, base, token, transport),
        None => {
            let (running, base, token) = super::one_run::start_builtin().await?;
            (Some(running), base, Some(token), Transport::default())
        }
    };
    let client = ScimClient::connect(&base, token, a.timeout, &transport)
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::Internal
        })?
        .max_body(a.max_body)
        .with_redactor(a.redactor.clone());
    if a.console.detail() != crate::report::console::Detail::Quiet {
        say!("running {} protocol checks against {base}", a.checks.len());
    }
    let mut out = SuiteRun {
        outcomes: vec![],
        left: vec![],
    };
    if let Some(outcome) = probe(&client).await {
        say_raw!("{}", a.console.scenario(&outcome));
        out.outcomes.push(outcome);
    } else {
        let settings = SuiteSettings {
            prefix: a.prefix.clone(),
            timeout: a.timeout,
            check_timeout: a.check_timeout,
            cleanup: builtin.is_none() && !a.keep,
        };
        let results = protocol::run_suite(&a.checks, &client, &settings, |_| {}).await;
        for r in results {
            let mut outcome = r.outcome;
            let listed = a
                .known
                .iter()
                .find(|k| k.scenario == outcome.scenario && k.profile == outcome.profile);
            match (listed, outcome.verdict) {
                (Some(_), Verdict::Failed) => outcome.verdict = Verdict::KnownFailure,
                (Some(k), Verdict::Passed) => outcome.warnings.push(format!(
                    "listed as a known failure (line {}) but passed: remove it from the list",
                    k.line
                )),
                _ => {}
            }
            say_raw!("{}", a.console.scenario(&outcome));
            out.left
                .extend(r.left.iter().map(|l| format!("{}: {l}", outcome.scenario)));
            out.outcomes.push(outcome);
        }
    }
    if let Some(server) = builtin {
        server.stop().await;
    }
    Ok(out)
}

/// First contact: a target that cannot be reached or refuses the token is a set-up problem
/// (exit 3), reported once instead of as a failure of every check.
async fn probe(client: &ScimClient) -> Option<ScenarioOutcome> {
    let started = Instant::now();
    let req = crate::scim::ScimRequest::get("/Users?count=1");
    let (code, message, exchange) = match protocol::send_with(client, req).await {
        Ok(a) if matches!(a.status(), 401 | 403) => (
            Code::Credentials,
            format!(
                "the target refused the token: GET /Users?count=1 answered HTTP {}",
                a.status()
            ),
            Some(a.exchange),
        ),
        Ok(_) => return None,
        Err(f) => (Code::Unreachable, f.title.clone(), None),
    };
    let mut cause = Finding::new(code, Severity::Error, message.clone())
        .keyed("protocol-suite")
        .consequence("no protocol check could run");
    if let Some(x) = &exchange {
        cause = cause.at(x);
    }
    Some(ScenarioOutcome {
        scenario: format!("{}suite", protocol::SCENARIO_PREFIX),
        file: "RFC 7644 §2".into(),
        symptom: "the protocol suite could not reach the target".into(),
        profile: protocol::PROFILE.into(),
        verdict: Verdict::TargetError,
        failure: Some(StepFailure {
            step: 0,
            line: 0,
            keyword: "probe",
            message,
            expected: None,
            actual: None,
            exchange,
            code: Some(code),
            cause: Some(cause.clone()),
        }),
        warnings: vec![],
        requests: 1,
        duration_ms: started.elapsed().as_millis() as u64,
        log: Default::default(),
        findings: vec![cause],
    })
}
