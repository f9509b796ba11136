//! The console report: one line per scenario as it finishes, the failing step with a colored
//! diff and the request/response pair, then a summary. Colors only on a terminal and never
//! when `NO_COLOR` is set.

use std::io::IsTerminal;

use similar::{ChangeTag, TextDiff};

use super::{totals, Totals};
use crate::engine::runner::{ScenarioOutcome, StepFailure, Verdict};

#[derive(Debug, Clone, Copy)]
pub struct Console {
    color: bool,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Console {
    /// Colors when stdout is a terminal, `NO_COLOR` is unset and `CI` does not ask for plain.
    pub fn detect() -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Console { color }
    }

    pub fn plain() -> Self {
        Console { color: false }
    }

    fn paint(&self, color: &str, text: &str) -> String {
        if self.color {
            format!("{color}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// The lines printed when a scenario finishes.
    pub fn scenario(&self, o: &ScenarioOutcome) -> String {
        let (tag, color) = match o.verdict {
            Verdict::Passed => ("PASS", GREEN),
            Verdict::Failed => ("FAIL", RED),
            Verdict::TargetError => ("TARGET", RED),
            Verdict::KnownFailure => ("KNOWN", YELLOW),
            Verdict::Skipped => ("SKIP", YELLOW),
        };
        let mut out = format!(
            "{} {:<8} {}  {}\n",
            self.paint(color, &format!("{tag:>6}")),
            o.profile,
            self.paint(BOLD, &o.scenario),
            self.paint(
                DIM,
                &format!(
                    "({} requests, {:.2} s)",
                    o.requests,
                    o.duration_ms as f64 / 1000.0
                )
            )
        );
        for w in &o.warnings {
            out.push_str(&format!("       {} {w}\n", self.paint(YELLOW, "warning:")));
        }
        if let Some(f) = &o.failure {
            out.push_str(&self.failure(o, f));
        }
        out
    }

    fn failure(&self, o: &ScenarioOutcome, f: &StepFailure) -> String {
        let mut out = format!(
            "       {} {}:{} step {} `{}`\n       {}\n",
            self.paint(RED, "at"),
            o.file,
            f.line,
            f.step,
            f.keyword,
            f.message
        );
        if let (Some(expected), Some(actual)) = (&f.expected, &f.actual) {
            out.push_str(&format!(
                "       {}\n",
                self.paint(DIM, "--- expected / +++ actual")
            ));
            let diff = TextDiff::from_lines(expected.as_str(), actual.as_str());
            for change in diff.iter_all_changes() {
                let line = change.to_string();
                let line = line.trim_end_matches('\n');
                let (sign, color) = match change.tag() {
                    ChangeTag::Delete => ("-", RED),
                    ChangeTag::Insert => ("+", GREEN),
                    ChangeTag::Equal => (" ", DIM),
                };
                out.push_str(&format!(
                    "       {}\n",
                    self.paint(color, &format!("{sign} {line}"))
                ));
            }
        }
        if let Some(x) = &f.exchange {
            out.push_str(&format!(
                "       {} {} {} → {}\n",
                self.paint(DIM, "request:"),
                x.method.as_str(),
                x.url,
                x.status
                    .map_or_else(|| x.error.clone().unwrap_or_default(), |s| s.to_string())
            ));
            if let Some(b) = &x.request_body {
                out.push_str(&format!("         {}\n", b));
            }
            if let Some(b) = &x.response_body {
                out.push_str(&format!("       {} {}\n", self.paint(DIM, "response:"), b));
            }
        }
        out
    }

    /// The closing line: `3 passed, 1 failed` (plus target errors and warnings when any).
    pub fn summary(&self, outcomes: &[ScenarioOutcome], seconds: f64) -> String {
        let Totals {
            passed,
            failed,
            target_errors,
            known,
            skipped,
            warnings,
        } = totals(outcomes);
        let mut line = format!("{passed} passed, {failed} failed");
        if target_errors > 0 {
            line.push_str(&format!(", {target_errors} target errors"));
        }
        if skipped > 0 {
            line.push_str(&format!(", {skipped} skipped"));
        }
        if known > 0 {
            line.push_str(&format!(", {known} known failures"));
        }
        if warnings > 0 {
            line.push_str(&format!(", {warnings} warnings"));
        }
        let color = if failed + target_errors > 0 {
            RED
        } else {
            GREEN
        };
        format!(
            "{} {}\n",
            self.paint(color, &line),
            self.paint(DIM, &format!("in {seconds:.2} s"))
        )
    }
}
