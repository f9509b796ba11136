//! Running a built harness: the scenario runs (side by side up to `jobs`), then the protocol
//! suite unless the run was stopped, then what the run was (`RunInfo`) and the [`Report`].
//! Stop causes (deadline, signals when asked for, fail-fast) end the run early but tidily:
//! the run in progress is cleaned up and the rest are counted as not run.

use std::time::Instant;

use super::report::Report;
use super::{jobs, stop, suite, Harness, HarnessError, Target};
use crate::client::scrub_userinfo;
use crate::profile::Profile;
use crate::report::{Interruption, RunInfo};
use crate::scenario::model::Scenario;

pub(super) async fn run(h: Harness) -> Result<Report, HarnessError> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let in_progress = stop::InProgress::default();
    let listener = stop::listen(in_progress.clone(), h.config.deadline, h.config.signals);
    let runs: Vec<(&Scenario, &dyn Profile)> = h
        .runs
        .iter()
        .map(|(i, p)| (&h.scenarios[*i], p.as_ref()))
        .collect();
    let ran = jobs::run_all(
        &runs,
        &jobs::Shared {
            target: &h.target,
            settings: &h.settings,
            config: &h.config,
            stop_rx: listener.rx.clone(),
            in_progress: &in_progress,
            redactor: &h.redactor,
            known: &h.known,
        },
    )
    .await?;
    let jobs::Ran {
        mut outcomes,
        mut stopped,
        mut left_behind,
    } = ran;
    match (h.checks, &mut stopped) {
        (Some(checks), None) => {
            let external = match &h.target {
                Target::External {
                    url,
                    token,
                    transport,
                    oauth,
                } => Some(suite::External {
                    base: url.base.clone(),
                    token: token.clone(),
                    transport: transport.clone(),
                    oauth: oauth.clone(),
                }),
                Target::Builtin | Target::DryRun { .. } => None,
            };
            let suite = suite::run(suite::SuiteRunArgs {
                checks,
                external,
                prefix: h.settings.prefix.clone(),
                config: &h.config,
                redactor: &h.redactor,
                known: &h.known,
            })
            .await?;
            outcomes.extend(suite.outcomes);
            left_behind.extend(suite.left);
        }
        (Some(checks), Some((_, not_run))) => *not_run += checks.len(),
        _ => {}
    }
    drop(listener);
    // A fail-fast stop that left nothing unrun is no interruption: the failure says it all.
    let stopped = stopped.filter(|(cause, n)| *cause != stop::StopCause::FailFast || *n > 0);
    let info = RunInfo {
        target: match &h.target {
            Target::Builtin => "built-in".into(),
            Target::DryRun { shown_base } => {
                format!("dry run (nothing sent to {})", scrub_userinfo(shown_base))
            }
            Target::External { .. } => h.redactor.scrub(&scrub_userinfo(
                h.target_given.as_deref().unwrap_or_default(),
            )),
        },
        profiles: super::options::every_run(
            h.runs.iter().map(|(_, p)| p.name()),
            h.target_given.as_deref(),
            &h.options,
        ),
        prefix: h.settings.prefix.clone(),
        duration_ms: started.elapsed().as_millis() as u64,
        interrupted: stopped.map(|(cause, not_run)| Interruption {
            cause: cause.to_string(),
            not_run,
        }),
        ..RunInfo::new(started_at)
    };
    Ok(Report::new(outcomes, info, left_behind, h.redactor))
}
