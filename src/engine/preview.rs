//! Preview mode (idp-behavior.md CA-10, CyberArk's "Preview mode"): a job that computes every
//! change and commits none. Reads are sent, so matching and diffs see the real target; each
//! write is withheld and its object's log record says what would have been sent. Nothing here
//! decides what a write looks like: the profile does, as in a committing job.

use super::log::{LogRecord, PreviewedRequest};
use super::{Engine, Pending};
use crate::scim::ScimRequest;

/// The skip reason of a record whose writes preview mode withheld. [I] harness vocabulary:
/// CyberArk documents no log text for its Preview mode.
pub const PREVIEW: &str = "Preview";

impl Engine<'_> {
    /// Whether `req` is held back: a write while the job does not commit writes.
    pub(super) fn withholds(&self, req: &ScimRequest) -> bool {
        !self.job.commits_writes && req.is_write()
    }

    /// Records a create about to be sent, for cleanup; a withheld one creates nothing, so
    /// cleanup must not look for it (it could find an object of the same name it never made).
    pub(super) fn sending_create(
        &self,
        endpoint: &'static str,
        req: &ScimRequest,
        name: Option<&str>,
    ) -> Option<Pending> {
        (!self.withholds(req)).then(|| self.created.sending_to(endpoint, &req.path, name))
    }

    pub(super) fn created_resolves(&self, pending: Option<Pending>, id: &str) {
        if let Some(pending) = pending {
            self.created.resolve(pending, id);
        }
    }
}

/// The record of an object whose processing stopped at writes preview mode withheld: skipped,
/// the action it would have taken kept, and the requests it would have sent.
/// [I] The object is neither escrowed nor linked by the withheld write: nothing was written,
/// so the next job computes the same change again.
pub(super) fn previewed(mut rec: LogRecord, requests: Vec<ScimRequest>) -> LogRecord {
    let sent: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.verb.as_str(), r.path))
        .collect();
    rec.mark_skipped(
        PREVIEW,
        format!(
            "preview mode: would have sent {}; nothing was written",
            sent.join(", ")
        ),
    );
    rec.preview
        .extend(requests.into_iter().map(|r| PreviewedRequest {
            method: r.verb.as_str(),
            path: r.path,
            body: r.body.map(std::sync::Arc::unwrap_or_clone),
        }));
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Status;
    use crate::scim::request::Verb;
    use serde_json::json;

    #[test]
    fn a_previewed_record_is_skipped_and_carries_the_request() {
        let req = ScimRequest::with_body(Verb::Post, "/Users", json!({"userName": "ada"}));
        let rec = previewed(LogRecord::new(1, "ada", "oid".into()), vec![req]);
        assert_eq!(rec.status, Status::Skipped);
        assert_eq!(rec.skip_reason.as_deref(), Some(PREVIEW));
        assert!(rec
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("would have sent POST /Users")));
        let v = serde_json::to_value(&rec).unwrap_or_default();
        assert_eq!(v["preview"][0]["method"], "POST");
        assert_eq!(v["preview"][0]["body"]["userName"], "ada");
        let plain = serde_json::to_value(LogRecord::new(1, "bo", "oid".into())).unwrap_or_default();
        assert!(plain.get("preview").is_none(), "absent unless previewed");
    }
}
