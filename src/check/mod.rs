//! Reads the target's state back and compares it with what the scenario expects: objects
//! (present, active, attributes, members, duplicates), provisioning-log records, request counts,
//! and whole-directory snapshots. It only reads the target; it never writes to it.

mod catalog;
pub mod finding;
pub mod judge;
pub mod snapshot;
pub mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::client::ScimClient;
use crate::engine::log::{is_transient, is_transient_error, status_str};
use crate::engine::provisioning_log::LogEntry;
use crate::engine::{backoff, wait_before_retry, CycleReport};
use crate::scenario::model::{LogExpectation, ObjectExpectation, RequestExpectation};
use crate::scim::lookup::ClientPath;
use crate::scim::request::list_resources;
use crate::scim::request::{encode_query_value, quote, ScimRequest};
use crate::scim::schema::{GROUP, USER};
use crate::scim::{resource_path, server_id, MatchKey, Page, Pages};

/// A failed check: what was expected, what was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub message: String,
    /// Expected and actual text, for a diff.
    pub diff: Option<(String, String)>,
    /// The target refused the harness's credentials (401/403) while reading back: not a
    /// state the server got wrong, but a target the run cannot use.
    pub refused: bool,
}

impl Mismatch {
    pub fn new(message: impl Into<String>) -> Self {
        Mismatch {
            message: message.into(),
            diff: None,
            refused: false,
        }
    }
}

/// Where the target holds a ref's object, as far as the run knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Whereabouts {
    /// Linked or created: the target id.
    Id(String),
    /// Not linked: look it up by userName.
    UserName(String),
    /// A group not linked: look it up by displayName.
    DisplayName(String),
    /// Not known to the run at all.
    Unknown,
}

/// Removes the run prefix so values compare with what the scenario wrote.
pub fn strip_prefix(value: &Value, prefix: &str) -> Value {
    match value {
        Value::String(s) if !prefix.is_empty() => Value::String(s.replace(prefix, "")),
        Value::Array(a) => Value::Array(a.iter().map(|v| strip_prefix(v, prefix)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), strip_prefix(v, prefix)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Attempts of one read-back GET. The harness's reads are its own, not the IdP's: a
/// transient fault (5xx, 429, reset, timeout) is tried again with the engine's waits, and
/// no read-back counts toward a cycle's requests.
const READ_BACK_ATTEMPTS: u32 = 3;

async fn fetch(client: &ScimClient, path: String) -> Result<Option<Value>, Mismatch> {
    let req = ScimRequest::get(path.clone());
    let mut attempt = 1;
    let outcome = loop {
        let outcome = client.send(&req).await;
        let wait = match &outcome {
            Ok(r) if is_transient(r.status) => Some(wait_before_retry(r.retry_after, attempt)),
            Err(e) if is_transient_error(e) => Some(backoff(attempt)),
            _ => None,
        };
        match wait {
            Some(wait) if attempt < READ_BACK_ATTEMPTS => {
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            _ => break outcome,
        }
    };
    let tries = if attempt > 1 {
        format!(" (on each of {attempt} attempts)")
    } else {
        String::new()
    };
    match outcome {
        Ok(r) if r.status == 200 => Ok(r.body.map(Arc::unwrap_or_clone)),
        Ok(r) if r.status == 404 => Ok(None),
        Ok(r) if r.status == 401 || r.status == 403 => Err(Mismatch {
            refused: true,
            ..Mismatch::new(format!(
                "the target refused the token: reading back GET {path} answered HTTP {}{tries}",
                r.status
            ))
        }),
        Ok(r) => Err(Mismatch::new(format!(
            "reading back GET {path} answered HTTP {}{tries}",
            r.status
        ))),
        Err(e) => Err(Mismatch::new(format!(
            "reading back GET {path} failed{tries}: {e}"
        ))),
    }
}

/// One resource by its server id (None when the server answers 404), read back with the
/// same retries as every other read-back.
pub async fn read(
    client: &ScimClient,
    endpoint: &str,
    id: &str,
) -> Result<Option<Value>, Mismatch> {
    fetch(client, resource_path(endpoint, id)).await
}

/// The page size of the harness's own read-back listings.
const READ_BACK_PAGE: usize = 100;

/// Every resource of an endpoint, following pagination (`startIndex`/`count`, 1-based) until
/// `totalResults` is reached or a page comes back empty. A listing that repeats itself, pages
/// elsewhere than asked or runs past `MAX_PAGES` pages is a mismatch, not a silent stop.
/// When the listing ends on a full page, the next page is asked too: a server that counts
/// `totalResults` per page ends every listing after its first page, and only that question
/// tells it from a directory of exactly one page.
pub async fn list_all(client: &ScimClient, endpoint: &str) -> Result<Vec<Value>, Mismatch> {
    let mut out: Vec<Value> = Vec::new();
    let mut pages = Pages::new();
    let mut start = 1;
    loop {
        let path = format!("/{endpoint}?startIndex={start}&count={READ_BACK_PAGE}");
        let page = fetch(client, path.clone()).await?.unwrap_or(Value::Null);
        let (items, next) = pages.take(&path, start, &page).map_err(Mismatch::new)?;
        let full = items.len() == READ_BACK_PAGE;
        out.extend(items);
        match next {
            Page::Next(s) => start = s,
            Page::Done if full => return beyond_the_end(client, endpoint, out, &page).await,
            Page::Done => return Ok(out),
        }
    }
}

/// Asks for the page after a listing that ended on a full page; resources there mean
/// `totalResults` stopped the listing short.
async fn beyond_the_end(
    client: &ScimClient,
    endpoint: &str,
    read: Vec<Value>,
    last: &Value,
) -> Result<Vec<Value>, Mismatch> {
    let start = read.len() + 1;
    let path = format!("/{endpoint}?startIndex={start}&count={READ_BACK_PAGE}");
    let page = fetch(client, path.clone()).await?.unwrap_or(Value::Null);
    let ids: std::collections::HashSet<&str> =
        read.iter().filter_map(|r| server_id(r).ok()).collect();
    let more = list_resources(Some(&page))
        .iter()
        .filter(|r| server_id(r).is_ok_and(|id| !ids.contains(id)))
        .count();
    if more == 0 {
        return Ok(read);
    }
    let total = last
        .get("totalResults")
        .map_or("none".into(), Value::to_string);
    Err(Mismatch::new(format!(
        "the listing GET /{endpoint} stopped at totalResults {total}, yet GET {path} holds {more} more resources: totalResults must count every match, not the page (RFC 7644 §3.4.2)"
    )))
}

/// The resources of a filter answer that really carry `key`: a server that ignores the
/// filter never gets an unrelated object attributed to the run.
async fn filtered(
    client: &ScimClient,
    endpoint: &str,
    key: &MatchKey,
) -> Result<Vec<Value>, Mismatch> {
    let attribute = key.attribute.as_deref().unwrap_or_default();
    let path = format!(
        "/{endpoint}?filter={}",
        encode_query_value(&format!("{attribute} eq {}", quote(&key.value)))
    );
    let list = fetch(client, path).await?.unwrap_or(Value::Null);
    Ok(list
        .get("Resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| key.held_by(r))
        .cloned()
        .collect())
}

/// All target users whose userName equals `name` (case-insensitively, as the filter is).
pub async fn users_named(client: &ScimClient, name: &str) -> Result<Vec<Value>, Mismatch> {
    filtered(client, "Users", &MatchKey::user_name(name)).await
}

/// Checks an object expectation against the target.
pub async fn object(
    client: &ScimClient,
    exp: &ObjectExpectation,
    whereabouts: Whereabouts,
    prefix: &str,
    member_ref: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(), Mismatch> {
    let endpoint = if exp.is_group { "Groups" } else { "Users" };
    let found = match &whereabouts {
        Whereabouts::Id(id) => fetch(client, resource_path(endpoint, id)).await?,
        Whereabouts::UserName(name) => users_named(client, name).await?.into_iter().next(),
        Whereabouts::DisplayName(name) => filtered(client, "Groups", &MatchKey::display_name(name))
            .await?
            .into_iter()
            .next(),
        Whereabouts::Unknown => None,
    };
    let present = exp.present.unwrap_or(true);
    let what = if exp.is_group { "group" } else { "user" };
    let Some(resource) = found else {
        return if present {
            Err(Mismatch::new(format!(
                "{what} `{}` is not on the target ({})",
                exp.object,
                describe(&whereabouts)
            )))
        } else {
            Ok(())
        };
    };
    if !present {
        return Err(Mismatch::new(format!(
            "{what} `{}` is still on the target as id {}",
            exp.object,
            resource.get("id").and_then(Value::as_str).unwrap_or("?")
        )));
    }
    let mut problems = Vec::new();
    let mut expected_lines = Vec::new();
    let mut actual_lines = Vec::new();
    let mut compare = |name: &str, want: &Value, got: Option<Value>| {
        let got_text = got
            .as_ref()
            .map_or("(absent)".to_string(), Value::to_string);
        let want_text = if want.is_null() {
            "(absent)".to_string()
        } else {
            want.to_string()
        };
        expected_lines.push(format!("{name}: {want_text}"));
        actual_lines.push(format!("{name}: {got_text}"));
        if want_text != got_text {
            problems.push(format!("{name} is {got_text}, expected {want_text}"));
        }
    };
    if let Some(active) = exp.active {
        compare(
            "active",
            &Value::Bool(active),
            resource.get("active").cloned(),
        );
    }
    let rt = if exp.is_group { &GROUP } else { &USER };
    for (path, want) in &exp.attributes {
        let got = match ClientPath::parse(path, rt) {
            // A reference to a known object reads as `<user:ref>`, as in snapshots.
            Ok(p) => p
                .get(&resource)
                .map(|v| match v.as_str().and_then(member_ref) {
                    Some(r) => Value::String(format!("<user:{r}>")),
                    None => strip_prefix(v, prefix),
                }),
            Err(e) => return Err(Mismatch::new(e.to_string())),
        };
        compare(path, want, got);
    }
    let mut member_delta = None;
    if let Some(members) = &exp.members {
        let mut want: Vec<String> = members.clone();
        want.sort();
        let mut got: Vec<String> = resource
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .map(|id| member_ref(id).unwrap_or_else(|| format!("<unknown id {id}>")))
                    .collect()
            })
            .unwrap_or_default();
        got.sort();
        member_delta = members_differ(&want, &got);
        compare(
            "members",
            &serde_json::json!(want),
            Some(serde_json::json!(got)),
        );
    }
    if let Some(count) = exp.count {
        let name = resource
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let n = users_named(client, &name).await?.len() as u64;
        compare(
            "count of users with this userName",
            &Value::from(count),
            Some(Value::from(n)),
        );
    }
    problems.extend(member_delta);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Mismatch {
            message: format!("{what} `{}`: {}", exp.object, problems.join("; ")),
            diff: Some((expected_lines.join("\n"), actual_lines.join("\n"))),
            refused: false,
        })
    }
}

/// Which members a group lacks and which it holds unexpectedly, by name, so a lost member
/// (a lost update under concurrent membership writes, PF-19) is named rather than left to
/// be spotted in two long lists.
fn members_differ(want: &[String], got: &[String]) -> Option<String> {
    let missing: Vec<&str> = want
        .iter()
        .filter(|m| !got.contains(m))
        .map(String::as_str)
        .collect();
    let extra: Vec<&str> = got
        .iter()
        .filter(|m| !want.contains(m))
        .map(String::as_str)
        .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("members missing: {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        parts.push(format!("members not expected: {}", extra.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn describe(w: &Whereabouts) -> String {
    match w {
        Whereabouts::Id(id) => format!("GET by its id {id} answered 404"),
        Whereabouts::UserName(n) => format!("no user with userName {n}"),
        Whereabouts::DisplayName(n) => format!("no group with displayName {n}"),
        Whereabouts::Unknown => "the run never provisioned it".into(),
    }
}

/// Checks that some record of the object, in the records given, has every expected field.
pub fn log(records: &[LogEntry], exp: &LogExpectation) -> Result<(), Mismatch> {
    let mine: Vec<&LogEntry> = records
        .iter()
        .filter(|r| *r.object == *exp.object)
        .collect();
    let matches = |r: &&LogEntry| {
        exp.action.as_deref().is_none_or(|a| a == r.action.as_str())
            && exp.status.is_none_or(|s| s == r.status)
            && exp
                .skip_reason
                .as_ref()
                .is_none_or(|s| Some(s.as_str()) == r.skip_reason.as_deref())
            && exp
                .error_code
                .as_ref()
                .is_none_or(|c| Some(c.as_str()) == r.error_code.as_deref())
    };
    if mine.iter().any(matches) {
        return Ok(());
    }
    let mut want = Vec::new();
    if let Some(a) = &exp.action {
        want.push(format!("action {a}"));
    }
    if let Some(s) = exp.status {
        want.push(format!("status {}", status_str(s)));
    }
    if let Some(s) = &exp.skip_reason {
        want.push(format!("SkipReason {s}"));
    }
    if let Some(c) = &exp.error_code {
        want.push(format!("errorCode {c}"));
    }
    let found: Vec<String> = mine.iter().map(|r| r.summary()).collect();
    Err(Mismatch {
        message: format!(
            "no provisioning-log record for `{}` with {}; found {}",
            exp.object,
            want.join(", "),
            if found.is_empty() {
                "none".to_string()
            } else {
                found.join("; ")
            }
        ),
        diff: None,
        refused: false,
    })
}

/// Checks request counts of a cycle.
pub fn requests(report: &CycleReport, exp: &RequestExpectation) -> Result<(), Mismatch> {
    let mut problems = Vec::new();
    if let Some(total) = exp.total {
        if report.total_requests() != total {
            problems.push(format!(
                "{} requests in all, expected {total}",
                report.total_requests()
            ));
        }
    }
    for (method, want) in &exp.by_method {
        let got = report.requests.get(method.as_str()).copied().unwrap_or(0);
        if got != *want {
            problems.push(format!("{got} {method}, expected {want}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let counts: BTreeMap<_, _> = report.requests.iter().collect();
        Err(Mismatch::new(format!(
            "the last cycle sent {}: {:?}",
            problems.join(", "),
            counts
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::members_differ;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_member_mismatch_names_the_missing_and_the_unexpected() {
        let want = names(&["u01", "u02", "u03"]);
        assert_eq!(members_differ(&want, &want), None);
        assert_eq!(
            members_differ(&want, &names(&["u02"])).as_deref(),
            Some("members missing: u01, u03")
        );
        assert_eq!(
            members_differ(&want, &names(&["u01", "u02", "u03", "u09"])).as_deref(),
            Some("members not expected: u09")
        );
    }
}
