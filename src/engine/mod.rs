//! Sync cycles as Entra's provisioning service runs them (idp-behavior.md §1.3, §1.6, §1.8,
//! §1.11): a connection probe, then per in-scope object an anchor lookup in the connector
//! store, a matching query when unlinked, GET-diff-update when linked (or, for IdPs that keep
//! their own record of what they sent, a diff against that record first), and deprovisioning;
//! a log record per object per cycle; transient failures escrowed and retried in later cycles with back-off.
//! Waits are real: a retry never comes sooner than a short back-off or the server's
//! `Retry-After` (capped), so a struggling target is not hammered.
//! The engine decides what to send and when; the profile decides how it looks.

mod cleanup;
mod created;
mod deadline;
mod escrow;
mod failure;
mod groups;
mod last_sent;
mod links;
pub mod log;
mod log_file;
mod matching;
mod pool;
mod preview;
mod probe;
pub mod progress;
pub mod provisioning_log;
mod rate;
mod references;
pub mod runner;
mod send;
mod user_purge;
mod users;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use serde_json::Value;
use uuid::Uuid;

use crate::client::{Response, ScimClient};
use crate::idp::Tenant;
use crate::profile::{JobSettings, Profile};
use crate::scenario::model::SyncKind;
use crate::scim::ScimRequest;
use crate::scim::{server_id, Page, Pages};
use log::LogRecord;
use pool::{Op, UserPass};
use send::Sent;

pub use created::{Created, CreatedObject, Pending};
pub use escrow::{backoff, retry_after, wait_before_retry, RETRY_AFTER_CAP};
pub use last_sent::LastSent;
pub use probe::CycleError;
pub use progress::{Progress, ProgressSink};
pub use rate::RateLimit;

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
    /// Packed (`LastSent`): one lives per linked user for the whole run.
    pub last_desired: Option<LastSent>,
    /// For a group whose IdP does not read it back (`Profile::reads_linked_group` false):
    /// the displayName last sent — at create, at match, at each rename.
    pub group_name: Option<String>,
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
            group_name: None,
        }
    }
}

/// Why the job is quarantined (Graph `synchronizationJob.status.quarantine.reason`, §1.8).
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine {
    pub reason: &'static str,
    pub detail: String,
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
    /// Records of this cycle already handed to the run's log while the cycle ran
    /// (`Engine::spill_log_to`): they come before `records`, and none is a failure.
    pub spilled: u64,
}

impl CycleReport {
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Every record this cycle made, those already spilled to the run's log included.
    pub fn record_count(&self) -> u64 {
        self.spilled + self.records.len() as u64
    }
}

/// The provisioning job for one target: connector store, watermark, escrow.
pub struct Engine<'a> {
    pub profile: &'a dyn Profile,
    pub client: &'a ScimClient,
    /// Marks every object this run writes (userName, displayName, externalId).
    pub prefix: String,
    links: links::Links,
    watermark: u64,
    escrow: escrow::Escrow,
    next_cycle: u32,
    /// Target objects this run created, so cleanup deletes only those.
    created: Created,
    job: JobSettings,
    /// Objects whose disable or delete accidental-deletion prevention holds this cycle.
    held: BTreeSet<String>,
    /// Users exported this cycle with the manager id their target state names (read or
    /// created): what reference resolution diffs the manager against.
    exported: BTreeMap<String, Option<String>>,
    /// User → the manager it named when reference resolution found that manager not
    /// provisioned: the reference stays unset until a restart (E-31, ms-known-issues).
    unresolved_managers: BTreeMap<String, String>,
    quarantine: Option<Quarantine>,
    /// Events and failures since the last restart, for the escrow-proportion threshold.
    events: u64,
    failures: u64,
    /// No request to the target before this instant: the last `Retry-After` (capped).
    not_before: Mutex<Option<Instant>>,
    /// A failure of the whole endpoint met this cycle (a 404 to a filter query, E-65) when
    /// the profile quarantines on it: the cycle stops and the job is quarantined.
    /// Behind a lock: a user pass, which runs on `&self` in the worker pool, may meet it.
    global_failure: Mutex<Option<String>>,
    /// The job's request rate (`JobSettings::rate`), shared by every worker.
    rate: Option<RateLimit>,
    /// Units of work and requests of the cycle under way, for a progress listener.
    progress: progress::Tracker,
    /// The run's log, which takes a long cycle's finished records while it runs.
    log_spill: Option<provisioning_log::ProvisioningLog>,
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
            links: links::Links::default(),
            watermark: 0,
            escrow: escrow::Escrow::new(profile.transient_retry().pushes.cadence()),
            next_cycle: 1,
            created,
            job: profile.job(),
            held: BTreeSet::new(),
            exported: BTreeMap::new(),
            unresolved_managers: BTreeMap::new(),
            quarantine: None,
            events: 0,
            failures: 0,
            not_before: Mutex::new(None),
            global_failure: Mutex::new(None),
            rate: profile.job().rate.and_then(RateLimit::per_second),
            progress: progress::Tracker::default(),
            log_spill: None,
        }
    }

    /// While set, a cycle hands its finished records to `log` as it goes instead of holding
    /// them all until it ends (`CycleReport::spilled` counts them), so a 100,000-user cycle
    /// does not hold 100,000 records. None: every record stays in the report (tests read it).
    pub fn spill_log_to(&mut self, log: Option<provisioning_log::ProvisioningLog>) {
        self.log_spill = log;
    }

    /// The job's request rate, if one is set.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate.as_ref()
    }

    /// Hears how far each cycle has come (`Progress`), once per unit of work.
    pub fn set_progress(&mut self, sink: Option<ProgressSink>) {
        self.progress.set_sink(sink);
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
        self.unresolved_managers.clear();
        self.quarantine = None;
        self.events = 0;
        self.failures = 0;
        if full {
            self.links.clear();
        }
    }

    /// Records a failure of the whole endpoint; the first one met is kept.
    fn fail_globally(&self, detail: String) {
        let mut slot = self
            .global_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(detail);
    }

    fn has_global_failure(&self) -> bool {
        self.global_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn take_global_failure(&mut self) -> Option<String> {
        self.global_failure
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn clear_global_failure(&mut self) {
        self.take_global_failure();
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
        self.progress.begin(report.cycle_id);
        let probe = if self.profile.probe_each_cycle() {
            self.probe_target(&mut report).await
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
        // From the tenant's change index and the escrow, in ref order as a scan of the
        // directory would give them: a cycle costs what changed, not the directory's size.
        let due = || self.escrow.due_in(report.cycle_id);
        let users = in_ref_order(
            tenant.users_changed_since(watermark),
            due().filter(|r| tenant.user(r).is_some()),
        );
        let groups = if self.profile.provisions_groups() {
            in_ref_order(
                tenant.groups_changed_since(watermark),
                due().filter(|r| tenant.group(r).is_some()),
            )
        } else {
            vec![]
        };
        self.hold_deletions(tenant, &purges, &users, &groups);
        self.clear_global_failure();
        // Every purge and user once, every group twice (the group, then its memberships).
        let units = purges.iter().filter(|p| !p.is_group).count()
            + users.len()
            + purges.iter().filter(|p| p.is_group).count()
            + 2 * groups.len();
        self.progress.plan(units as u64);

        // Purges first, then the users in the cycle, then the groups likewise: within each,
        // the profile's worker pool (PF-19) decides what runs at once.
        let user_purges: Vec<Op> = purges
            .iter()
            .filter(|p| !p.is_group)
            .map(Op::UserPurge)
            .collect();
        self.run_ops(tenant, &user_purges, &mut report).await;
        let user_ops: Vec<Op> = users.iter().map(|u| Op::User(u)).collect();
        self.run_ops(tenant, &user_ops, &mut report).await;
        let group_purges: Vec<Op> = purges
            .iter()
            .filter(|p| p.is_group)
            .map(Op::GroupPurge)
            .collect();
        self.run_ops(tenant, &group_purges, &mut report).await;
        let group_ops: Vec<Op> = groups.iter().map(|g| Op::Group(g)).collect();
        let linked_groups = self.run_ops(tenant, &group_ops, &mut report).await;
        if let Some(detail) = self.take_global_failure() {
            // A global failure quarantines the job at once (E-65): the cycle stops, nothing
            // is escrowed, and the watermark stays so the objects not reached come next time.
            self.evaluate_quarantine(&report);
            self.quarantine = Some(Quarantine {
                reason: "EncounteredQuarantineException",
                detail,
            });
            return Ok(report);
        }
        // Groups that did not link have no memberships to write: their unit is done now.
        self.progress
            .done(groups.len().saturating_sub(linked_groups.len()) as u64);
        for (group, rec) in linked_groups {
            self.write_memberships(tenant, &group, rec, &mut report)
                .await;
            self.spill_finished(tenant, &mut report);
            self.progress.done(1);
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
                Sent::Answer(r) if r.status == 200 => r.body.unwrap_or_default(),
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
        self.events += report.record_count();
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
        let result = self.probe_target(&mut report).await;
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
        // Provision on demand is not a job cycle: it fails the user, it does not quarantine.
        self.clear_global_failure();
        result.map(|()| report)
    }
}

/// Changed and escrow-due refs, each once, sorted by ref.
fn in_ref_order<'r>(
    changed: impl Iterator<Item = &'r String>,
    due: impl Iterator<Item = &'r String>,
) -> Vec<String> {
    let mut refs: Vec<String> = changed.chain(due).cloned().collect();
    refs.sort_unstable();
    refs.dedup();
    refs
}

/// The error code of a finding about an answer the harness cannot use safely.
const INCOMPATIBLE: &str = "SystemForCrossDomainIdentityManagementServiceIncompatible";

/// The harness's own code `[I]` for a matching query that finds a target object another
/// source object is already linked to: Entra's documented codes (E-69) name no such case;
/// `DuplicateSourceEntries`, used here before, is Entra's code for several source objects
/// matching in inbound provisioning.
const TARGET_ALREADY_LINKED: &str = "TargetEntryAlreadyLinked";

/// The skip reason of a user write the IdP's admin switched off (`Profile::switched_off`).
/// [I] harness vocabulary: Entra has no such switch, and PingOne documents no log text.
const SWITCHED_OFF: &str = "ActionSwitchedOff";

/// The id a create answer brings, or the finding that it brings none usable.
fn created_id(req: &ScimRequest, r: &Response) -> Result<String, String> {
    let body = r.body.as_deref().unwrap_or(&Value::Null);
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
