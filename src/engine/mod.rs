//! Sync cycles as Entra's provisioning service runs them (idp-behavior.md §1.3, §1.6, §1.8,
//! §1.11): a connection probe, then per in-scope object an anchor lookup in the connector
//! store, a matching query when unlinked, GET-diff-update when linked (or, for IdPs that keep
//! their own record of what they sent, a diff against that record first), and deprovisioning;
//! a log record per object per cycle; transient failures escrowed and retried in later cycles with back-off.
//! Waits are real: a retry never comes sooner than a short back-off or the server's
//! `Retry-After` (capped), so a struggling target is not hammered.
//! The engine decides what to send and when; the profile decides how it looks.

mod cleanup;
mod escrow;
mod groups;
pub mod log;
mod references;
pub mod runner;
mod users;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde_json::Value;
use uuid::Uuid;

use crate::client::{ClientError, Response, ScimClient};
use crate::idp::Tenant;
use crate::profile::{JobSettings, Profile, PushRetry};
use crate::scenario::model::SyncKind;
use crate::scim::ScimRequest;
use crate::scim::{server_id, MatchKey, Page, Pages};
use log::{error_code_for_status, is_transient, is_transient_error, LogRecord};

pub use escrow::{backoff, retry_after, wait_before_retry, RETRY_AFTER_CAP};

/// A source↔target link in the connector data store (§1.8 "keeps links").
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub target_id: String,
    pub object: String,
    /// False once a user was disabled because it left the scope: Entra stops managing it
    /// (§1.6), so later soft or hard deletes send nothing.
    pub managed: bool,
    /// For a group: the member target ids this job wrote (Entra never reads them back).
    pub members: BTreeSet<String>,
    /// For a group merged into an existing one (PingOne): the target's own members, kept.
    pub kept: BTreeSet<String>,
    /// For a user: the IdP's record of what it last sent. For profiles that diff against
    /// their own record (`DiffSource::OwnRecord`: Okta's app-user profile, Ping's sync state)
    /// it decides whether anything is sent: set to the whole desired user on create, to the
    /// record with the pushed values after every successful update, unchanged when nothing
    /// was sent or a write failed. A user matched (adopted) rather than created starts with
    /// none — the IdP has pushed nothing to it — so the first pass after the match writes
    /// the whole profile: Okta "reads it and PUTs its profile" (O-7); the same for Ping is
    /// `[I]`. A purge that disables (Ping's remove action) sends it whole with `active`
    /// false. For Entra (`DiffSource::Target`) it is the last desired user and decides nothing.
    pub last_desired: Option<crate::profile::DesiredUser>,
}

impl Link {
    pub fn new(target_id: &str, object: &str) -> Self {
        Link {
            target_id: target_id.to_string(),
            object: object.to_string(),
            managed: true,
            members: BTreeSet::new(),
            kept: BTreeSet::new(),
            last_desired: None,
        }
    }
}

/// Why the job is quarantined (Graph `synchronizationJob.status.quarantine.reason`, §1.8).
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine {
    pub reason: &'static str,
    pub detail: String,
}

/// An object this run created on the target, or may have: recorded when its create is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    /// `Users` or `Groups`.
    pub endpoint: &'static str,
    /// The userName or displayName the create sent (with the run prefix), by which cleanup
    /// finds an object whose create answer never came or brought no usable id.
    pub name: Option<String>,
    /// The id the create answer brought; `None` while pending.
    pub id: Option<String>,
}

impl CreatedObject {
    /// The attribute `name` is: `userName` or `displayName`.
    pub fn name_attribute(&self) -> &'static str {
        if self.endpoint == "Groups" {
            "displayName"
        } else {
            "userName"
        }
    }
}

/// A create that was sent and whose answer has not brought an id yet.
#[derive(Debug)]
#[must_use = "a pending create is resolved with the id its answer brings"]
pub struct Pending(usize);

/// What the run created on the target, shared with the CLI so that cleanup (at the end, or on
/// Ctrl-C while a scenario is still running) deletes exactly those objects and nothing else.
/// An object is tracked from the moment its create is sent, so one whose answer is lost is
/// still looked for.
#[derive(Debug, Clone, Default)]
pub struct Created(Arc<Mutex<Vec<CreatedObject>>>);

impl Created {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<CreatedObject>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a create about to be sent to `endpoint` for the object named `name`.
    pub fn sending(&self, endpoint: &'static str, name: Option<&str>) -> Pending {
        let mut entries = self.entries();
        entries.push(CreatedObject {
            endpoint,
            name: name.map(str::to_string),
            id: None,
        });
        Pending(entries.len() - 1)
    }

    /// The create's answer brought a valid id.
    pub fn resolve(&self, pending: Pending, id: &str) {
        if let Some(entry) = self.entries().get_mut(pending.0) {
            entry.id = Some(id.to_string());
        }
    }

    /// One line per object that may be on the target, for a run that must stop before
    /// cleanup could prove anything: `Users 2819c2 (userName shx-ada@contoso.com)`.
    pub fn describe(&self) -> Vec<String> {
        self.newest_first()
            .iter()
            .map(|o| {
                let name = o
                    .name
                    .as_deref()
                    .map(|n| format!(" ({} {n})", o.name_attribute()))
                    .unwrap_or_default();
                match &o.id {
                    Some(id) => format!("{} {id}{name}", o.endpoint),
                    None => format!("{}{name}: create sent, no id known", o.endpoint),
                }
            })
            .collect()
    }

    /// Everything recorded so far, newest first: the order to delete in.
    pub fn newest_first(&self) -> Vec<CreatedObject> {
        let mut v = self.entries().clone();
        v.reverse();
        v
    }
}

/// Why a cycle could not run at all: what Entra reports as quarantine (§1.8).
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum CycleError {
    #[error("the target rejected the credentials: HTTP {status} on the connection probe GET {path} ({consequence})")]
    Credentials {
        status: u16,
        path: String,
        /// What the profile's IdP does about it.
        consequence: &'static str,
    },
    /// The probe was answered, but not as the IdP needs: `problem` names the status or the
    /// ListResponse fields that are missing or ill-typed.
    #[error("the connection probe GET {path} {problem}; {consequence}")]
    Probe {
        status: u16,
        path: String,
        problem: String,
        consequence: &'static str,
    },
    #[error("{0}")]
    Unreachable(ClientError),
}

impl CycleError {
    /// The HTTP status behind the failure, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            CycleError::Credentials { status, .. } | CycleError::Probe { status, .. } => {
                Some(*status)
            }
            CycleError::Unreachable(_) => None,
        }
    }

    /// Whether the failure is the target's set-up rather than a finding against the server
    /// (README exit codes: 3, not 1): it cannot be reached (no connection, TLS, no answer at
    /// all), the token is refused (401/403), or the base URL is wrong (404 on the probe, or
    /// a redirect away from it). A server that answers wrongly — a 5xx that outlived the
    /// retries, a 200 with a malformed ListResponse, a reset mid-answer — is a finding.
    pub fn is_target_setup(&self) -> bool {
        match self {
            CycleError::Credentials { .. } => true,
            CycleError::Probe { status, .. } => *status == 404,
            CycleError::Unreachable(e) => matches!(
                e,
                ClientError::Connect { .. }
                    | ClientError::Timeout { .. }
                    | ClientError::Redirected { .. }
            ),
        }
    }
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleReport {
    pub cycle_id: u32,
    pub records: Vec<LogRecord>,
    /// Logical requests per HTTP method (retries within the cycle are not counted).
    pub requests: BTreeMap<&'static str, u64>,
    /// Transient faults the IdP retried with success within the cycle (the connection
    /// probe), each with its exchange: `the connection probe GET … answered 500 (…); Entra
    /// retried it after 0.1 s and it succeeded`.
    pub warnings: Vec<String>,
}

impl CycleReport {
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// The provisioning job for one target: connector store, watermark, escrow.
pub struct Engine<'a> {
    pub profile: &'a dyn Profile,
    pub client: &'a ScimClient,
    /// Marks every object this run writes (userName, displayName, externalId).
    pub prefix: String,
    links: BTreeMap<Uuid, Link>,
    watermark: u64,
    escrow: escrow::Escrow,
    next_cycle: u32,
    /// Target objects this run created, so cleanup deletes only those.
    created: Created,
    job: JobSettings,
    /// Objects whose disable or delete accidental-deletion prevention holds this cycle.
    held: BTreeSet<String>,
    /// Users exported this cycle with the target state read or created: what reference
    /// resolution diffs the manager against.
    exported: BTreeMap<String, Value>,
    quarantine: Option<Quarantine>,
    /// Events and failures since the last restart, for the escrow-proportion threshold.
    events: u64,
    failures: u64,
    /// No request to the target before this instant: the last `Retry-After` (capped).
    not_before: Mutex<Option<Instant>>,
}

enum Sent {
    Answer(Response),
    Transport(ClientError),
}

impl<'a> Engine<'a> {
    pub fn new(
        profile: &'a dyn Profile,
        client: &'a ScimClient,
        prefix: String,
        created: Created,
    ) -> Self {
        Engine {
            profile,
            client,
            prefix,
            links: BTreeMap::new(),
            watermark: 0,
            escrow: escrow::Escrow::default(),
            next_cycle: 1,
            created,
            job: profile.job(),
            held: BTreeSet::new(),
            exported: BTreeMap::new(),
            quarantine: None,
            events: 0,
            failures: 0,
            not_before: Mutex::new(None),
        }
    }

    /// Source refs by target id, for reading group members back as refs.
    pub fn refs_by_target_id(&self) -> BTreeMap<String, String> {
        self.links
            .values()
            .map(|l| (l.target_id.clone(), l.object.clone()))
            .collect()
    }

    pub fn quarantine(&self) -> Option<&Quarantine> {
        self.quarantine.as_ref()
    }

    pub fn link(&self, object_id: &Uuid) -> Option<&Link> {
        self.links.get(object_id)
    }

    /// Objects waiting for a retry.
    pub fn escrowed(&self) -> BTreeSet<String> {
        self.escrow.objects()
    }

    /// What the run created, for creates sent outside the sync (`target_create_user`).
    pub fn created(&self) -> &Created {
        &self.created
    }

    /// Restart provisioning: a new initial cycle follows, escrow and quarantine are cleared;
    /// `full` also drops the links (§1.8).
    pub fn restart(&mut self, full: bool) {
        self.watermark = 0;
        self.escrow.clear();
        self.quarantine = None;
        self.events = 0;
        self.failures = 0;
        if full {
            self.links.clear();
        }
    }

    /// Sends one logical request. With `honor_retry_after`, a 429 carrying `Retry-After`
    /// (capped at `RETRY_AFTER_CAP`) is waited out and retried once within the cycle; the
    /// retry is not counted.
    async fn send(&self, req: &ScimRequest, report: &mut CycleReport) -> Sent {
        *report.requests.entry(req.verb.as_str()).or_default() += 1;
        self.exchange(req).await
    }

    /// Sends requests `parallelism` at a time, as an IdP with a worker pool does; outcomes in
    /// request order.
    async fn send_all(
        &self,
        requests: &[ScimRequest],
        parallelism: usize,
        report: &mut CycleReport,
    ) -> Vec<Sent> {
        for req in requests {
            *report.requests.entry(req.verb.as_str()).or_default() += 1;
        }
        let mut out = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(parallelism.max(1)) {
            out.extend(futures::future::join_all(chunk.iter().map(|r| self.exchange(r))).await);
        }
        out
    }

    async fn exchange(&self, req: &ScimRequest) -> Sent {
        let first = self.exchange_once(req).await;
        match first {
            Sent::Answer(r)
                if r.status == 429 && r.retry_after.is_some() && self.job.honor_retry_after =>
            {
                // `exchange_once` waits out the Retry-After it just remembered.
                self.exchange_once(req).await
            }
            first => first,
        }
    }

    /// One HTTP exchange, no sooner than the target allows: a `Retry-After` on a transient
    /// answer holds every later request to the target until it has passed.
    async fn exchange_once(&self, req: &ScimRequest) -> Sent {
        self.wait_until(self.target_not_before()).await;
        match self.client.send_within(req, self.job.record_timeout).await {
            Ok(r) => {
                if let (true, Some(seconds)) = (is_transient(r.status), r.retry_after) {
                    let until = Instant::now() + retry_after(seconds);
                    let mut not_before = self
                        .not_before
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    *not_before = Some(not_before.map_or(until, |t| t.max(until)));
                }
                Sent::Answer(r)
            }
            Err(e) => Sent::Transport(e),
        }
    }

    fn target_not_before(&self) -> Option<Instant> {
        *self
            .not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn wait_until(&self, instant: Option<Instant>) {
        if let Some(wait) = instant.and_then(|t| t.checked_duration_since(Instant::now())) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Before an escrowed object is retried: its wall-time back-off must have passed.
    async fn wait_for_escrow(&self, object: &str) {
        self.wait_until(self.escrow.not_before(object)).await;
    }

    /// The connection probe (§1.2): what the profile accepts (Entra: 200 with an empty
    /// ListResponse), or the cycle fails. A transient fault (5xx, 429, reset, timeout) is
    /// tried again, waiting in between, up to the profile's `probe_attempts`; a probe that
    /// then succeeds leaves a warning in the report. Counted as one request.
    pub async fn test_connection(&self, report: &mut CycleReport) -> Result<(), CycleError> {
        let req = self.profile.test_connection();
        let retry = self.profile.transient_retry();
        *report.requests.entry(req.verb.as_str()).or_default() += 1;
        let started = Instant::now();
        let mut faults: Vec<String> = Vec::new();
        let outcome = loop {
            let outcome = self.exchange_once(&req).await;
            let fault = match &outcome {
                Sent::Answer(r) if is_transient(r.status) => Some(format!(
                    "answered {}{}",
                    r.status,
                    detail_of(r).map(|d| format!(" ({d})")).unwrap_or_default()
                )),
                Sent::Transport(e) if is_transient_error(e) => Some(format!("failed: {e}")),
                _ => None,
            };
            let attempt = faults.len() as u32 + 1;
            match fault {
                Some(fault) if attempt < retry.probe_attempts => {
                    let wait = match &outcome {
                        Sent::Answer(r) => wait_before_retry(r.retry_after, attempt),
                        Sent::Transport(_) => backoff(attempt),
                    };
                    faults.push(fault);
                    tokio::time::sleep(wait).await;
                }
                _ => break outcome,
            }
        };
        let result = self.judge_probe(&req, outcome, faults.len() + 1);
        if let (Ok(()), Some(first)) = (&result, faults.first()) {
            let again = match faults.len() {
                1 => format!("after {:.1} s", started.elapsed().as_secs_f64()),
                n => format!("{n} times over {:.1} s", started.elapsed().as_secs_f64()),
            };
            report.warnings.push(format!(
                "the connection probe GET {} {first}; {} retried it {again} and it succeeded",
                req.path, retry.idp
            ));
        }
        result
    }

    /// The probe's last outcome, after `attempts` tries.
    fn judge_probe(
        &self,
        req: &ScimRequest,
        outcome: Sent,
        attempts: usize,
    ) -> Result<(), CycleError> {
        let retry = self.profile.transient_retry();
        let r = match outcome {
            Sent::Transport(e) => return Err(CycleError::Unreachable(e)),
            Sent::Answer(r) => r,
        };
        if r.status == 401 || r.status == 403 {
            return Err(CycleError::Credentials {
                status: r.status,
                path: req.path.clone(),
                consequence: retry.probe_failure,
            });
        }
        if self.profile.probe_ok(r.status, r.body.as_ref()) {
            return Ok(());
        }
        let mut problem = probe_problem(&r);
        if attempts > 1 {
            problem.push_str(&format!(" (on each of {attempts} attempts)"));
        }
        Err(CycleError::Probe {
            status: r.status,
            path: req.path.clone(),
            problem,
            consequence: retry.probe_failure,
        })
    }

    /// One sync cycle over the tenant: the probe, purges, users, groups, then memberships
    /// and references (§1.7 "users, then groups, then memberships"). Initial: every object;
    /// incremental: objects changed since the watermark, escrowed objects, and purges.
    pub async fn cycle(
        &mut self,
        tenant: &Tenant,
        kind: SyncKind,
    ) -> Result<CycleReport, CycleError> {
        let mut report = CycleReport {
            cycle_id: self.next_cycle,
            ..CycleReport::default()
        };
        self.next_cycle += 1;
        let probe = if self.profile.probe_each_cycle() {
            self.test_connection(&mut report).await
        } else {
            Ok(())
        };
        if let Err(e) = probe {
            // A failing probe quarantines the job at once (§1.2, §1.8).
            self.quarantine = Some(Quarantine {
                reason: "EncounteredQuarantineException",
                detail: e.to_string(),
            });
            return Err(e);
        }
        let watermark = match kind {
            SyncKind::Initial => 0,
            SyncKind::Incremental => self.watermark,
            SyncKind::Import => return Ok(self.import(report).await),
        };
        let purges: Vec<_> = tenant.purges_since(watermark).cloned().collect();
        let users: Vec<String> = tenant
            .users()
            .filter(|(r, u)| u.changed_at > watermark || self.escrow.due(r, report.cycle_id))
            .map(|(r, _)| r.clone())
            .collect();
        let groups: Vec<String> = if self.profile.provisions_groups() {
            tenant
                .groups()
                .filter(|(r, g)| g.changed_at > watermark || self.escrow.due(r, report.cycle_id))
                .map(|(r, _)| r.clone())
                .collect()
        } else {
            vec![]
        };
        self.hold_deletions(tenant, &purges, &users, &groups);

        for purge in purges.iter().filter(|p| !p.is_group) {
            self.process_user_purge(&purge.user, purge.object_id, &mut report)
                .await;
        }
        for user in &users {
            self.wait_for_escrow(user).await;
            self.process_user(tenant, user, &mut report).await;
        }
        for purge in purges.iter().filter(|p| p.is_group) {
            self.process_group_purge(&purge.user, purge.object_id, &mut report)
                .await;
        }
        let mut linked_groups = Vec::new();
        for group in &groups {
            self.wait_for_escrow(group).await;
            if let Some(rec) = self.process_group(tenant, group, &mut report).await {
                linked_groups.push((group.clone(), rec));
            }
        }
        for (group, rec) in linked_groups {
            self.write_memberships(tenant, &group, rec, &mut report)
                .await;
        }
        self.resolve_references(tenant, &mut report).await;
        self.watermark = tenant.clock();
        self.evaluate_quarantine(&report);
        Ok(report)
    }

    /// A scheduled import: every page of the target's users, as the profile asks for them;
    /// reads only, so nothing in the connector store changes.
    async fn import(&mut self, mut report: CycleReport) -> CycleReport {
        let mut pages = Pages::new();
        let mut start = 1;
        while let Some(req) = self.profile.import_page(start) {
            let page = match self.send(&req, &mut report).await {
                Sent::Answer(r) if r.status == 200 => r.body.unwrap_or(Value::Null),
                _ => break,
            };
            match pages.take(&req.path, start, &page) {
                Ok((_, Page::Next(s))) => start = s,
                Ok((_, Page::Done)) => break,
                Err(finding) => {
                    // The import stops; the finding fails the cycle instead of a silent end.
                    let rec = LogRecord::new(report.cycle_id, "(import)", String::new());
                    report.records.push(rec.failed(INCOMPATIBLE, finding));
                    break;
                }
            }
        }
        report
    }

    /// Accidental-deletion prevention (§1.6): when the disables and deletes this cycle would
    /// send exceed the threshold, all of them are held (`StagedDelete`) and the job
    /// quarantines with `TooManyDeletes`.
    fn hold_deletions(
        &mut self,
        tenant: &Tenant,
        purges: &[crate::idp::Purge],
        users: &[String],
        groups: &[String],
    ) {
        self.held.clear();
        let Some(threshold) = self.job.deletion_threshold else {
            return;
        };
        let mut planned: Vec<String> = purges
            .iter()
            .filter(|p| self.links.get(&p.object_id).is_some_and(|l| l.managed))
            .map(|p| p.user.clone())
            .collect();
        planned.extend(
            users
                .iter()
                .filter(|u| self.would_deprovision(tenant, u))
                .cloned(),
        );
        planned.extend(
            groups
                .iter()
                .filter(|g| self.would_delete_group(tenant, g))
                .cloned(),
        );
        if planned.len() as u64 > threshold {
            self.quarantine = Some(Quarantine {
                reason: "TooManyDeletes",
                detail: format!(
                    "{} disables and deletes in one cycle exceed the accidental-deletion threshold of {threshold}",
                    planned.len()
                ),
            });
            self.held = planned.into_iter().collect();
        }
    }

    /// Escrow-proportion quarantine (§1.8): evaluated from `quarantine_min_events` events on,
    /// it trips when more than the failure ratio failed. A clean cycle lifts a probe or
    /// proportion quarantine; a deletion hold lifts only on restart.
    fn evaluate_quarantine(&mut self, report: &CycleReport) {
        let failed = report
            .records
            .iter()
            .filter(|r| r.status == crate::scenario::model::Status::Failure)
            .count() as u64;
        self.events += report.records.len() as u64;
        self.failures += failed;
        let ratio = self.failures as f64 / self.events.max(1) as f64;
        if self.events >= self.job.quarantine_min_events
            && ratio > self.job.quarantine_failure_ratio
        {
            self.quarantine = Some(Quarantine {
                reason: "EncounteredEscrowProportionThreshold",
                detail: format!(
                    "{} of {} events failed ({:.0} %), above {:.0} %",
                    self.failures,
                    self.events,
                    ratio * 100.0,
                    self.job.quarantine_failure_ratio * 100.0
                ),
            });
        } else if failed == 0 && self.held.is_empty() {
            self.quarantine = None;
        }
    }

    /// Provision on demand (§1.8): the probe, then one user through import, scope, match and
    /// action, outside the cycle (the watermark does not move). `pod_profile` is the profile
    /// as POD uses it: Entra's POD always speaks the default PATCH dialect.
    pub async fn on_demand(
        &mut self,
        tenant: &Tenant,
        user_ref: &str,
        pod_profile: &'a dyn Profile,
    ) -> Result<CycleReport, CycleError> {
        let mut report = CycleReport {
            cycle_id: self.next_cycle,
            ..CycleReport::default()
        };
        self.next_cycle += 1;
        let cycle_profile = std::mem::replace(&mut self.profile, pod_profile);
        let result = self.test_connection(&mut report).await;
        if result.is_ok() {
            match tenant.group(user_ref) {
                // One group with its members (at most 5, checked by the caller): the members
                // first, then the group and its memberships.
                Some(group) => {
                    for member in group.members.clone() {
                        self.process_user(tenant, &member, &mut report).await;
                    }
                    if let Some(rec) = self.process_group(tenant, user_ref, &mut report).await {
                        self.write_memberships(tenant, user_ref, rec, &mut report)
                            .await;
                    }
                }
                None => self.process_user(tenant, user_ref, &mut report).await,
            }
            self.resolve_references(tenant, &mut report).await;
        }
        self.profile = cycle_profile;
        result.map(|()| report)
    }

    /// A user's request failed: logged, and escrowed or left to the admin as the IdP does.
    fn fail(&mut self, rec: LogRecord, user: &str, outcome: Sent, report: &mut CycleReport) {
        self.fail_object(rec, user, Kind::User, outcome, report);
    }

    /// A group's request failed.
    fn fail_group(&mut self, rec: LogRecord, group: &str, outcome: Sent, report: &mut CycleReport) {
        self.fail_object(rec, group, Kind::Group, outcome, report);
    }

    fn fail_object(
        &mut self,
        rec: LogRecord,
        object: &str,
        kind: Kind,
        outcome: Sent,
        report: &mut CycleReport,
    ) {
        let escrows = self.profile.transient_retry().pushes == PushRetry::Escrow;
        let mut rec = match outcome {
            Sent::Answer(r) => {
                // Transient faults and conflicts are escrowed and retried later (§1.3, §1.8).
                if escrows
                    && (is_transient(r.status)
                        || (r.status == 409 && self.profile.retries_conflicts()))
                {
                    self.escrow.insert(object, report.cycle_id);
                }
                rec.failed(
                    error_code_for_status(r.status),
                    format!("HTTP {}: {}", r.status, short(&r.text)),
                )
            }
            Sent::Transport(e) => {
                if escrows {
                    self.escrow.insert(object, report.cycle_id);
                }
                // A redirect or an oversized answer is how the server is built, not a passing
                // fault: retried like any failure, but never settled as transient.
                let code = match e {
                    ClientError::Timeout { .. } => "Timeout",
                    ClientError::Redirected { .. } | ClientError::BodyTooLarge { .. } => {
                        INCOMPATIBLE
                    }
                    _ => "WebExceptionProtocolError",
                };
                rec.failed(code, e.to_string())
            }
        };
        if !escrows {
            // Okta (O-12, O-37): the failure becomes a task for the admin; nothing retries it.
            let task = match kind {
                Kind::User => format!(
                    "raises an admin task (\"Automatic provisioning of user {object} to app {OKTA_APP} failed\")"
                ),
                Kind::Group => format!("marks the push of group {object} \"Push failed\" (an admin task)"),
            };
            let reason = rec.reason.take().unwrap_or_default();
            rec.reason = Some(format!(
                "{reason}; {} {task} and does not retry; an admin must retry it",
                self.profile.transient_retry().idp
            ));
        }
        report.records.push(rec);
    }
}

/// What a failed object is, for the admin task that names it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    User,
    Group,
}

/// How the harness's target app is named in the Okta admin tasks it imitates.
const OKTA_APP: &str = "SCIM app";

/// The `detail` of a SCIM error answer, or the start of its body.
fn detail_of(r: &Response) -> Option<String> {
    let detail = r
        .body
        .as_ref()
        .and_then(|b| b.get("detail"))
        .and_then(Value::as_str)
        .map(|d| format!("detail {:?}", short(d)));
    detail.or_else(|| (!r.text.trim().is_empty()).then(|| short(r.text.trim())))
}

/// What is wrong with a probe answer, for a reader who fixes the server: the status, or
/// which ListResponse fields (RFC 7644 §3.4.2) are missing or ill-typed.
fn probe_problem(r: &Response) -> String {
    if r.status != 200 {
        let detail = detail_of(r).map(|d| format!(" ({d})")).unwrap_or_default();
        let hint = match r.status {
            404 => ": the base URL does not lead to the SCIM Users endpoint",
            _ => "",
        };
        return format!("answered HTTP {}{detail} instead of 200{hint}", r.status);
    }
    let Some(body) = r.body.as_ref() else {
        return format!(
            "answered 200 with a body that is not JSON ({})",
            if r.text.trim().is_empty() {
                "empty".to_string()
            } else {
                short(&r.text)
            }
        );
    };
    let defects = list_response_defects(body);
    if !defects.is_empty() {
        return format!(
            "answered 200 with a malformed ListResponse: {}",
            defects.join("; ")
        );
    }
    match body.get("totalResults").and_then(Value::as_u64) {
        Some(n) if n > 0 => format!(
            "answered 200 with totalResults {n} instead of 200 with an empty ListResponse: it filters on a random value no user has, so the server ignored the filter"
        ),
        _ => "answered 200 with a ListResponse the IdP does not accept".to_string(),
    }
}

/// The ListResponse fields of `body` that are missing or of the wrong type.
fn list_response_defects(body: &Value) -> Vec<String> {
    let mut defects = Vec::new();
    if !body.is_object() {
        return vec![format!("the body is {}, not an object", json_kind(body))];
    }
    match body.get("schemas") {
        None => defects.push(format!(
            "`schemas` is missing (expected [\"{}\"])",
            crate::scim::urn::LIST_RESPONSE
        )),
        Some(Value::Array(s))
            if s.iter()
                .any(|u| u.as_str() == Some(crate::scim::urn::LIST_RESPONSE)) => {}
        Some(other) => defects.push(format!(
            "`schemas` is {other}, which does not name {}",
            crate::scim::urn::LIST_RESPONSE
        )),
    }
    for field in ["totalResults", "itemsPerPage", "startIndex"] {
        match body.get(field) {
            None => defects.push(format!("`{field}` is missing (an integer is required)")),
            Some(v) if v.is_u64() => {}
            Some(v) => defects.push(format!(
                "`{field}` is {v} ({}), not an integer",
                json_kind(v)
            )),
        }
    }
    match body.get("Resources") {
        Some(Value::Array(_)) => {}
        None if body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            == 0 => {}
        None => defects.push(
            "`Resources` is missing (an array is required when totalResults is not 0)".into(),
        ),
        Some(v) => defects.push(format!("`Resources` is {}, not an array", json_kind(v))),
    }
    defects
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The error code of a finding about an answer the harness cannot use safely.
const INCOMPATIBLE: &str = "SystemForCrossDomainIdentityManagementServiceIncompatible";

/// The ids of the resources a lookup answered, each proven to carry `key`. One resource
/// that does not carry it, or cannot be addressed, fails the whole answer: the server
/// ignored or misread the filter, so none of what it returned is adopted or written to.
fn owned_ids(
    req: &ScimRequest,
    status: u16,
    key: &MatchKey,
    hits: &[Value],
) -> Result<Vec<String>, String> {
    let mut ids = Vec::with_capacity(hits.len());
    for hit in hits {
        if !key.held_by(hit) {
            return Err(format!(
                "the server ignored the filter: GET {} answered {status} with {}; a filter answer that does not match the filter is never adopted",
                req.path,
                key.describe(hit)
            ));
        }
        match server_id(hit) {
            Ok(id) => ids.push(id.to_string()),
            Err(bad) => {
                return Err(format!(
                    "GET {} answered {status} with a {} that matches, but {bad}; the object cannot be addressed",
                    req.path, key.noun
                ))
            }
        }
    }
    Ok(ids)
}

/// The id a create answer brings, or the finding that it brings none usable.
fn created_id(req: &ScimRequest, r: &Response) -> Result<String, String> {
    let body = r.body.as_ref().unwrap_or(&Value::Null);
    server_id(body).map(str::to_string).map_err(|bad| {
        format!(
            "{} {} answered {} but {bad}; the object cannot be addressed",
            req.verb.as_str(),
            req.path,
            r.status
        )
    })
}

/// The first 200 bytes of a body, for log reasons, with the size of the whole when cut: a
/// 50 MB error page must not reach the console or the log whole.
pub fn short(text: &str) -> String {
    crate::client::truncate_text(text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_resources_carrying_the_key_are_owned() {
        let req = ScimRequest::get("/Groups?filter=displayName+eq+%22shx-Sales%22");
        let key = MatchKey::display_name("shx-Sales");
        let ours = json!({"id": "g1", "displayName": "shx-Sales"});
        assert_eq!(
            owned_ids(&req, 200, &key, std::slice::from_ref(&ours)),
            Ok(vec!["g1".to_string()])
        );
        let other = json!({"id": "g2", "displayName": "shx-sales"});
        let e = owned_ids(&req, 200, &key, &[ours.clone(), other]).unwrap_err();
        assert_eq!(
            e,
            r#"the server ignored the filter: GET /Groups?filter=displayName+eq+%22shx-Sales%22 answered 200 with a group (id "g2") whose displayName is "shx-sales"; a filter answer that does not match the filter is never adopted"#
        );
        let numeric = json!({"id": 7, "displayName": "shx-Sales"});
        let e = owned_ids(&req, 200, &key, &[numeric]).unwrap_err();
        assert!(
            e.contains("the server's id is the number 7, not a string"),
            "{e}"
        );
    }

    #[test]
    fn probe_answers_name_what_is_wrong() {
        let answer = |status: u16, body: Value| Response {
            status,
            text: body.to_string(),
            body: Some(body),
            retry_after: None,
            content_type: None,
            location: None,
            etag: None,
            www_authenticate: None,
        };
        let list = json!({"schemas": [crate::scim::urn::LIST_RESPONSE], "totalResults": "0",
            "startIndex": 1, "Resources": {}});
        let text = probe_problem(&answer(200, list));
        assert_eq!(
            text,
            "answered 200 with a malformed ListResponse: `totalResults` is \"0\" (a string), not an integer; `itemsPerPage` is missing (an integer is required); `Resources` is an object, not an array"
        );
        let text = probe_problem(&answer(404, json!({"detail": "no such path"})));
        assert!(
            text.starts_with("answered HTTP 404 (detail \"no such path\") instead of 200"),
            "{text}"
        );
        let full = json!({"schemas": [crate::scim::urn::LIST_RESPONSE], "totalResults": 2,
            "itemsPerPage": 2, "startIndex": 1, "Resources": [{}, {}]});
        assert!(
            probe_problem(&answer(200, full)).contains("instead of 200 with an empty ListResponse")
        );
    }

    #[test]
    fn pending_creates_resolve_to_their_id() {
        let created = Created::default();
        let a = created.sending("Users", Some("shx-ada@contoso.com"));
        let _lost = created.sending("Groups", Some("shx-Sales"));
        created.resolve(a, "u1");
        let all = created.newest_first();
        assert_eq!(all[0].endpoint, "Groups");
        assert_eq!(all[0].id, None);
        assert_eq!(all[1].id.as_deref(), Some("u1"));
        assert_eq!(all[1].name_attribute(), "userName");
    }
}
