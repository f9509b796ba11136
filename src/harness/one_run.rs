//! One scenario under one profile against its target, from start to cleanup: a fresh
//! built-in server or the target's client, the run bounded by the scenario timeout and by
//! stop causes, transport failures collected as warnings, and the trusted cleanup of what it
//! created. `jobs` calls it once per scenario run.

use std::time::{Duration, Instant};

use super::{stop, Config, Event, HarnessError, Target};
use crate::check::finding::{Code, Finding, Severity};
use crate::client::{Redactor, ScimClient, Secret, Transport};
use crate::engine::runner::{self, RunSettings, ScenarioOutcome, Verdict};
use crate::engine::Created;
use crate::profile::Profile;
use crate::scenario::model::Scenario;
use crate::server::{self, ServerConfig};

/// One scenario under one profile, as it ended.
pub(crate) struct OneRun {
    pub(crate) outcome: ScenarioOutcome,
    /// Set when a signal or the deadline stopped it.
    pub(crate) stopped: Option<stop::StopCause>,
    /// What cleanup could not prove deleted.
    pub(crate) left: Vec<String>,
}

/// Runs one scenario, then deletes what it created on the target (unless `keep`), whether
/// it finished, timed out or was stopped.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_one(
    s: &Scenario,
    profile: &dyn Profile,
    target: &Target,
    settings: &RunSettings,
    config: &Config,
    mut stop: tokio::sync::watch::Receiver<Option<stop::StopCause>>,
    in_progress: &stop::InProgress,
    slot: usize,
    redactor: &Redactor,
) -> Result<OneRun, HarnessError> {
    let plain = Transport::default();
    let (builtin, base, token, transport, oauth) = match target {
        Target::Builtin | Target::DryRun { .. } => {
            let (running, base, token) = start_builtin().await?;
            (Some(running), base, Some(token), &plain, None)
        }
        Target::External {
            url,
            token,
            transport,
            oauth,
        } => (
            None,
            url.base.clone(),
            token.clone(),
            transport,
            oauth.as_ref(),
        ),
    };
    // Kept for cleanup: a scenario may have left the IdP holding a wrong token.
    let real_token = token.clone();
    let mut client = target_client(&base, token, transport, oauth.cloned(), config, redactor)?
        .with_headers(profile.wire_headers())
        .map_err(|e| HarnessError::Internal(e.to_string()))?;
    if let Some(path) = &config.transcript {
        client = client
            .transcript(path, &s.name, profile.name())
            .map_err(|e| HarnessError::Transcript(e.to_string()))?;
    }
    let incidents = Incidents::default();
    let shown = match target {
        Target::DryRun { shown_base } => Some((base.clone(), shown_base.clone())),
        _ => None,
    };
    let seen = incidents.clone();
    let observer = config.observer.clone();
    client = client.observe(Box::new(move |x| {
        seen.note(x);
        if let (Some((real, shown)), Some(observer)) = (&shown, &observer) {
            let url = x.url.replacen(real, shown, 1);
            observer(Event::WouldSend {
                method: x.method.as_str(),
                url: &url,
                body: x.request_body.as_deref(),
            });
        }
    }));
    let created = Created::default();
    in_progress.enter(slot, created.clone());
    let limit = config.scenario_timeout;
    let started = Instant::now();
    let scenario = runner::run(
        s,
        profile,
        &client,
        settings,
        created.clone(),
        builtin.as_ref().map(|b| b.state()),
    );
    let mut stopped = None;
    let mut outcome = tokio::select! {
        o = tokio::time::timeout(limit, scenario) => match o {
            Ok(o) => o,
            Err(_) => cut_short(s, profile, format!(
                "the scenario did not finish within {} s (--scenario-timeout){}",
                limit.as_secs(),
                incidents.last_answer().map(|a| format!("; the last answered exchange: {a}")).unwrap_or_default()
            )),
        },
        cause = stop.wait_for(Option::is_some) => {
            let cause = cause.ok().and_then(|c| c.clone());
            let o = cut_short(s, profile, format!(
                "stopped by {} after {:.1} s",
                cause.as_ref().map_or("a signal".to_string(), ToString::to_string),
                started.elapsed().as_secs_f64()
            ));
            stopped = cause;
            o
        }
    };
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    outcome.warnings.extend(incidents.warnings());
    let mut left = Vec::new();
    if builtin.is_none() && !config.keep {
        if let Some(t) = real_token {
            client.set_token(t);
        }
        // Cleanup gets its own bound: a target that stopped answering must not hold the run.
        let bound = config
            .timeout
            .saturating_mul(4)
            .max(Duration::from_secs(60));
        match tokio::time::timeout(bound, runner::cleanup(&client, &created)).await {
            Ok(done) => left = done.left,
            Err(_) => {
                left = created.describe();
                left.push(format!(
                    "cleanup did not finish within {} s",
                    bound.as_secs()
                ));
            }
        }
    }
    in_progress.leave(slot);
    if let Some(server) = builtin {
        server.stop().await;
    }
    Ok(OneRun {
        outcome,
        stopped,
        left,
    })
}

/// The client every part of a run reaches the target with: the run's timeout, body cap and
/// redactor (so a secret the client learns is scrubbed from every report), and the channel's
/// OAuth client credentials when it has them (PF-2).
pub(crate) fn target_client(
    base: &str,
    token: Option<Secret>,
    transport: &Transport,
    oauth: Option<crate::client::ClientCredentials>,
    config: &Config,
    redactor: &Redactor,
) -> Result<ScimClient, HarnessError> {
    let client = ScimClient::connect(base, token, config.timeout, transport)
        .map_err(|e| HarnessError::Internal(e.to_string()))?
        .max_body(config.max_body)
        .with_redactor(redactor.clone());
    Ok(match oauth {
        Some(credentials) => client.with_client_credentials(credentials),
        None => client,
    })
}

/// A fresh built-in server on an ephemeral 127.0.0.1 port with a random token: the target
/// of a run without a target, one per scenario (and one for the protocol suite).
pub(crate) async fn start_builtin() -> Result<(server::RunningServer, String, Secret), HarnessError>
{
    let token = uuid::Uuid::new_v4().simple().to_string();
    let running = server::start(ServerConfig {
        tokens: vec![token.clone()],
        ..ServerConfig::default()
    })
    .await
    .map_err(|e| HarnessError::Internal(format!("failed to start the built-in server: {e}")))?;
    let base = running.base_url().to_string();
    Ok((running, base, Secret::new(token)))
}

/// The outcome of a scenario that was cut short (timeout, signal, deadline): failed, with
/// the reason as its failure.
fn cut_short(s: &Scenario, profile: &dyn Profile, message: String) -> ScenarioOutcome {
    let mut o = runner::skipped(s, profile.name(), String::new());
    o.warnings.clear();
    o.verdict = Verdict::Failed;
    let cause = Finding::new(Code::CutShort, Severity::Error, message.clone())
        .keyed(format!("{}|{message}", s.name))
        .consequence("the scenario's objects were cleaned up; later steps did not run");
    o.findings = vec![cause.clone()];
    o.failure = Some(runner::StepFailure {
        step: 0,
        line: 0,
        keyword: "scenario",
        message,
        expected: None,
        actual: None,
        exchange: None,
        code: Some(Code::CutShort),
        cause: Some(cause),
    });
    o
}

/// Transport failures (timeouts, resets) seen during one scenario, so the console names them
/// even when the scenario fails on a later check: "GET …/Users/7 got no answer within 30 s".
#[derive(Clone, Default)]
struct Incidents(std::sync::Arc<std::sync::Mutex<IncidentLog>>);

#[derive(Default)]
struct IncidentLog {
    failures: Vec<String>,
    more: usize,
    last_answer: Option<String>,
}

impl Incidents {
    const SHOWN: usize = 5;

    fn note(&self, x: &crate::client::Exchange) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match (&x.error, x.status) {
            (Some(error), None) => {
                if log.failures.len() < Self::SHOWN {
                    log.failures.push(format!(
                        "{} {} failed after {:.1} s: {error}",
                        x.method.as_str(),
                        x.url,
                        x.duration_ms as f64 / 1000.0
                    ));
                } else {
                    log.more += 1;
                }
            }
            (_, Some(status)) => {
                log.last_answer = Some(format!("{} {} → {status}", x.method.as_str(), x.url))
            }
            (None, None) => {}
        }
    }

    fn last_answer(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last_answer
            .clone()
    }

    fn warnings(&self) -> Vec<String> {
        let log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = log.failures.clone();
        if log.more > 0 {
            out.push(format!(
                "… and {} more failed exchanges (see --transcript)",
                log.more
            ));
        }
        out
    }
}
