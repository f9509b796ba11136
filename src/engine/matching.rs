//! Matching (idp-behavior.md E-10, E-11, E-47): an unlinked object is looked up on the
//! target with the profile's lookups, highest precedence first, until one finds something;
//! what a lookup finds is adopted only when it carries the matched value (`scim::MatchKey`).
//! A server that ignores the filter is never written to.

use serde_json::Value;

use super::log::{LogRecord, StepType};
use super::{CycleReport, Engine, Sent, INCOMPATIBLE};
use crate::profile::{list_resources, DesiredUser, GroupLookup, Lookup, ScimRequest};
use crate::scim::{server_id, MatchKey, Page, Pages};

/// What matching found: the ids the first lookup that found anything answered, each proven
/// to carry its key, and the attribute it matched on. No ids: no lookup found anything.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub ids: Vec<String>,
    pub by: String,
}

/// How matching an unlinked user ended, when it found no answer to act on.
pub(super) enum Unmatched {
    /// A failure or skip already recorded on the log record.
    Recorded,
    /// An answer (or none) the engine fails the user with as the profile's IdP does.
    Failed(Box<Sent>),
}

impl Engine<'_> {
    /// A filter query answered 404: for Entra a SCIM-compliance failure of the whole
    /// endpoint that quarantines the job at once instead of escrowing the object (E-65,
    /// `ms-quarantine`: "404 returned rather than 200"); IdPs without the setting only fail
    /// the object.
    fn filter_404(&self, req: &ScimRequest) {
        if self.job.filter_404_quarantines {
            self.fail_globally(format!("SCIM compliance issue: {}", collection_404(req)));
        }
    }

    /// Finds an unlinked user with the profile's lookups, in precedence order, stopping at
    /// the first that finds something (E-10). A 404 on a lookup is a compliance failure, not
    /// "no such user" (E-69); a user with no value for any matching attribute is skipped as
    /// `ImportSkipped` ("the source lacks the matching attribute", ms-logs-howto).
    pub(super) async fn match_user(
        &self,
        desired: &DesiredUser,
        rec: &mut LogRecord,
        report: &mut CycleReport,
    ) -> Result<Found, Unmatched> {
        let lookups = self.profile.user_lookups(desired);
        if lookups.is_empty() {
            rec.mark_skipped(
                "ImportSkipped",
                "the user has no value for any matching attribute, so it cannot be matched",
            );
            return Err(Unmatched::Recorded);
        }
        for Lookup { request: req, key } in lookups {
            let (status, hits) = match self.send(&req, report).await {
                Sent::Answer(r) => match self.profile.match_hits(r.status, r.body.as_deref()) {
                    Some(hits) => (r.status, hits),
                    None if r.status == 404 => {
                        rec.mark_failed(INCOMPATIBLE, collection_404(&req));
                        self.filter_404(&req);
                        return Err(Unmatched::Recorded);
                    }
                    None => return Err(Unmatched::Failed(Box::new(Sent::Answer(r)))),
                },
                outcome => return Err(Unmatched::Failed(Box::new(outcome))),
            };
            let ids = owned_ids(&req, status, &key, &hits).map_err(|finding| {
                rec.step(StepType::Matching, false, finding.clone());
                rec.mark_failed(INCOMPATIBLE, finding);
                Unmatched::Recorded
            })?;
            if !ids.is_empty() {
                return Ok(Found {
                    ids,
                    by: key.attribute.unwrap_or_else(|| "the filter".into()),
                });
            }
        }
        Ok(Found {
            ids: vec![],
            by: String::new(),
        })
    }

    /// Finds an unlinked group: the profile's filter queries in precedence order until one
    /// finds something (E-47), or (PingFederate) every group listed page by page and matched
    /// locally by name. `Err(None)`: a failure already recorded on `rec`; `Err(Some(_))`: an
    /// answer to fail with.
    pub(super) async fn lookup_group(
        &self,
        name: &str,
        external_id: &str,
        rec: &mut LogRecord,
        report: &mut CycleReport,
    ) -> Result<Found, Option<Sent>> {
        let key = MatchKey::display_name(name);
        if self.profile.group_lookup() == GroupLookup::ListAll {
            // PingFederate lists every group and compares displayName itself (§3).
            let mut found = Vec::new();
            let mut pages = Pages::new();
            let mut start = 1;
            loop {
                let req = ScimRequest::get(format!("/Groups?startIndex={start}&count=100"));
                let page = match self.send(&req, report).await {
                    Sent::Answer(r) if r.status == 200 => r.body.unwrap_or_default(),
                    outcome => return Err(Some(outcome)),
                };
                let (items, next) = match pages.take(&req.path, start, &page) {
                    Ok(taken) => taken,
                    Err(finding) => {
                        rec.mark_failed(INCOMPATIBLE, finding);
                        return Err(None);
                    }
                };
                let mine: Vec<Value> = items.into_iter().filter(|g| key.held_by(g)).collect();
                match owned_ids(&req, 200, &key, &mine) {
                    Ok(ids) => found.extend(ids),
                    Err(finding) => {
                        rec.mark_failed(INCOMPATIBLE, finding);
                        return Err(None);
                    }
                }
                match next {
                    Page::Next(s) => start = s,
                    Page::Done => break,
                }
            }
            return Ok(Found {
                ids: found,
                by: "displayName".into(),
            });
        }
        for Lookup { request: req, key } in self.profile.group_lookups(name, external_id) {
            let answer = match self.send(&req, report).await {
                Sent::Answer(r) if r.status == 200 => r,
                Sent::Answer(r) if r.status == 404 => {
                    rec.mark_failed(INCOMPATIBLE, collection_404(&req));
                    self.filter_404(&req);
                    return Err(None);
                }
                outcome => return Err(Some(outcome)),
            };
            let hits = list_resources(answer.body.as_deref());
            let with_members = hits.iter().any(|g| g.get("members").is_some());
            if with_members && req.path.contains("excludedAttributes=members") {
                // The query excluded members; a server that sends them anyway fails (§1.7).
                rec.mark_failed(
                    "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse",
                    format!(
                        "GET {} returned members despite excludedAttributes=members",
                        req.path
                    ),
                );
                return Err(None);
            }
            let ids = owned_ids(&req, answer.status, &key, &hits).map_err(|finding| {
                rec.mark_failed(INCOMPATIBLE, finding);
                None
            })?;
            if !ids.is_empty() {
                return Ok(Found {
                    ids,
                    by: key.attribute.unwrap_or_else(|| "the filter".into()),
                });
            }
        }
        Ok(Found {
            ids: vec![],
            by: String::new(),
        })
    }
}

/// Why a 404 to a filter query or a POST fails the object: the collection itself is not
/// where it should be, a SCIM compliance failure (E-8, E-65), not a lost anchor (`InvalidAnchor` is for a
/// linked id, E-9).
pub(super) fn collection_404(req: &ScimRequest) -> String {
    format!(
        "{} {} answered 404: a filter query or a create must reach the collection; Entra treats this as a SCIM compliance failure, not as a missing object",
        req.verb.as_str(),
        req.path
    )
}

/// The ids of the resources a lookup answered, each proven to carry `key`. One resource
/// that does not carry it, or cannot be addressed, fails the whole answer: the server
/// ignored or misread the filter, so none of what it returned is adopted or written to.
pub(super) fn owned_ids(
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
}
