//! `scim-harness run` and `scim-harness list`: parse every scenario first (a typo stops the
//! run before anything is sent), then run each under each profile it applies to, against the
//! built-in server (fresh per scenario) or `--target`, and write the reports.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::ExitCode;
use crate::check::snapshot;
use crate::client::{ScimClient, Secret, TenantUrl};
use crate::engine::runner::{self, RunSettings, ScenarioOutcome, Verdict};
use crate::profile::{self, Profile};
use crate::report::{self, console::Console};
use crate::scenario::{self, model::Scenario};
use crate::server::{self, ServerConfig};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (walked for *.yaml).
    #[arg(default_value = "scenarios", value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Tenant URL of the SCIM server under test; Entra flags go in its query
    /// (`https://host/scim/v2?aadOptscim062020`). Without it, the built-in server is started,
    /// fresh for every scenario.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Bearer token for --target (never printed). Prefer the SCIM_TOKEN variable.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Profiles to replay, comma-separated (default: every profile a scenario applies to).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub profile: Vec<String>,
    /// Profile option, overriding scenario options (e.g. patch_dialect=aadOptscim062020).
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    pub options: Vec<(String, String)>,
    /// Write a JSON report.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the provisioning log as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Append every HTTP exchange as JSON lines (Authorization redacted).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Accept new and changed snapshots (nothing is ever written when CI is set).
    #[arg(long)]
    pub accept: bool,
    /// Directory of snapshot files.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshots: PathBuf,
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
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios", value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

fn parse_option(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))
}

/// Parses every scenario; on any error prints them all and returns exit code 2.
fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, ExitCode> {
    let files = scenario::discover(paths).map_err(|e| {
        eprint!("{}", e.render());
        ExitCode::Usage
    })?;
    let mut scenarios = Vec::new();
    let mut failed = false;
    for file in files {
        match scenario::load_file(&file) {
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
    let scenarios = match load_all(&args.paths) {
        Ok(s) => s,
        Err(code) => return code,
    };
    for s in &scenarios {
        say!("{}  [{}]", s.name, profiles_for(s, &[]).join(", "));
        say!("    file:    {}", s.file.display());
        say!("    symptom: {}", s.symptom);
    }
    say!("{} scenarios", scenarios.len());
    ExitCode::Ok
}

fn random_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("sh{}-", &id[..6])
}

/// Where requests go for one scenario.
enum Target {
    Builtin,
    External {
        url: TenantUrl,
        token: Option<Secret>,
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
    let scenarios = match load_all(&args.paths) {
        Ok(s) => s,
        Err(code) => return code,
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
        None => Target::Builtin,
        Some(url) => match TenantUrl::parse(url) {
            Ok(url) => Target::External {
                url,
                token: args.token.clone().map(Secret::new),
            },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::Usage;
            }
        },
    };
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    let settings = RunSettings {
        prefix: args.prefix.clone().unwrap_or_else(random_prefix),
        snapshot_dir: args.snapshots.clone(),
        snapshot_mode: if ci {
            snapshot::Mode::ReadOnly
        } else if args.accept {
            snapshot::Mode::Accept
        } else {
            snapshot::Mode::Review
        },
    };
    let cli_options: BTreeMap<String, String> = args.options.iter().cloned().collect();

    // Build every profile up front: a bad option is a usage error before anything is sent.
    let mut jobs: Vec<(&Scenario, Box<dyn Profile>)> = Vec::new();
    for s in &scenarios {
        for name in profiles_for(s, &args.profile) {
            let mut options: BTreeMap<String, String> = BTreeMap::new();
            if let Target::External { url, .. } = &target {
                if name == "entra" && url.has_flag("aadOptscim062020") {
                    options.insert("patch_dialect".into(), "aadOptscim062020".into());
                }
            }
            options.extend(s.options.iter().map(|(k, v)| (k.clone(), v.value.clone())));
            options.extend(cli_options.clone());
            match profile::by_name(name, &options) {
                Ok(p) => jobs.push((s, p)),
                Err(e) => {
                    eprintln!("error: {}: {e}", s.file.display());
                    return ExitCode::Usage;
                }
            }
        }
    }

    let console = if ci {
        Console::plain()
    } else {
        Console::detect()
    };
    let started = Instant::now();
    let timeout = Duration::from_secs(args.timeout.max(1));
    let token_for_reports = match &target {
        Target::External { token, .. } => token.clone(),
        Target::Builtin => None,
    };
    say!(
        "running {} scenario runs ({} files)",
        jobs.len(),
        scenarios.len()
    );
    let mut outcomes: Vec<ScenarioOutcome> = Vec::new();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    for (s, p) in &jobs {
        let one = run_one(s, p.as_ref(), &target, &settings, &args, timeout);
        let outcome = tokio::select! {
            o = one => o,
            _ = &mut interrupted => {
                eprintln!("interrupted: the objects of the scenario in progress were cleaned up only if it finished");
                break;
            }
        };
        let mut outcome = match outcome {
            Ok(o) => o,
            Err(code) => return code,
        };
        let listed = known
            .iter()
            .find(|k| k.scenario == outcome.scenario && k.profile == outcome.profile);
        match (listed, outcome.verdict) {
            (Some(_), Verdict::Failed) => outcome.verdict = Verdict::KnownFailure,
            (Some(k), Verdict::Passed) => outcome.warnings.push(format!(
                "listed as a known failure (line {}) but passed: remove it from the list",
                k.line
            )),
            _ => {}
        }
        say_raw!("{}", console.scenario(&outcome));
        outcomes.push(outcome);
    }
    say_raw!(
        "{}",
        console.summary(&outcomes, started.elapsed().as_secs_f64())
    );

    let token = token_for_reports.as_ref();
    let writes = [
        (args.json.as_ref(), report::json(&outcomes)),
        (args.junit.as_ref(), report::junit::render(&outcomes)),
        (args.log.as_ref(), report::log_lines(&outcomes)),
    ];
    for (path, text) in writes {
        if let Some(path) = path {
            if let Err(e) = report::write_file(path, &text, token) {
                eprintln!("error: {e}");
                return ExitCode::Internal;
            }
        }
    }
    if outcomes.iter().any(|o| o.verdict == Verdict::TargetError) {
        ExitCode::Target
    } else if outcomes.iter().any(|o| o.verdict == Verdict::Failed) {
        ExitCode::ScenarioFailed
    } else {
        ExitCode::Ok
    }
}

async fn run_one(
    s: &Scenario,
    profile: &dyn Profile,
    target: &Target,
    settings: &RunSettings,
    args: &RunArgs,
    timeout: Duration,
) -> Result<ScenarioOutcome, ExitCode> {
    let (builtin, base, token) = match target {
        Target::Builtin => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            let running = server::start(ServerConfig {
                tokens: vec![token.clone()],
                ..ServerConfig::default()
            })
            .await
            .map_err(|e| {
                eprintln!("error: failed to start the built-in server: {e}");
                ExitCode::Internal
            })?;
            let base = running.base_url().to_string();
            (Some(running), base, Some(Secret::new(token)))
        }
        Target::External { url, token } => (None, url.base.clone(), token.clone()),
    };
    let mut client = ScimClient::new(&base, token, timeout).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::Internal
    })?;
    if let Some(path) = &args.transcript {
        client = client.transcript(path).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::Usage
        })?;
    }
    let (mut outcome, created) = runner::run(s, profile, &client, settings).await;
    if builtin.is_none() && !args.keep {
        for problem in runner::cleanup(&client, &created).await {
            outcome.warnings.push(problem);
        }
    }
    if let Some(server) = builtin {
        server.stop().await;
    }
    Ok(outcome)
}
