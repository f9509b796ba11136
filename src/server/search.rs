//! `POST …/.search` (RFC 7644 §3.4.3): the query parameters of §3.4.2 sent as a
//! `SearchRequest` body, on one collection or on the root across every resource type.
//! It only reads the directory; listing does the filtering, sorting and projection.

use std::cmp::Ordering;

use serde_json::Value;

use super::error::ApiError;
use super::filter::{parse_filter, Filter, FilterError};
use super::listing::{
    compare, descending, filter_text, matching, paging, sort_by, sort_key, Projection, Query,
};
use super::path::parse_attr_path;
use super::store::{Directory, Kind, Stored};
use crate::scim::{urn, ListResponse};

/// A `SearchRequest` body as a `Query`. Keys are matched case-insensitively and the `schemas`
/// list is not required, as for query parameters; `attributes` may be a list or one
/// comma-separated string, `startIndex` and `count` numbers or numeric strings.
pub fn query_of(body: &Value) -> Result<Query, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::bad_request(
            "invalidSyntax",
            "a SearchRequest must be a JSON object",
        ));
    };
    let mut pairs = vec![];
    for (key, value) in fields {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_string).ok_or_else(|| {
                        ApiError::invalid_value(format!("'{key}' must list attribute names"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            other => {
                return Err(ApiError::invalid_value(format!(
                    "'{key}' must be a string or a number, got {other}"
                )))
            }
        };
        pairs.push((key.clone(), text));
    }
    Ok(Query::from_pairs(pairs))
}

fn names(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A name no resource type has is a client error, as it is on one collection.
fn check_known(names: &[String]) -> Result<(), ApiError> {
    for name in names {
        if Kind::ALL
            .iter()
            .all(|k| parse_attr_path(name, k.def()).is_err())
        {
            return Err(ApiError::invalid_value(format!(
                "unknown attribute '{name}' in attribute list: no resource type has it"
            )));
        }
    }
    Ok(())
}

/// Each type's filter. RFC 7644 §3.4.2: an attribute a type does not have is treated as having
/// no value, so a filter naming it selects nothing of that type; any other fault is the
/// client's. A filter naming attributes no type has is refused.
fn filters(text: Option<&str>) -> Result<Vec<(Kind, Option<Filter>)>, ApiError> {
    let Some(text) = text else {
        return Ok(Kind::ALL.iter().map(|&k| (k, None)).collect());
    };
    let mut out = vec![];
    let mut unknown = None;
    for &kind in Kind::ALL {
        match parse_filter(text, kind.def()) {
            Ok(f) => out.push((kind, Some(f))),
            Err(e @ FilterError::Attribute { .. }) => unknown = unknown.or(Some(e)),
            Err(e) => return Err(ApiError::bad_request("invalidFilter", e.to_string())),
        }
    }
    match (out.is_empty(), unknown) {
        (true, Some(e)) => Err(ApiError::bad_request("invalidFilter", e.to_string())),
        _ => Ok(out),
    }
}

/// One resource a root search selected, with its sort key and whether that compares case-exact.
type Hit<'a> = (Kind, &'a Stored, Option<(&'a Value, bool)>);

/// The root search: Users then Groups in creation order, unless `sortBy` orders them all.
pub fn search_all(
    dir: &Directory,
    query: &Query,
    base_url: &str,
) -> Result<ListResponse, ApiError> {
    let (start_index, count) = paging(query)?;
    let attributes = names(query.attributes.as_deref());
    let excluded = names(query.excluded_attributes.as_deref());
    check_known(&attributes)?;
    check_known(&excluded)?;
    let order = sort_by(query)
        .map(|s| descending(query).map(|d| (s, d)))
        .transpose()?;
    if let Some((s, _)) = order {
        check_known(&[s.to_string()])?;
    }

    let mut hits: Vec<Hit> = vec![];
    for (kind, filter) in filters(filter_text(query))? {
        let path = order.and_then(|(s, _)| parse_attr_path(s, kind.def()).ok());
        for stored in matching(dir, kind, filter.as_ref()) {
            let key = path.as_ref().and_then(|p| {
                let case_exact = p.sub.map_or(p.resolved.attr.case_exact, |s| s.case_exact);
                sort_key(stored, p).map(|v| (v, case_exact))
            });
            hits.push((kind, stored, key));
        }
    }
    if let Some((_, desc)) = order {
        // RFC 7644 §3.4.2.3: resources without a value sort last ascending, first descending.
        hits.sort_by(|a, b| {
            let ord = match (a.2, b.2) {
                (Some((x, exact)), Some((y, _))) => compare(x, y, exact),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if desc {
                ord.reverse()
            } else {
                ord
            }
        });
    }

    let total = hits.len() as u64;
    let resources: Vec<Value> = hits
        .into_iter()
        .skip((start_index - 1) as usize)
        .take(count as usize)
        .map(|(kind, stored, _)| {
            Projection::known_to(&attributes, &excluded, kind.def())
                .apply(dir.render(kind, stored, base_url))
        })
        .collect();
    Ok(ListResponse {
        schemas: vec![urn::LIST_RESPONSE.to_string()],
        total_results: total,
        items_per_page: resources.len() as u64,
        start_index,
        resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn search_request_bodies_become_queries() {
        let q = query_of(&json!({
            "schemas": [urn::SEARCH_REQUEST],
            "attributes": ["userName", "emails"],
            "excludedAttributes": "name",
            "filter": "userName sw \"a\"",
            "startIndex": 2,
            "count": "5",
            "sortOrder": null
        }))
        .expect("accepted");
        assert_eq!(q.attributes.as_deref(), Some("userName,emails"));
        assert_eq!(q.excluded_attributes.as_deref(), Some("name"));
        assert_eq!(q.filter.as_deref(), Some("userName sw \"a\""));
        assert_eq!(
            (q.start_index.as_deref(), q.count.as_deref()),
            (Some("2"), Some("5"))
        );
        assert_eq!(q.sort_order, None);
        assert!(query_of(&json!([])).is_err());
        assert!(query_of(&json!({"attributes": [1]})).is_err());
        assert!(query_of(&json!({"count": {"n": 1}})).is_err());
    }

    #[test]
    fn root_filter_on_one_type_attribute_selects_nothing_of_the_other() {
        let per_type = filters(Some("userName eq \"a\"")).expect("a User attribute");
        assert_eq!(per_type.len(), 1);
        assert_eq!(per_type[0].0, Kind::User);
        assert!(filters(Some("nosuch eq \"a\"")).is_err());
        assert!(filters(Some("userName eq")).is_err());
    }
}
