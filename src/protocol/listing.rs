//! Listing and paging (RFC 7644 §3.4.2, §3.4.2.4): a ListResponse with integer
//! `totalResults`, `itemsPerPage` and `startIndex`; 1-based `startIndex` and `count`
//! honoured; `totalResults` counting every match, not the page; a stable order across pages.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{Check, CheckRun, Ctx, Feature, Level};
use crate::check::finding::Code;
use crate::scim::request::{encode_query_value, list_resources, quote};
use crate::scim::{server_id, urn, ScimRequest};

pub const CHECKS: &[Check] = &[
    Check {
        name: "listing.list-response-shape",
        summary: "a query answers a ListResponse with integer totalResults, itemsPerPage, startIndex and a Resources array",
        section: "RFC 7644 §3.4.2",
        idps: "Entra (E-5, E-72), Okta (O-1, O-2)",
        level: Level::Required,
        needs: None,
        run: shape,
    },
    Check {
        name: "listing.pages-by-start-index-and-count",
        summary: "7 matches paged by count=3 come as 3+3+1 from 1-based startIndex, totalResults 7 on every page, each once",
        section: "RFC 7644 §3.4.2.4",
        idps: "Okta (O-1, O-33), PingFederate (PF-10)",
        level: Level::Required,
        needs: Some(Feature::Filter),
        run: pages,
    },
];

/// What is wrong with a ListResponse body, in one clause.
fn shape_problem(body: Option<&Value>) -> Option<String> {
    let Some(body) = body else {
        return Some("the answer is not JSON".into());
    };
    let listed = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(urn::LIST_RESPONSE)));
    if !listed {
        return Some(format!("`schemas` does not hold {}", urn::LIST_RESPONSE));
    }
    for key in ["totalResults", "itemsPerPage", "startIndex"] {
        match body.get(key) {
            Some(v) if v.is_u64() => {}
            Some(v) => return Some(format!("`{key}` is {v}, not an integer")),
            None => return Some(format!("`{key}` is missing")),
        }
    }
    if body.get("Resources").is_some_and(|r| !r.is_array()) {
        return Some("`Resources` is not an array".into());
    }
    None
}

fn shape<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        ctx.create_plain_user("shape").await?;
        let a = ctx
            .send(ScimRequest::get("/Users?startIndex=1&count=2"))
            .await?;
        if a.status() != 200 {
            return Err(a.finding(
                Code::Rejected,
                format!(
                    "GET /Users?startIndex=1&count=2 was answered {}, not 200",
                    a.status()
                ),
            ));
        }
        if let Some(problem) = shape_problem(a.body()) {
            return Err(a.finding(
                Code::ListShape,
                format!("GET /Users answered a malformed ListResponse: {problem}"),
            ));
        }
        Ok(())
    })
}

fn pages<'a>(ctx: &'a Ctx<'a>) -> CheckRun<'a> {
    Box::pin(async move {
        const USERS: u64 = 7;
        const COUNT: u64 = 3;
        let mut mine = BTreeSet::new();
        for i in 0..USERS {
            let body = json!({"userName": ctx.user_name(&format!("page-{i}")), "active": true});
            mine.insert(ctx.create_user(body).await?.0);
        }
        let filter = format!("userName sw {}", quote(&format!("{}page-", ctx.prefix)));
        let mut seen: Vec<String> = Vec::new();
        let mut start = 1;
        while start <= USERS {
            let path = format!(
                "/Users?filter={}&startIndex={start}&count={COUNT}",
                encode_query_value(&filter)
            );
            let a = ctx.send(ScimRequest::get(path)).await?;
            if a.status() != 200 {
                return Err(a.finding(
                    Code::Rejected,
                    format!(
                        "the page at startIndex {start} was answered {}, not 200",
                        a.status()
                    ),
                ));
            }
            if let Some(problem) = shape_problem(a.body()) {
                return Err(a.finding(
                    Code::ListShape,
                    format!("a page is a malformed ListResponse: {problem}"),
                ));
            }
            let body = a.body().cloned().unwrap_or(Value::Null);
            let items = list_resources(Some(&body));
            let want = COUNT.min(USERS - start + 1);
            let int = |k: &str| body.get(k).and_then(Value::as_u64).unwrap_or(0);
            if items.len() as u64 != want {
                return Err(a.finding(
                    Code::Paging,
                    format!(
                        "the page at startIndex {start} with count {COUNT} held {} resources, not {want} (of {USERS} matches)",
                        items.len()
                    ),
                ));
            }
            if int("totalResults") != USERS {
                return Err(a.finding(
                    Code::Paging,
                    format!(
                        "the page at startIndex {start} says totalResults {}, not {USERS}: totalResults counts every match, not the page",
                        int("totalResults")
                    ),
                ));
            }
            if int("startIndex") != start || int("itemsPerPage") != want {
                return Err(a.finding(
                    Code::Paging,
                    format!(
                        "the page asked at startIndex {start} says startIndex {} and itemsPerPage {} (expected {start} and {want})",
                        int("startIndex"),
                        int("itemsPerPage")
                    ),
                ));
            }
            for r in &items {
                let id = server_id(r).map(str::to_string).unwrap_or_default();
                if seen.contains(&id) {
                    return Err(a.finding(
                        Code::Paging,
                        format!("the page at startIndex {start} repeats {id}, already on an earlier page: the order is not stable"),
                    ));
                }
                if !mine.contains(&id) {
                    return Err(a.finding(
                        Code::FilterIgnored,
                        format!("the page at startIndex {start} holds {id}, which does not match `{filter}`"),
                    ));
                }
                seen.push(id);
            }
            start += COUNT;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_shapes_name_the_first_problem() {
        let ok = json!({"schemas": [urn::LIST_RESPONSE], "totalResults": 1, "itemsPerPage": 1,
            "startIndex": 1, "Resources": []});
        assert_eq!(shape_problem(Some(&ok)), None);
        let mut bad = ok.clone();
        bad["totalResults"] = json!("1");
        assert_eq!(
            shape_problem(Some(&bad)).as_deref(),
            Some("`totalResults` is \"1\", not an integer")
        );
        let mut bad = ok;
        bad.as_object_mut().map(|o| o.remove("startIndex"));
        assert_eq!(
            shape_problem(Some(&bad)).as_deref(),
            Some("`startIndex` is missing")
        );
    }
}
