//! What the run created on the target, tracked from the moment each create is sent, so that
//! cleanup deletes exactly those objects and finds one whose answer never came by its name.

use std::sync::{Arc, Mutex, PoisonError};

/// An object this run created on the target, or may have: recorded when its create is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    /// `Users` or `Groups`: what kind of object it is.
    pub endpoint: &'static str,
    /// The collection its create was POSTed to, where cleanup finds and deletes it:
    /// `/{endpoint}` unless the IdP was configured with another resource path (PingOne's
    /// `USERS_RESOURCE` / `GROUPS_RESOURCE`).
    pub collection: String,
    /// The userName or displayName the create sent (with the run prefix), by which cleanup
    /// finds an object whose create answer never came or brought no usable id.
    pub name: Option<String>,
    /// The id the create answer brought; `None` while pending.
    pub id: Option<String>,
}

impl CreatedObject {
    /// The attribute `name` is: `userName` or `displayName`.
    pub fn name_attribute(&self) -> &'static str {
        if self.endpoint == "Groups" {
            "displayName"
        } else {
            "userName"
        }
    }
}

/// A create that was sent and whose answer has not brought an id yet.
#[derive(Debug)]
#[must_use = "a pending create is resolved with the id its answer brings"]
pub struct Pending(usize);

/// What the run created on the target, shared with the CLI so that cleanup (at the end, or on
/// Ctrl-C while a scenario is still running) deletes exactly those objects and nothing else.
/// An object is tracked from the moment its create is sent, so one whose answer is lost is
/// still looked for.
#[derive(Debug, Clone, Default)]
pub struct Created(Arc<Mutex<Vec<CreatedObject>>>);

impl Created {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<CreatedObject>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a create about to be sent to `endpoint` for the object named `name`.
    pub fn sending(&self, endpoint: &'static str, name: Option<&str>) -> Pending {
        self.sending_to(endpoint, &format!("/{endpoint}"), name)
    }

    /// Records a create about to be POSTed to `collection` (an `endpoint` object at a
    /// configured resource path), so cleanup addresses it there.
    pub fn sending_to(
        &self,
        endpoint: &'static str,
        collection: &str,
        name: Option<&str>,
    ) -> Pending {
        let mut entries = self.entries();
        entries.push(CreatedObject {
            endpoint,
            collection: collection.to_string(),
            name: name.map(str::to_string),
            id: None,
        });
        Pending(entries.len() - 1)
    }

    /// The create's answer brought a valid id.
    pub fn resolve(&self, pending: Pending, id: &str) {
        if let Some(entry) = self.entries().get_mut(pending.0) {
            entry.id = Some(id.to_string());
        }
    }

    /// One line per object that may be on the target, for a run that must stop before
    /// cleanup could prove anything: `Users 2819c2 (userName shx-ada@contoso.com)`.
    pub fn describe(&self) -> Vec<String> {
        self.newest_first()
            .iter()
            .map(|o| {
                let name = o
                    .name
                    .as_deref()
                    .map(|n| format!(" ({} {n})", o.name_attribute()))
                    .unwrap_or_default();
                match &o.id {
                    Some(id) => format!("{} {id}{name}", o.endpoint),
                    None => format!("{}{name}: create sent, no id known", o.endpoint),
                }
            })
            .collect()
    }

    /// Everything recorded so far, newest first: the order to delete in.
    pub fn newest_first(&self) -> Vec<CreatedObject> {
        let mut v = self.entries().clone();
        v.reverse();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_creates_resolve_to_their_id() {
        let created = Created::default();
        let a = created.sending("Users", Some("shx-ada@contoso.com"));
        let _lost = created.sending("Groups", Some("shx-Sales"));
        created.resolve(a, "u1");
        let all = created.newest_first();
        assert_eq!(all[0].endpoint, "Groups");
        assert_eq!(all[0].id, None);
        assert_eq!(all[1].id.as_deref(), Some("u1"));
        assert_eq!(all[1].name_attribute(), "userName");
    }
}
