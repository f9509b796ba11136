//! The protocol suite inside a run: after the scenarios, against the target or a fresh
//! built-in server, first a probe (an unreachable target or a refused token is one set-up
//! error, not a failure of every check), then the checks, known failures applied, each
//! outcome told as it is known; its outcomes join the scenarios' in every report.

use std::time::Instant;

use super::{Config, Event, HarnessError};
use crate::check::finding::{Code, Finding, Severity};
use crate::client::{Redactor, ScimClient, Secret, Transport};
use crate::engine::runner::{ScenarioOutcome, StepFailure, Verdict};
use crate::protocol::{self, Check, SuiteSettings};
use crate::scenario::known::KnownFailure;

/// The target the suite sends its requests to, when it is not a fresh built-in server.
pub(crate) struct External {
    pub base: String,
    pub token: Option<Secret>,
    /// How to connect: trusted CAs, client certificate, proxy, connect timeout.
    pub transport: Transport,
    /// OAuth 2 client credentials to authenticate with instead of a token (PF-2).
    pub oauth: Option<crate::client::ClientCredentials>,
}

/// What the suite did.
pub(crate) struct SuiteRun {
    pub outcomes: Vec<ScenarioOutcome>,
    /// Objects cleanup could not prove deleted, labelled by check.
    pub left: Vec<String>,
}

/// Everything the run knows that the suite needs.
pub(crate) struct SuiteRunArgs<'a> {
    pub checks: Vec<&'static Check>,
    /// `None`: a fresh built-in server.
    pub external: Option<External>,
    pub prefix: String,
    pub config: &'a Config,
    pub redactor: &'a Redactor,
    pub known: &'a [KnownFailure],
}

/// Runs the suite, telling each outcome as it is known.
pub(crate) async fn run(a: SuiteRunArgs<'_>) -> Result<SuiteRun, HarnessError> {
    let (builtin, base, token, transport, oauth) = match a.external {
        Some(External {
            base,
            token,
            transport,
            oauth,
        }) => (None, base, token, transport, oauth),
        None => {
            let (running, base, token) = super::one_run::start_builtin().await?;
            (Some(running), base, Some(token), Transport::default(), None)
        }
    };
    let client =
        super::one_run::target_client(&base, token, &transport, oauth, a.config, a.redactor)?;
    a.config.tell(Event::SuiteStarting {
        checks: a.checks.len(),
        base: &base,
    });
    let mut out = SuiteRun {
        outcomes: vec![],
        left: vec![],
    };
    if let Some(outcome) = probe(&client).await {
        a.config.tell(Event::Finished(&outcome));
        out.outcomes.push(outcome);
    } else {
        let settings = SuiteSettings {
            prefix: a.prefix.clone(),
            timeout: a.config.timeout,
            check_timeout: a.config.check_timeout,
            cleanup: builtin.is_none() && !a.config.keep,
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
            a.config.tell(Event::Finished(&outcome));
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
        directories: vec![],
    })
}
