//! Runs one scenario under one profile: applies directory steps to the simulated tenant,
//! runs provisioning through the engine, lets escrow settle before every check, and hands
//! checks to `check`. It emits one `ScenarioOutcome`; reports are written from those.

mod cause;
mod checks;
mod names;
mod outcome;
mod settle;
mod spill_judge;
mod target;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Map, Value};

pub use super::cleanup::{cleanup, Cleanup};
use super::log::is_transient_code;
use super::provisioning_log::{LogEntry, ProvisioningLog};
use super::{Created, CycleError, CycleReport, Engine};
use crate::check::finding::{Code, Finding, Severity};
use crate::check::{self, judge, snapshot, Mismatch, Whereabouts};
use crate::client::{Exchange, ScimClient};
use crate::idp::Tenant;
use crate::profile::{Profile, Strictness};
use crate::scenario::model::{Expectation, RestartKind, Scenario, Spanned, Status, Step, SyncKind};
use crate::scim::{server_id, MatchKey};
use crate::scim::{ScimRequest, Verb};
use names::group_name_sent;
pub use outcome::{skipped, ScenarioOutcome, StepFailure, TakenSnapshot, Verdict};

/// Extra cycles Entra would run (40 minutes apart) before a check, to retry escrowed objects:
/// with back-off that is three retries of a persisting failure (cycles +1, +3, +7).
pub const SETTLE_CYCLES: u32 = 8;

/// How a run treats snapshots and names its objects.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub prefix: String,
    /// `--next-token`: a second valid token of an external target. Token rotation then ends
    /// with the IdP holding this one, not the first given back.
    pub next_token: Option<crate::client::Secret>,
    /// `--full`: snapshots keep every attribute, not only the managed ones.
    pub full_snapshots: bool,
    pub snapshot_dir: PathBuf,
    pub snapshot_mode: snapshot::Mode,
    /// Hears how far each cycle has come (the CLI's progress bar); none: nobody listens.
    pub progress: Option<super::ProgressSink>,
}

struct Run<'a> {
    scenario: &'a Scenario,
    settings: &'a RunSettings,
    tenant: Tenant,
    engine: Engine<'a>,
    /// The profile provision-on-demand uses (Entra: always the default dialect).
    pod_profile: &'a dyn Profile,
    client: &'a ScimClient,
    /// Where the records since the last provisioning step (settle cycles included) start in
    /// `log`: an index, not a copy.
    recent_from: usize,
    /// The first cycle of the last provisioning step: what `expect: requests` counts. Its
    /// records are moved to `log`; only the counts stay.
    last_cycle: CycleReport,
    /// Failures nobody has expected yet; they fail the scenario at the end.
    unacknowledged: Vec<LogEntry>,
    warnings: Vec<String>,
    /// Shared with the engine, which hands it a long cycle's records as they are made.
    log: ProvisioningLog,
    requests: u64,
    /// Target-only records (`target_create_user`): ref → target id.
    target_refs: BTreeMap<String, String>,
    /// Target-only groups (`target_create_group`): ref → target id.
    target_group_refs: BTreeMap<String, String>,
    /// The userName of each purged user (`hard_delete_user`, see `remember_user_name`), so it
    /// can still be found; a user the source holds is looked for under the userName it would
    /// be sent with now. Kept only for purged users: remembered for every user at create, it
    /// was a string per user of a 100,000-user population and the profile's whole mapping run
    /// once more for each.
    last_user_name: BTreeMap<String, String>,
    /// The displayName each group ref was last sent with (`group_name_sent`), recorded when
    /// it is created (one by one or generated), renamed and deleted, so a group no longer
    /// linked can still be found.
    last_group_name: BTreeMap<String, String>,
    /// The built-in target, for `target_fault` and token rotation steps.
    builtin: Option<&'a crate::server::AppState>,
    /// The token the vendor regenerated, until the IdP is given it.
    rotated_token: Option<crate::client::Secret>,
    /// Whether the IdP holds a token the target does not accept (after `target_rotate_token`,
    /// until `idp_update_token`): a probe that then succeeds means the server accepts any
    /// bearer token.
    wrong_token: bool,
    /// What the profile's IdP is strict about, for judging each exchange.
    strictness: Strictness,
    /// Causes found so far, each once, in order of appearance.
    findings: Vec<Finding>,
    /// What each `snapshot` step saw, for the outcome.
    directories: Vec<TakenSnapshot>,
    /// Whether a cycle (or an on-demand provisioning) ran to its end in this scenario.
    cycled: bool,
    /// Whether a check ran since the last provisioning (see `begin_provisioning`).
    checked: bool,
    /// Objects whose failure an `expect: log` step expected.
    acknowledged: BTreeSet<String>,
    /// The next step, so a failing probe can be left to an `expect: job` to judge.
    next_is_job_expect: bool,
    step: usize,
    line: usize,
    keyword: &'static str,
}

enum Stop {
    Failed(StepFailure),
    Target(StepFailure),
}

impl<'a> Run<'a> {
    /// A new round of provisioning after a check starts a new window of `recent` records.
    fn begin_provisioning(&mut self) {
        if self.checked {
            self.recent_from = self.log.len();
            self.checked = false;
        }
    }

    fn absorb(&mut self, mut report: CycleReport, first: bool) {
        self.cycled = true;
        self.judge_exchanges();
        self.warnings.append(&mut report.warnings);
        for rec in report
            .records
            .iter()
            .filter(|r| r.status == Status::Failure)
        {
            // The engine's own judgments of a listing (paging) have no single exchange.
            if let Some(reason) = rec
                .reason
                .as_deref()
                .filter(|r| r.starts_with("the listing"))
            {
                let f = Finding::new(Code::Paging, Severity::Cause, reason)
                    .keyed(reason.split(" answered").next().unwrap_or(reason))
                    .consequence(self.strictness.on_rejected);
                cause::keep_once(&mut self.findings, f);
            }
        }
        // An event push or cycle that sent nothing leaves the last cycle's counts in place, so
        // `sync` after event-driven pushes still shows what the pushes sent.
        let first = first && (report.total_requests() > 0 || report.record_count() > 0);
        self.requests += report.total_requests();
        // Spilled records are never failures (`CycleReport::spilled`): all are here.
        for rec in &report.records {
            if rec.status == Status::Failure && !self.acknowledged.contains(&rec.object) {
                self.unacknowledged.push(LogEntry::of(rec));
            }
        }
        self.log.extend(report.records.drain(..));
        if first {
            self.last_cycle = report;
        }
    }

    /// A cycle that could not run. Before any cycle succeeded it is the target's set-up
    /// (unreachable, credentials, base URL: exit 3); once one did, the target was usable
    /// and stopped being so mid-run, which is a finding against it.
    fn cycle_failure(&mut self, e: CycleError) -> Stop {
        let exchange = self.judge_exchanges();
        let setup = e.is_target_setup();
        let mut f = self.failure(e.to_string());
        f.code = Some(probe_code(&e));
        f.exchange = exchange;
        // A set-up problem (unreachable, token, base URL) counts as one only at first
        // contact: once a cycle ran, the target was usable and stopped being so.
        if setup && !self.cycled {
            Stop::Target(f)
        } else {
            Stop::Failed(f)
        }
    }

    async fn on_demand(&mut self, user: &str) -> Result<(), Stop> {
        self.begin_provisioning();
        if let Some(g) = self.tenant.group(user) {
            if g.members.len() > 5 {
                return Err(Stop::Failed(self.failure(format!(
                    "provision on demand of group `{user}`: Entra allows at most 5 members, it has {}",
                    g.members.len()
                ))));
            }
        }
        let report = match self
            .engine
            .on_demand(&self.tenant, user, self.pod_profile)
            .await
        {
            Ok(r) => r,
            Err(e) => return Err(self.cycle_failure(e)),
        };
        self.absorb(report, true);
        Ok(())
    }

    async fn sync(&mut self, kind: SyncKind) -> Result<(), Stop> {
        self.begin_provisioning();
        let judged = self.judge_as_spilled();
        let cycle = self.engine.cycle(&self.tenant, kind).await;
        self.take_spilled(judged);
        let report = match cycle {
            Ok(r) => r,
            // The scenario checks the quarantine itself on the next step.
            Err(_) if self.next_is_job_expect => {
                self.last_cycle = CycleReport::default();
                self.judge_exchanges();
                return Ok(());
            }
            Err(e) => return Err(self.cycle_failure(e)),
        };
        self.absorb(report, true);
        Ok(())
    }

    async fn apply(&mut self, step: &Step) -> Result<(), Stop> {
        let dir = |r: Result<(), crate::idp::DirectoryError>| r.map_err(|e| e.to_string());
        let outcome: Result<(), String> = match step {
            Step::CreateUser(spec) => dir(self.tenant.create_user(&spec.user, spec.attrs.clone())),
            Step::UpdateUser(spec) => dir(self.tenant.update_user(&spec.user, &spec.attrs)),
            // Each user is made from the template and created before the next is made; no
            // list of the population is kept.
            Step::CreateUsers(population) => dir(self.tenant.create_users(population.specs())),
            Step::UpdateUsers(specs) => dir(self.tenant.update_users(specs)),
            Step::CreateGroups(population) => {
                let (profile, prefix) = (self.engine.profile, &self.settings.prefix);
                let names = &mut self.last_group_name;
                let specs = population.specs().inspect(|g| {
                    names.insert(
                        g.group.clone(),
                        group_name_sent(profile, prefix, &g.display_name),
                    );
                });
                dir(self.tenant.create_groups(specs))
            }
            Step::DisableUsers(users) => dir(self.tenant.disable_users(users)),
            Step::SoftDeleteUsers(users) => dir(self.tenant.soft_delete_users(users)),
            Step::AssignUsers(users) => dir(self.tenant.assign_all(users)),
            Step::DisableUser(u) => dir(self.tenant.set_account_enabled(u, false)),
            Step::EnableUser(u) => dir(self.tenant.set_account_enabled(u, true)),
            Step::SoftDeleteUser(u) => dir(self.tenant.soft_delete_user(u)),
            Step::RestoreUser(u) => dir(self.tenant.restore_user(u)),
            Step::HardDeleteUser(u) => {
                self.remember_user_name(u);
                dir(self.tenant.hard_delete_user(u))
            }
            Step::CreateGroup(g) => {
                let r = dir(self
                    .tenant
                    .create_group(&g.group, &g.display_name, &g.members));
                self.remember_group_name(&g.group);
                r
            }
            Step::AddMember { group, member } => dir(self.tenant.add_member(group, member)),
            Step::RemoveMember { group, member } => dir(self.tenant.remove_member(group, member)),
            Step::DeleteGroup(g) => {
                self.remember_group_name(g);
                dir(self.tenant.delete_group(g))
            }
            Step::Assign(r) => dir(self.tenant.assign(r)),
            Step::Unassign(r) => dir(self.tenant.unassign(r)),
            Step::SetScope(s) => {
                self.tenant.set_scope(*s);
                Ok(())
            }
            Step::Sync(kind) => return self.sync(*kind).await,
            Step::Restart(kind) => {
                self.engine.restart(*kind == RestartKind::Full);
                return self.sync(SyncKind::Initial).await;
            }
            Step::ProvisionOnDemand(user) => return self.on_demand(user).await,
            Step::RenameGroup {
                group,
                display_name,
            } => {
                let r = dir(self.tenant.rename_group(group, display_name));
                self.remember_group_name(group);
                r
            }
            Step::SetScopingFilter(filter) => {
                self.tenant.set_scoping_filter(filter.clone());
                Ok(())
            }
            Step::TargetFault(spec) => self.target_fault(spec),
            Step::TargetClearFaults => self.builtin_target().map(|t| t.faults().clear()),
            Step::TargetRotateToken => {
                self.wrong_token = true;
                match self.builtin {
                    // The built-in target really regenerates its token: the IdP's is stale.
                    Some(t) => {
                        let token = uuid::Uuid::new_v4().simple().to_string();
                        t.tokens().replace_all(vec![token.clone()]);
                        self.rotated_token = Some(crate::client::Secret::new(token));
                    }
                    // Any other target: the harness is the client, so it makes the IdP's token
                    // wrong instead, and keeps the real one for `idp_update_token` — from the
                    // IdP's side the same as a token regenerated behind its back.
                    // With `--next-token`, the admin pastes that second, real token.
                    None => {
                        self.rotated_token = self
                            .settings
                            .next_token
                            .clone()
                            .or_else(|| self.client.token());
                        let wrong = format!("wrong-{}", uuid::Uuid::new_v4().simple());
                        self.client.set_token(crate::client::Secret::new(wrong));
                    }
                }
                Ok(())
            }
            Step::IdpUpdateToken => match self.rotated_token.take() {
                Some(token) => {
                    self.wrong_token = false;
                    self.client.set_token(token);
                    Ok(())
                }
                None => Err("idp_update_token: no token was rotated on the target before".into()),
            },
            Step::TestConnection { expect_status } => {
                let mut report = CycleReport::default();
                let result = self.engine.test_connection(&mut report).await;
                self.requests += report.total_requests();
                self.warnings.extend(report.warnings);
                let exchange = self.judge_exchanges();
                return match (result, expect_status) {
                    (Ok(()), Status::Success) | (Err(_), Status::Failure) => Ok(()),
                    (Ok(()), _) if self.wrong_token => {
                        let mut f = self.failure(
                            "Test Connection succeeded with a wrong bearer token: the server accepts any token",
                        );
                        f.code = Some(Code::Credentials);
                        f.exchange = exchange;
                        Err(Stop::Failed(f))
                    }
                    (Ok(()), _) => Err(Stop::Failed(self.failure(
                        "Test Connection succeeded, but the scenario expects it to fail",
                    ))),
                    (Err(e), _) => {
                        let setup = e.is_target_setup();
                        let mut f = self.failure(format!("Test Connection failed: {e}"));
                        f.exchange = exchange;
                        f.code = Some(probe_code(&e));
                        Err(if setup {
                            Stop::Target(f)
                        } else {
                            Stop::Failed(f)
                        })
                    }
                };
            }
            Step::TargetCreateUser { user, attributes } => {
                return self.target_create_user(user, attributes).await
            }
            Step::TargetCreateGroup {
                group,
                attributes,
                members,
            } => return self.target_create_group(group, attributes, members).await,
            Step::Expect(exp) => return self.expect(exp).await,
            Step::PerProfile(branches) => {
                let profile = self.engine.profile.name();
                for inner in branches.get(profile).into_iter().flatten() {
                    self.line = inner.span.line;
                    if let Step::Expect(exp) = &inner.value {
                        self.expect(exp).await?;
                    }
                }
                return Ok(());
            }
            Step::Snapshot(name) => return self.snapshot(name).await,
        };
        outcome.map_err(|m| Stop::Failed(self.failure(m)))?;
        // Event-driven IdPs (Okta, PingOne) push each directory change at once.
        if self.engine.profile.scheduling() == crate::profile::Scheduling::Events
            && changes_directory(step)
        {
            return self.sync(SyncKind::Incremental).await;
        }
        Ok(())
    }
}

/// Runs one scenario with one profile against one target.
pub async fn run(
    scenario: &Scenario,
    profile: &dyn Profile,
    client: &ScimClient,
    settings: &RunSettings,
    created: Created,
    builtin: Option<&crate::server::AppState>,
) -> ScenarioOutcome {
    let started = Instant::now();
    let pod = profile.for_on_demand();
    let log = ProvisioningLog::default();
    let mut run = Run {
        pod_profile: pod.as_deref().unwrap_or(profile),
        scenario,
        settings,
        tenant: Tenant::new(),
        engine: Engine::new(profile, client, settings.prefix.clone(), created),
        client,
        recent_from: 0,
        last_cycle: CycleReport::default(),
        unacknowledged: vec![],
        warnings: vec![],
        log: log.clone(),
        requests: 0,
        target_refs: BTreeMap::new(),
        target_group_refs: BTreeMap::new(),
        last_user_name: BTreeMap::new(),
        last_group_name: BTreeMap::new(),
        builtin,
        rotated_token: None,
        wrong_token: false,
        acknowledged: BTreeSet::new(),
        strictness: profile.strictness(),
        findings: vec![],
        directories: vec![],
        cycled: false,
        checked: false,
        next_is_job_expect: false,
        step: 0,
        line: 0,
        keyword: "",
    };
    run.engine.set_progress(settings.progress.clone());
    run.engine.spill_log_to(Some(log));
    let mut stop = None;
    for (i, Spanned { value: step, span }) in scenario.steps.iter().enumerate() {
        run.next_is_job_expect = matches!(
            scenario.steps.get(i + 1).map(|s| &s.value),
            Some(Step::Expect(Expectation::Job(_)))
        );
        run.step = i + 1;
        run.client.set_step(i + 1);
        run.line = span.line;
        run.keyword = step.keyword();
        if let Err(s) = run.apply(step).await {
            stop = Some(s);
            break;
        }
        run.client.take_exchanges();
    }
    // What follows (settling, cleanup) belongs to no step.
    run.client.set_step(0);
    if stop.is_none() {
        // Any failure that is not a transient fault since retried with success fails the
        // scenario, not only the first one recorded.
        let escrowed = run.engine.escrowed();
        if let Some(rec) = run.unacknowledged.iter().find(|rec| {
            !is_transient_code(rec.error_code.as_deref())
                || escrowed.contains(&*rec.object)
                || !run.retried_with_success(rec)
        }) {
            run.keyword = "end of scenario";
            stop = Some(Stop::Failed(run.failure(format!(
                "unexpected provisioning failure not covered by an `expect: log` step: {} — {}",
                rec.summary(),
                rec.reason.as_deref().unwrap_or("")
            ))));
        }
    }
    run.judge_exchanges();
    if stop.is_none() {
        // What the IdP is strict about fails the run even when the directory ends right.
        if let Some(strict) = run.findings.iter().find(|f| f.severity == Severity::Error) {
            run.keyword = "end of scenario";
            let mut f = run.failure(format!(
                "{} is strict about this: {}",
                run.strictness.idp, strict.title
            ));
            f.cause = Some(strict.clone());
            stop = Some(Stop::Failed(f));
        }
    }
    let (verdict, failure) = match stop {
        None => (Verdict::Passed, None),
        Some(Stop::Failed(f)) => (Verdict::Failed, Some(run.attribute(f))),
        Some(Stop::Target(f)) => (Verdict::TargetError, Some(run.attribute(f))),
    };
    ScenarioOutcome {
        scenario: scenario.name.clone(),
        file: scenario.file.display().to_string(),
        symptom: scenario.symptom.clone(),
        profile: profile.name().to_string(),
        verdict,
        failure,
        warnings: run.warnings,
        requests: run.requests,
        duration_ms: started.elapsed().as_millis() as u64,
        log: run.log,
        findings: run.findings,
        directories: run.directories,
    }
}

/// The finding code of a failed connection probe.
fn probe_code(e: &CycleError) -> Code {
    match e.status() {
        Some(401 | 403) => Code::Credentials,
        Some(_) => Code::Rejected,
        None => Code::Unreachable,
    }
}

/// Steps that change the source directory, assignments or scope.
fn changes_directory(step: &Step) -> bool {
    matches!(
        step,
        Step::CreateUser(_)
            | Step::CreateUsers(_)
            | Step::CreateGroups(_)
            | Step::UpdateUsers(_)
            | Step::DisableUsers(_)
            | Step::SoftDeleteUsers(_)
            | Step::AssignUsers(_)
            | Step::UpdateUser(_)
            | Step::DisableUser(_)
            | Step::EnableUser(_)
            | Step::SoftDeleteUser(_)
            | Step::RestoreUser(_)
            | Step::HardDeleteUser(_)
            | Step::CreateGroup(_)
            | Step::RenameGroup { .. }
            | Step::AddMember { .. }
            | Step::RemoveMember { .. }
            | Step::DeleteGroup(_)
            | Step::Assign(_)
            | Step::Unassign(_)
            | Step::SetScope(_)
            | Step::SetScopingFilter(_)
    )
}

/// Whether a scenario can only run against the built-in target, and why.
pub fn needs_builtin(scenario: &Scenario) -> Option<&'static str> {
    scenario.steps.iter().find_map(|s| match s.value {
        Step::TargetFault(_) | Step::TargetClearFaults => Some(s.value.keyword()),
        _ => None,
    })
}
