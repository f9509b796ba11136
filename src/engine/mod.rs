//! Sync cycles as Entra's provisioning service runs them (idp-behavior.md §1.3, §1.6, §1.8,
//! §1.11): a connection probe, then per in-scope object an anchor lookup in the connector
//! store, a matching query when unlinked, GET-diff-update when linked, and deprovisioning;
//! a log record per object per cycle; transient failures escrowed and retried next cycle.
//! The engine decides what to send and when; the profile decides how it looks.

pub mod log;
pub mod runner;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use uuid::Uuid;

use crate::client::{ClientError, Response, ScimClient};
use crate::idp::{NotEntitled, Tenant};
use crate::profile::{Profile, ScimRequest};
use crate::scenario::model::SyncKind;
use log::{error_code_for_status, is_transient, Action, LogRecord, StepType};

/// A source↔target link in the connector data store (§1.8 "keeps links").
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub target_id: String,
    pub object: String,
    /// False once a user was disabled because it left the scope: Entra stops managing it
    /// (§1.6), so later soft or hard deletes send nothing.
    pub managed: bool,
}

/// An object this run created on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    /// `Users` or `Groups`.
    pub endpoint: &'static str,
    pub id: String,
}

/// What the run created on the target, shared with the CLI so that cleanup (at the end, or on
/// Ctrl-C while a scenario is still running) deletes exactly those objects and nothing else.
#[derive(Debug, Clone, Default)]
pub struct Created(Arc<Mutex<Vec<CreatedObject>>>);

impl Created {
    pub fn push(&self, endpoint: &'static str, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(CreatedObject {
                endpoint,
                id: id.to_string(),
            });
    }

    /// Everything recorded so far, newest first: the order to delete in.
    pub fn newest_first(&self) -> Vec<CreatedObject> {
        let mut v = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        v.reverse();
        v
    }
}

/// Why a cycle could not run at all: what Entra reports as quarantine (§1.8).
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum CycleError {
    #[error("the target rejected the credentials: HTTP {status} on the connection probe {path} (Entra quarantines the job: EncounteredQuarantineException)")]
    Credentials { status: u16, path: String },
    #[error("the connection probe {path} answered HTTP {status} instead of 200 with an empty ListResponse (Entra quarantines the job)")]
    Probe { status: u16, path: String },
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
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleReport {
    pub cycle_id: u32,
    pub records: Vec<LogRecord>,
    /// Logical requests per HTTP method.
    pub requests: BTreeMap<&'static str, u64>,
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
    escrow: BTreeSet<String>,
    next_cycle: u32,
    /// Target objects this run created, so cleanup deletes only those.
    created: Created,
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
            escrow: BTreeSet::new(),
            next_cycle: 1,
            created,
        }
    }

    pub fn link(&self, object_id: &Uuid) -> Option<&Link> {
        self.links.get(object_id)
    }

    pub fn escrowed(&self) -> &BTreeSet<String> {
        &self.escrow
    }

    /// Records a target object created outside the sync (scenario `target_create_user`).
    pub fn note_created(&mut self, endpoint: &'static str, id: &str) {
        self.created.push(endpoint, id);
    }

    /// Restart provisioning: a new initial cycle follows; `full` also drops the links.
    pub fn restart(&mut self, full: bool) {
        self.watermark = 0;
        self.escrow.clear();
        if full {
            self.links.clear();
        }
    }

    async fn send(&self, req: &ScimRequest, report: &mut CycleReport) -> Sent {
        *report.requests.entry(req.verb.as_str()).or_default() += 1;
        match self.client.send(req).await {
            Ok(r) => Sent::Answer(r),
            Err(e) => Sent::Transport(e),
        }
    }

    /// The connection probe (§1.2): 200 with an empty ListResponse, or the job quarantines.
    pub async fn test_connection(&self, report: &mut CycleReport) -> Result<(), CycleError> {
        let req = self.profile.test_connection();
        match self.send(&req, report).await {
            Sent::Transport(e) => Err(CycleError::Unreachable(e)),
            Sent::Answer(r) if r.status == 401 || r.status == 403 => Err(CycleError::Credentials {
                status: r.status,
                path: req.path.clone(),
            }),
            Sent::Answer(r) => {
                let empty = r
                    .body
                    .as_ref()
                    .and_then(|b| b.get("totalResults"))
                    .and_then(Value::as_u64)
                    == Some(0);
                if r.status == 200 && empty {
                    Ok(())
                } else {
                    Err(CycleError::Probe {
                        status: r.status,
                        path: req.path.clone(),
                    })
                }
            }
        }
    }

    /// One sync cycle over the tenant. Initial: every user; incremental: users changed since
    /// the watermark, escrowed users, and purges.
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
        self.test_connection(&mut report).await?;
        let watermark = match kind {
            SyncKind::Initial => 0,
            SyncKind::Incremental => self.watermark,
        };
        let purges: Vec<_> = tenant.purges_since(watermark).cloned().collect();
        for purge in purges {
            self.process_purge(&purge.user, purge.object_id, &mut report)
                .await;
        }
        let candidates: Vec<String> = tenant
            .users()
            .filter(|(r, u)| u.changed_at > watermark || self.escrow.contains(*r))
            .map(|(r, _)| r.clone())
            .collect();
        for user in candidates {
            self.process_user(tenant, &user, &mut report).await;
        }
        self.watermark = tenant.clock();
        Ok(report)
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
            self.process_user(tenant, user_ref, &mut report).await;
        }
        self.profile = cycle_profile;
        result.map(|()| report)
    }

    /// A permanently deleted user: DELETE only if still managed (§1.6).
    async fn process_purge(&mut self, user: &str, object_id: Uuid, report: &mut CycleReport) {
        let mut rec = LogRecord::new(report.cycle_id, user, object_id.to_string());
        rec.step(
            StepType::Import,
            true,
            "the user was permanently deleted in the source",
        );
        let Some(link) = self.links.get(&object_id).cloned() else {
            return;
        };
        rec.target_identity = Some(link.target_id.clone());
        if !link.managed {
            self.links.remove(&object_id);
            report.records.push(rec.skipped(
                "NotEffectivelyEntitled",
                "the user was no longer managed (out of scope before the delete); nothing sent",
            ));
            return;
        }
        rec.provisioning_action = Action::Delete;
        let req = self.profile.delete_user(&link.target_id);
        match self.send(&req, report).await {
            Sent::Answer(r) if r.is_success() || r.status == 404 => {
                rec.step(
                    StepType::Export,
                    true,
                    format!("DELETE answered {}", r.status),
                );
                self.links.remove(&object_id);
                self.escrow.remove(user);
                report.records.push(rec);
            }
            outcome => self.fail(rec, user, outcome, report),
        }
    }

    fn fail(&mut self, rec: LogRecord, user: &str, outcome: Sent, report: &mut CycleReport) {
        let rec = match outcome {
            Sent::Answer(r) => {
                if is_transient(r.status) {
                    self.escrow.insert(user.to_string());
                }
                rec.failed(
                    error_code_for_status(r.status),
                    format!("HTTP {}: {}", r.status, short(&r.text)),
                )
            }
            Sent::Transport(e) => {
                self.escrow.insert(user.to_string());
                let code = if matches!(e, ClientError::Timeout { .. }) {
                    "Timeout"
                } else {
                    "WebExceptionProtocolError"
                };
                rec.failed(code, e.to_string())
            }
        };
        report.records.push(rec);
    }

    async fn process_user(&mut self, tenant: &Tenant, user_ref: &str, report: &mut CycleReport) {
        let Some(user) = tenant.user(user_ref) else {
            return;
        };
        let entitlement = tenant.entitlement(user_ref);
        let mut rec = LogRecord::new(report.cycle_id, user_ref, user.object_id.to_string());
        rec.step(StepType::Import, true, "retrieved the user from the source");
        let desired = self
            .profile
            .desired_user(user, &self.prefix, entitlement.is_ok());
        let link = self.links.get(&user.object_id).cloned();
        let in_scope_text = match entitlement {
            Ok(()) => "effectively entitled".to_string(),
            Err(NotEntitled::NotAssigned) => {
                "not assigned to the application (IsInProvisioningScope false)".into()
            }
            Err(NotEntitled::Disabled) => "accountEnabled is false (IsActive false)".into(),
            Err(NotEntitled::SoftDeleted) => {
                "soft-deleted in the source (IsSoftDeleted true)".into()
            }
        };
        rec.step(
            StepType::Scoping,
            entitlement.is_ok(),
            in_scope_text.clone(),
        );

        let target_id = match link {
            None => {
                if entitlement.is_err() {
                    // Disabled or unassigned users are never created (§1.6).
                    report.records.push(rec.skipped(
                        "NotEffectivelyEntitled",
                        format!("the user will be skipped: it does not have required entitlement for provisioning ({in_scope_text})"),
                    ));
                    self.escrow.remove(user_ref);
                    return;
                }
                let req = self.profile.match_user(&desired);
                let hits = match self.send(&req, report).await {
                    Sent::Answer(r) if r.status == 200 => list_ids(&r),
                    outcome => return self.fail(rec, user_ref, outcome, report),
                };
                match hits.as_slice() {
                    [] => {
                        rec.step(StepType::Matching, true, "no matching user on the target");
                        let req = self.profile.create_user(&desired);
                        match self.send(&req, report).await {
                            Sent::Answer(r) if r.status == 201 || r.status == 200 => {
                                let Some(id) = r
                                    .body
                                    .as_ref()
                                    .and_then(|b| b.get("id"))
                                    .and_then(Value::as_str)
                                else {
                                    let rec = rec.failed(
                                        "SystemForCrossDomainIdentityManagementServiceIncompatible",
                                        "the create answer carries no `id`",
                                    );
                                    report.records.push(rec);
                                    return;
                                };
                                rec.provisioning_action = Action::Create;
                                rec.target_identity = Some(id.to_string());
                                rec.step(
                                    StepType::Export,
                                    true,
                                    format!("POST answered {}", r.status),
                                );
                                rec.modified_properties = desired
                                    .attrs
                                    .iter()
                                    .map(|(p, v)| crate::profile::ModifiedProperty {
                                        name: (*p).to_string(),
                                        old: None,
                                        new: Some(v.clone()),
                                    })
                                    .collect();
                                self.created.push("Users", id);
                                self.links.insert(
                                    user.object_id,
                                    Link {
                                        target_id: id.to_string(),
                                        object: user_ref.to_string(),
                                        managed: true,
                                    },
                                );
                                self.escrow.remove(user_ref);
                                report.records.push(rec);
                                return;
                            }
                            outcome => {
                                rec.provisioning_action = Action::Create;
                                return self.fail(rec, user_ref, outcome, report);
                            }
                        }
                    }
                    [id] => {
                        rec.step(
                            StepType::Matching,
                            true,
                            format!("matched target user {id} by userName"),
                        );
                        self.links.insert(
                            user.object_id,
                            Link {
                                target_id: id.clone(),
                                object: user_ref.to_string(),
                                managed: true,
                            },
                        );
                        id.clone()
                    }
                    many => {
                        report.records.push(rec.failed(
                            "DuplicateTargetEntries",
                            format!("{} target users match userName", many.len()),
                        ));
                        return;
                    }
                }
            }
            Some(link) if !link.managed => {
                if entitlement.is_err() {
                    report.records.push(rec.skipped(
                        "NotEffectivelyEntitled",
                        format!("the user is no longer managed ({in_scope_text}); nothing sent"),
                    ));
                    return;
                }
                if let Some(l) = self.links.get_mut(&user.object_id) {
                    l.managed = true;
                }
                link.target_id
            }
            Some(link) => link.target_id,
        };
        rec.target_identity = Some(target_id.clone());

        // Linked: read, diff, update (§1.4).
        let req = self.profile.read_user(&target_id);
        let current = match self.send(&req, report).await {
            Sent::Answer(r) if r.status == 200 => r.body.unwrap_or(Value::Null),
            Sent::Answer(r) if r.status == 404 => {
                // The service does not silently re-create (§1.3).
                report.records.push(rec.failed(
                    "InvalidAnchor",
                    format!(
                        "GET {} answered 404: the linked target user is gone",
                        req.path
                    ),
                ));
                return;
            }
            outcome => return self.fail(rec, user_ref, outcome, report),
        };
        let disabling = entitlement.is_err();
        match self.profile.update_user(&target_id, &current, &desired) {
            None => {
                rec.step(StepType::Export, true, "the target already matches");
                rec = rec.skipped("RedundantExport", "the target already matches the source");
                self.escrow.remove(user_ref);
            }
            Some(update) => {
                rec.provisioning_action = if disabling {
                    Action::Disable
                } else {
                    Action::Update
                };
                match self.send(&update.request, report).await {
                    Sent::Answer(r) if r.is_success() => {
                        rec.step(
                            StepType::Export,
                            true,
                            format!("PATCH answered {}", r.status),
                        );
                        rec.modified_properties = update.modified;
                        self.escrow.remove(user_ref);
                    }
                    outcome => return self.fail(rec, user_ref, outcome, report),
                }
            }
        }
        if entitlement == Err(NotEntitled::NotAssigned) {
            // Unassigned or scoped out: disabled once, then no longer managed (§1.6).
            if let Some(l) = self.links.get_mut(&user.object_id) {
                l.managed = false;
            }
        }
        report.records.push(rec);
    }
}

/// Ids of a ListResponse's resources.
fn list_ids(r: &Response) -> Vec<String> {
    r.body
        .as_ref()
        .and_then(|b| b.get("Resources"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The first 200 characters of a body, for log reasons.
pub fn short(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}
