//! The scenario runs of one `run`, side by side: `--jobs N` runs up to N scenario × profile
//! runs at once (each with its own built-in server, or on `--target` its own prefix, so no run
//! sees another's objects) and prints their results in the order they were listed, so output
//! does not depend on timing. `--shard i/n` keeps one n-th of the list, for a CI matrix.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{self, StreamExt};

use super::one_run::{run_one, OneRun};
use super::run::{RunArgs, Target};
use super::{stop, ExitCode};
use crate::client::Redactor;
use crate::engine::runner::{self, RunSettings, ScenarioOutcome, Verdict};
use crate::profile::Profile;
use crate::report::console::Console;
use crate::scenario::known::KnownFailure;
use crate::scenario::model::Scenario;

/// `--shard i/n`: the i-th of n slices (1-based), taken round-robin over the run list so each
/// slice gets a share of every directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the run at `position` in the full list belongs to this shard.
    pub fn keeps(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("expected I/N with 1 ≤ I ≤ N, such as 1/4; got `{text}`");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What the scenario runs came to.
pub(super) struct Ran {
    pub outcomes: Vec<ScenarioOutcome>,
    /// The first stop cause, and how many runs were never started because of it.
    pub stopped: Option<(stop::StopCause, usize)>,
    /// Objects cleanup could not prove deleted, per run.
    pub left_behind: Vec<String>,
}

/// Everything the runs share.
pub(super) struct Shared<'a> {
    pub target: &'a Target,
    pub settings: &'a RunSettings,
    pub args: &'a RunArgs,
    pub timeout: std::time::Duration,
    pub stop_rx: tokio::sync::watch::Receiver<Option<stop::StopCause>>,
    pub in_progress: &'a stop::InProgress,
    pub redactor: &'a Redactor,
    pub known: &'a [KnownFailure],
    pub console: &'a Console,
    /// How many runs at once (`--jobs`, at least 1).
    pub jobs: usize,
}

/// What became of one run's turn.
enum Turn {
    Ran(Box<OneRun>),
    Skipped(Box<ScenarioOutcome>),
    /// A stop cause arrived before its turn.
    Stopped,
}

/// Runs every (scenario, profile) pair, `shared.jobs` at a time, reporting each in list order.
pub(super) async fn run_all(
    runs: &[(&Scenario, Box<dyn Profile>)],
    shared: &Shared<'_>,
) -> Result<Ran, ExitCode> {
    // `--fail-fast`: set when a failure is reported (in list order, after known failures are
    // applied); runs not yet started then never start. Runs already in flight under
    // `--jobs` finish and are reported: stopping them would leave objects half made.
    let failed = AtomicBool::new(false);
    let failed = &failed;
    let started = runs.iter().enumerate().map(|(slot, (s, p))| async move {
        if shared.stop_rx.borrow().is_some() || failed.load(Ordering::Relaxed) {
            return Ok(Turn::Stopped);
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
            Target::External { .. } if shared.jobs > 1 => {
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
            p.as_ref(),
            shared.target,
            settings,
            shared.args,
            shared.timeout,
            shared.stop_rx.clone(),
            shared.in_progress,
            slot,
            shared.redactor,
        )
        .await
        .map(|one| Turn::Ran(Box::new(one)))
    });
    // `buffered` keeps list order while up to `jobs` runs are in flight.
    let mut results = stream::iter(started).buffered(shared.jobs.max(1));
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
                say_raw!("{}", shared.console.scenario(&outcome));
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
        say_raw!("{}", shared.console.scenario(&outcome));
        if shared.args.control.fail_fast && outcome.verdict == Verdict::Failed {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_list_round_robin_and_cover_it_once() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"]
            .iter()
            .map(|s| s.parse().map_err(|e: String| e))
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        assert_eq!(shards.len(), 3);
        for position in 0..10 {
            let owners = shards.iter().filter(|s| s.keeps(position)).count();
            assert_eq!(owners, 1, "position {position}");
        }
        assert!(shards[1].keeps(1) && shards[1].keeps(4) && !shards[1].keeps(2));
    }

    #[test]
    fn a_shard_outside_its_count_is_refused_with_the_form_expected() {
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.starts_with("expected I/N with 1 ≤ I ≤ N"), "{bad}: {e}");
        }
        assert_eq!("2/2".parse(), Ok(Shard { index: 2, count: 2 }));
    }
}
