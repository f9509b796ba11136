//! The target's state: a small correct SCIM server with OneLogin's path-less PATCH replace.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

use super::{list, wire, BASE};

fn eq_value<'a>(filter: &'a str, attr: &str) -> Option<&'a str> {
    let mut words = filter.splitn(3, ' ');
    let (a, op, v) = (words.next()?, words.next()?, words.next()?);
    (a.eq_ignore_ascii_case(attr) && op.eq_ignore_ascii_case("eq")).then(|| v.trim_matches('"'))
}

/// A small correct SCIM server: users and groups by id, `eq` filters, POST assigns
/// `u-N`/`g-N`, PATCH applies path-less replaces and member adds/removes, DELETE removes.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) users: BTreeMap<String, Value>,
    pub(crate) groups: BTreeMap<String, Value>,
    pub(crate) next: usize,
    /// Answer 404 instead of an empty list to a lookup that finds nobody (OL-2).
    pub(crate) not_found_is_404: bool,
}

impl Store {
    fn collection(&mut self, endpoint: &str) -> &mut BTreeMap<String, Value> {
        if endpoint == "Users" {
            &mut self.users
        } else {
            &mut self.groups
        }
    }

    /// RFC 7644 §3.5.2: path-less replace sets each attribute of the value; `members` ops on
    /// groups add or remove by value. A lone `emails` object is one element.
    fn apply(resource: &mut Value, ops: &[Value]) {
        for op in ops {
            let verb = op["op"].as_str().unwrap_or_default();
            match (verb, op["path"].as_str()) {
                ("replace", None) => {
                    for (k, v) in op["value"].as_object().into_iter().flatten() {
                        let v = match (k.as_str(), v) {
                            ("emails", Value::Object(_)) => json!([v]),
                            ("active", Value::String(s)) => json!(s == "true"),
                            _ => v.clone(),
                        };
                        resource[k] = v;
                    }
                }
                ("replace", Some(path)) => resource[path] = op["value"].clone(),
                ("add", Some("members")) => {
                    let members = resource["members"].as_array().cloned().unwrap_or_default();
                    let mut members = members;
                    members.extend(op["value"].as_array().cloned().unwrap_or_default());
                    resource["members"] = Value::Array(members);
                }
                ("remove", Some(path)) => {
                    let gone = path
                        .strip_prefix("members[value eq \"")
                        .and_then(|p| p.strip_suffix("\"]"))
                        .unwrap_or_default();
                    if let Some(members) = resource["members"].as_array_mut() {
                        members.retain(|m| m["value"] != json!(gone));
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn answer(&mut self, req: &Request) -> ResponseTemplate {
        let Some(rest) = req.url.path().strip_prefix(BASE) else {
            return wire::scim(404, &json!({"status": "404"}));
        };
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let body: Option<Value> = serde_json::from_slice(&req.body).ok();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", [endpoint @ ("Users" | "Groups")]) => {
                let filter: Option<String> = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "filter")
                    .map(|(_, v)| v.into_owned());
                let attr = if *endpoint == "Users" {
                    "userName"
                } else {
                    "displayName"
                };
                let wanted = filter.as_deref().and_then(|f| eq_value(f, attr));
                let hits: Vec<Value> = self
                    .collection(endpoint)
                    .values()
                    .filter(|r| {
                        wanted.is_none_or(|w| {
                            r[attr].as_str().is_some_and(|v| v.eq_ignore_ascii_case(w))
                        })
                    })
                    .cloned()
                    .collect();
                if hits.is_empty() && wanted.is_some() && self.not_found_is_404 {
                    return wire::scim(404, &json!({"status": "404"}));
                }
                wire::scim(200, &list(hits))
            }
            ("POST", [endpoint @ ("Users" | "Groups")]) => {
                let Some(Value::Object(mut body)) = body else {
                    return wire::scim(400, &json!({"status": "400"}));
                };
                self.next += 1;
                let id = format!(
                    "{}-{}",
                    if *endpoint == "Users" { "u" } else { "g" },
                    self.next
                );
                body.insert("id".into(), json!(id));
                if let Some(Value::String(s)) = body.get("active") {
                    let b = s == "true";
                    body.insert("active".into(), json!(b));
                }
                let resource = Value::Object(body);
                self.collection(endpoint).insert(id, resource.clone());
                wire::scim(201, &resource)
            }
            (method, [endpoint @ ("Users" | "Groups"), id]) => {
                let Some(resource) = self.collection(endpoint).get_mut(*id) else {
                    return wire::scim(404, &json!({"status": "404"}));
                };
                match (method, body) {
                    ("GET", _) => wire::scim(200, resource),
                    ("PATCH", Some(body)) => {
                        let ops = body["Operations"].as_array().cloned().unwrap_or_default();
                        Self::apply(resource, &ops);
                        wire::scim(200, resource)
                    }
                    ("DELETE", _) => {
                        self.collection(endpoint).remove(*id);
                        ResponseTemplate::new(204)
                    }
                    _ => wire::scim(405, &json!({"status": "405"})),
                }
            }
            _ => wire::scim(404, &json!({"status": "404"})),
        }
    }
}
