//! Judges each exchange an IdP made as that IdP reads the answer: status codes, content type,
//! ListResponse shape, ids, attributes the server dropped, filters it ignored. What the IdP is
//! strict about comes from its profile's `Strictness` table; this module only applies it.

use serde_json::Value;

use super::finding::{request_shape, segments, template, Code, Finding, Severity};
use crate::client::{Exchange, FailureKind};
use crate::profile::{Level, Strictness};
use crate::scim::{server_id, urn, MatchKey, Verb};

/// What one exchange tells about the server, as the IdP of `strict` sees it.
pub fn exchange(strict: &Strictness, x: &Exchange) -> Vec<Finding> {
    let mut out = Vec::new();
    let idp = strict.idp;
    // The request's shape (`request_shape`) names a cause only where something went wrong:
    // it is made there, not for every exchange of a cycle.
    //
    // A failure without a usable answer (no answer, a redirect, a body past the cap) is
    // judged as such even when a status line arrived.
    if let Some(kind) = x.failure {
        out.push(transport(strict, x, kind, &request_shape(x)));
        return out;
    }
    let Some(status) = x.status else {
        return out;
    };
    // 501 Not Implemented is how the server is built, not a passing fault (O-16).
    if status == 429 || (status >= 500 && status != 501) {
        let shape = request_shape(x);
        out.push(
            Finding::new(
                Code::Transient,
                Severity::Cause,
                format!("the server answered {status} to {idp}'s {shape}"),
            )
            .keyed(format!("{shape} {status}"))
            .at(x)
            .consequence(strict.on_transient),
        );
        return out;
    }
    if status >= 400 {
        let is_query = x.method == Verb::Get && x.path.contains("filter=");
        let tolerated = (status == 404 && is_query && strict.match_404_is_empty)
            || (status == 401 || status == 403);
        if status == 404 && x.method == Verb::Delete {
            out.push(
                level(
                    strict.delete_404,
                    Code::Delete404,
                    format!("the server answered 404 to {idp}'s DELETE of an object it created"),
                )
                .keyed("DELETE 404")
                .at(x)
                .consequence(format!("{idp} counts the object as deleted")),
            );
        } else if !tolerated {
            out.push(rejected(strict, x, status));
        }
        return out;
    }
    // A success: judge its shape as the IdP reads it.
    let has_body = x.response_body.is_some();
    if has_body {
        if let Some(ct) = &x.content_type {
            let media = ct.split(';').next().unwrap_or_default().trim();
            if !media.eq_ignore_ascii_case(crate::scim::CONTENT_TYPE) {
                out.push(
                    level(
                        strict.content_type,
                        Code::ContentType,
                        format!("the server answers with Content-Type `{media}`, not `application/scim+json`"),
                    )
                    .keyed(media.to_ascii_lowercase())
                    .at(x)
                    .consequence(match strict.content_type {
                        Level::Strict => format!("{idp} expects `application/scim+json` on every answer"),
                        Level::Tolerant => format!("{idp} reads the JSON anyway"),
                    }),
                );
            }
        }
    }
    let json = x.response_body.as_ref().filter(|b| !b.is_string());
    let is_create = x.method == Verb::Post && is_collection(&x.path);
    let is_query = x.method == Verb::Get && is_collection(&x.path);
    if is_create {
        if status != 201 {
            out.push(
                level(
                    strict.create_201,
                    Code::CreateStatus,
                    format!(
                        "the server answered {status} to {idp}'s POST {}, not 201 Created",
                        template(&x.path)
                    ),
                )
                .keyed(format!("{} {status}", template(&x.path)))
                .at(x)
                .consequence(format!(
                    "{idp} documents 201 Created with the resource as the answer to a create"
                )),
            );
        }
        match json {
            None if x.response_cut => {}
            None => out.push(not_json(strict, x, "a create")),
            Some(body) => {
                if let Err(bad) = server_id(body) {
                    out.push(bad_id(strict, x, &bad.to_string()));
                }
                out.extend(dropped(strict, x, body));
            }
        }
    } else if x.method == Verb::Put {
        match json {
            None if x.response_cut => {}
            None => out.push(
                level(
                    strict.put_returns_resource,
                    Code::UpdateBody,
                    format!(
                        "the server answered {idp}'s PUT {} with {status} and no resource",
                        template(&x.path)
                    ),
                )
                .keyed(format!("{} {status}", template(&x.path)))
                .at(x)
                .consequence(format!("{idp} reads the user a PUT returns")),
            ),
            Some(body) => out.extend(dropped(strict, x, body)),
        }
    } else if is_query {
        match json {
            None if x.response_cut => {}
            None => out.push(not_json(strict, x, "a query")),
            Some(body) => {
                out.extend(list_shape(strict, x, body));
                out.extend(ignored_filter(strict, x, body));
            }
        }
    }
    out
}

/// A 4xx to a request the IdP sends. The server's own words say best what went wrong: with
/// a `detail`, that (ids and names taken out) and the request line are the cause, however
/// many operations the PATCH carried; without one, the shape of the request is.
fn rejected(strict: &Strictness, x: &Exchange, status: u16) -> Finding {
    let idp = strict.idp;
    let summary = super::finding::ExchangeSummary::of(x);
    let target = format!("{idp}'s {} {}", x.method.as_str(), template(&x.path));
    let scim_type = summary.scim_type.clone().unwrap_or_default();
    let (title, key) = match &summary.detail {
        Some(detail) => (
            format!(
                "the server answered {status}{} {detail:?} to {target}",
                if scim_type.is_empty() {
                    String::new()
                } else {
                    format!(" {scim_type}")
                }
            ),
            format!(
                "{} {} {status} {scim_type} {}",
                x.method.as_str(),
                template(&x.path),
                normalize(detail)
            ),
        ),
        None => {
            let ops = summary.request.map(|r| format!(" {r}")).unwrap_or_default();
            (
                format!("the server answered {status} to {target}{ops}"),
                format!("{} {status} {scim_type}", request_shape(x)),
            )
        }
    };
    Finding::new(Code::Rejected, Severity::Cause, title)
        .keyed(key)
        .at(x)
        .consequence(strict.on_rejected)
}

/// Server text with what differs between objects taken out: words with digits (ids, run
/// prefixes) and addresses.
fn normalize(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            if w.contains('@') || w.chars().filter(char::is_ascii_digit).count() >= 2 {
                "…"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn level(l: Level, code: Code, title: String) -> Finding {
    let severity = match l {
        Level::Strict => Severity::Error,
        Level::Tolerant => Severity::Warning,
    };
    Finding::new(code, severity, title)
}

fn is_collection(path: &str) -> bool {
    let mut segments = segments(path);
    // `/ServiceProviderConfig` is one resource, not a query (RFC 7644 §4): CyberArk reads it
    // at Verify (CA-2) and its answer is no ListResponse.
    matches!(
        (segments.next(), segments.next()),
        (Some(one), None) if one != "ServiceProviderConfig"
    )
}

fn transport(strict: &Strictness, x: &Exchange, kind: FailureKind, shape: &str) -> Finding {
    let idp = strict.idp;
    let (code, title, reference) = match kind {
        FailureKind::Redirected => (
            Code::Redirect,
            format!("the server redirected {idp}'s {shape}"),
            None,
        ),
        FailureKind::TooLarge => (
            Code::TooLarge,
            format!("the server's answer to {idp}'s {shape} exceeded the size limit"),
            None,
        ),
        FailureKind::Timeout => (
            Code::Transient,
            format!("{idp}'s {shape} got no answer in time"),
            None,
        ),
        FailureKind::Connect | FailureKind::Transport => (
            Code::Transient,
            format!("{idp}'s {shape} failed: the connection failed or was reset"),
            None,
        ),
        FailureKind::TokenEndpoint => (
            Code::Credentials,
            format!("{idp} could not obtain an access token for its {shape}, so it was not sent"),
            Some("RFC 6749 §4.4, §5.2; docs/idp-behavior.md PF-2"),
        ),
    };
    let finding = Finding::new(code, Severity::Cause, title)
        .keyed(format!("{shape} {kind:?}"))
        .at(x)
        .consequence(strict.on_transient);
    match reference {
        Some(r) => finding.reference(r),
        None => finding,
    }
}

fn not_json(strict: &Strictness, x: &Exchange, what: &str) -> Finding {
    let idp = strict.idp;
    Finding::new(
        Code::NotJson,
        Severity::Error,
        format!(
            "the server answered {what} ({} {}) with a body that is not JSON",
            x.method.as_str(),
            template(&x.path)
        ),
    )
    .keyed(format!("{} {}", x.method.as_str(), template(&x.path)))
    .at(x)
    .consequence(format!(
        "{idp} cannot read the answer and records the object as failed"
    ))
}

fn bad_id(strict: &Strictness, x: &Exchange, why: &str) -> Finding {
    Finding::new(
        Code::BadId,
        Severity::Cause,
        format!("{why} ({} {})", x.method.as_str(), template(&x.path)),
    )
    .keyed(format!(
        "{} {}",
        template(&x.path),
        why.split(' ').take(6).collect::<Vec<_>>().join(" ")
    ))
    .at(x)
    .consequence(format!(
        "{} cannot address the object: no update or delete can reach it",
        strict.idp
    ))
}

/// RFC 7644 §3.4.2: the ListResponse schema, integer totals, `Resources` an array.
fn list_shape(strict: &Strictness, x: &Exchange, body: &Value) -> Vec<Finding> {
    let mut missing = Vec::new();
    let mut paging = Vec::new();
    let is_list = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn::LIST_RESPONSE)));
    if !is_list {
        missing.push("`schemas` with the ListResponse URN".to_string());
    }
    for field in ["totalResults", "itemsPerPage", "startIndex"] {
        let into = if field == "totalResults" {
            &mut missing
        } else {
            &mut paging
        };
        match body.get(field) {
            None => into.push(format!("`{field}`")),
            Some(v) if v.as_u64().is_none() => {
                into.push(format!("`{field}` as an integer (found {v})"))
            }
            Some(_) => {}
        }
    }
    if body.get("Resources").is_some_and(|r| !r.is_array()) {
        missing.push("`Resources` as an array".into());
    }
    let idp = strict.idp;
    let consequence = |l: Level| match l {
        Level::Strict => format!("{idp} rejects the answer: it checks these fields"),
        Level::Tolerant => format!("{idp} reads `Resources` anyway"),
    };
    [(strict.list_shape, missing), (strict.list_paging, paging)]
        .into_iter()
        .filter(|(_, fields)| !fields.is_empty())
        .map(|(l, fields)| {
            level(
                l,
                Code::ListShape,
                format!("the server's ListResponse lacks {}", fields.join(", ")),
            )
            .keyed(fields.join(","))
            .at(x)
            .consequence(consequence(l))
        })
        .collect()
}

/// A `<attr> eq "<value>"` filter answered with resources that do not carry the value.
fn ignored_filter(strict: &Strictness, x: &Exchange, body: &Value) -> Vec<Finding> {
    // Nothing listed, nothing that could fail to match: told before the filter is decoded,
    // since nearly every matching query of an initial cycle is answered with an empty list
    // (callgrind, Okta at 2,000 users: ~4,200 instructions a query otherwise).
    let Some(listed) = body
        .get("Resources")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
    else {
        return vec![];
    };
    let Some((attr, value)) = simple_eq_filter(&x.path) else {
        return vec![];
    };
    // A query's path is a collection (`is_query`): its one segment names the endpoint.
    let key = if segments(&x.path).next() == Some("Groups") {
        MatchKey::display_name(&value)
    } else {
        MatchKey::user_attribute(&attr, &value)
    };
    let strays: Vec<String> = listed
        .iter()
        .filter(|r| !key.held_by(r))
        .map(|r| key.describe(r))
        .collect();
    match strays.first() {
        None => vec![],
        Some(first) => vec![Finding::new(
            Code::FilterIgnored,
            Severity::Error,
            format!(
                "the server ignored the filter `{attr} eq \"…\"`: {} of its answers do not match, e.g. {first}",
                strays.len()
            ),
        )
        .keyed(format!("{} {attr}", template(&x.path)))
        .at(x)
        .consequence(format!(
            "{} would link and overwrite an unrelated account; the harness adopts nothing from this answer",
            strict.idp
        ))],
    }
}

/// The attribute and value of a `filter=<attr> eq "<value>"` query, percent-decoded.
fn simple_eq_filter(path: &str) -> Option<(String, String)> {
    let query = path.split_once('?')?.1;
    let raw = query.split('&').find_map(|kv| kv.strip_prefix("filter="))?;
    // Borrowed throughout where nothing is encoded (the IdPs' own queries): this runs on
    // every query of a cycle.
    let spaced = match raw.contains('+') {
        true => std::borrow::Cow::Owned(raw.replace('+', " ")),
        false => std::borrow::Cow::Borrowed(raw),
    };
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()?;
    let mut words = decoded.splitn(3, ' ');
    let (attr, op, value) = (words.next()?, words.next()?, words.next()?);
    let value = value.strip_prefix('"')?.strip_suffix('"')?;
    (op.eq_ignore_ascii_case("eq") && !value.contains('"'))
        .then(|| (attr.to_string(), value.replace("\\\\", "\\")))
}

/// Attributes a create or replace carried that its answer lacks: `emails[].type`.
fn dropped(strict: &Strictness, x: &Exchange, answer: &Value) -> Vec<Finding> {
    let Some(sent) = x.request_body.as_ref() else {
        return vec![];
    };
    // This runs on every create and PUT of a cycle: the paths written are kept in one
    // string, not a set of strings (~10 allocations a create), sorted once, and each path
    // of the answer is looked up in them and struck off.
    let mut text = String::with_capacity(256);
    let mut wrote: Vec<(std::ops::Range<usize>, bool)> = Vec::with_capacity(16);
    let mut walked = String::with_capacity(64);
    leaves(sent, &mut walked, &mut |path| {
        let start = text.len();
        text.push_str(path);
        wrote.push((start..text.len(), false));
    });
    if wrote.is_empty() {
        return vec![];
    }
    // Compared as bytes (the order of `str` too), without a char-boundary check per slice.
    let bytes = text.as_bytes();
    wrote.sort_unstable_by(|a, b| bytes[a.0.clone()].cmp(&bytes[b.0.clone()]));
    wrote.dedup_by(|a, b| bytes[a.0.clone()] == bytes[b.0.clone()]);
    walked.clear();
    leaves(answer, &mut walked, &mut |path| {
        if let Ok(i) =
            wrote.binary_search_by(|(range, _)| bytes[range.clone()].cmp(path.as_bytes()))
        {
            wrote[i].1 = true;
        }
    });
    wrote
        .iter()
        .filter(|(_, answered)| !answered)
        .map(|(range, _)| {
            let path = &text[range.clone()];
            Finding::new(
                Code::DroppedAttribute,
                Severity::Cause,
                format!(
                    "the server drops `{path}`: {} {} answered without it",
                    x.method.as_str(),
                    template(&x.path)
                ),
            )
            .keyed(path)
            .at(x)
            .consequence(format!(
                "{} sends the value again on later cycles, or loses it",
                strict.idp
            ))
        })
        .collect()
}

/// Attributes the server assigns or never returns: not counted as dropped.
const NOT_RETURNED: &[&str] = &["schemas", "meta", "id", "password", "groups", "operations"];

/// Calls `seen` with each lower-cased leaf path holding a value: `name.givenname`,
/// `emails[].type`; an extension URN's attributes as `urn:…:user:department`. `path` is
/// the path so far, grown and cut back in place so that a walk allocates nothing per node.
fn leaves(v: &Value, path: &mut String, seen: &mut dyn FnMut(&str)) {
    walk(v, path, seen, Parent::Root);
}

/// Where a walk's object sits, which says how its keys join the path.
#[derive(Clone, Copy, PartialEq)]
enum Parent {
    /// The resource itself: a key starts the path.
    Root,
    /// An extension's object (`urn:…:User`): its keys follow a `:`. A URN holds dots of
    /// its own (`2.0`), so this is known from the walk, not read back from the path.
    Urn,
    /// Anything deeper: its keys follow a `.`.
    Inner,
}

fn walk(v: &Value, path: &mut String, seen: &mut dyn FnMut(&str), parent: Parent) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let len = path.len();
                if parent != Parent::Root {
                    path.push(if parent == Parent::Urn { ':' } else { '.' });
                }
                // Pushed whole and lower-cased in place: a char at a time was a third of
                // this walk's instructions.
                let start = path.len();
                path.push_str(k);
                path[start..].make_ascii_lowercase();
                let under = match parent {
                    Parent::Root if NOT_RETURNED.contains(&path.as_str()) => {
                        path.truncate(len);
                        continue;
                    }
                    Parent::Root if path.starts_with("urn:") => Parent::Urn,
                    _ => Parent::Inner,
                };
                walk(child, path, seen, under);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("[]");
            for item in items {
                walk(item, path, seen, Parent::Inner);
            }
            path.truncate(len);
        }
        Value::Null => {}
        Value::String(s) if s.is_empty() => {}
        _ => seen(path),
    }
}

#[cfg(test)]
mod tests;
