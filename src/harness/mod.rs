//! The library's front door: a [`Harness`] is built from a target, profiles, scenarios and
//! options, validated as a whole before anything is sent, run, and answered with a
//! [`Report`]. `scim-harness run` is a thin face over it (arguments in, console and exit code
//! out), so a vendor's `cargo test` and the CLI merge options, known failures, skips, filters
//! and shards by the same rules. This stage joins `scenario`, `profile`, `engine` and
//! `report`; it never prints, except what a caller's [`Event`] observer prints.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use scim_harness::check::snapshot::Mode;
//! use scim_harness::Harness;
//!
//! // A scenario from a string; `.scenarios("scenarios/entra")` loads files and folders.
//! let yaml = "
//! name: one-user
//! description: the smallest scenario, for the library example
//! symptom: a user assigned in the IdP exists on the server
//! profiles: [okta]
//! steps:
//!   - create_user: { user: alice, userPrincipalName: alice@example.com, givenName: Alice, surname: Smith }
//!   - assign: alice
//!   - sync: initial
//!   - snapshot: after-create
//! ";
//! // No `.target(..)`: a fresh built-in server per scenario. `Mode::Collect` keeps each
//! // snapshot step's directory for the caller instead of comparing it with a file.
//! let report = Harness::builder()
//!     .scenario_text("one-user.yaml", yaml)
//!     .snapshots("snapshots", Mode::Collect)
//!     .build()?
//!     .run()
//!     .await?;
//! assert!(report.passed(), "{:?}", report.outcomes());
//! // The directory as the `snapshot` step saw it: `insta::assert_snapshot!` material.
//! let directory = report.directory("one-user", "okta").unwrap_or_default();
//! assert!(directory.contains("\"userName\": \"alice@example.com\""), "{directory}");
//! assert!(directory.contains("\"id\": \"<user:alice>\""), "{directory}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod error;
mod execute;
mod jobs;
mod one_run;
mod options;
mod plan;
mod report;
mod select;
pub(crate) mod stop;
mod suite;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::HarnessError;
pub use plan::{check_profile_names, runs_under};
pub use report::{Report, RunVerdict};
pub use select::{glob_matches, Shard};
pub use stop::StopCause;

use crate::check::snapshot;
use crate::client::{Redactor, Transport};
use crate::engine::runner::{RunSettings, ScenarioOutcome};
use crate::engine::ProgressSink;
use crate::profile::Profile;
use crate::protocol::Check;
use crate::scenario::known::KnownFailure;
use crate::scenario::model::Scenario;

/// Something a run did, told as it happens: the CLI prints from these; a library caller may
/// log them or ignore them (the [`Report`] has everything at the end).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A scenario run (or protocol check) has its outcome, known failures applied. Outcomes
    /// come in list order, whatever `jobs` is.
    Finished(&'a ScenarioOutcome),
    /// Dry run: a request as it would go to the target.
    WouldSend {
        method: &'a str,
        url: &'a str,
        body: Option<&'a serde_json::Value>,
    },
    /// The protocol suite starts against `base`.
    SuiteStarting { checks: usize, base: &'a str },
}

/// Hears [`Event`]s; called from the run's tasks.
pub type Observer = Arc<dyn Fn(Event<'_>) + Send + Sync>;

/// A run ready to go: every scenario parsed, every profile built with its options, known
/// failures checked, filter and shard applied. Made by [`HarnessBuilder::build`].
pub struct Harness {
    scenarios: Vec<Scenario>,
    /// (index into `scenarios`, the profile it runs under), in list order.
    runs: Vec<(usize, Box<dyn Profile>)>,
    /// Protocol checks to run after the scenarios (none: no suite).
    checks: Option<Vec<&'static Check>>,
    known: Vec<KnownFailure>,
    target: Target,
    /// The tenant URL as given, for the reports (credentials scrubbed there).
    target_given: Option<String>,
    settings: RunSettings,
    /// Options every run got (the CLI's `--option`), before a scenario's own.
    options: std::collections::BTreeMap<String, String>,
    config: Config,
    redactor: Redactor,
}

/// Where requests go for one scenario.
pub(crate) enum Target {
    Builtin,
    External {
        url: crate::client::TenantUrl,
        token: Option<crate::client::Secret>,
        transport: Transport,
        /// OAuth 2 client credentials in place of a token (PF-2).
        oauth: Option<crate::client::ClientCredentials>,
    },
    /// Dry run: a built-in stand-in, with requests shown against this base URL.
    DryRun {
        shown_base: String,
    },
}

/// How the runs behave, beside what `RunSettings` tells the engine.
#[derive(Clone)]
pub(crate) struct Config {
    pub timeout: Duration,
    pub scenario_timeout: Duration,
    pub check_timeout: Duration,
    pub max_body: u64,
    pub keep: bool,
    pub transcript: Option<PathBuf>,
    pub fail_fast: bool,
    pub jobs: usize,
    pub deadline: Option<Duration>,
    pub signals: bool,
    pub observer: Option<Observer>,
}

impl Config {
    fn tell(&self, event: Event<'_>) {
        if let Some(o) = &self.observer {
            o(event)
        }
    }
}

impl Harness {
    /// A builder with the CLI's defaults: the built-in server, every profile a scenario
    /// applies to, 30 s per request, 300 s per scenario, one run at a time, a random prefix,
    /// snapshots read from `snapshots/` and never written.
    pub fn builder() -> HarnessBuilder {
        HarnessBuilder::default()
    }

    /// How many scenario runs (scenario × profile) will run.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// How many scenarios were loaded (before filter and shard).
    pub fn scenario_count(&self) -> usize {
        self.scenarios.len()
    }

    /// The options every run of each profile gets, as the console's `profiles:` line says it.
    pub fn profiles_line(&self) -> String {
        options::header(
            self.runs.iter().map(|(_, p)| p.name()),
            self.target_given.as_deref(),
            &self.options,
        )
    }

    /// The redactor that scrubs every token of this run from text (reports, panics).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The prefix of every object the run creates.
    pub fn prefix(&self) -> &str {
        &self.settings.prefix
    }

    /// On a dry run, the base URL the requests are shown against.
    pub fn dry_run_base(&self) -> Option<&str> {
        match &self.target {
            Target::DryRun { shown_base } => Some(shown_base),
            _ => None,
        }
    }

    /// Runs every scenario run, then the protocol suite, and cleans up after each.
    ///
    /// On a multi-thread runtime, await it inside a spawned task (`tokio::spawn`), as the
    /// CLI does: awaited from the thread that blocks on the runtime, every request wakes a
    /// worker through the kernel to drive the connection and is woken back (on the load
    /// benchmark that was two thirds of the harness's CPU per request). The future is `Send`.
    pub async fn run(self) -> Result<Report, HarnessError> {
        execute::run(self).await
    }
}

/// Collects what a [`Harness`] runs; [`build`](HarnessBuilder::build) checks it all.
#[derive(Default)]
pub struct HarnessBuilder {
    target: Option<(String, Option<String>)>,
    client_credentials: Option<crate::client::ClientCredentials>,
    next_token: Option<String>,
    dry_run: bool,
    transport: Option<Transport>,
    profiles: Vec<String>,
    options: Vec<(String, String)>,
    paths: Vec<PathBuf>,
    texts: Vec<(PathBuf, String)>,
    scenarios: Vec<Scenario>,
    checks: Option<Vec<&'static Check>>,
    check_timeout: Option<Duration>,
    known_failures: Option<PathBuf>,
    filters: Vec<String>,
    shard: Option<(usize, usize)>,
    jobs: Option<usize>,
    fail_fast: bool,
    prefix: Option<String>,
    keep: bool,
    snapshot_dir: Option<PathBuf>,
    snapshot_mode: Option<snapshot::Mode>,
    full_snapshots: bool,
    timeout: Option<Duration>,
    scenario_timeout: Option<Duration>,
    max_body_bytes: Option<u64>,
    transcript: Option<PathBuf>,
    deadline: Option<Duration>,
    signals: bool,
    progress: Option<ProgressSink>,
    observer: Option<Observer>,
}

impl HarnessBuilder {
    /// The SCIM server under test: its tenant URL (Entra flags in the query, as in
    /// `https://host/scim/v2?aadOptscim062020`) and bearer token. Without it, a fresh
    /// built-in server per scenario.
    pub fn target(mut self, url: impl Into<String>, token: impl Into<Option<String>>) -> Self {
        self.target = Some((url.into(), token.into()));
        self
    }

    /// Authenticate to the target with OAuth 2 client credentials instead of a token, as a
    /// PingFederate channel can (PF-2): runs of profiles that cannot are skipped, saying so.
    pub fn client_credentials(mut self, credentials: crate::client::ClientCredentials) -> Self {
        self.client_credentials = Some(credentials);
        self
    }

    /// A second valid token of the target, which `idp_update_token` gives the IdP after
    /// `target_rotate_token`.
    pub fn next_token(mut self, token: impl Into<String>) -> Self {
        self.next_token = Some(token.into());
        self
    }

    /// Send nothing to the target: replay against a built-in stand-in and tell every request
    /// as [`Event::WouldSend`]. Runs one at a time; no protocol suite.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// How to connect to the target (CA certificates, client certificate, proxy).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Profiles to replay (`entra`, `okta`, …, or `all`); default: every profile a scenario
    /// applies to.
    pub fn profiles<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.profiles.extend(names.into_iter().map(Into::into));
        self
    }

    /// A profile option for every run, over a scenario's own (`patch_dialect`, or
    /// `okta.integration` for one profile only).
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((key.into(), value.into()));
        self
    }

    /// Scenario files, or folders walked for `*.yaml`; may be called several times.
    pub fn scenarios(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// A scenario already loaded (`scenario::load_file`, `scenario::parse_str`).
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenarios.push(scenario);
        self
    }

    /// A scenario from YAML text; `file` names it in errors and reports.
    pub fn scenario_text(mut self, file: impl Into<PathBuf>, yaml: impl Into<String>) -> Self {
        self.texts.push((file.into(), yaml.into()));
        self
    }

    /// Run these protocol checks after the scenarios (`protocol::checks()` for all of them,
    /// `protocol::select(&names)` for some).
    pub fn protocol_checks(mut self, checks: Vec<&'static Check>) -> Self {
        self.checks = Some(checks);
        self
    }

    /// Wall-time limit of one protocol check (default 120 s).
    pub fn check_timeout(mut self, limit: Duration) -> Self {
        self.check_timeout = Some(limit);
        self
    }

    /// YAML list of (scenario, profile, reason) expected to fail: they do not fail the run.
    pub fn known_failures(mut self, path: impl Into<PathBuf>) -> Self {
        self.known_failures = Some(path.into());
        self
    }

    /// Keep only runs whose scenario name matches this glob (`*`, `?`); repeatable.
    pub fn filter(mut self, glob: impl Into<String>) -> Self {
        self.filters.push(glob.into());
        self
    }

    /// Keep only the `index`-th (1-based) of `count` round-robin slices of the runs.
    pub fn shard(mut self, index: usize, count: usize) -> Self {
        self.shard = Some((index, count));
        self
    }

    /// Scenario runs at once (default 1), each with its own server or prefix.
    pub fn jobs(mut self, n: usize) -> Self {
        self.jobs = Some(n);
        self
    }

    /// Start no run after the first failed one.
    pub fn fail_fast(mut self, yes: bool) -> Self {
        self.fail_fast = yes;
        self
    }

    /// Prefix of every object the run creates (default: random); stripped from snapshots.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Leave the objects a run created on the target instead of deleting them.
    pub fn keep(mut self, yes: bool) -> Self {
        self.keep = yes;
        self
    }

    /// Folder of snapshot files (default `snapshots`) and what to do on a mismatch (default
    /// [`snapshot::Mode::ReadOnly`]: a library writes nothing unless asked).
    pub fn snapshots(mut self, dir: impl Into<PathBuf>, mode: snapshot::Mode) -> Self {
        self.snapshot_dir = Some(dir.into());
        self.snapshot_mode = Some(mode);
        self
    }

    /// Snapshots keep every attribute, not only those the profile manages.
    pub fn full_snapshots(mut self, yes: bool) -> Self {
        self.full_snapshots = yes;
        self
    }

    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Wall-time limit of one scenario under one profile (default 300 s).
    pub fn scenario_timeout(mut self, limit: Duration) -> Self {
        self.scenario_timeout = Some(limit);
        self
    }

    /// Largest response body read from the target (default 4 MiB).
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// Write every HTTP exchange as JSON lines to this file (appended to).
    pub fn transcript(mut self, path: impl Into<PathBuf>) -> Self {
        self.transcript = Some(path.into());
        self
    }

    /// Wall-time limit of the whole run, from `run()`: the run in progress stops and is
    /// cleaned up, the rest are reported as not run.
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.deadline = Some(limit);
        self
    }

    /// Stop on SIGINT/SIGTERM as the CLI does (a second signal exits the process at once).
    /// Off by default: a library leaves the process's signals to its caller.
    pub fn stop_on_signals(mut self, yes: bool) -> Self {
        self.signals = yes;
        self
    }

    /// Hears how far each long cycle has come (the CLI's progress bar).
    pub fn progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Hears each [`Event`] as it happens.
    pub fn observe(mut self, observer: impl Fn(Event<'_>) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Parses every scenario and checks everything before anything is sent: profile names,
    /// options (placed at file:line), known-failures entries, and that something is selected.
    pub fn build(self) -> Result<Harness, HarnessError> {
        plan::build(self)
    }
}
