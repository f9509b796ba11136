//! The scenario runs of one harness, side by side: `jobs(n)` runs up to n scenario × profile
//! runs at once (each with its own built-in server, or on a target its own prefix, so no run
//! sees another's objects) and tells their outcomes in the order they were listed, so output
//! does not depend on timing. Known failures are applied here, as each outcome is known.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{self, StreamExt};

use super::one_run::{run_one, OneRun};
use super::{stop, Config, Event, HarnessError, Target};
use crate::client::Redactor;
use crate::engine::runner::{self, RunSettings, ScenarioOutcome, Verdict};
use crate::profile::Profile;
use crate::scenario::known::KnownFailure;
use crate::scenario::model::Scenario;

/// What the scenario runs came to.
pub(crate) struct Ran {
    pub outcomes: Vec<ScenarioOutcome>,
    /// The first stop cause, and how many runs were never started because of it.
    pub stopped: Option<(stop::StopCause, usize)>,
    /// Objects cleanup could not prove deleted, per run.
    pub left_behind: Vec<String>,
}

/// Everything the runs share.
pub(crate) struct Shared<'a> {
    pub target: &'a Target,
    pub settings: &'a RunSettings,
    pub config: &'a Config,
    pub stop_rx: tokio::sync::watch::Receiver<Option<stop::StopCause>>,
    pub in_progress: &'a stop::InProgress,
    pub redactor: &'a Redactor,
    pub known: &'a [KnownFailure],
}

/// What became of one run's turn.
enum Turn {
    Ran(Box<OneRun>),
    Skipped(Box<ScenarioOutcome>),
    /// A stop cause arrived before its turn.
    Stopped,
}

/// Runs every (scenario, profile) pair, `shared.jobs` at a time, reporting each in list order.
pub(crate) async fn run_all(
    runs: &[(&Scenario, &dyn Profile)],
    shared: &Shared<'_>,
) -> Result<Ran, HarnessError> {
    // `--fail-fast`: set when a failure is reported (in list order, after known failures are
    // applied); runs not yet started then never start. Runs already in flight under
    // `--jobs` finish and are reported: stopping them would leave objects half made.
    let failed = AtomicBool::new(false);
    let failed = &failed;
    let started = runs.iter().enumerate().map(|(slot, (s, p))| async move {
        if shared.stop_rx.borrow().is_some() || failed.load(Ordering::Relaxed) {
            return Ok(Turn::Stopped);
        }
        if let Target::External { oauth: Some(_), .. } = shared.target {
            if !p.client_credentials() {
                return Ok(Turn::Skipped(Box::new(runner::skipped(
                    s,
                    p.name(),
                    format!(
                        "not run: {} authenticates with a bearer token, not OAuth client credentials (only PingFederate does, PF-2)",
                        p.name()
                    ),
                ))));
            }
        }
        if let (Target::External { .. }, Some(step)) = (shared.target, runner::needs_builtin(s)) {
            return Ok(Turn::Skipped(Box::new(runner::skipped(
                s,
                p.name(),
                format!("not run: `{step}` needs the built-in target (run without --target)"),
            ))));
        }
        // Side by side on one target, each run gets its own prefix: its objects, its
        // cleanup and its snapshots' redaction never meet another run's.
        let own;
        let settings = match shared.target {
            Target::External { .. } if shared.config.jobs > 1 => {
                own = RunSettings {
                    prefix: format!("{}{slot}-", shared.settings.prefix),
                    ..shared.settings.clone()
                };
                &own
            }
            _ => shared.settings,
        };
        run_one(
            s,
            *p,
            shared.target,
            settings,
            shared.config,
            shared.stop_rx.clone(),
            shared.in_progress,
            slot,
            shared.redactor,
        )
        .await
        .map(|one| Turn::Ran(Box::new(one)))
    });
    // `buffered` keeps list order while up to `jobs` runs are in flight. One at a time
    // (the default) the runs are awaited in turn instead: `buffered` polls its runs through a
    // `FuturesUnordered`, which wakes its own task after every poll that has polled all its
    // futures, so with one run in it each wait for an answer cost a second poll of the whole
    // run and a wake-up of another runtime worker (the bench's Entra cycle through the CLI:
    // 51,000 context switches for 11,501 requests, 23,000 awaited in turn; 1.45 s of CPU,
    // 1.22 s).
    // Boxed as a `Send` stream: without it rustc cannot prove the run's future `Send`
    // through the closure's borrowed arguments (rust-lang/rust#64552), and the CLI runs the
    // whole run on a runtime worker.
    let mut results: futures::stream::BoxStream<'_, Result<Turn, HarnessError>> =
        match shared.config.jobs {
            0 | 1 => stream::iter(started).then(|run| run).boxed(),
            jobs => stream::iter(started).buffered(jobs).boxed(),
        };
    let mut ran = Ran {
        outcomes: Vec::new(),
        stopped: None,
        left_behind: Vec::new(),
    };
    let mut not_started = 0;
    while let Some(result) = results.next().await {
        let one = match result? {
            Turn::Stopped => {
                not_started += 1;
                continue;
            }
            Turn::Skipped(outcome) => {
                shared.config.tell(Event::Finished(&outcome));
                ran.outcomes.push(*outcome);
                continue;
            }
            Turn::Ran(one) => one,
        };
        let mut outcome = one.outcome;
        ran.left_behind.extend(
            one.left
                .iter()
                .map(|l| format!("{} ({}): {l}", outcome.scenario, outcome.profile)),
        );
        if one.stopped.is_none() {
            apply_known(&mut outcome, shared.known);
        }
        shared.config.tell(Event::Finished(&outcome));
        if shared.config.fail_fast && outcome.verdict == Verdict::Failed {
            failed.store(true, Ordering::Relaxed);
        }
        ran.outcomes.push(outcome);
        if let (Some(cause), None) = (one.stopped, &ran.stopped) {
            ran.stopped = Some((cause, 0));
        }
    }
    let cause = ran.stopped.take().map(|(c, _)| c).or_else(|| {
        // Stopped between runs: no run saw the cause, but some were never started.
        let signalled = (not_started > 0)
            .then(|| shared.stop_rx.borrow().clone())
            .flatten();
        // A fail-fast stop is kept even with nothing left here: the protocol suite that
        // would follow must not start either (`run` drops it when nothing at all was left).
        signalled.or_else(|| {
            failed
                .load(Ordering::Relaxed)
                .then_some(stop::StopCause::FailFast)
        })
    });
    ran.stopped = cause.map(|c| (c, not_started));
    Ok(ran)
}

/// A failure listed in `--known-failures` does not fail the run; a listed run that passes, or
/// fails with another cause than the one pinned, is reported.
fn apply_known(outcome: &mut ScenarioOutcome, known: &[KnownFailure]) {
    let listed = known
        .iter()
        .find(|k| k.scenario == outcome.scenario && k.profile == outcome.profile);
    let cause = outcome
        .failure
        .as_ref()
        .and_then(|f| f.cause.as_ref())
        .map(|c| format!("{} {}", c.code, c.title))
        .unwrap_or_default();
    match (listed, outcome.verdict) {
        // An entry that pins its finding masks only that cause: another failure of the
        // same scenario is a new regression.
        (Some(k), Verdict::Failed) if k.finding.as_deref().is_none_or(|f| cause.contains(f)) => {
            outcome.verdict = Verdict::KnownFailure
        }
        (Some(k), Verdict::Failed) => outcome.warnings.push(format!(
            "listed as a known failure (line {}) for `{}`, but failed with another cause",
            k.line,
            k.finding.as_deref().unwrap_or_default()
        )),
        (Some(k), Verdict::Passed) => outcome.warnings.push(format!(
            "listed as a known failure (line {}) but passed: remove it from the list",
            k.line
        )),
        _ => {}
    }
}
