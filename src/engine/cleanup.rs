//! Cleanup: deletes what the run created on the target, and nothing else, and says what it
//! could not prove gone. Objects whose create answer never came (or brought no usable id) are
//! found by the exact name the create sent; an object counts as gone only once a GET says 404.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Created, CreatedObject};
use crate::client::ScimClient;
use crate::scim::lookup::get_ci;
use crate::scim::request::{eq_filter_path, list_resources, ScimRequest, Verb};
use crate::scim::{member_path, server_id};

/// What cleanup did: human-readable entries such as
/// `Users 2819c223 (userName shx1-ada@contoso.com): DELETE answered 500`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// Objects deleted and verified gone (a GET answered 404).
    pub deleted: Vec<String>,
    /// Objects that may still be on the target, each with why.
    pub left: Vec<String>,
}

impl Cleanup {
    /// Whether everything the run created is provably gone.
    pub fn is_clean(&self) -> bool {
        self.left.is_empty()
    }

    /// One warning per object left on the target.
    pub fn warnings(&self) -> Vec<String> {
        self.left
            .iter()
            .map(|l| format!("cleanup left an object of this run on the target: {l}"))
            .collect()
    }
}

/// `Users 2819c223 (userName shx1-ada@contoso.com)`.
fn label(entry: &CreatedObject, id: Option<&str>) -> String {
    let mut s = entry.endpoint.to_string();
    if let Some(id) = id {
        s.push(' ');
        s.push_str(id);
    }
    if let Some(name) = &entry.name {
        s.push_str(&format!(" ({} {name})", entry.name_attribute()));
    }
    s
}

/// The ids of the objects carrying exactly `name`, looked up by filter; `Err`: why the
/// lookup cannot tell.
async fn find_by_name(
    client: &ScimClient,
    entry: &CreatedObject,
    name: &str,
) -> Result<Vec<String>, String> {
    let attribute = entry.name_attribute();
    let head = format!("{}?filter=", entry.collection.trim_end_matches('/'));
    let path = eq_filter_path(&head, attribute, name, "");
    let r = client
        .send(&ScimRequest::get(path.clone()))
        .await
        .map_err(|e| format!("looking it up with GET {path} failed: {e}"))?;
    if r.status == 404 {
        return Ok(vec![]);
    }
    if r.status != 200 {
        return Err(format!(
            "looking it up with GET {path} answered {}",
            r.status
        ));
    }
    let found = list_resources(r.body.as_deref());
    let mine: Vec<&Value> = found
        .iter()
        .filter(|o| get_ci(o, attribute).and_then(Value::as_str) == Some(name))
        .collect();
    if mine.is_empty() && !found.is_empty() {
        return Err(format!(
            "looking it up with GET {path} answered only objects with another {attribute} (the server ignores the filter), so whether it exists cannot be told"
        ));
    }
    mine.into_iter()
        .map(|o| {
            server_id(o)
                .map(str::to_string)
                .map_err(|bad| format!("GET {path} found it, but {bad}"))
        })
        .collect()
}

/// Deletes what the run created, newest first, and verifies each is gone. A 404 to the
/// DELETE means already gone. Nothing not created by the run is ever deleted: an object is
/// addressed by the id its create answer brought, or found by the exact name its create sent.
pub async fn cleanup(client: &ScimClient, created: &Created) -> Cleanup {
    let mut out = Cleanup::default();
    let mut targets: Vec<(String, String, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in created.newest_first() {
        let ids = match (&entry.id, &entry.name) {
            (Some(id), _) => vec![id.clone()],
            (None, None) => {
                out.left.push(format!(
                    "{}: its create brought no usable id and sent no name to look it up by",
                    label(&entry, None)
                ));
                continue;
            }
            (None, Some(name)) => match find_by_name(client, &entry, name).await {
                Ok(ids) => ids,
                Err(why) => {
                    out.left.push(format!(
                        "{}: its create brought no usable id, and {why}",
                        label(&entry, None)
                    ));
                    continue;
                }
            },
        };
        for id in ids {
            if seen.insert((entry.collection.clone(), id.clone())) {
                let l = label(&entry, Some(&id));
                targets.push((entry.collection.clone(), id, l));
            }
        }
    }
    for (collection, id, l) in targets {
        let path = member_path(&collection, &id);
        let delete = ScimRequest {
            verb: Verb::Delete,
            path: path.clone(),
            body: None,
        };
        match client.send(&delete).await {
            Ok(r) if r.is_success() || r.status == 404 => {}
            Ok(r) => {
                out.left.push(format!("{l}: DELETE answered {}", r.status));
                continue;
            }
            Err(e) => {
                out.left.push(format!("{l}: DELETE failed: {e}"));
                continue;
            }
        }
        match client.send(&ScimRequest::get(path)).await {
            Ok(r) if r.status == 404 => out.deleted.push(l),
            Ok(r) if r.status == 200 => out
                .left
                .push(format!("{l}: still there after DELETE (GET answered 200)")),
            Ok(r) => out.left.push(format!(
                "{l}: GET after DELETE answered {}, so it is not provably gone",
                r.status
            )),
            Err(e) => out.left.push(format!(
                "{l}: GET after DELETE failed ({e}), so it is not provably gone"
            )),
        }
    }
    client.take_exchanges();
    out
}
