//! `review`, `accept` and `reject`: settle the pending snapshots (`.snap.new`) a run wrote,
//! without running anything again and without Cargo — `cargo insta review` for a vendor who
//! only has the binary. Answers are read from stdin, so a review can be scripted.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use clap::Args;
use similar::{ChangeTag, TextDiff};

use super::ExitCode;
use crate::check::snapshot::pending::{self, Pending};
use crate::scenario::model::{Scenario, Spanned, Step};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Directory of snapshot files (default: from scim-harness.toml, else `snapshots`).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Scenario files or directories whose snapshot steps name the snapshots that are in
    /// use; any other `.snap` is reported as unreferenced (default: from scim-harness.toml,
    /// else `scenarios`).
    #[arg(long = "scenarios", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub config: super::config::ConfigArg,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["all", "files"]))]
pub struct SettleArgs {
    /// Every pending snapshot in the directory.
    #[arg(long)]
    pub all: bool,
    /// Pending snapshots, named by their `.snap.new` or their `.snap`.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Directory of snapshot files for `--all` (default: from scim-harness.toml, else
    /// `snapshots`).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    #[command(flatten)]
    pub config: super::config::ConfigArg,
}

/// The snapshot directory of `review`/`accept`/`reject`: the flag, the config file's, or
/// `snapshots` (settling never compares, so it needs no built-in fallback).
fn snapshot_dir(flag: Option<&Path>, config: Option<&super::config::Config>) -> PathBuf {
    super::config::snapshot_dir(flag, config).unwrap_or_else(|| PathBuf::from("snapshots"))
}

/// What `accept`/`reject` do to each pending snapshot.
#[derive(Debug, Clone, Copy)]
pub enum Settle {
    Accept,
    Reject,
}

pub fn settle(args: SettleArgs, how: Settle) -> ExitCode {
    let config = match super::config::for_command(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let dir = snapshot_dir(args.snapshots.as_deref(), config.as_ref());
    let chosen = if args.all {
        match pending::pending(&dir) {
            Ok(p) => p,
            Err(e) => return fail("read", &dir, &e),
        }
    } else {
        let mut chosen = Vec::new();
        for file in &args.files {
            match Pending::at(file) {
                Some(p) => chosen.push(p),
                None => {
                    eprintln!(
                        "error: no pending snapshot at {} (no .snap.new beside it)",
                        file.display()
                    );
                    return ExitCode::Usage;
                }
            }
        }
        chosen
    };
    let (verb, done) = match how {
        Settle::Accept => ("accept", "accepted"),
        Settle::Reject => ("reject", "rejected"),
    };
    for p in &chosen {
        let result = match how {
            Settle::Accept => p.accept(),
            Settle::Reject => p.reject(),
        };
        if let Err(e) = result {
            return fail(verb, &p.new, &e);
        }
        say!("{done} {}", p.snap.display());
    }
    say!("{} {done}", plural(chosen.len(), "snapshot"));
    ExitCode::Ok
}

fn fail(verb: &str, path: &Path, e: &std::io::Error) -> ExitCode {
    eprintln!("error: failed to {verb} {}: {e}", path.display());
    ExitCode::Usage
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The interactive review: each pending snapshot's diff, then a (accept), r (reject) or
/// s (skip). The end of stdin skips whatever is left.
pub fn review(args: ReviewArgs) -> ExitCode {
    let config = match super::config::for_command(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let dir = snapshot_dir(args.snapshots.as_deref(), config.as_ref());
    let all = match pending::pending(&dir) {
        Ok(p) => p,
        Err(e) => return fail("read", &dir, &e),
    };
    // The same colour rule as `run` (an empty NO_COLOR does not count; FORCE_COLOR colours
    // a pipe).
    let color = crate::report::console::Console::detect(Default::default()).colored();
    let mut answers = std::io::stdin().lock();
    let (mut accepted, mut rejected) = (0, 0);
    if all.is_empty() {
        say!("no pending snapshots in {}", dir.display());
    }
    for (i, p) in all.iter().enumerate() {
        if let Err(e) = show(p, i + 1, all.len(), color) {
            return fail("read", &p.new, &e);
        }
        let Some(answer) = ask(&mut answers) else {
            say!("");
            break;
        };
        let result = match answer {
            'a' => p.accept().map(|()| accepted += 1),
            'r' => p.reject().map(|()| rejected += 1),
            _ => Ok(()),
        };
        if let Err(e) = result {
            return fail("settle", &p.new, &e);
        }
    }
    say!(
        "accepted {accepted}, rejected {rejected}, skipped {}",
        all.len() - accepted - rejected
    );
    let selection = match args.scenarios.is_empty() {
        true => super::config::defaults(config.as_ref()),
        false => super::config::Selection {
            paths: args.scenarios.clone(),
            builtin: false,
        },
    };
    if let Some(scenarios) = load(&selection) {
        report_unreferenced(&dir, &scenarios);
    }
    ExitCode::Ok
}

/// Asks until the answer is a, r or s; None at the end of stdin.
fn ask(answers: &mut impl BufRead) -> Option<char> {
    loop {
        say_raw!("  a accept, r reject, s skip > ");
        let mut line = String::new();
        match answers.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        // A scripted answer is echoed, so the transcript reads like a session.
        if !std::io::stdin().is_terminal() {
            say!("{}", line.trim());
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "a" | "accept" => return Some('a'),
            "r" | "reject" => return Some('r'),
            "s" | "skip" => return Some('s'),
            other => say!("  `{other}`? answer a, r or s"),
        }
    }
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// One pending snapshot: its name, then the changed lines with three lines of context (a
/// new snapshot: every line added); for a summary, also the side-file lines that differ.
fn show(p: &Pending, n: usize, of: usize, color: bool) -> std::io::Result<()> {
    let (old, new) = p.bodies()?;
    let what = if old.is_some() { "changed" } else { "new" };
    say!(
        "{} {} ({what})",
        paint(color, BOLD, &format!("[{n}/{of}]")),
        p.snap.display()
    );
    print_diff(
        &old.map(|o| o + "\n").unwrap_or_default(),
        &(new + "\n"),
        color,
    );
    if let Some((want, got)) = p.side_diff()? {
        say!("  {}", paint(color, DIM, "objects that differ:"));
        print_diff(&want, &got, color);
    }
    Ok(())
}

fn print_diff(old: &str, new: &str, color: bool) {
    let diff = TextDiff::from_lines(old, new);
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            say!("  {}", paint(color, DIM, "…"));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let (sign, code) = match change.tag() {
                    ChangeTag::Delete => ("-", RED),
                    ChangeTag::Insert => ("+", GREEN),
                    ChangeTag::Equal => (" ", DIM),
                };
                let line = change.to_string();
                let line = line.trim_end_matches('\n');
                say!("  {}", paint(color, code, &format!("{sign} {line}")));
            }
        }
    }
}

/// The scenarios of `paths`, or None (with a note) when they cannot be read: the review
/// itself does not need them.
fn load(selection: &super::config::Selection) -> Option<Vec<Scenario>> {
    let paths = &selection.paths;
    let files = match crate::scenario::discover_with_builtin(paths) {
        Ok(mut files) => {
            if selection.builtin {
                files.extend(
                    crate::catalog::scenarios().map(crate::scenario::ScenarioFile::Builtin),
                );
            }
            files
        }
        Err(_) if paths.iter().all(|p| !p.exists()) => return None,
        Err(e) => {
            eprint!("{}", e.render());
            say!("unreferenced snapshots not checked: the scenarios could not be read");
            return None;
        }
    };
    let mut out = Vec::new();
    for file in files {
        match file.load() {
            Ok(s) => out.push(s),
            Err(e) => {
                eprint!("{}", e.render());
                say!("unreferenced snapshots not checked: the scenarios could not be read");
                return None;
            }
        }
    }
    Some(out)
}

/// A short line per `.snap` in `dir` that no snapshot step of `scenarios` writes: not an
/// error, a hint that a scenario or step was renamed or a profile left it.
pub(super) fn report_unreferenced(dir: &Path, scenarios: &[Scenario]) {
    match pending::unreferenced(dir, &referenced(scenarios)) {
        Ok(files) => {
            for f in files {
                say!(
                    "unreferenced snapshot {} (no scenario step names it)",
                    f.display()
                );
            }
        }
        Err(e) => say!("unreferenced snapshots not checked: {e}"),
    }
}

/// The file names the snapshot steps of `scenarios` write, under every profile they run
/// under (a `per_profile` step: that profile only), plain and `--full`.
fn referenced(scenarios: &[Scenario]) -> BTreeSet<String> {
    fn walk(s: &Scenario, steps: &[Spanned<Step>], profiles: &[&str], out: &mut BTreeSet<String>) {
        for step in steps {
            match &step.value {
                Step::Snapshot(name) => {
                    for p in profiles {
                        for suffix in ["", ".full"] {
                            out.insert(format!("{}__{name}@{p}{suffix}.snap", s.name));
                        }
                    }
                }
                Step::PerProfile(by) => {
                    for (p, steps) in by {
                        walk(s, steps, &[p.as_str()], out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    for s in scenarios {
        let profiles: Vec<&str> = match &s.profiles {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => crate::profile::NAMES.to_vec(),
        };
        walk(s, &s.steps, &profiles, &mut out);
    }
    out
}
