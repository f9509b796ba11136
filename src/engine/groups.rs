//! Groups as Entra provisions them (idp-behavior.md §1.7): matched by displayName without
//! members, created empty, renamed with a PATCH, deleted when deleted in the source or out of
//! scope; memberships written afterwards as deltas of direct members that are provisioned
//! users. Entra never reads membership back: the engine trusts what it wrote.

use std::collections::BTreeSet;

use serde_json::Value;
use uuid::Uuid;

use super::links::Kind;
use super::log::{Action, LogRecord, StepType};
use super::matching::collection_404;
use super::pool::Pass;
use super::preview::previewed;
use super::users::staged;
use super::{created_id, CycleReport, Engine, Link, Sent, INCOMPATIBLE, TARGET_ALREADY_LINKED};
use crate::idp::Tenant;
use crate::profile::{ExistingGroup, GroupRemoval, MembershipChange, ModifiedProperty};

impl Engine<'_> {
    /// A group deleted in the source: DELETE when linked (§1.7).
    pub(super) async fn group_purge_pass(&self, group: &str, object_id: Uuid, pass: &mut Pass) {
        let Some(link) = self.links.get(&object_id).cloned() else {
            return;
        };
        let mut rec = LogRecord::new(
            pass.report.cycle_id,
            group,
            LogRecord::source_identity(object_id),
        );
        rec.step(
            StepType::Import,
            true,
            "the group was deleted in the source",
        );
        self.delete_group(rec, object_id, &link, group, pass).await;
    }

    async fn delete_group(
        &self,
        mut rec: LogRecord,
        object_id: Uuid,
        link: &Link,
        group: &str,
        pass: &mut Pass,
    ) {
        rec.target_identity = Some(link.target_id.clone());
        if self.profile.group_removal() == GroupRemoval::Keep {
            // CyberArk (CA-4): the destination group stays, its members untouched.
            pass.unlink(object_id);
            pass.unescrow(group);
            return pass.push(rec.skipped(
                "GroupKept",
                format!(
                    "{} leaves the group and its members on the target; nothing sent",
                    self.profile.name()
                ),
            ));
        }
        rec.provisioning_action = Action::Delete;
        if self.held.contains(group) {
            return pass.push(staged(rec));
        }
        let req = self.profile.delete_group(&link.target_id);
        match self.send(&req, &mut pass.report).await {
            Sent::Answer(r) if r.is_success() || r.status == 404 => {
                rec.step(
                    StepType::Export,
                    true,
                    format!("DELETE answered {}", r.status),
                );
                pass.unlink(object_id);
                pass.unescrow(group);
                pass.push(rec);
            }
            outcome => self.fail_group_in_pass(rec, group, outcome, pass),
        }
    }

    /// Whether processing this group would delete it on the target (accidental deletions).
    pub(super) fn would_delete_group(&self, tenant: &Tenant, group: &str) -> bool {
        self.profile.group_removal() == GroupRemoval::Delete
            && tenant.group(group).is_some_and(|g| {
                self.links.contains_key(&g.object_id) && !tenant.group_in_scope(group)
            })
    }

    /// The group object itself: match or create, rename, or delete when out of scope. A
    /// linked group's record is handed on to the membership phase, which adds its changes.
    pub(super) async fn group_pass(&self, tenant: &Tenant, group_ref: &str, pass: &mut Pass) {
        let Some(group) = tenant.group(group_ref) else {
            return;
        };
        let mut rec = LogRecord::new(
            pass.report.cycle_id,
            group_ref,
            LogRecord::source_identity(group.object_id),
        );
        rec.step(
            StepType::Import,
            true,
            "retrieved the group from the source",
        );
        let link = self.links.get(&group.object_id).cloned();
        if !tenant.group_in_scope(group_ref) {
            rec.step(StepType::Scoping, false, "not assigned to the application");
            match link {
                Some(link) => {
                    let oid = group.object_id;
                    self.delete_group(rec, oid, &link, group_ref, pass).await;
                }
                None => pass.push(rec.skipped(
                    "NotEffectivelyEntitled",
                    "the group will be skipped: it is not assigned to the application",
                )),
            }
            return;
        }
        rec.step(StepType::Scoping, true, "assigned to the application");
        let name = self
            .profile
            .group_display_name(&format!("{}{}", self.prefix, group.display_name));
        let target_id = match link {
            Some(mut link) => {
                let reads = self.profile.reads_linked_group();
                let have = if reads {
                    let req = self.profile.read_group(&link.target_id);
                    let current = match self.send(&req, &mut pass.report).await {
                        Sent::Answer(r) if r.status == 200 => r.body.unwrap_or_default(),
                        Sent::Answer(r) if r.status == 404 => {
                            pass.push(rec.failed(
                                "InvalidAnchor",
                                format!(
                                    "GET {} answered 404: the linked target group is gone",
                                    req.path
                                ),
                            ));
                            return;
                        }
                        outcome => {
                            return self.fail_group_in_pass(rec, group_ref, outcome, pass);
                        }
                    };
                    current
                        .get("displayName")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                } else {
                    link.group_name.clone()
                };
                let members: Vec<String> = link.members.union(&link.kept).cloned().collect();
                let rename = (have.as_deref() != Some(name.as_str()))
                    .then(|| self.profile.rename_group(&link.target_id, &name, &members))
                    .flatten();
                if let Some(req) = rename {
                    rec.provisioning_action = Action::Update;
                    match self.send(&req, &mut pass.report).await {
                        Sent::Answer(r) if r.is_success() => {
                            rec.step(
                                StepType::Export,
                                true,
                                format!("{} answered {}", req.verb.as_str(), r.status),
                            );
                            rec.modified_properties.push(ModifiedProperty {
                                name: "displayName".into(),
                                old: have.map(Value::String),
                                new: Some(Value::String(name.clone())),
                            });
                            if !reads {
                                // The IdP's record now holds the name it sent.
                                link.group_name = Some(name.clone());
                                pass.link(group.object_id, link.clone(), false);
                            }
                        }
                        outcome => {
                            return self.fail_group_in_pass(rec, group_ref, outcome, pass);
                        }
                    }
                }
                link.target_id
            }
            None => {
                let external_id = format!("{}{}", self.prefix, group.object_id);
                let found = match self
                    .lookup_group(&name, &external_id, &mut rec, &mut pass.report)
                    .await
                {
                    Ok(found) => found,
                    Err(Some(outcome)) => {
                        return self.fail_group_in_pass(rec, group_ref, outcome, pass);
                    }
                    Err(None) => return pass.push(rec),
                };
                let by = found.by;
                match found.ids.as_slice() {
                    [] => {
                        rec.step(StepType::Matching, true, "no matching group on the target");
                        rec.provisioning_action = Action::Create;
                        // PingFederate posts the group with its members (PF-12): those
                        // already provisioned; the membership phase writes any others.
                        let members: Vec<String> =
                            self.linked_members(tenant, group_ref).into_iter().collect();
                        let (req, posted) = match self.profile.create_group_with_members(
                            &name,
                            &external_id,
                            &members,
                        ) {
                            Some(req) => (req, members),
                            None => (self.profile.create_group(&name, &external_id), vec![]),
                        };
                        let pending = self.sending_create("Groups", &req, Some(&name));
                        let created = match self.send(&req, &mut pass.report).await {
                            Sent::Answer(r) if r.status == 201 || r.status == 200 => r,
                            Sent::Answer(r) if r.status == 404 => {
                                pass.push(rec.failed(INCOMPATIBLE, collection_404(&req)));
                                return;
                            }
                            outcome => {
                                return self.fail_group_in_pass(rec, group_ref, outcome, pass)
                            }
                        };
                        let id = match created_id(&req, &created) {
                            Ok(id) => id,
                            Err(finding) => {
                                pass.push(rec.failed(INCOMPATIBLE, finding));
                                return;
                            }
                        };
                        self.created_resolves(pending, &id);
                        rec.step(
                            StepType::Export,
                            true,
                            format!("POST answered {}", created.status),
                        );
                        rec.modified_properties.push(ModifiedProperty {
                            name: "displayName".into(),
                            old: None,
                            new: Some(Value::String(name.clone())),
                        });
                        let mut link = Link::new(&id, group_ref);
                        link.group_name = Some(name.clone());
                        if !posted.is_empty() {
                            rec.modified_properties.push(ModifiedProperty {
                                name: "members".into(),
                                old: None,
                                new: Some(serde_json::json!(posted)),
                            });
                        }
                        link.members = posted.into_iter().collect();
                        pass.link(group.object_id, link, false);
                        id
                    }
                    [id] => {
                        if let Some(other) = self.linked_elsewhere(Kind::Group, id, group.object_id)
                        {
                            // Two source groups with one displayName: the second cannot match.
                            pass.push(rec.failed(
                                TARGET_ALREADY_LINKED,
                                format!("target group {id} (displayName {name:?}) already belongs to source group `{other}`"),
                            ));
                            return;
                        }
                        let mut link = Link::new(id, group_ref);
                        // Matched by this name (or by externalId: then the next pass renames).
                        link.group_name =
                            by.eq_ignore_ascii_case("displayName").then(|| name.clone());
                        match self.profile.existing_group() {
                            ExistingGroup::Adopt => {}
                            ExistingGroup::Fail => {
                                pass.push(rec.failed(
                                    "EntryConflict",
                                    format!("a group named {name:?} already exists on the target; {} cannot push it without group linking", self.profile.name()),
                                ));
                                return;
                            }
                            policy @ (ExistingGroup::Merge | ExistingGroup::Overwrite) => {
                                let req = self.profile.read_group(id);
                                let existing = match self.send(&req, &mut pass.report).await {
                                    Sent::Answer(r) if r.status == 200 => {
                                        member_values(r.body.as_deref())
                                    }
                                    outcome => {
                                        return self
                                            .fail_group_in_pass(rec, group_ref, outcome, pass);
                                    }
                                };
                                // Merge keeps the target's members; overwrite treats them as
                                // the IdP's own, so the next delta removes them.
                                if policy == ExistingGroup::Merge {
                                    link.kept = existing;
                                } else {
                                    link.members = existing;
                                }
                            }
                        }
                        rec.step(
                            StepType::Matching,
                            true,
                            format!("matched target group {id} by {by}"),
                        );
                        pass.link(group.object_id, link, true);
                        id.clone()
                    }
                    many => {
                        pass.push(rec.failed(
                            "DuplicateTargetEntries",
                            format!("{} target groups match {by}", many.len()),
                        ));
                        return;
                    }
                }
            }
        };
        rec.target_identity = Some(target_id);
        pass.unescrow(group_ref);
        pass.hand_on(group_ref, rec);
    }

    /// Target id → the member's userName, for IdPs that send `display` with members (Okta).
    fn member_display(
        &self,
        tenant: &Tenant,
        members: &[String],
    ) -> std::collections::BTreeMap<String, String> {
        members
            .iter()
            .filter_map(|m| tenant.user(m))
            .filter_map(|u| {
                let id = self.links.get(&u.object_id)?.target_id.clone();
                Some((id, self.profile.user_name(u, &self.prefix)?))
            })
            .collect()
    }

    /// Membership deltas for a linked group (§1.7): only direct members, only users this job
    /// provisioned; adds batched, removes in the profile's dialect.
    /// The target ids of a group's members that are provisioned users (nested groups and
    /// users not linked yet are left out; `write_memberships` logs why).
    fn linked_members(&self, tenant: &Tenant, group_ref: &str) -> BTreeSet<String> {
        let Some(group) = tenant.group(group_ref) else {
            return BTreeSet::new();
        };
        group
            .members
            .iter()
            .filter(|m| tenant.group(m).is_none())
            .filter_map(|m| tenant.user(m))
            .filter_map(|u| self.links.get(&u.object_id))
            .map(|l| l.target_id.clone())
            .collect()
    }

    pub(super) async fn write_memberships(
        &mut self,
        tenant: &Tenant,
        group_ref: &str,
        mut rec: LogRecord,
        report: &mut CycleReport,
    ) {
        let Some(group) = tenant.group(group_ref) else {
            return report.records.push(rec);
        };
        let Some(link) = self.links.get(&group.object_id).cloned() else {
            return report.records.push(rec);
        };
        let mut desired = BTreeSet::new();
        for member in &group.members {
            if tenant.group(member).is_some() {
                rec.step(
                    StepType::ReferenceResolution,
                    false,
                    format!("member `{member}` is a group: nested groups are not provisioned"),
                );
                continue;
            }
            let linked = tenant
                .user(member)
                .and_then(|u| self.links.get(&u.object_id))
                .map(|l| l.target_id.clone());
            match linked {
                // Okta does not push inactive users (O-25), and Entra writes no member out of
                // scope (E-56): one no longer entitled is not added; one already pushed is
                // left as it is, neither added nor removed (E-43; for Okta [I]).
                Some(id)
                    if !self.profile.pushes_inactive_members()
                        && tenant.entitlement(member).is_err() =>
                {
                    if link.members.contains(&id) {
                        desired.insert(id);
                    } else {
                        rec.step(
                            StepType::ReferenceResolution,
                            false,
                            format!(
                                "member `{member}` is inactive: {} does not push it",
                                self.profile.name()
                            ),
                        );
                    }
                }
                Some(id) => {
                    desired.insert(id);
                }
                None => {
                    rec.step(
                        StepType::ReferenceResolution,
                        false,
                        format!("member `{member}` is not provisioned yet; it is skipped"),
                    );
                    // An entitled member whose export failed is retried with the group; an
                    // out-of-scope one waits for a restart (§1.7, §1.8). An IdP that leaves
                    // failures to the admin (Okta) retries neither. In preview mode (CA-10) the
                    // member's create was withheld, not failed: nothing to retry.
                    let escrows = matches!(
                        self.profile.transient_retry().pushes,
                        crate::profile::PushRetry::Escrow(_)
                    ) && self.job.commits_writes;
                    if escrows && tenant.entitlement(member).is_ok() {
                        self.escrow.insert(group_ref, report.cycle_id);
                    }
                }
            }
        }
        desired.extend(link.kept.iter().cloned());
        let add: Vec<String> = desired.difference(&link.members).cloned().collect();
        let remove: Vec<String> = link.members.difference(&desired).cloned().collect();
        let mut written = link.members.clone();
        if !add.is_empty() || !remove.is_empty() {
            let change = MembershipChange {
                group_id: link.target_id.clone(),
                display_name: self
                    .profile
                    .group_display_name(&format!("{}{}", self.prefix, group.display_name)),
                add: add.clone(),
                remove: remove.clone(),
                all: desired.iter().cloned().collect(),
                display: match self.profile.sends_member_display() {
                    true => self.member_display(tenant, &group.members),
                    false => Default::default(),
                },
            };
            let requests = self.profile.membership(&change);
            let parallelism = self.profile.worker_threads();
            let mut withheld = Vec::new();
            for outcome in self.send_all(&requests, parallelism, report).await {
                match outcome {
                    Sent::Answer(r) if r.is_success() => {}
                    Sent::Preview(req) => withheld.push(req),
                    outcome => return self.fail_group(rec, group_ref, outcome, report),
                }
            }
            if !withheld.is_empty() {
                // Preview mode (CA-10): every membership request is named, none was sent.
                rec.provisioning_action = Action::Update;
                return report.records.push(previewed(rec, withheld));
            }
            rec.step(
                StepType::Export,
                true,
                format!(
                    "membership: {} added, {} removed in {} requests",
                    add.len(),
                    remove.len(),
                    requests.len()
                ),
            );
            written = desired.clone();
        }
        if !add.is_empty() || !remove.is_empty() {
            if rec.provisioning_action == Action::Other {
                rec.provisioning_action = Action::Update;
            }
            rec.modified_properties.push(ModifiedProperty {
                name: "members".into(),
                old: Some(serde_json::json!(link.members.iter().collect::<Vec<_>>())),
                new: Some(serde_json::json!(written.iter().collect::<Vec<_>>())),
            });
        } else if rec.provisioning_action == Action::Other {
            rec = rec.skipped(
                "RedundantExport",
                "the target group already matches the source",
            );
        }
        self.links.set_members(&group.object_id, written);
        report.records.push(rec);
    }
}

/// The member ids of a group resource.
fn member_values(body: Option<&Value>) -> BTreeSet<String> {
    body.and_then(|b| b.get("members"))
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
