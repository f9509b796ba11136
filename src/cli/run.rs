//! `scim-harness run` and `scim-harness list`: parse every scenario first (a typo stops the
//! run before anything is sent), then run each under each profile it applies to, against the
//! built-in server (fresh per scenario) or `--target`, and write the reports.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::config::Selection;
use super::ExitCode;
use crate::check::snapshot;
use crate::client::TenantUrl;
use crate::harness::{Event, Harness, RunVerdict};
use crate::report::console::Console;
use crate::scenario::{self, model::Scenario};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (walked for *.yaml). Without PATHS (and without
    /// --suite or --check): `scenarios` and the protocol suite.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub suite: super::suite::SuiteArgs,
    /// Tenant URL of the SCIM server under test; Entra flags go in its query
    /// (`https://host/scim/v2?aadOptscim062020`). Without it, the built-in server is started,
    /// fresh for every scenario.
    #[arg(long, env = "SCIM_BASE_URL", value_name = "URL")]
    pub target: Option<String>,
    /// Bearer token for --target (never printed). Prefer the SCIM_TOKEN variable.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// A second valid token for --target (never printed; prefer SCIM_NEXT_TOKEN): after
    /// `target_rotate_token`, `idp_update_token` gives the IdP this token instead of the
    /// first, so token-rotation scenarios prove the server honours a regenerated token.
    #[arg(
        long,
        env = "SCIM_NEXT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub next_token: Option<String>,
    /// Profiles to replay, comma-separated (default: every profile a scenario applies to).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub profile: Vec<String>,
    /// Profile option, overriding scenario options (e.g. patch_dialect=aadOptscim062020).
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    pub options: Vec<(String, String)>,
    /// Write a JSON report (`-`: stdout, the console then goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write an HTML report: one self-contained file to open in a browser (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the provisioning log as JSON lines (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write every HTTP exchange as JSON lines, tagged with scenario, profile and step, with
    /// headers (Authorization redacted) and cut bodies; emptied at the start of each run.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Add to the --transcript file instead of emptying it first.
    #[arg(long, requires = "transcript")]
    pub append: bool,
    /// Accept new and changed snapshots (nothing is ever written when CI is set).
    #[arg(long)]
    pub accept: bool,
    /// Directory of snapshot files (default: `snapshots` from scim-harness.toml, else
    /// `./snapshots` where `./scenarios` or `./snapshots` exists; elsewhere only the built-in
    /// snapshots are compared and nothing is written).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    #[command(flatten)]
    pub config: super::config::ConfigArg,
    /// Scenarios to run without PATHS: set from the config file, not on the command line.
    #[arg(skip)]
    pub defaults: super::config::Selection,
    /// Prefix for every object the run creates (default: random). Stripped from snapshots.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Keep the objects the run created on --target instead of deleting them at the end.
    #[arg(long)]
    pub keep: bool,
    /// YAML list of (scenario, profile, reason) expected to fail against this target: listed
    /// failures do not fail the run; listed ones that pass are reported so the list can shrink.
    #[arg(long, value_name = "FILE")]
    pub known_failures: Option<PathBuf>,
    /// Send nothing to --target: replay against a fresh built-in server standing in for an
    /// empty target and print every request as it would go to --target.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep every attribute in snapshots (files named `…@<profile>.full.snap`), not only the
    /// attributes the profile manages.
    #[arg(long)]
    pub full: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Wall-time limit of one scenario under one profile: past it the scenario fails, its
    /// objects are cleaned up and the run goes on with the next one.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub scenario_timeout: u64,
    /// Wall-time limit of the whole run: past it the scenario in progress stops, is cleaned
    /// up, every report is written and the run exits 1 naming what was not run.
    #[arg(long, value_name = "SECONDS")]
    pub deadline: Option<u64>,
    /// Scenario runs at once (each with its own built-in server, or its own prefix on
    /// --target); results are printed in list order.
    #[arg(short = 'j', long, default_value_t = 1, value_name = "N")]
    pub jobs: usize,
    /// Run only the I-th of N slices of the run list (round-robin), e.g. `--shard 2/4` on the
    /// second of four CI machines; the protocol checks are sliced the same way.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::harness::Shard>,
    /// Color: `auto` colors a terminal unless `NO_COLOR` is set (non-empty); `CLICOLOR_FORCE`
    /// or `FORCE_COLOR` color a pipe too (GitHub Actions); `CI` alone means plain.
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub color: crate::report::console::ColorChoice,
    /// Largest response body read from the target; a larger answer is a finding.
    #[arg(long, default_value_t = 4 * 1024 * 1024, value_name = "BYTES")]
    pub max_body_bytes: u64,
    #[command(flatten)]
    pub control: super::control::ControlArgs,
    #[command(flatten)]
    pub transport: super::transport::TransportArgs,
    #[command(flatten)]
    pub oauth: super::oauth::OAuthArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Scenario files or directories. Without PATHS: `scenarios` and the protocol checks.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// List only a built-in suite's checks.
    #[arg(long, value_enum, value_name = "SUITE")]
    pub suite: Option<super::suite::Suite>,
    /// Directory of snapshot files; without PATHS, snapshots no scenario names are reported.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    #[command(flatten)]
    pub config: super::config::ConfigArg,
    /// Scenarios to list without PATHS: set from the config file.
    #[arg(skip)]
    pub defaults: super::config::Selection,
    /// Print the listing as JSON: scenarios with file, symptom and profiles; protocol checks
    /// with RFC section, level and IdPs.
    #[arg(long)]
    pub json: bool,
}

/// The scenarios to load: the paths given, or without any the config file's (with the
/// built-in ones if it says so), or `scenarios` (on disk in the repository, built in
/// elsewhere).
fn scenario_paths(paths: &[PathBuf], defaults: &Selection) -> Selection {
    if paths.is_empty() {
        defaults.clone()
    } else {
        Selection {
            paths: paths.to_vec(),
            builtin: false,
        }
    }
}

fn parse_option(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))
}

/// Parses every scenario; on any error prints them all and returns exit code 2.
pub(super) fn load_all(selection: &Selection) -> Result<Vec<Scenario>, ExitCode> {
    // A path not on disk (`entra/`) is looked up among the built-in scenarios.
    let mut files = scenario::discover_with_builtin(&selection.paths).map_err(|e| {
        eprint!("{}", e.render());
        ExitCode::Usage
    })?;
    if selection.builtin {
        files.extend(crate::catalog::scenarios().map(scenario::ScenarioFile::Builtin));
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(f.clone()));
    }
    scenario::load_all(&files, &[], Vec::new()).map_err(|text| {
        eprint!("{text}");
        ExitCode::Usage
    })
}

pub fn list(args: ListArgs) -> ExitCode {
    if args.suite.is_some() {
        match args.json {
            true => super::list_json::print(&[], true),
            false => super::suite::list(),
        }
        return ExitCode::Ok;
    }
    let scenarios = match load_all(&scenario_paths(&args.paths, &args.defaults)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.json {
        super::list_json::print(&scenarios, args.paths.is_empty());
        return ExitCode::Ok;
    }
    for s in &scenarios {
        say!("{}  [{}]", s.name, runs_under(s).join(", "));
        say!("    file:    {}", s.file.display());
        say!("    symptom: {}", s.symptom);
    }
    say!("{} scenarios", scenarios.len());
    if args.paths.is_empty() {
        if let Some(dir) = &args.snapshots {
            super::review::report_unreferenced(dir, &scenarios);
        }
        super::suite::list();
    }
    ExitCode::Ok
}

/// The profiles `run` would use for a scenario: listed ones, or every one that replays all
/// its steps.
pub(super) fn runs_under(s: &Scenario) -> Vec<&'static str> {
    crate::harness::runs_under(s)
}

/// Maps the arguments onto the library's `Harness` (which makes every check before anything
/// is sent), prints each outcome as it comes, the findings and the summary, writes the
/// reports and maps the verdict to the exit code.
pub async fn run(args: RunArgs) -> ExitCode {
    if let Err(e) = crate::harness::check_profile_names(&args.profile) {
        eprintln!("{e}");
        return ExitCode::Usage;
    }
    // The protocol suite: asked for by name, or part of a run without PATHS.
    let checks = match args.suite.selected() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let suite_only = args.suite.asked() && args.paths.is_empty();
    let with_suite = (args.suite.asked() || args.paths.is_empty()) && !args.dry_run;
    let scenarios = match suite_only {
        true => vec![],
        false => match load_all(&scenario_paths(&args.paths, &args.defaults)) {
            Ok(s) => s,
            Err(code) => return code,
        },
    };
    let transport = match &args.target {
        Some(url) if !args.dry_run && TenantUrl::parse(url).is_ok() => {
            match args.transport.load() {
                Ok(t) => Some(t),
                Err(code) => return code,
            }
        }
        _ => None,
    };
    let ci = crate::report::console::ci_is_set(std::env::var("CI").ok().as_deref());
    let console = Console::detect(args.color).with_detail(args.control.detail());
    let mut builder = Harness::builder()
        .profiles(args.profile.iter().cloned())
        .dry_run(args.dry_run)
        // No snapshot directory (no config, not in a project): built-in snapshots only,
        // and nothing written.
        .snapshots(
            args.snapshots.clone().unwrap_or_default(),
            if ci || args.dry_run || args.snapshots.is_none() {
                snapshot::Mode::ReadOnly
            } else if args.accept {
                snapshot::Mode::Accept
            } else {
                snapshot::Mode::Review
            },
        )
        .full_snapshots(args.full)
        .timeout(Duration::from_secs(args.timeout.max(1)))
        .scenario_timeout(Duration::from_secs(args.scenario_timeout.max(1)))
        .check_timeout(Duration::from_secs(args.suite.check_timeout.max(1)))
        .max_body_bytes(args.max_body_bytes)
        .jobs(args.jobs)
        .fail_fast(args.control.fail_fast)
        .keep(args.keep)
        .stop_on_signals(true)
        .observe(move |event| match event {
            Event::Finished(outcome) => say_raw!("{}", console.scenario(outcome)),
            Event::WouldSend { method, url, body } => match body {
                Some(b) => say!("  {method} {url} {b}"),
                None => say!("  {method} {url}"),
            },
            Event::SuiteStarting { checks, base } => {
                if console.detail() != crate::report::console::Detail::Quiet {
                    say!("running {checks} protocol checks against {base}");
                }
            }
        });
    for s in scenarios {
        builder = builder.scenario(s);
    }
    for (key, value) in &args.options {
        builder = builder.option(key, value);
    }
    for glob in &args.control.filters {
        builder = builder.filter(glob);
    }
    if let Some(url) = &args.target {
        builder = builder.target(url, args.token.clone());
    }
    if let Some(t) = transport {
        builder = builder.transport(t);
    }
    if let Some(credentials) = args.oauth.credentials() {
        builder = builder.client_credentials(credentials);
    }
    if let Some(token) = &args.next_token {
        builder = builder.next_token(token);
    }
    if with_suite {
        builder = builder.protocol_checks(checks);
    }
    if let Some(path) = &args.known_failures {
        builder = builder.known_failures(path);
    }
    if let Some(shard) = args.shard {
        builder = builder.shard(shard.index, shard.count);
    }
    if let Some(prefix) = &args.prefix {
        builder = builder.prefix(prefix);
    }
    if let Some(path) = &args.transcript {
        builder = builder.transcript(path);
    }
    if let Some(seconds) = args.deadline {
        builder = builder.deadline(Duration::from_secs(seconds));
    }
    if let Some(bar) = super::progress::bar(ci, args.jobs) {
        builder = builder.progress(bar);
    }
    let harness = match builder.build() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::Usage;
        }
    };
    // Every report path is checked before anything is sent.
    if let Err(e) = super::reports::preflight(&args) {
        eprintln!("error: {e}");
        return ExitCode::Usage;
    }
    let started = Instant::now();
    // Console, reports and a panic message are scrubbed of every token of the run.
    crate::client::install_panic_scrubber(harness.redactor().clone());
    if let Some(shown_base) = harness.dry_run_base() {
        say!("dry run: nothing is sent to {shown_base}; requests are shown as they would go to an empty target");
    }
    if !suite_only && !args.control.quiet {
        say!(
            "running {} scenario runs ({} files)",
            harness.runs(),
            harness.scenario_count()
        );
        say!("{}", harness.profiles_line());
    }
    let report = match harness.run().await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return match e.is_usage() {
                true => ExitCode::Usage,
                false => ExitCode::Internal,
            };
        }
    };
    say_raw!("{}", console.findings(&report.findings()));
    say_raw!(
        "{}",
        console.summary(report.outcomes(), started.elapsed().as_secs_f64())
    );
    if let Some(stopped) = report.interrupted() {
        eprintln!("{}", stopped.line());
    }
    let left_behind = report.left_behind();
    if !left_behind.is_empty() {
        eprintln!(
            "error: {} objects the run created are still on the target (delete them by hand, or run with --keep to keep them on purpose):",
            left_behind.len()
        );
        for l in left_behind {
            eprintln!("  {l}");
        }
    }
    if let Err(e) = super::reports::write_all(&report, &args) {
        eprintln!("error: {e}");
        return ExitCode::Internal;
    }
    match report.verdict() {
        RunVerdict::TargetError => ExitCode::Target,
        RunVerdict::Failed => ExitCode::ScenarioFailed,
        RunVerdict::Passed => ExitCode::Ok,
    }
}
