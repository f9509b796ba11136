//! Findings: the unit of a verdict. A finding names one root cause — the exchange whose
//! answer broke what the IdP expects, what the IdP does about it, and the rule it is judged
//! by — under a stable code that `scim-harness explain CODE` expands. Findings are made here,
//! in `check`; reports only render them. Identical causes across scenarios and profiles share
//! a key, so a run reports "the server drops `emails[].type`" once, with every run it broke.

use serde::Serialize;

use crate::client::Exchange;

pub use super::catalog::{explain, Code, CATALOG};

/// How much a finding weighs on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The IdP is lenient here; worth fixing, never fails a run.
    Warning,
    /// Explains a failure that follows from it (a rejected request, a dropped attribute, a
    /// transient fault that never recovered), but does not fail a run by itself.
    Cause,
    /// The IdP is strict here: fails the scenario even when the directory ends up right.
    Error,
}

/// The exchange a finding points at, reduced to what a reader needs: no token, server text
/// cut to a few hundred bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeSummary {
    pub method: &'static str,
    /// Relative to the tenant URL, as the profile built it.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The server's `detail` (SCIM Error), or the start of its body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    /// What the request carried, in one line (`Replace active "False"` for a PATCH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The transport error when there was no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How much server text a finding keeps.
const DETAIL_MAX: usize = 300;

impl ExchangeSummary {
    pub fn of(x: &Exchange) -> Self {
        let body = x.response_body.as_deref();
        let field = |k: &str| {
            body.and_then(|b| b.get(k))
                .and_then(serde_json::Value::as_str)
                .map(|s| crate::client::truncate_text(s, DETAIL_MAX))
        };
        let detail = field("detail").or_else(|| {
            // Not a SCIM Error: the start of whatever it was, for an error status only.
            let failed = x.status.is_some_and(|s| s >= 400);
            match body {
                Some(serde_json::Value::String(text)) if failed => {
                    Some(crate::client::truncate_text(text, DETAIL_MAX))
                }
                Some(other) if failed && other.get("schemas").is_none() => {
                    Some(crate::client::truncate_text(&other.to_string(), DETAIL_MAX))
                }
                _ => None,
            }
        });
        ExchangeSummary {
            method: x.method.as_str(),
            path: x.path.clone(),
            status: x.status,
            detail,
            scim_type: field("scimType"),
            request: x.request_body.as_deref().and_then(describe_request),
            error: x.error.clone(),
        }
    }

    /// `PATCH /Users/2819c2 → 400 invalidValue "active must be a boolean"`.
    pub fn line(&self) -> String {
        let mut out = format!("{} {}", self.method, self.path);
        match (self.status, &self.error) {
            (Some(s), _) => out.push_str(&format!(" → {s}")),
            (None, Some(e)) => out.push_str(&format!(" → {e}")),
            (None, None) => {}
        }
        if let Some(t) = &self.scim_type {
            out.push_str(&format!(" {t}"));
        }
        if let Some(d) = &self.detail {
            out.push_str(&format!(" {d:?}"));
        }
        out
    }
}

/// One line of what a request body carried: the operations of a PATCH, or the attribute
/// names of a POST/PUT body.
fn describe_request(body: &serde_json::Value) -> Option<String> {
    if let Some(ops) = body.get("Operations").and_then(serde_json::Value::as_array) {
        let shown: Vec<String> = ops
            .iter()
            .take(4)
            .map(|op| {
                let verb = op.get("op").and_then(|v| v.as_str()).unwrap_or("?");
                let path = op.get("path").and_then(|v| v.as_str());
                let value = op
                    .get("value")
                    .map(|v| crate::client::truncate_text(&v.to_string(), 60));
                [Some(verb.to_string()), path.map(str::to_string), value]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let more = ops.len().saturating_sub(4);
        let mut line = shown.join("; ");
        if more > 0 {
            line.push_str(&format!("; … {more} more"));
        }
        return Some(line);
    }
    None
}

/// A request path's segments, without its query: `/Users/2819c2?x` → `Users`, `2819c2`.
pub(crate) fn segments(path: &str) -> impl Iterator<Item = &str> {
    let bare = path.split('?').next().unwrap_or_default();
    bare.split('/').filter(|s| !s.is_empty())
}

/// `/Users/2819c2?x` → `/Users/{id}`; `/Users?filter=…` → `/Users`.
pub(crate) fn template(path: &str) -> String {
    let mut parts = segments(path);
    match (parts.next(), parts.next()) {
        (Some(e), Some(_)) => format!("/{e}/{{id}}"),
        (Some(e), None) => format!("/{e}"),
        _ => "/".into(),
    }
}

/// The request shape a finding groups by: method, path with ids replaced (`/Users/{id}`),
/// and for a PATCH its operations' `op` and `path` with the JSON type of each value, so
/// `Replace active "False"` and `Replace active "True"` are one cause.
pub fn request_shape(x: &Exchange) -> String {
    let template = template(&x.path);
    let query = if x.path.contains("filter=") {
        "?filter"
    } else if x.path.contains('?') {
        "?query"
    } else {
        ""
    };
    let ops = x
        .request_body
        .as_ref()
        .and_then(|b| b.get("Operations"))
        .and_then(serde_json::Value::as_array)
        .map(|ops| {
            ops.iter()
                .map(|op| {
                    let verb = op
                        .get("op")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                        .to_ascii_lowercase();
                    let path = op.get("path").and_then(|v| v.as_str()).unwrap_or("");
                    let kind = match op.get("value") {
                        None => "",
                        Some(serde_json::Value::String(_)) => ":string",
                        Some(serde_json::Value::Bool(_)) => ":bool",
                        Some(serde_json::Value::Number(_)) => ":number",
                        Some(serde_json::Value::Array(_)) => ":array",
                        Some(serde_json::Value::Object(_)) => ":object",
                        Some(serde_json::Value::Null) => ":null",
                    };
                    format!("{verb} {path}{kind}")
                })
                .collect::<Vec<_>>()
                .join(",")
        });
    match ops {
        Some(ops) => format!("{} {template}{query} [{ops}]", x.method.as_str()),
        None => format!("{} {template}{query}", x.method.as_str()),
    }
}

/// One root cause, as found in one scenario run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// One line: what the server did, in the IdP's terms.
    pub title: String,
    /// The exchange it was found in, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeSummary>,
    /// What the IdP does about it (retry, escrow, quarantine, skip, give up).
    pub consequence: String,
    /// What it is judged by: an RFC section or a fact of docs/idp-behavior.md.
    pub reference: String,
    /// Equal for the same cause anywhere in a run: what findings are grouped by.
    #[serde(skip)]
    pub key: String,
}

impl Finding {
    pub fn new(code: Code, severity: Severity, title: impl Into<String>) -> Self {
        let title = title.into();
        Finding {
            code,
            severity,
            key: format!("{}|{title}", code.as_str()),
            title,
            exchange: None,
            consequence: String::new(),
            reference: code.reference().to_string(),
        }
    }

    pub fn at(mut self, x: &Exchange) -> Self {
        self.exchange = Some(ExchangeSummary::of(x));
        self
    }

    /// Groups by this instead of the title (which may name objects of one run).
    pub fn keyed(mut self, key: impl Into<String>) -> Self {
        self.key = format!("{}|{}", self.code.as_str(), key.into());
        self
    }

    pub fn consequence(mut self, text: impl Into<String>) -> Self {
        self.consequence = text.into();
        self
    }

    pub fn reference(mut self, text: impl Into<String>) -> Self {
        self.reference = text.into();
        self
    }
}

/// One cause across a run: the first finding of that key, and every scenario × profile it
/// broke or warned in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// `F1`, `F2`, … in order of first appearance: what scenario lines refer to.
    pub id: String,
    #[serde(flatten)]
    pub finding: Finding,
    /// `scenario@profile` of each run it was the root cause of a failure in.
    pub broke: Vec<String>,
    /// `scenario@profile` of each run it appeared in without failing it.
    pub seen_in: Vec<String>,
}

/// Groups findings of many runs by key. `runs` gives, per run, its label, its findings and
/// the key of the finding that was its root cause, if it failed.
pub fn group<'a>(
    runs: impl IntoIterator<Item = (String, &'a [Finding], Option<&'a str>)>,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (label, findings, root) in runs {
        for f in findings {
            let at = match groups.iter().position(|g| g.finding.key == f.key) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        id: format!("F{}", groups.len() + 1),
                        finding: f.clone(),
                        broke: vec![],
                        seen_in: vec![],
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[at];
            // Strict under one IdP, tolerated under another: the group weighs the most.
            g.finding.severity = g.finding.severity.max(f.severity);
            let list = if root == Some(f.key.as_str()) {
                &mut g.broke
            } else {
                &mut g.seen_in
            };
            if !list.contains(&label) {
                list.push(label.clone());
            }
        }
    }
    // A run that one cause broke is not also listed as merely seen.
    for g in &mut groups {
        let broke = g.broke.clone();
        g.seen_in.retain(|l| !broke.contains(l));
    }
    groups.sort_by_key(|g| std::cmp::Reverse((g.finding.severity, g.broke.len())));
    for (i, g) in groups.iter_mut().enumerate() {
        g.id = format!("F{}", i + 1);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::Verb;
    use serde_json::json;

    fn patch(path: &str, value: serde_json::Value, status: u16) -> Exchange {
        Exchange {
            method: Verb::Patch,
            url: format!("http://h/scim/v2{path}"),
            path: path.to_string(),
            authorization: None,
            request_body: Some(
                json!({"Operations": [{"op": "Replace", "path": "active", "value": value}]}).into(),
            ),
            status: Some(status),
            response_cut: false,
            response_body: Some(
                json!({"schemas": [crate::scim::urn::ERROR], "status": "400",
                "scimType": "invalidValue", "detail": "active must be a boolean"})
                .into(),
            ),
            content_type: None,
            error: None,
            failure: None,
            duration_ms: 1,
            duration_us: 1000,
        }
    }

    #[test]
    fn request_shapes_ignore_ids_and_values_but_keep_value_types() {
        let a = patch("/Users/1", json!("False"), 400);
        let b = patch("/Users/2", json!("True"), 400);
        let c = patch("/Users/2", json!(false), 400);
        assert_eq!(
            request_shape(&a),
            "PATCH /Users/{id} [replace active:string]"
        );
        assert_eq!(request_shape(&a), request_shape(&b));
        assert_ne!(request_shape(&a), request_shape(&c));
    }

    #[test]
    fn an_exchange_summary_keeps_the_servers_detail_and_the_operations() {
        let s = ExchangeSummary::of(&patch("/Users/1", json!("False"), 400));
        assert_eq!(
            s.line(),
            "PATCH /Users/1 → 400 invalidValue \"active must be a boolean\""
        );
        assert_eq!(s.request.as_deref(), Some("Replace active \"False\""));
    }

    #[test]
    fn the_same_cause_in_several_runs_is_one_group_listing_each_run() {
        let f = Finding::new(Code::Rejected, Severity::Cause, "x").keyed("k");
        let other = Finding::new(Code::ContentType, Severity::Warning, "y");
        let one = [f.clone(), other.clone()];
        let two = [f.clone()];
        let groups = group([
            ("s1@entra".to_string(), &one[..], Some(f.key.as_str())),
            ("s2@entra".to_string(), &two[..], Some(f.key.as_str())),
            ("s3@okta".to_string(), &two[..], None),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].id, "F1");
        assert_eq!(groups[0].broke, vec!["s1@entra", "s2@entra"]);
        assert_eq!(groups[0].seen_in, vec!["s3@okta"]);
        assert_eq!(groups[1].finding.code, Code::ContentType);
        assert_eq!(groups[1].seen_in, vec!["s1@entra"]);
    }
}
