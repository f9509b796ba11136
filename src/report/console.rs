//! The console report: one line per scenario as it finishes, the failing step with a colored
//! diff and the request/response pair, then a summary. Colors only on a terminal and never
//! when `NO_COLOR` is set.

use std::io::IsTerminal;

use similar::{ChangeTag, TextDiff};

use super::{totals, Totals};
use crate::check::finding::{Group, Severity};
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
        let mut out = String::new();
        // The root cause first; the failed step after it, as what followed.
        if let Some(c) = f.cause.as_ref().filter(|c| c.title != f.message) {
            out.push_str(&format!(
                "       {} {} {}\n",
                self.paint(RED, "cause"),
                self.paint(BOLD, c.code.as_str()),
                c.title
            ));
            if let Some(x) = &c.exchange {
                out.push_str(&format!("             {}\n", x.line()));
            }
            if !c.consequence.is_empty() {
                out.push_str(&format!(
                    "             {}\n",
                    self.paint(DIM, &c.consequence)
                ));
            }
        }
        if f.line == 0 && f.step == 0 {
            // Not a scenario step: a protocol check, cut short or probe; `file` says what.
            out.push_str(&format!(
                "       {} {} `{}`\n       {}\n",
                self.paint(RED, "at"),
                o.file,
                f.keyword,
                f.message
            ));
        } else {
            out.push_str(&format!(
                "       {} {}:{} step {} `{}`\n       {}\n",
                self.paint(RED, "at"),
                o.file,
                f.line,
                f.step,
                f.keyword,
                f.message
            ));
        }
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

    /// The findings of a run, grouped by cause: a summary line each, then the details.
    pub fn findings(&self, groups: &[Group]) -> String {
        if groups.is_empty() {
            return String::new();
        }
        let mut out = format!(
            "\n{} ({} for more on a code)\n",
            self.paint(
                BOLD,
                &format!("{} finding{}", groups.len(), plural(groups.len()))
            ),
            "`scim-harness explain CODE`"
        );
        let width = groups
            .iter()
            .map(|g| g.finding.code.as_str().len())
            .max()
            .unwrap_or(0);
        for g in groups {
            let (tag, color) = match g.finding.severity {
                Severity::Error => ("error", RED),
                Severity::Cause => ("cause", RED),
                Severity::Warning => ("warn ", YELLOW),
            };
            out.push_str(&format!(
                "  {:<3} {} {:<width$}  {} — {}\n",
                g.id,
                self.paint(color, tag),
                g.finding.code.as_str(),
                g.finding.title,
                reach(g)
            ));
        }
        for g in groups {
            let f = &g.finding;
            out.push_str(&format!(
                "\n{} {} {}\n",
                self.paint(BOLD, &g.id),
                self.paint(BOLD, f.code.as_str()),
                f.title
            ));
            if let Some(x) = &f.exchange {
                out.push_str(&format!("    exchange:  {}\n", x.line()));
                if let Some(r) = &x.request {
                    out.push_str(&format!("    request:   {r}\n"));
                }
            }
            if !f.consequence.is_empty() {
                out.push_str(&format!("    the IdP:   {}\n", f.consequence));
            }
            out.push_str(&format!("    judged by: {}\n", f.reference));
            if !g.broke.is_empty() {
                out.push_str(&format!("    broke:     {}\n", g.broke.join(", ")));
            }
            if !g.seen_in.is_empty() {
                out.push_str(&format!("    seen in:   {}\n", g.seen_in.join(", ")));
            }
        }
        out.push('\n');
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

/// "broke 5 runs under entra, seen in 2" — how far a cause reached.
fn reach(g: &Group) -> String {
    let profiles = |runs: &[String]| {
        let mut p: Vec<&str> = runs.iter().filter_map(|r| r.rsplit('@').next()).collect();
        p.sort();
        p.dedup();
        p.join(", ")
    };
    match (g.broke.len(), g.seen_in.len()) {
        (0, n) => format!(
            "seen in {n} run{} under {}",
            plural(n),
            profiles(&g.seen_in)
        ),
        (b, 0) => format!("broke {b} run{} under {}", plural(b), profiles(&g.broke)),
        (b, n) => format!(
            "broke {b} run{} under {}, seen in {n} more",
            plural(b),
            profiles(&g.broke)
        ),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
