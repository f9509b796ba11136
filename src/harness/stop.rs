//! Stopping a run early: SIGINT, SIGTERM (when asked to listen) and the deadline. The first cause asks the scenario in
//! progress to stop so that its objects are cleaned up and every report is written; a second
//! signal exits at once and names what was left on the target, because a user who presses
//! Ctrl-C twice wants out, not a tidy tenant.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::engine::Created;

/// Why a run stopped before its last scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    Signal(&'static str),
    Deadline(Duration),
    /// `--fail-fast`: a run failed, so no new one starts.
    FailFast,
}

impl std::fmt::Display for StopCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopCause::Signal(name) => write!(f, "{name}"),
            StopCause::Deadline(d) => {
                write!(f, "the run deadline of {} s (--deadline)", d.as_secs())
            }
            StopCause::FailFast => write!(f, "the first failure (--fail-fast)"),
        }
    }
}

/// What the objects of the scenarios in progress are (several under `--jobs`), for a second
/// signal to name them.
#[derive(Clone, Default)]
pub struct InProgress(Arc<Mutex<BTreeMap<usize, Created>>>);

impl InProgress {
    /// Scenario run `slot` (its index in the run) has started and creates into `created`.
    pub fn enter(&self, slot: usize, created: Created) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(slot, created);
    }

    /// Scenario run `slot` has been cleaned up.
    pub fn leave(&self, slot: usize) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&slot);
    }

    fn describe(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .flat_map(Created::describe)
            .collect()
    }
}

/// The listener of one run: its receiver holds the first stop cause; dropping it stops
/// listening, so a library caller's later runs and signals are their own.
pub struct Listener {
    pub rx: watch::Receiver<Option<StopCause>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Listens for the deadline and, when `signals`, for SIGINT and SIGTERM.
pub fn listen(in_progress: InProgress, deadline: Option<Duration>, signals: bool) -> Listener {
    let (tx, rx) = watch::channel(None);
    let task = tokio::spawn(async move {
        let mut term = match signals {
            true => terminate_stream(),
            false => no_terminate(),
        };
        let deadline_sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(deadline_sleep);
        let mut deadline_done = false;
        loop {
            let cause = tokio::select! {
                r = tokio::signal::ctrl_c(), if signals => match r {
                    Ok(()) => StopCause::Signal("SIGINT"),
                    Err(_) => return,
                },
                Some(()) = next_terminate(&mut term) => StopCause::Signal("SIGTERM"),
                () = &mut deadline_sleep, if !deadline_done => {
                    deadline_done = true;
                    StopCause::Deadline(deadline.unwrap_or_default())
                }
            };
            let already = tx.borrow().clone();
            match (already, &cause) {
                (Some(StopCause::Signal(_)), StopCause::Signal(name)) => {
                    exit_at_once(name, &in_progress)
                }
                (Some(_), StopCause::Deadline(_)) => {}
                // Never sent here: `--fail-fast` is decided by the run loop, not a listener.
                (Some(StopCause::FailFast), _) | (_, StopCause::FailFast) => {}
                (Some(StopCause::Deadline(_)), StopCause::Signal(_)) | (None, _) => {
                    if let StopCause::Signal(name) = &cause {
                        eprintln!(
                            "{name}: stopping; cleaning up what the run created and writing reports (again to exit at once)"
                        );
                    }
                    let _ = tx.send(Some(cause));
                }
            }
        }
    });
    Listener { rx, task }
}

/// A second signal: no cleanup, no reports; say what stays on the target and leave.
fn exit_at_once(signal: &str, in_progress: &InProgress) -> ! {
    let left = in_progress.describe();
    if left.is_empty() {
        eprintln!("second {signal}: exiting at once; nothing of the scenario in progress was on the target");
    } else {
        eprintln!(
            "second {signal}: exiting at once; not cleaned up, possibly left on the target ({}):",
            left.len()
        );
        for entry in &left {
            eprintln!("  {entry}");
        }
    }
    // The CLI's exit code 1 (a scenario failed): the run did not finish.
    std::process::exit(1)
}

#[cfg(unix)]
type Terminate = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Terminate = ();

#[cfg(unix)]
fn no_terminate() -> Terminate {
    None
}
#[cfg(not(unix))]
fn no_terminate() -> Terminate {}

#[cfg(unix)]
fn terminate_stream() -> Terminate {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()
}
#[cfg(not(unix))]
fn terminate_stream() -> Terminate {}

#[cfg(unix)]
async fn next_terminate(term: &mut Terminate) -> Option<()> {
    match term {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}
#[cfg(not(unix))]
async fn next_terminate(_: &mut Terminate) -> Option<()> {
    std::future::pending().await
}
