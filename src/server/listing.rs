//! Query parameters of RFC 7644 §3.4.2 and §3.9: filtering, sorting, pagination, and the
//! `attributes` / `excludedAttributes` projection. Pagination is 1-based and never fails on
//! out-of-range values: they are clamped, as the RFC asks.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::error::ApiError;
use super::filter::{parse_filter, Filter};
use super::path::{parse_attr_path, values, AttrPath};
use super::store::{fold, Directory, Kind, Stored};
use crate::scim::schema::{AttrType, ResourceTypeDef, Returned};
use crate::scim::{urn, ListResponse};

/// The most resources one page returns; published as `filter.maxResults`.
pub const MAX_RESULTS: u64 = 1000;

/// Query parameters, keys matched case-insensitively (clients differ in spelling).
#[derive(Debug, Default)]
pub struct Query {
    pub filter: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl Query {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut q = Query::default();
        for (k, v) in pairs {
            let slot = match k.to_ascii_lowercase().as_str() {
                "filter" => &mut q.filter,
                "startindex" => &mut q.start_index,
                "count" => &mut q.count,
                "sortby" => &mut q.sort_by,
                "sortorder" => &mut q.sort_order,
                "attributes" => &mut q.attributes,
                "excludedattributes" => &mut q.excluded_attributes,
                _ => continue,
            };
            *slot = Some(v);
        }
        q
    }

    pub fn projection(&self, rt: &'static ResourceTypeDef) -> Result<Projection, ApiError> {
        Projection::new(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
            rt,
        )
    }
}

/// Parses a pagination integer; RFC 7644 §3.4.2.4 clamps negatives, but text is an error.
fn parse_int(name: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid_value(format!("'{name}' must be an integer, got '{text}'"))
        }),
    }
}

/// `startIndex` and `count` of a query, clamped as RFC 7644 §3.4.2.4 asks.
pub(super) fn paging(query: &Query) -> Result<(u64, u64), ApiError> {
    let start_index = parse_int("startIndex", query.start_index.as_deref())?
        .unwrap_or(1)
        .max(1) as u64;
    let count = parse_int("count", query.count.as_deref())?
        .map(|c| c.max(0) as u64)
        .unwrap_or(MAX_RESULTS)
        .min(MAX_RESULTS);
    Ok((start_index, count))
}

/// `sortOrder`: true when descending.
pub(super) fn descending(query: &Query) -> Result<bool, ApiError> {
    match query.sort_order.as_deref().map(str::to_ascii_lowercase) {
        None => Ok(false),
        Some(o) if o == "ascending" || o.is_empty() => Ok(false),
        Some(o) if o == "descending" => Ok(true),
        Some(o) => Err(ApiError::invalid_value(format!(
            "sortOrder must be 'ascending' or 'descending', got '{o}'"
        ))),
    }
}

/// `sortBy`, when the query has one.
pub(super) fn sort_by(query: &Query) -> Option<&str> {
    query
        .sort_by
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `filter`, when the query has one.
pub(super) fn filter_text(query: &Query) -> Option<&str> {
    query.filter.as_deref().filter(|f| !f.trim().is_empty())
}

/// Runs a list query against one collection.
pub fn list(
    dir: &Directory,
    kind: Kind,
    query: &Query,
    base_url: &str,
) -> Result<ListResponse, ApiError> {
    let rt = kind.def();
    let filter = filter_text(query)
        .map(|f| parse_filter(f, rt))
        .transpose()
        .map_err(|e| ApiError::bad_request("invalidFilter", e.to_string()))?;
    let (start_index, count) = paging(query)?;
    let projection = query.projection(rt)?;

    let mut hits: Vec<&Stored> = matching(dir, kind, filter.as_ref());
    if let Some(sort_by) = sort_by(query) {
        let path = parse_attr_path(sort_by, rt)
            .map_err(|e| ApiError::bad_request("invalidValue", format!("sortBy: {e}")))?;
        sort(&mut hits, &path, descending(query)?);
    }

    let total = hits.len() as u64;
    let resources: Vec<Value> = hits
        .into_iter()
        .skip((start_index - 1) as usize)
        .take(count as usize)
        .map(|s| projection.apply(dir.render(kind, s, base_url)))
        .collect();
    Ok(ListResponse {
        schemas: vec![urn::LIST_RESPONSE.to_string()],
        total_results: total,
        items_per_page: resources.len() as u64,
        start_index,
        resources,
    })
}

/// The resources a filter selects, in creation order. A single `eq` on the unique attribute
/// goes through the index: it is what every IdP's matching query is (idp-behavior.md §7).
pub(super) fn matching<'a>(
    dir: &'a Directory,
    kind: Kind,
    filter: Option<&Filter>,
) -> Vec<&'a Stored> {
    let Some(filter) = filter else {
        return dir.iter(kind).collect();
    };
    if let Some((attr, value)) = filter.simple_eq() {
        if attr == kind.unique_attr() {
            return dir.find_unique(kind, value).into_iter().collect();
        }
    }
    dir.iter(kind)
        .filter(|s| filter.matches(&s.attrs))
        .collect()
}

/// The value a resource sorts by: for a multi-valued attribute the primary one, else the first.
pub(super) fn sort_key<'a>(stored: &'a Stored, path: &AttrPath) -> Option<&'a Value> {
    let vals = values(&stored.attrs, path);
    if path.resolved.attr.multi_valued && path.sub.is_none() {
        return vals
            .iter()
            .find(|v| v.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| vals.first())
            .and_then(|v| v.get("value"));
    }
    vals.into_iter().next()
}

pub(super) fn compare(a: &Value, b: &Value, case_exact: bool) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) if case_exact => x.cmp(y),
        (Value::String(x), Value::String(y)) => fold(x).cmp(&fold(y)),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// RFC 7644 §3.4.2.3: resources without a value sort last ascending, first descending.
fn sort(hits: &mut [&Stored], path: &AttrPath, descending: bool) {
    let case_exact = path
        .sub
        .map_or(path.resolved.attr.case_exact, |s| s.case_exact);
    hits.sort_by(|a, b| {
        let ord = match (sort_key(a, path), sort_key(b, path)) {
            (Some(x), Some(y)) => compare(x, y, case_exact),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let ord = if descending { ord.reverse() } else { ord };
        ord.then(a.seq.cmp(&b.seq))
    });
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9). Attributes returned "always" (`id`,
/// `schemas`) survive either list.
#[derive(Debug, Default)]
pub struct Projection {
    include: Option<Vec<AttrPath>>,
    exclude: Vec<AttrPath>,
}

fn parse_list(raw: &str, rt: &'static ResourceTypeDef) -> Result<Vec<AttrPath>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            parse_attr_path(name, rt).map_err(|e| {
                ApiError::invalid_value(format!(
                    "unknown attribute '{name}' in attribute list: {e}"
                ))
            })
        })
        .collect()
}

impl Projection {
    pub fn new(
        attributes: Option<&str>,
        excluded: Option<&str>,
        rt: &'static ResourceTypeDef,
    ) -> Result<Self, ApiError> {
        let include = attributes
            .filter(|a| !a.trim().is_empty())
            .map(|a| parse_list(a, rt))
            .transpose()?;
        let exclude = excluded
            .map(|e| parse_list(e, rt))
            .transpose()?
            .unwrap_or_default();
        Ok(Projection { include, exclude })
    }

    /// The projection for one resource type of a search across types (RFC 7644 §3.4.3 at the
    /// root): names this type does not have are left out, as an attribute it has no value of.
    pub(super) fn known_to(
        attributes: &[String],
        excluded: &[String],
        rt: &'static ResourceTypeDef,
    ) -> Self {
        let known = |names: &[String]| -> Vec<AttrPath> {
            names
                .iter()
                .filter_map(|n| parse_attr_path(n, rt).ok())
                .collect()
        };
        Projection {
            include: (!attributes.is_empty()).then(|| known(attributes)),
            exclude: known(excluded),
        }
    }

    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut obj) = resource else {
            return resource;
        };
        if let Some(include) = &self.include {
            let mut out = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = obj.get(key) {
                    out.insert(key.to_string(), v.clone());
                }
            }
            for path in include {
                copy_path(&obj, &mut out, path);
            }
            obj = out;
        }
        for path in &self.exclude {
            if path.resolved.attr.returned == Returned::Always {
                continue;
            }
            remove_path(&mut obj, path);
        }
        Value::Object(obj)
    }
}

/// The JSON object holding a path's attribute: the resource itself or its extension object.
fn container_key(path: &AttrPath) -> Option<&'static str> {
    path.resolved
        .in_extension
        .then_some(path.resolved.schema.id)
}

fn copy_path(from: &Map<String, Value>, to: &mut Map<String, Value>, path: &AttrPath) {
    let attr = path.resolved.attr.name;
    let (src, dst) = match container_key(path) {
        Some(ext) => {
            let Some(src) = from.get(ext).and_then(Value::as_object) else {
                return;
            };
            let dst = to
                .entry(ext.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            let Some(dst) = dst.as_object_mut() else {
                return;
            };
            (src, dst)
        }
        None => (from, to),
    };
    let Some(value) = src.get(attr) else {
        return;
    };
    match path.sub {
        None => {
            dst.insert(attr.to_string(), value.clone());
        }
        Some(sub) if path.resolved.attr.kind == AttrType::Complex => {
            let pick = |v: &Value| -> Value {
                let mut m = Map::new();
                if let Some(s) = v.get(sub.name) {
                    m.insert(sub.name.to_string(), s.clone());
                }
                Value::Object(m)
            };
            let picked = match value {
                Value::Array(items) => Value::Array(items.iter().map(pick).collect()),
                other => pick(other),
            };
            merge_into(dst, attr, picked);
        }
        Some(_) => {}
    }
}

/// Merges a projected complex value into what an earlier path already copied.
fn merge_into(dst: &mut Map<String, Value>, attr: &str, picked: Value) {
    match (dst.get_mut(attr), picked) {
        (Some(Value::Object(existing)), Value::Object(new)) => existing.extend(new),
        (Some(Value::Array(existing)), Value::Array(new)) if existing.len() == new.len() => {
            for (e, n) in existing.iter_mut().zip(new) {
                if let (Value::Object(e), Value::Object(n)) = (e, n) {
                    e.extend(n);
                }
            }
        }
        (_, picked) => {
            dst.insert(attr.to_string(), picked);
        }
    }
}

fn remove_path(obj: &mut Map<String, Value>, path: &AttrPath) {
    let attr = path.resolved.attr.name;
    let holder = match container_key(path) {
        Some(ext) => match obj.get_mut(ext).and_then(Value::as_object_mut) {
            Some(h) => h,
            None => return,
        },
        None => obj,
    };
    match path.sub {
        None => {
            holder.remove(attr);
        }
        Some(sub) => match holder.get_mut(attr) {
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Some(o) = item.as_object_mut() {
                        o.remove(sub.name);
                    }
                }
            }
            Some(Value::Object(o)) => {
                o.remove(sub.name);
            }
            _ => {}
        },
    }
}
