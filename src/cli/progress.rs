//! The progress bar of long cycles: objects done of the cycle's total, requests/s and an
//! ETA, drawn on stderr from the engine's progress events. Only for a person watching: with
//! stdout not a terminal or under `CI`, there is no bar at all (a CI log would fill with
//! redraws); short cycles draw nothing, so ordinary scenarios print as they always did.

use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{Progress, ProgressSink};

/// Cycles with fewer units of work than this finish before a bar would be worth reading.
const LONG_CYCLE: u64 = 1000;

/// The sink that draws the bar, or none when nobody is watching (`ci`, stdout redirected,
/// several runs side by side whose events would interleave on one bar).
pub(super) fn bar(ci: bool, jobs: usize) -> Option<ProgressSink> {
    if ci || jobs > 1 || !std::io::stdout().is_terminal() {
        return None;
    }
    let current: Mutex<Option<Cycle>> = Mutex::new(None);
    Some(ProgressSink::new(move |p| {
        if p.total < LONG_CYCLE {
            return;
        }
        let mut slot = current.lock().unwrap_or_else(PoisonError::into_inner);
        let cycle = match slot.take() {
            Some(c) if c.id == p.cycle_id => c,
            old => {
                if let Some(old) = old {
                    old.bar.finish_and_clear();
                }
                Cycle::start(p)
            }
        };
        cycle.show(p);
        if p.done < p.total {
            *slot = Some(cycle);
        } else {
            cycle.bar.finish_and_clear();
        }
    }))
}

/// The bar of the cycle under way.
struct Cycle {
    id: u32,
    bar: ProgressBar,
    started: Instant,
}

impl Cycle {
    fn start(p: Progress) -> Cycle {
        let bar = ProgressBar::with_draw_target(Some(p.total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "cycle {prefix}: [{bar:30}] {pos}/{len} objects, {msg}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(p.cycle_id.to_string());
        Cycle {
            id: p.cycle_id,
            bar,
            started: Instant::now(),
        }
    }

    fn show(&self, p: Progress) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        self.bar.set_length(p.total);
        self.bar.set_position(p.done);
        self.bar.set_message(format!(
            "{} requests ({:.0}/s)",
            p.requests,
            p.requests as f64 / seconds
        ));
    }
}
