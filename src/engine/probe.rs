//! The connection probe (§1.2): what it sends, what the profile accepts, how a transient
//! fault on it is ridden out, and what a failing probe says — the status, or which
//! ListResponse fields are wrong — with the consequence the profile's IdP draws.

use std::time::Instant;

use serde_json::Value;

use super::log::{is_transient, is_transient_error};
use super::{backoff, short, wait_before_retry, CycleReport, Engine, Sent};
use crate::client::{ClientError, Response};
use crate::scim::ScimRequest;

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
            // A 404 on a follow-up (Okta's group listing, O-2; Entra's group probe, E-7;
            // CyberArk's discovery reads, CA-2) is the server's, not the URL's: every probe
            // starts on `/Users`.
            CycleError::Probe { status, path, .. } => *status == 404 && path.starts_with("/Users"),
            CycleError::Unreachable(e) => matches!(
                e,
                ClientError::Connect { .. }
                    | ClientError::Tls { .. }
                    | ClientError::Timeout { .. }
                    | ClientError::Redirected { .. }
                    | ClientError::TokenEndpoint { .. }
            ),
        }
    }
}

impl Engine<'_> {
    /// The admin's Test Connection: the connection probe (`probe_target`), then the
    /// profile's follow-up requests (Okta lists groups, O-2; Entra reads a random group,
    /// E-7), each judged like the probe and sent only if the one before it passed.
    pub async fn test_connection(&self, report: &mut CycleReport) -> Result<(), CycleError> {
        self.probe_target(report).await?;
        for req in self.profile.test_connection_followups() {
            self.probe(req, report).await?;
        }
        Ok(())
    }

    /// The connection probe (§1.2) that also opens each cycle and provision-on-demand run:
    /// what the profile accepts (Entra: 200 with an empty ListResponse), or the cycle
    /// fails. A transient fault (5xx, 429, reset, timeout) is tried again, waiting in
    /// between, up to the profile's `probe_attempts`; a probe that then succeeds leaves a
    /// warning in the report. Counted as one request.
    pub(super) async fn probe_target(&self, report: &mut CycleReport) -> Result<(), CycleError> {
        self.probe(self.profile.test_connection(), report).await
    }

    /// One probe request: sent, retried on transient faults, judged by `probe_ok`.
    async fn probe(&self, req: ScimRequest, report: &mut CycleReport) -> Result<(), CycleError> {
        let retry = self.profile.transient_retry();
        let started = Instant::now();
        let mut faults: Vec<String> = Vec::new();
        // Counted once however often it is tried, and only if one try reached the target.
        let mut reached = false;
        let outcome = loop {
            let outcome = self.exchange_once(&req).await;
            reached |= outcome.reached_target();
            let fault = match &outcome {
                Sent::Answer(r) if is_transient(r.status) => Some(format!(
                    "answered {}{}",
                    r.status,
                    detail_of(r).map(|d| format!(" ({d})")).unwrap_or_default()
                )),
                Sent::Transport(e) | Sent::Unsent(e) if is_transient_error(e) => {
                    Some(format!("failed: {e}"))
                }
                _ => None,
            };
            let attempt = faults.len() as u32 + 1;
            match fault {
                Some(fault) if attempt < retry.probe_attempts => {
                    let wait = match &outcome {
                        Sent::Answer(r) => wait_before_retry(r.retry_after, attempt),
                        Sent::Transport(_) | Sent::Unsent(_) | Sent::Preview(_) => backoff(attempt),
                    };
                    faults.push(fault);
                    tokio::time::sleep(wait).await;
                }
                _ => break outcome,
            }
        };
        if reached {
            self.count_reached(&req, report);
        }
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
            Sent::Transport(e) | Sent::Unsent(e) => return Err(CycleError::Unreachable(e)),
            Sent::Answer(r) => r,
            // A probe is a read and goes through `exchange_once`: preview never holds it.
            Sent::Preview(_) => return Ok(()),
        };
        if r.status == 401 || r.status == 403 {
            return Err(CycleError::Credentials {
                status: r.status,
                path: req.path.clone(),
                consequence: retry.probe_failure,
            });
        }
        if self.profile.probe_ok(r.status, r.body.as_deref()) {
            return Ok(());
        }
        let mut problem = probe_problem(&r, &req.path);
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
}

/// The `detail` of a SCIM error answer, or the start of its body.
fn detail_of(r: &Response) -> Option<String> {
    let detail = r
        .body
        .as_ref()
        .and_then(|b| b.get("detail"))
        .and_then(Value::as_str)
        .map(|d| format!("detail {:?}", short(d)));
    let text = r.text();
    detail.or_else(|| (!text.trim().is_empty()).then(|| short(text.trim())))
}

/// What is wrong with a probe answer, for a reader who fixes the server: the status, or
/// which ListResponse fields (RFC 7644 §3.4.2) are missing or ill-typed.
fn probe_problem(r: &Response, path: &str) -> String {
    if r.status != 200 {
        let detail = detail_of(r).map(|d| format!(" ({d})")).unwrap_or_default();
        let hint = match r.status {
            // A follow-up group read (Okta O-2, Entra E-7) came after a user probe that passed.
            404 if path.starts_with("/Groups") => ": the server has no SCIM Groups endpoint",
            // CyberArk's discovery reads after Verify (CA-2).
            404 if !path.starts_with("/Users") => {
                ": the server does not serve this discovery endpoint (RFC 7644 §4)"
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn probe_answers_name_what_is_wrong() {
        let answer = |status: u16, body: Value| Response {
            status,
            text: body.to_string(),
            body: Some(body.into()),
            retry_after: None,
            content_type: None,
            location: None,
            etag: None,
            www_authenticate: None,
        };
        let list = json!({"schemas": [crate::scim::urn::LIST_RESPONSE], "totalResults": "0",
            "startIndex": 1, "Resources": {}});
        let text = probe_problem(&answer(200, list), "/Users");
        assert_eq!(
            text,
            "answered 200 with a malformed ListResponse: `totalResults` is \"0\" (a string), not an integer; `itemsPerPage` is missing (an integer is required); `Resources` is an object, not an array"
        );
        let text = probe_problem(&answer(404, json!({"detail": "no such path"})), "/Users");
        assert!(
            text.starts_with("answered HTTP 404 (detail \"no such path\") instead of 200"),
            "{text}"
        );
        let full = json!({"schemas": [crate::scim::urn::LIST_RESPONSE], "totalResults": 2,
            "itemsPerPage": 2, "startIndex": 1, "Resources": [{}, {}]});
        assert!(probe_problem(&answer(200, full), "/Users")
            .contains("instead of 200 with an empty ListResponse"));
    }
}
