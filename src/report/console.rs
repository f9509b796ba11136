//! The console report: one line per scenario as it finishes, the failing step with a colored
//! diff and the request/response pair, then a summary. Colors follow `--color`, then the
//! conventions CI systems and terminals share (`NO_COLOR`, `CLICOLOR_FORCE`, `FORCE_COLOR`),
//! then whether stdout is a terminal.

use std::io::IsTerminal;

use similar::{ChangeTag, TextDiff};

use super::{totals, Totals};
use crate::check::finding::{Group, Severity};
use crate::engine::runner::{ScenarioOutcome, StepFailure, Verdict};

#[derive(Debug, Clone, Copy)]
pub struct Console {
    color: bool,
    detail: Detail,
}

/// How much of each run the console shows (`-q`, default, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Only failed runs (and, from the caller, findings and the summary).
    Quiet,
    #[default]
    Normal,
    /// Each run's provisioning log as well.
    Verbose,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `--color`: `auto` decides from the environment and the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether a `CI` value asks for a CI run: set, non-empty, and neither `false` nor `0`. One
/// rule for colour and for the snapshot mode (nothing written on CI).
pub fn ci_is_set(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether to color, from the flag, the environment and the terminal. `NO_COLOR` counts only
/// when non-empty (no-color.org); `CLICOLOR_FORCE` or `FORCE_COLOR` (non-empty, not `0`) turn
/// color on where stdout is a pipe, as in GitHub Actions; `CI` alone means plain.
pub fn wants_color(
    choice: ColorChoice,
    is_terminal: bool,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let forced = |name: &str| env(name).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") => true,
        ColorChoice::Auto => is_terminal && !ci_is_set(env("CI").as_deref()),
    }
}

impl Console {
    /// Colors as `wants_color` decides for this process's stdout and environment.
    pub fn detect(choice: ColorChoice) -> Self {
        let color = wants_color(choice, std::io::stdout().is_terminal(), |name| {
            std::env::var(name).ok()
        });
        Console {
            color,
            detail: Detail::Normal,
        }
    }

    /// The same console, showing `detail` of each run.
    pub fn with_detail(self, detail: Detail) -> Self {
        Console { detail, ..self }
    }

    pub fn detail(&self) -> Detail {
        self.detail
    }

    /// Whether this console colors: for other screens (`review`) that follow the same rule.
    pub fn colored(&self) -> bool {
        self.color
    }

    pub fn plain() -> Self {
        Console {
            color: false,
            detail: Detail::Normal,
        }
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
        // Quiet keeps what needs acting on: failures, and a target that could not be used.
        if self.detail == Detail::Quiet
            && !matches!(o.verdict, Verdict::Failed | Verdict::TargetError)
        {
            return String::new();
        }
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
        if self.detail == Detail::Verbose {
            o.log.for_each(|r| {
                out.push_str(&format!(
                    "       {} cycle {} {:?} {} {}{}\n",
                    self.paint(DIM, "log:"),
                    r.cycle_id,
                    r.provisioning_action,
                    r.object,
                    crate::engine::log::status_str(r.status),
                    r.skip_reason
                        .as_deref()
                        .or(r.reason.as_deref())
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default()
                ));
            });
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

#[cfg(test)]
mod color_tests {
    use super::{wants_color, ColorChoice};

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_flag_wins_over_every_variable() {
        let all = [("NO_COLOR", "1"), ("FORCE_COLOR", "1"), ("CI", "true")];
        assert!(wants_color(ColorChoice::Always, false, env(&all)));
        assert!(!wants_color(ColorChoice::Never, true, env(&all)));
    }

    #[test]
    fn an_empty_no_color_does_not_disable_color() {
        assert!(wants_color(
            ColorChoice::Auto,
            true,
            env(&[("NO_COLOR", "")])
        ));
        assert!(!wants_color(
            ColorChoice::Auto,
            true,
            env(&[("NO_COLOR", "1")])
        ));
    }

    #[test]
    fn force_variables_color_a_pipe_in_ci_unless_zero() {
        assert!(wants_color(
            ColorChoice::Auto,
            false,
            env(&[("FORCE_COLOR", "1"), ("CI", "true")])
        ));
        assert!(wants_color(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!wants_color(
            ColorChoice::Auto,
            false,
            env(&[("FORCE_COLOR", "0")])
        ));
        assert!(!wants_color(ColorChoice::Auto, false, env(&[])));
    }

    #[test]
    fn ci_alone_means_plain_even_on_a_terminal() {
        assert!(!wants_color(
            ColorChoice::Auto,
            true,
            env(&[("CI", "true")])
        ));
        assert!(wants_color(
            ColorChoice::Auto,
            true,
            env(&[("CI", "false")])
        ));
    }
}
