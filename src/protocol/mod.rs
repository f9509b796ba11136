//! The protocol suite: every SCIM behaviour the IdPs rely on, checked directly on any server,
//! each check naming the RFC section and the IdPs (with their facts in docs/idp-behavior.md)
//! that break when it fails. It stands beside `engine`: it sends its own requests through a
//! `ScimClient`, creates only objects named with the run prefix and leaves their deletion to
//! `engine::runner::cleanup`. Each check becomes one `ScenarioOutcome`, so reports, known
//! failures and exit codes treat it like a scenario. It never replays an IdP's traffic.

// A check's failure is its `Finding`, returned once per check: boxing it would only add
// noise to every `?`.
#![allow(clippy::result_large_err)]

mod auth;
mod create;
mod delete;
mod discovery;
mod errors;
mod filter;
mod listing;
mod patch;
mod put;
mod read;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::check::finding::{Code, Finding, Severity};
use crate::client::{Exchange, Response, ScimClient};
use crate::engine::runner::{self, ScenarioOutcome, StepFailure, Verdict};
use crate::engine::Created;
use crate::scim::{resource_path, server_id, urn, ScimRequest, Verb};

/// The profile name every protocol outcome carries.
pub const PROFILE: &str = "protocol";
/// The prefix of an outcome's scenario name: `protocol-create.returns-201-with-location`.
pub const SCENARIO_PREFIX: &str = "protocol-";

/// How much a failed check weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The RFC requires it (MUST / SHALL): a failure fails the run.
    Required,
    /// The RFC makes it optional or an IdP merely prefers it: a failure is a warning.
    Optional,
}

/// A feature `/ServiceProviderConfig` can say the server does not support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Patch,
    Filter,
    Etag,
}

impl Feature {
    fn key(self) -> &'static str {
        match self {
            Feature::Patch => "patch",
            Feature::Filter => "filter",
            Feature::Etag => "etag",
        }
    }
}

/// What a check's body returns: passed, or the finding naming what broke.
pub type CheckResult = Result<(), Finding>;
/// A check's body, run against a context.
pub type CheckRun<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// One protocol check.
pub struct Check {
    /// Stable: `create.returns-201-with-location`. Selected with `--check`.
    pub name: &'static str,
    /// What it verifies, in one line.
    pub summary: &'static str,
    /// `RFC 7644 §3.3`.
    pub section: &'static str,
    /// The IdPs that depend on it, with fact ids: `Entra (E-19), Okta (O-11)`.
    pub idps: &'static str,
    pub level: Level,
    /// The feature it needs; not applicable when the server says it lacks it.
    pub needs: Option<Feature>,
    pub run: for<'a> fn(&'a Ctx<'a>) -> CheckRun<'a>,
}

/// Every check, in the order the suite runs them.
pub fn checks() -> Vec<&'static Check> {
    [
        auth::CHECKS,
        discovery::CHECKS,
        create::CHECKS,
        read::CHECKS,
        filter::CHECKS,
        listing::CHECKS,
        patch::CHECKS,
        put::CHECKS,
        delete::CHECKS,
        errors::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The checks `wanted` selects: each entry is a check name or a group (`create` selects
/// every `create.*`), optionally prefixed `protocol-` or `protocol/`. `Err` names an entry
/// that selects nothing, with the closest names.
pub fn select(wanted: &[String]) -> Result<Vec<&'static Check>, String> {
    let all = checks();
    if wanted.is_empty() {
        return Ok(all);
    }
    let mut out: Vec<&'static Check> = Vec::new();
    for w in wanted {
        let w = w.trim();
        let w = w
            .strip_prefix(SCENARIO_PREFIX)
            .or_else(|| w.strip_prefix("protocol/"))
            .unwrap_or(w);
        let hits: Vec<&'static Check> = all
            .iter()
            .copied()
            .filter(|c| c.name == w || c.name.split('.').next() == Some(w))
            .collect();
        if hits.is_empty() {
            let near: Vec<&str> = all
                .iter()
                .map(|c| c.name)
                .filter(|n| {
                    let group = w.split('.').next().unwrap_or(w);
                    n.starts_with(group)
                })
                .take(5)
                .collect();
            let hint = if near.is_empty() {
                "see `scim-harness list`".to_string()
            } else {
                format!("did you mean {}?", near.join(", "))
            };
            return Err(format!("no protocol check is named `{w}`; {hint}"));
        }
        for h in hits {
            if !out.iter().any(|c| c.name == h.name) {
                out.push(h);
            }
        }
    }
    Ok(out)
}

/// What a check runs with.
pub struct Ctx<'a> {
    pub client: &'a ScimClient,
    /// For the checks that need a client of their own (no token, a wrong token).
    pub base: String,
    pub timeout: Duration,
    /// Every object a check creates is named with it.
    pub prefix: String,
    /// What this check created, for cleanup.
    pub created: Created,
    /// The server's `/ServiceProviderConfig`, when it answered one.
    pub config: Option<Value>,
    /// Every exchange the check made, for the outcome's request count and failure.
    exchanges: std::sync::Mutex<Vec<Exchange>>,
}

/// An answer with the exchange it was recorded as.
pub struct Answer {
    pub response: Response,
    pub exchange: Exchange,
}

impl Answer {
    pub fn status(&self) -> u16 {
        self.response.status
    }

    pub fn body(&self) -> Option<&Value> {
        self.response.body.as_deref()
    }

    /// A finding about this exchange.
    pub fn finding(&self, code: Code, title: impl Into<String>) -> Finding {
        Finding::new(code, Severity::Error, title).at(&self.exchange)
    }
}

impl Ctx<'_> {
    /// Sends `req` and returns the answer with its exchange; no answer at all is a finding.
    pub async fn send(&self, req: ScimRequest) -> Result<Answer, Finding> {
        self.send_via(self.client, req).await
    }

    /// Sends with another client (no token, a wrong one), recorded as the check's.
    pub async fn send_via(&self, client: &ScimClient, req: ScimRequest) -> Result<Answer, Finding> {
        let result = send_with(client, req).await;
        if let Ok(a) = &result {
            self.exchanges
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(a.exchange.clone());
        }
        result
    }

    /// `{prefix}{tag}@example.com`: a userName of this run.
    pub fn user_name(&self, tag: &str) -> String {
        format!("{}{tag}@example.com", self.prefix)
    }

    /// A group displayName of this run.
    pub fn group_name(&self, tag: &str) -> String {
        format!("{}{tag}", self.prefix)
    }

    /// Creates a user from `body` (schemas added) and returns it as answered; anything but a
    /// 201 with a usable id is a finding. The user is tracked for cleanup from the moment
    /// the request is sent.
    pub async fn create_user(&self, body: Value) -> Result<(String, Answer), Finding> {
        let name = body
            .get("userName")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.create("Users", name, with_schemas(body, urn::USER))
            .await
    }

    /// A user with only a userName.
    pub async fn create_plain_user(&self, tag: &str) -> Result<String, Finding> {
        let body = json!({"userName": self.user_name(tag), "active": true});
        Ok(self.create_user(body).await?.0)
    }

    /// Creates a group with `members` (ids) and returns its id.
    pub async fn create_group(&self, tag: &str, members: &[&str]) -> Result<String, Finding> {
        let name = self.group_name(tag);
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let body = with_schemas(json!({"displayName": name, "members": members}), urn::GROUP);
        Ok(self.create("Groups", Some(name), body).await?.0)
    }

    async fn create(
        &self,
        endpoint: &'static str,
        name: Option<String>,
        body: Value,
    ) -> Result<(String, Answer), Finding> {
        let pending = self.created.sending(endpoint, name.as_deref());
        let a = self
            .send(ScimRequest::with_body(
                Verb::Post,
                format!("/{endpoint}"),
                body,
            ))
            .await?;
        if !a.response.is_success() {
            return Err(a.finding(
                Code::Rejected,
                format!(
                    "setting up the check, POST /{endpoint} was answered {}",
                    a.status()
                ),
            ));
        }
        let id = match a.body().map(server_id) {
            Some(Ok(id)) => id.to_string(),
            Some(Err(bad)) => {
                return Err(a.finding(Code::BadId, format!("POST /{endpoint}: {bad}")));
            }
            None => {
                return Err(a.finding(
                    Code::NotJson,
                    format!("POST /{endpoint} was answered without a JSON resource"),
                ))
            }
        };
        self.created.resolve(pending, &id);
        Ok((id, a))
    }

    /// `GET /{endpoint}/{id}` (plus `query`), expecting 200 with a JSON resource.
    pub async fn read(
        &self,
        endpoint: &str,
        id: &str,
        query: &str,
    ) -> Result<(Value, Answer), Finding> {
        let a = self
            .send(ScimRequest::get(format!(
                "{}{query}",
                resource_path(endpoint, id)
            )))
            .await?;
        match (a.status(), a.body()) {
            (200, Some(body)) => Ok((body.clone(), a)),
            (status, _) => Err(a.finding(
                Code::State,
                format!("reading back a resource the check created was answered {status}, not 200 with the resource"),
            )),
        }
    }

    /// A PATCH of `ops` on a resource.
    pub async fn patch(&self, endpoint: &str, id: &str, ops: Value) -> Result<Answer, Finding> {
        self.send(ScimRequest::with_body(
            Verb::Patch,
            resource_path(endpoint, id),
            json!({"schemas": [urn::PATCH_OP], "Operations": ops}),
        ))
        .await
    }

    /// Whether `/ServiceProviderConfig` says `feature.supported` is true (unknown: `None`).
    pub fn supports(&self, feature: Feature) -> Option<bool> {
        supported(self.config.as_ref(), feature)
    }
}

fn supported(config: Option<&Value>, feature: Feature) -> Option<bool> {
    config?.get(feature.key())?.get("supported")?.as_bool()
}

/// `body` with `schemas: [schema]` when it has none.
fn with_schemas(mut body: Value, schema: &str) -> Value {
    if let Some(obj) = body.as_object_mut() {
        obj.entry("schemas").or_insert_with(|| json!([schema]));
    }
    body
}

/// Sends with any client and pairs the answer with the exchange it was recorded as.
pub async fn send_with(client: &ScimClient, req: ScimRequest) -> Result<Answer, Finding> {
    let result = client.send(&req).await;
    let exchange = client.take_exchanges().into_iter().last();
    match (result, exchange) {
        (Ok(response), Some(exchange)) => Ok(Answer { response, exchange }),
        (Ok(_), None) => Err(Finding::new(
            Code::Unreachable,
            Severity::Error,
            format!("{} {} was not recorded", req.verb.as_str(), req.path),
        )),
        (Err(e), x) => {
            let f = Finding::new(
                Code::Unreachable,
                Severity::Error,
                format!("{} {} got no answer: {e}", req.verb.as_str(), req.path),
            );
            Err(match x {
                Some(x) => f.at(&x),
                None => f,
            })
        }
    }
}

/// What keeps `body` from being a SCIM Error with `status` the string of `status`, in one
/// clause; `None` when it is one.
pub fn scim_error_problem(body: Option<&Value>, status: u16) -> Option<String> {
    let Some(body) = body else {
        return Some("the body is not JSON".into());
    };
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(urn::ERROR)));
    if !schemas_ok {
        return Some(format!("`schemas` does not hold {}", urn::ERROR));
    }
    match body.get("status") {
        Some(Value::String(s)) if s == &status.to_string() => None,
        Some(Value::String(s)) => Some(format!("`status` is \"{s}\", not \"{status}\"")),
        Some(other) => Some(format!("`status` is {other}, not the string \"{status}\"")),
        None => Some("`status` is missing".into()),
    }
}

/// How a suite run is set up.
pub struct SuiteSettings {
    pub prefix: String,
    pub timeout: Duration,
    /// Wall-time limit of one check.
    pub check_timeout: Duration,
    /// Delete what the checks created (false: `--keep`).
    pub cleanup: bool,
}

/// What one check left behind, besides its outcome.
pub struct CheckRunResult {
    pub outcome: ScenarioOutcome,
    /// Objects cleanup could not prove deleted.
    pub left: Vec<String>,
}

/// Reads `/ServiceProviderConfig` once, for the checks to decide what applies.
pub async fn service_provider_config(client: &ScimClient) -> Option<Value> {
    let a = send_with(client, ScimRequest::get("/ServiceProviderConfig"))
        .await
        .ok()?;
    (a.status() == 200)
        .then_some(a.response.body)
        .flatten()
        .map(Arc::unwrap_or_clone)
}

/// Runs one check and cleans up what it created.
pub async fn run_check(
    check: &Check,
    client: &ScimClient,
    settings: &SuiteSettings,
    config: Option<&Value>,
) -> CheckRunResult {
    let started = Instant::now();
    client.take_exchanges();
    let mut outcome = ScenarioOutcome {
        scenario: format!("{SCENARIO_PREFIX}{}", check.name),
        file: format!("{} ({})", check.section, check.idps),
        symptom: check.summary.to_string(),
        profile: PROFILE.to_string(),
        verdict: Verdict::Passed,
        failure: None,
        warnings: vec![],
        requests: 0,
        duration_ms: 0,
        log: Default::default(),
        findings: vec![],
        directories: vec![],
    };
    if let Some(feature) = check.needs {
        if supported(config, feature) == Some(false) {
            outcome.verdict = Verdict::Skipped;
            outcome.warnings.push(format!(
                "not applicable (the server says `{}.supported: false` in /ServiceProviderConfig)",
                feature.key()
            ));
            return CheckRunResult {
                outcome,
                left: vec![],
            };
        }
    }
    let ctx = Ctx {
        client,
        base: client.base().to_string(),
        timeout: settings.timeout,
        prefix: settings.prefix.clone(),
        created: Created::default(),
        config: config.cloned(),
        exchanges: Default::default(),
    };
    let result = match tokio::time::timeout(settings.check_timeout, (check.run)(&ctx)).await {
        Ok(r) => r,
        Err(_) => Err(Finding::new(
            Code::CutShort,
            Severity::Error,
            format!(
                "the check did not finish within {} s",
                settings.check_timeout.as_secs()
            ),
        )),
    };
    client.take_exchanges();
    let exchanges = std::mem::take(&mut *ctx.exchanges.lock().unwrap_or_else(|e| e.into_inner()));
    outcome.requests = exchanges.len() as u64;
    if let Err(finding) = result {
        let severity = match (finding.code, check.level) {
            (Code::CutShort | Code::Unreachable, _) | (_, Level::Required) => Severity::Error,
            (_, Level::Optional) => Severity::Warning,
        };
        let mut finding = Finding {
            severity,
            ..finding
        }
        .keyed(check.name)
        .reference(format!("{}; {}", check.section, check.idps));
        if finding.consequence.is_empty() {
            finding = finding.consequence(format!("breaks {}", check.idps));
        }
        outcome.findings.push(finding.clone());
        if severity == Severity::Error {
            outcome.verdict = Verdict::Failed;
            outcome.failure = Some(StepFailure {
                step: 0,
                line: 0,
                keyword: "check",
                message: finding.title.clone(),
                expected: None,
                actual: None,
                exchange: judged(&exchanges, &finding),
                code: Some(finding.code),
                cause: Some(finding),
            });
        } else {
            outcome
                .warnings
                .push(format!("optional per the RFC: {}", finding.title));
        }
    }
    let mut left = vec![];
    if settings.cleanup {
        let bound = settings
            .timeout
            .saturating_mul(4)
            .max(Duration::from_secs(30));
        match tokio::time::timeout(bound, runner::cleanup(client, &ctx.created)).await {
            Ok(done) => left = done.left,
            Err(_) => left = ctx.created.describe(),
        }
    }
    client.take_exchanges();
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    CheckRunResult { outcome, left }
}

/// The exchange a finding points at, whole: what the console shows as request and response.
fn judged(exchanges: &[Exchange], finding: &Finding) -> Option<Exchange> {
    let at = finding.exchange.as_ref()?;
    exchanges
        .iter()
        .rev()
        .find(|x| x.method.as_str() == at.method && x.path == at.path && x.status == at.status)
        .cloned()
}

/// Runs `checks` one after the other, calling `each` with every outcome as it is known.
pub async fn run_suite(
    checks: &[&Check],
    client: &ScimClient,
    settings: &SuiteSettings,
    mut each: impl FnMut(&CheckRunResult),
) -> Vec<CheckRunResult> {
    let config = service_provider_config(client).await;
    let mut out = Vec::new();
    for check in checks {
        let r = run_check(check, client, settings, config.as_ref()).await;
        each(&r);
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_are_unique_grouped_and_cite_a_section_and_idps() {
        let all = checks();
        let mut names: Vec<&str> = all.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for c in &all {
            assert!(c.name.contains('.'), "{}", c.name);
            assert!(c.section.starts_with("RFC 76"), "{}", c.name);
            assert!(!c.idps.is_empty(), "{}", c.name);
        }
    }

    #[test]
    fn selection_takes_names_groups_and_prefixes_and_refuses_typos() {
        let one = select(&["protocol/create.returns-201-with-location".into()]).expect("found");
        assert_eq!(one.len(), 1);
        let group = select(&["auth".into()]).expect("found");
        assert!(group.len() >= 2 && group.iter().all(|c| c.name.starts_with("auth.")));
        let e = select(&["create.returns-201".into()])
            .err()
            .expect("refused");
        assert!(e.contains("did you mean create."), "{e}");
    }

    #[test]
    fn scim_error_bodies_are_judged_on_schema_and_string_status() {
        let ok = json!({"schemas": [urn::ERROR], "status": "404"});
        assert_eq!(scim_error_problem(Some(&ok), 404), None);
        let number = json!({"schemas": [urn::ERROR], "status": 404});
        assert_eq!(
            scim_error_problem(Some(&number), 404).as_deref(),
            Some("`status` is 404, not the string \"404\"")
        );
        assert!(scim_error_problem(Some(&json!({"error": "x"})), 404).is_some());
        assert!(scim_error_problem(None, 404).is_some());
    }
}
