//! The checks a scenario runs: `expect` steps (objects, provisioning log, request counts,
//! job state) after escrow settles, and snapshots of the run's own directory. They read the
//! target; they never write to it. Where an object is looked for: `names`.

use super::*;

impl<'a> Run<'a> {
    pub(super) async fn expect(&mut self, exp: &Expectation) -> Result<(), Stop> {
        self.checked = true;
        // Checks of the run itself (log, requests, job) may look at a persisting failure;
        // checks of the target state wait for escrow to settle.
        self.settle_with(matches!(
            exp,
            Expectation::Object(_) | Expectation::Users(_)
        ))
        .await?;
        match exp {
            Expectation::Object(o) => {
                let w = self.whereabouts(&o.object, o.is_group);
                let mut refs = self.engine.refs_by_target_id();
                refs.extend(
                    self.target_refs
                        .iter()
                        .map(|(r, id)| (id.clone(), r.clone())),
                );
                let member_ref = |id: &str| refs.get(id).cloned();
                let result =
                    check::object(self.client, o, w, &self.settings.prefix, &member_ref).await;
                self.client.take_exchanges();
                result.map_err(|m| self.mismatch(m, Code::State))
            }
            Expectation::Log(l) => {
                let from = self.recent_from;
                self.log
                    .with_entries(|log| check::log(&log[from.min(log.len())..], l))
                    .map_err(|m| self.mismatch(m, Code::Log))?;
                // An expected failure is acknowledged: it no longer fails the scenario, and
                // its retries in later cycles are expected too.
                if l.status == Some(Status::Failure) || l.error_code.is_some() {
                    self.unacknowledged.retain(|r| *r.object != *l.object);
                    self.acknowledged.insert(l.object.clone());
                }
                Ok(())
            }
            Expectation::Job(j) => {
                let q = self.engine.quarantine();
                let mut problems = Vec::new();
                if let Some(want) = j.quarantined {
                    if want != q.is_some() {
                        problems.push(match q {
                            Some(q) => {
                                format!("the job is quarantined ({}: {})", q.reason, q.detail)
                            }
                            None => "the job is not quarantined".to_string(),
                        });
                    }
                }
                if let Some(reason) = &j.reason {
                    if q.map(|q| q.reason) != Some(reason.as_str()) {
                        problems.push(format!(
                            "quarantine reason is {}, expected {reason}",
                            q.map_or("none", |q| q.reason)
                        ));
                    }
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    let mut f = self.failure(problems.join("; "));
                    f.code = Some(Code::Quarantine);
                    Err(Stop::Failed(f))
                }
            }
            Expectation::Users(u) => {
                let all = check::list_all(self.client, "Users")
                    .await
                    .map_err(|m| self.mismatch(m, Code::Paging))?;
                self.client.take_exchanges();
                let located: Vec<(String, Whereabouts)> = u
                    .users
                    .iter()
                    .map(|r| (r.clone(), self.whereabouts(r, false)))
                    .collect();
                let mut refs = self.engine.refs_by_target_id();
                refs.extend(
                    self.target_refs
                        .iter()
                        .map(|(r, id)| (id.clone(), r.clone())),
                );
                let member_ref = |id: &str| refs.get(id).cloned();
                check::users::check(&all, u, &located, &self.settings.prefix, &member_ref)
                    .map_err(|m| self.mismatch(m, Code::State))
            }
            Expectation::Requests(r) => {
                check::requests(&self.last_cycle, r).map_err(|m| self.mismatch(m, Code::Requests))
            }
        }
    }

    /// The run's own users and groups as the target holds them, redacted for stability. The
    /// whole user list is read (following pagination), so a duplicate the run created shows
    /// up as an `unlinked:` entry even though no ref points at it; groups likewise, read only
    /// when the scenario has any.
    pub(super) async fn snapshot_content(&mut self) -> Result<serde_json::Value, Stop> {
        let all = check::list_all(self.client, "Users")
            .await
            .map_err(|m| self.mismatch(m, Code::Paging))?;
        self.client.take_exchanges();
        let mut refs: BTreeSet<String> = self.tenant.users().map(|(r, _)| r.clone()).collect();
        refs.extend(self.last_user_name.keys().cloned());
        refs.extend(self.target_refs.keys().cloned());
        let mut owned = Vec::new();
        for r in refs {
            let id = match self.whereabouts(&r, false) {
                Whereabouts::DisplayName(_) => None,
                Whereabouts::Id(id) => Some(id),
                Whereabouts::UserName(name) => {
                    let key = MatchKey::user_name(&name);
                    all.iter()
                        .filter(|u| key.held_by(u))
                        .find_map(|u| server_id(u).ok())
                        .map(str::to_string)
                }
                Whereabouts::Unknown => None,
            };
            let object_id = self.tenant.user(&r).map(|u| u.object_id);
            owned.push(snapshot::Owned { r, id, object_id });
        }
        let (groups, owned_groups) = self.snapshot_groups().await?;
        let view = if self.settings.full_snapshots {
            snapshot::View::Full
        } else {
            snapshot::View::Managed(self.engine.profile.managed_paths())
        };
        let prefix = &self.settings.prefix;
        let redaction = snapshot::Redaction::new(&owned, &owned_groups, prefix);
        Ok(snapshot::directory_state(
            snapshot::users_state(&all, &owned, &redaction, prefix, &view),
            snapshot::groups_state(&groups, &owned_groups, &redaction, prefix, &view),
        ))
    }

    /// The groups of the run: the whole group listing (for duplicates and lookups by name),
    /// with each owned group read by id, since servers may leave `members` out of listings.
    async fn snapshot_groups(
        &mut self,
    ) -> Result<(Vec<serde_json::Value>, Vec<snapshot::Owned>), Stop> {
        let mut refs: BTreeSet<String> = self.tenant.groups().map(|(r, _)| r.clone()).collect();
        refs.extend(self.last_group_name.keys().cloned());
        refs.extend(self.target_group_refs.keys().cloned());
        if refs.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut all = check::list_all(self.client, "Groups")
            .await
            .map_err(|m| self.mismatch(m, Code::Paging))?;
        let mut owned = Vec::new();
        for r in refs {
            let id = match self.whereabouts(&r, true) {
                Whereabouts::Id(id) => Some(id),
                Whereabouts::DisplayName(name) => {
                    let key = MatchKey::display_name(&name);
                    all.iter()
                        .filter(|g| key.held_by(g))
                        .find_map(|g| server_id(g).ok())
                        .map(str::to_string)
                }
                Whereabouts::UserName(_) | Whereabouts::Unknown => None,
            };
            let id = match id {
                Some(id) => check::read(self.client, "Groups", &id)
                    .await
                    .map_err(|m| self.mismatch(m, Code::State))?
                    .map(|group| {
                        all.retain(|g| server_id(g) != Ok(id.as_str()));
                        all.push(group);
                        id
                    }),
                None => None,
            };
            let object_id = self.tenant.group(&r).map(|g| g.object_id);
            owned.push(snapshot::Owned { r, id, object_id });
        }
        self.client.take_exchanges();
        Ok((all, owned))
    }

    pub(super) async fn snapshot(&mut self, name: &str) -> Result<(), Stop> {
        self.checked = true;
        self.settle().await?;
        let state = self.snapshot_content().await?;
        // `--full` snapshots are a different view of the same state: a file of their own.
        let profile = match self.settings.full_snapshots {
            true => format!("{}.full", self.engine.profile.name()),
            false => self.engine.profile.name().to_string(),
        };
        let path = snapshot::file_name(
            &self.settings.snapshot_dir,
            &self.scenario.name,
            name,
            &profile,
        );
        let source = self.scenario.file.display().to_string();
        let expression = format!("snapshot {name} ({profile})");
        let mode = self.settings.snapshot_mode;
        // A directory-sized snapshot is a summary; its users are kept line by line beside it.
        let summary = snapshot::summarize(&state);
        let text = match &summary {
            Some(summary) => summary.text.clone(),
            None => serde_json::to_string_pretty(&state).unwrap_or_default(),
        };
        self.directories.push(TakenSnapshot {
            name: name.to_string(),
            text: text.clone(),
        });
        if mode == snapshot::Mode::Collect {
            return Ok(());
        }
        let compared = match summary {
            Some(summary) => snapshot::compare_summary(&path, &source, &expression, &summary, mode),
            None => snapshot::compare(&path, &source, &expression, &text, mode),
        };
        match compared {
            Ok(snapshot::Outcome::Matched) => Ok(()),
            Ok(snapshot::Outcome::Written(p)) => {
                self.warnings
                    .push(format!("snapshot {} written", p.display()));
                Ok(())
            }
            Ok(snapshot::Outcome::Mismatch {
                expected,
                actual,
                pending,
            }) => {
                let mut f = self.failure(match (&expected, &pending) {
                    (None, Some(p)) => format!("snapshot {} does not exist yet; new version in {} (review it with `scim-harness review`, or run again with --accept)", path.display(), p.display()),
                    (None, None) => format!("snapshot {} does not exist (nothing written: CI is set, a dry run, or no snapshot directory — give --snapshots DIR or a scim-harness.toml)", path.display()),
                    (Some(_), Some(p)) => format!("snapshot {} differs; new version in {} (`scim-harness review`)", path.display(), p.display()),
                    (Some(_), None) => format!("snapshot {} differs", path.display()),
                });
                f.expected = Some(expected.unwrap_or_default());
                f.actual = Some(actual);
                f.code = Some(Code::Snapshot);
                Err(Stop::Failed(f))
            }
            Err(e) => Err(Stop::Failed(self.failure(format!(
                "failed to access snapshot {}: {e}",
                path.display()
            )))),
        }
    }
}
