//! The provisioning log, shaped like Entra's `provisioningObjectSummary` (idp-behavior.md
//! §1.10): one record per object per cycle, with the action taken, its status, a skip reason
//! or error code, the steps walked and the properties changed.

use serde::{Deserialize, Deserializer, Serialize};

use crate::profile::ModifiedProperty;
use crate::scenario::model::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Create,
    Update,
    Delete,
    Disable,
    StagedDelete,
    Other,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Disable => "disable",
            Action::StagedDelete => "stagedDelete",
            Action::Other => "other",
        }
    }
}

pub fn status_str(s: Status) -> &'static str {
    match s {
        Status::Success => "success",
        Status::Warning => "warning",
        Status::Failure => "failure",
        Status::Skipped => "skipped",
    }
}

/// One of a few fixed words. An alias, because serde's derive sees a written-out `&str` field
/// as borrowed from the input (`'de: 'static`), which no log read back from a file can be;
/// the `de_*` functions below give the same `&'static str` back instead.
pub type Word = &'static str;

/// Entra's provisioning step types (`provisioningStepType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepType {
    Import,
    Scoping,
    Matching,
    Processing,
    ReferenceResolution,
    Export,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisioningStep {
    #[serde(rename = "provisioningStepType")]
    pub kind: StepType,
    #[serde(deserialize_with = "de_step_status")]
    pub status: Word,
    /// Borrowed when it is fixed text (most steps): every pass writes two or three steps.
    pub description: std::borrow::Cow<'static, str>,
}

/// Serialized as the `--log` line reads; read back (`Deserialize`) only from the run's own
/// spilled log (`ProvisioningLog`), so the reading side needs to know no other shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    pub cycle_id: u32,
    /// The scenario's ref for the source object.
    pub object: String,
    pub source_identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_identity: Option<String>,
    pub provisioning_action: Action,
    #[serde(serialize_with = "ser_status", deserialize_with = "de_status")]
    pub status: Status,
    #[serde(rename = "SkipReason", skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub provisioning_steps: Vec<ProvisioningStep>,
    pub modified_properties: Vec<ModifiedProperty>,
    /// In preview mode (CA-10): the writes this object's processing computed and did not
    /// send, as they would have gone out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preview: Vec<PreviewedRequest>,
}

/// A write withheld by preview mode, as it would have been sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewedRequest {
    #[serde(deserialize_with = "de_method")]
    pub method: Word,
    /// Path and query relative to the base URL.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

fn ser_status<S: serde::Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(status_str(*s))
}

/// One of the fixed words a record was written with, back as the same `&'static str`.
fn de_word<'de, D: Deserializer<'de>>(
    de: D,
    words: &[&'static str],
) -> Result<&'static str, D::Error> {
    let text = String::deserialize(de)?;
    words
        .iter()
        .find(|w| **w == text)
        .copied()
        .ok_or_else(|| serde::de::Error::custom(format!("unknown word `{text}`")))
}

fn de_status<'de, D: Deserializer<'de>>(de: D) -> Result<Status, D::Error> {
    let all = [
        Status::Success,
        Status::Warning,
        Status::Failure,
        Status::Skipped,
    ];
    let word = de_word(de, &all.map(status_str))?;
    all.into_iter()
        .find(|s| status_str(*s) == word)
        .ok_or_else(|| serde::de::Error::custom("unknown status"))
}

fn de_step_status<'de, D: Deserializer<'de>>(de: D) -> Result<&'static str, D::Error> {
    de_word(de, &["success", "failure"])
}

fn de_method<'de, D: Deserializer<'de>>(de: D) -> Result<&'static str, D::Error> {
    de_word(de, &["GET", "POST", "PUT", "PATCH", "DELETE"])
}

impl LogRecord {
    /// A source object's id as a record's `sourceIdentity`: written straight into its
    /// string, not through `Display` (~270 instructions for each pass over an object, and
    /// an event-driven IdP passes over each user at every event).
    pub fn source_identity(object_id: uuid::Uuid) -> String {
        object_id
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer())
            .to_string()
    }

    pub fn new(cycle_id: u32, object: &str, source_identity: String) -> Self {
        LogRecord {
            cycle_id,
            object: object.to_string(),
            source_identity,
            target_identity: None,
            provisioning_action: Action::Other,
            status: Status::Success,
            skip_reason: None,
            error_code: None,
            reason: None,
            provisioning_steps: vec![],
            modified_properties: vec![],
            preview: vec![],
        }
    }

    pub fn step(
        &mut self,
        kind: StepType,
        ok: bool,
        description: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.provisioning_steps.push(ProvisioningStep {
            kind,
            status: if ok { "success" } else { "failure" },
            description: description.into(),
        });
    }

    pub fn skipped(mut self, reason: &str, detail: impl Into<String>) -> Self {
        self.mark_skipped(reason, detail);
        self
    }

    pub fn mark_skipped(&mut self, reason: &str, detail: impl Into<String>) {
        self.status = Status::Skipped;
        self.skip_reason = Some(reason.to_string());
        self.reason = Some(detail.into());
    }

    pub fn failed(mut self, code: &str, detail: impl Into<String>) -> Self {
        self.mark_failed(code, detail);
        self
    }

    pub fn mark_failed(&mut self, code: &str, detail: impl Into<String>) {
        self.status = Status::Failure;
        self.error_code = Some(code.to_string());
        self.reason = Some(detail.into());
    }

    /// One line for the console: `alice: update success (2 properties)`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} {}",
            self.object,
            self.provisioning_action.as_str(),
            status_str(self.status)
        );
        if let Some(r) = &self.skip_reason {
            s.push_str(&format!(" ({r})"));
        }
        if let Some(c) = &self.error_code {
            s.push_str(&format!(" ({c})"));
        }
        s
    }
}

/// Maps an HTTP answer to Entra's log error code (§1.10 table). A plain 400 has no entry in
/// that table; it is logged as `BadRequest` so it is never mistaken for a transport fault.
/// `404` is `InvalidAnchor` because only requests to a linked id reach this mapping with it:
/// a 404 to a filter query or a create is a compliance failure, logged before (E-9, E-69).
pub fn error_code_for_status(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "InsufficientRights",
        404 => "InvalidAnchor",
        405 => "MethodNotAllowed",
        409 => "EntryConflict",
        429 => "TooManyRequests",
        501 => "NotImplemented",
        500..=599 => "InternalServerError",
        _ => "UnprocessableEntity",
    }
}

/// Failures Entra escrows and retries in a later cycle rather than reporting as final (§1.8).
pub fn is_transient(status: u16) -> bool {
    status == 429 || (status >= 500 && status != 501)
}

/// The same judgement on a logged error code (transport failures included).
pub fn is_transient_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "TooManyRequests"
                | "InternalServerError"
                | "Timeout"
                | "WebExceptionProtocolError"
                | "EntryConflict"
        )
    )
}

/// Transport failures that a retry may cure: no connection, a reset, no answer in time.
/// A redirect or an oversized answer is how the server is built, not a passing fault.
pub fn is_transient_error(e: &crate::client::ClientError) -> bool {
    use crate::client::ClientError;
    matches!(
        e,
        ClientError::Connect { .. } | ClientError::Http { .. } | ClientError::Timeout { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_identity_is_the_object_ids_hyphenated_lower_case_form() {
        for id in [uuid::Uuid::nil(), uuid::Uuid::max(), uuid::Uuid::new_v4()] {
            assert_eq!(LogRecord::source_identity(id), id.to_string());
        }
        let id = uuid::Uuid::from_u128(0xA1B2C3D4_E5F6_4789_8ABC_DEF012345678);
        assert_eq!(
            LogRecord::source_identity(id),
            "a1b2c3d4-e5f6-4789-8abc-def012345678"
        );
    }
}
