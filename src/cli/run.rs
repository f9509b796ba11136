//! `scim-harness run` and `scim-harness list`: parse every scenario first (a typo stops the
//! run before anything is sent), then run each under each profile it applies to, against the
//! built-in server (fresh per scenario) or `--target`, and write the reports.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::config::Selection;
use super::{stop, ExitCode};
use crate::check::snapshot;
use crate::client::{Redactor, Secret, TenantUrl};
use crate::engine::runner::{RunSettings, Verdict};
use crate::profile::{self, Profile};
use crate::report::{self, console::Console};
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
    /// Config file (default: the nearest `scim-harness.toml` from the working directory up).
    #[arg(long, env = "SCIM_HARNESS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    pub shard: Option<super::jobs::Shard>,
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
    /// Config file (default: the nearest `scim-harness.toml` from the working directory up).
    #[arg(long, env = "SCIM_HARNESS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
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
    let mut scenarios = Vec::new();
    let mut failed = false;
    for file in files {
        match file.load() {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                eprint!("{}", e.render());
                failed = true;
            }
        }
    }
    if failed {
        return Err(ExitCode::Usage);
    }
    scenario::check_unique_names(&scenarios).map_err(|e| {
        eprint!("{}", e.render());
        ExitCode::Usage
    })?;
    Ok(scenarios)
}

/// The profiles a scenario runs under: its own list (or all), narrowed by `--profile`.
fn profiles_for(s: &Scenario, wanted: &[String]) -> Vec<&'static str> {
    profile::NAMES
        .iter()
        .copied()
        .filter(|p| {
            s.profiles
                .as_ref()
                .is_none_or(|list| list.iter().any(|x| x == p))
        })
        .filter(|p| wanted.is_empty() || wanted.iter().any(|w| w == p || w == "all"))
        .collect()
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
    profiles_for(s, &[])
        .into_iter()
        .filter(|name| {
            let options = for_profile(
                name,
                s.options
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.value.as_str())),
            );
            profile::by_name(name, &options).is_ok_and(|p| {
                s.profiles.is_some() || s.steps.iter().all(|st| p.supports(&st.value))
            })
        })
        .collect()
}

/// The options one profile gets: `okta.integration` goes to okta only (prefix stripped),
/// `patch_dialect` to every profile — which must then know it.
pub(super) fn for_profile<'a>(
    profile: &str,
    options: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    options
        .filter_map(|(key, value)| match key.split_once('.') {
            Some((p, k)) if profile::NAMES.contains(&p) => {
                (p == profile).then(|| (k.to_string(), value.to_string()))
            }
            _ => Some((key.to_string(), value.to_string())),
        })
        .collect()
}

/// A profile's refusal of an option, placed where the option was written: the scenario's
/// `options:` line (file:line:column, as scenario-file errors are) or `--option`.
fn option_error(
    s: &Scenario,
    profile: &str,
    cli_options: &BTreeMap<String, String>,
    e: &profile::ProfileError,
) -> String {
    let key = match e {
        profile::ProfileError::UnknownOption { key, .. }
        | profile::ProfileError::BadOption { key, .. } => key.as_str(),
        profile::ProfileError::UnknownProfile(_) => "",
    };
    let names = |k: &str| k == key || k == format!("{profile}.{key}");
    if let Some(given) = cli_options.keys().find(|k| names(k)) {
        return format!("error: --option {given}: {e}\n");
    }
    match s.options.iter().find(|(k, _)| names(k)) {
        Some((written, value)) => scenario::ScenarioError::at_span(
            scenario::ErrorKind::InvalidValue,
            &s.file,
            value.span,
            format!("options.{written}"),
            e.to_string(),
        )
        .render(),
        None => format!("error: {}: {e}\n", s.file.display()),
    }
}

/// The options every run of a profile gets, from `--option` and the tenant URL's flags:
/// `profiles: entra (patch_dialect=aadOptscim062020 from the tenant URL), okta (defaults)`.
/// A scenario's own `options:` come on top, per scenario.
fn options_header(
    jobs: &[(&Scenario, Box<dyn Profile>)],
    args: &RunArgs,
    cli_options: &BTreeMap<String, String>,
) -> String {
    let mut names: Vec<&str> = jobs.iter().map(|(_, p)| p.name()).collect();
    names.sort();
    names.dedup();
    let flagged = args
        .target
        .as_deref()
        .and_then(|t| TenantUrl::parse(t).ok())
        .is_some_and(|u| crate::profile::entra::Dialect::flagged_in(&u));
    let shown: Vec<String> = names
        .iter()
        .map(|name| {
            let mut given: Vec<String> = for_profile(
                name,
                cli_options.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
            if *name == "entra" && flagged && !cli_options.contains_key("patch_dialect") {
                given.push("patch_dialect=aadOptscim062020 from the tenant URL".into());
            }
            if given.is_empty() {
                format!("{name} (defaults)")
            } else {
                format!("{name} ({})", given.join(", "))
            }
        })
        .collect();
    format!(
        "profiles: {}; a scenario's own options apply to it alone",
        shown.join(", ")
    )
}

fn random_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("sh{}-", &id[..6])
}

/// Where requests go for one scenario.
pub(super) enum Target {
    Builtin,
    External {
        url: TenantUrl,
        token: Option<Secret>,
        transport: crate::client::Transport,
    },
    /// `--dry-run`: a built-in stand-in, with requests shown against this base URL.
    DryRun {
        shown_base: String,
    },
}

pub async fn run(args: RunArgs) -> ExitCode {
    for p in &args.profile {
        if p != "all" && !profile::NAMES.contains(&p.as_str()) {
            eprintln!(
                "error: unknown profile `{p}`; known profiles: {}",
                profile::NAMES.join(", ")
            );
            return ExitCode::Usage;
        }
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
    let known = match &args.known_failures {
        None => vec![],
        Some(path) => match scenario::known::load(path) {
            Ok(k) => k,
            Err(e) => {
                eprint!("{}", e.render());
                return ExitCode::Usage;
            }
        },
    };
    let target = match &args.target {
        None if args.dry_run => Target::DryRun {
            shown_base: "http://target.invalid/scim/v2".into(),
        },
        None => Target::Builtin,
        Some(url) => match TenantUrl::parse(url) {
            Ok(url) if args.dry_run => Target::DryRun {
                shown_base: url.base,
            },
            Ok(url) => Target::External {
                url,
                token: args.token.clone().map(Secret::new),
                transport: match args.transport.load() {
                    Ok(t) => t,
                    Err(code) => return code,
                },
            },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::Usage;
            }
        },
    };
    let ci = crate::report::console::ci_is_set(std::env::var("CI").ok().as_deref());
    let settings = RunSettings {
        prefix: args.prefix.clone().unwrap_or_else(random_prefix),
        next_token: args.next_token.clone().map(Secret::new),
        // No snapshot directory (no config, not in a project): built-in snapshots only.
        snapshot_dir: args.snapshots.clone().unwrap_or_default(),
        full_snapshots: args.full,
        snapshot_mode: if ci || args.dry_run || args.snapshots.is_none() {
            snapshot::Mode::ReadOnly
        } else if args.accept {
            snapshot::Mode::Accept
        } else {
            snapshot::Mode::Review
        },
        progress: super::progress::bar(ci, args.jobs),
    };
    let cli_options: BTreeMap<String, String> = args.options.iter().cloned().collect();

    // Build every profile up front: a bad option is a usage error before anything is sent.
    let mut jobs: Vec<(&Scenario, Box<dyn Profile>)> = Vec::new();
    for s in &scenarios {
        for name in profiles_for(s, &args.profile) {
            let mut options: BTreeMap<String, String> = BTreeMap::new();
            // Entra reads its behaviour flags from the tenant URL's query (§1.1).
            let flagged = args
                .target
                .as_deref()
                .and_then(|t| TenantUrl::parse(t).ok())
                .is_some_and(|u| crate::profile::entra::Dialect::flagged_in(&u));
            if name == "entra" && flagged {
                options.insert("patch_dialect".into(), "aadOptscim062020".into());
            }
            options.extend(for_profile(
                name,
                s.options
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.value.as_str())),
            ));
            options.extend(for_profile(
                name,
                cli_options.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
            match profile::by_name(name, &options) {
                // Without a `profiles:` list a scenario runs under every profile that can
                // replay all of its steps.
                Ok(p) if !s.steps.iter().all(|st| p.supports(&st.value)) => {
                    // A profile the scenario names explicitly must replay every step.
                    if s.profiles.is_some() {
                        let step = s.steps.iter().find(|st| !p.supports(&st.value));
                        eprintln!(
                            "error: {}:{}: profile {name} cannot replay step `{}`; remove {name} from `profiles:`",
                            s.file.display(),
                            step.map_or(0, |st| st.span.line),
                            step.map_or("?", |st| st.value.keyword())
                        );
                        return ExitCode::Usage;
                    }
                }
                Ok(p) => jobs.push((s, p)),
                Err(e) => {
                    eprint!("{}", option_error(s, name, &cli_options, &e));
                    return ExitCode::Usage;
                }
            }
        }
    }

    // Every known-failures entry names a loaded scenario and a real profile (a typo masks
    // nothing and would go unnoticed); checked before sharding, since shards share the file.
    if let Some(path) = &args.known_failures {
        let mut loaded: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
        if with_suite {
            loaded.extend(
                checks
                    .iter()
                    .map(|c| format!("{}{}", crate::protocol::SCENARIO_PREFIX, c.name)),
            );
        }
        let mut profiles = profile::NAMES.to_vec();
        profiles.push(crate::protocol::PROFILE);
        if let Err(e) = scenario::known::check_entries(&known, path, &loaded, &profiles) {
            eprint!("{}", e.render());
            return ExitCode::Usage;
        }
    }
    // `--filter`: by scenario name, checks as `protocol-<check>`; before sharding, so the
    // shards split what is selected.
    let mut checks = checks;
    jobs.retain(|(s, _)| args.control.keeps(&s.name));
    checks.retain(|c| {
        args.control
            .keeps(&format!("{}{}", crate::protocol::SCENARIO_PREFIX, c.name))
    });
    // `--shard i/n`: scenario runs first, then the protocol checks, dealt round-robin.
    if let Some(shard) = args.shard {
        let runs = jobs.len();
        let mut position = 0..;
        jobs.retain(|_| position.next().is_some_and(|p| shard.keeps(p)));
        let mut position = runs..;
        checks.retain(|_| position.next().is_some_and(|p| shard.keeps(p)));
    }

    let suite_runs = with_suite && !checks.is_empty();
    if jobs.is_empty() && !suite_runs {
        // Zero runs selected is a mistake (a wrong path, profile or shard), never a pass.
        eprintln!(
            "error: no scenario runs selected: {} scenario files, profiles {}, shard {}, filter {}",
            scenarios.len(),
            if args.profile.is_empty() {
                "all".to_string()
            } else {
                args.profile.join(",")
            },
            args.shard
                .map_or("none".to_string(), |s| format!("{}/{}", s.index, s.count)),
            args.control.shown()
        );
        return ExitCode::Usage;
    }
    // Every report path is checked before anything is sent.
    if let Err(e) = super::reports::preflight(&args) {
        eprintln!("error: {e}");
        return ExitCode::Usage;
    }
    let started_at = chrono::Utc::now();
    let console = Console::detect(args.color).with_detail(args.control.detail());
    let started = Instant::now();
    let timeout = Duration::from_secs(args.timeout.max(1));
    // One redactor for the whole run: every client adds its token (and rotated ones) to
    // it, so console, reports and a panic message are scrubbed of all of them.
    let redactor = match &target {
        Target::External { token, .. } => {
            let next = args.next_token.clone().map(Secret::new);
            Redactor::from_secrets(token.iter().chain(next.iter()))
        }
        Target::Builtin | Target::DryRun { .. } => Redactor::new(),
    };
    crate::client::install_panic_scrubber(redactor.clone());
    if let Target::DryRun { shown_base } = &target {
        say!("dry run: nothing is sent to {shown_base}; requests are shown as they would go to an empty target");
    }
    // SIGINT, SIGTERM or the deadline: the scenario in progress stops, its objects are
    // deleted, reports are written. A second signal exits at once.
    let in_progress = stop::InProgress::default();
    let stop_rx = stop::listen(in_progress.clone(), args.deadline.map(Duration::from_secs));
    if !suite_only && !args.control.quiet {
        say!(
            "running {} scenario runs ({} files)",
            jobs.len(),
            scenarios.len()
        );
        say!("{}", options_header(&jobs, &args, &cli_options));
    }
    let jobs_at_once = if args.dry_run {
        // A dry run prints each request as it goes: one run at a time keeps them readable.
        1
    } else {
        args.jobs.max(1)
    };
    let ran = super::jobs::run_all(
        &jobs,
        &super::jobs::Shared {
            target: &target,
            settings: &settings,
            args: &args,
            timeout,
            stop_rx: stop_rx.clone(),
            in_progress: &in_progress,
            redactor: &redactor,
            known: &known,
            console: &console,
            jobs: jobs_at_once,
        },
    )
    .await;
    let super::jobs::Ran {
        mut outcomes,
        mut stopped,
        mut left_behind,
    } = match ran {
        Ok(ran) => ran,
        Err(code) => return code,
    };
    if with_suite && stopped.is_none() {
        let external = match &target {
            Target::External {
                url,
                token,
                transport,
            } => Some((url.base.clone(), token.clone(), transport.clone())),
            Target::Builtin | Target::DryRun { .. } => None,
        };
        let suite = super::suite::run(super::suite::SuiteRunArgs {
            checks,
            external,
            prefix: settings.prefix.clone(),
            timeout,
            check_timeout: Duration::from_secs(args.suite.check_timeout.max(1)),
            keep: args.keep,
            max_body: args.max_body_bytes,
            console: &console,
            redactor: &redactor,
            known: &known,
        })
        .await;
        match suite {
            Ok(suite) => {
                outcomes.extend(suite.outcomes);
                left_behind.extend(suite.left);
            }
            Err(code) => return code,
        }
    } else if let (true, Some((_, not_run))) = (with_suite, &mut stopped) {
        *not_run += checks.len();
    }
    // A fail-fast stop that left nothing unrun is no interruption: the failure says it all.
    stopped = stopped.filter(|(cause, n)| *cause != stop::StopCause::FailFast || *n > 0);
    say_raw!("{}", console.findings(&report::findings(&outcomes)));
    say_raw!(
        "{}",
        console.summary(&outcomes, started.elapsed().as_secs_f64())
    );
    if let Some((cause, not_run)) = &stopped {
        eprintln!("stopped by {cause}: {not_run} scenario runs not run");
    }
    if !left_behind.is_empty() {
        eprintln!(
            "error: {} objects the run created are still on the target (delete them by hand, or run with --keep to keep them on purpose):",
            left_behind.len()
        );
        for l in &left_behind {
            eprintln!("  {l}");
        }
    }

    let info = report::RunInfo {
        target: super::reports::shown_target(&target, args.target.as_deref(), &redactor),
        profiles: super::reports::profile_options(
            jobs.iter().map(|(_, p)| p.name()),
            &args,
            &cli_options,
        ),
        prefix: settings.prefix.clone(),
        duration_ms: started.elapsed().as_millis() as u64,
        interrupted: super::reports::interruption(stopped.clone()),
        ..report::RunInfo::new(started_at)
    };
    if let Err(e) = super::reports::write_all(&outcomes, &info, &args, &redactor) {
        eprintln!("error: {e}");
        return ExitCode::Internal;
    }
    if outcomes.iter().any(|o| o.verdict == Verdict::TargetError) {
        ExitCode::Target
    } else if stopped.is_some()
        || !left_behind.is_empty()
        || outcomes.iter().any(|o| o.verdict == Verdict::Failed)
    {
        ExitCode::ScenarioFailed
    } else {
        ExitCode::Ok
    }
}
