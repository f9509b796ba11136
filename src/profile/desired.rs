//! What a profile computes for one user: the attributes it wants the target to hold, what it
//! diffs them against, and the update that results.

use serde_json::Value;

use super::ScimRequest;
use crate::scim::lookup::ClientPath;
use crate::scim::schema::USER;

/// A mapped source text as a value: an empty or missing one is not sent ("null attributes
/// can't be provisioned", idp-behavior.md §1.3).
pub(crate) fn text(v: Option<&str>) -> Option<Value> {
    v.filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
}

/// `prefix` then `s`, as a string value: the run prefix in front of a mapped value. One
/// allocation of the right size: a profile builds a user's values on every pass over it
/// (Okta passes over each user once per event), and `format!` made this a few hundred
/// instructions a value.
pub(crate) fn prefixed(prefix: &str, s: &str) -> Value {
    let mut out = String::with_capacity(prefix.len() + s.len());
    out.push_str(prefix);
    out.push_str(s);
    Value::String(out)
}

/// What the IdP wants the target to hold for a user: attribute paths in mapping order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesiredUser {
    pub attrs: Vec<(&'static str, Value)>,
}

impl DesiredUser {
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.attrs.iter().find(|(p, _)| *p == path).map(|(_, v)| v)
    }

    pub fn user_name(&self) -> Option<&str> {
        self.get("userName").and_then(Value::as_str)
    }

    /// This record after an update that pushed `modified` towards `desired`: the pushed
    /// paths take `desired`'s values, every other path keeps what was last sent. So a value
    /// the IdP did not push (a clear it cannot send, a profile it holds back while
    /// deactivating) still counts as changed at the next push.
    pub fn after(&self, modified: &[ModifiedProperty], desired: &DesiredUser) -> DesiredUser {
        let pushed = |path: &str| modified.iter().any(|m| m.name == path);
        let mut attrs: Vec<(&'static str, Value)> = desired
            .attrs
            .iter()
            .filter_map(|(path, want)| match (pushed(path), self.get(path)) {
                (true, _) => Some((*path, want.clone())),
                (false, Some(old)) => Some((*path, old.clone())),
                (false, None) => None,
            })
            .collect();
        for (path, old) in &self.attrs {
            if desired.get(path).is_none() && !pushed(path) {
                attrs.push((*path, old.clone()));
            }
        }
        DesiredUser { attrs }
    }
}

/// What a profile diffs the desired user against to decide whether, and what, to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffSource {
    /// The target's answer: the IdP reads the user (`GET /Users/{id}`) before every update and
    /// diffs against what the server returned, so a server that drops or mangles a value is
    /// written again on every pass. Entra (idp-behavior.md §1.5, E-23: it reads
    /// `GET /Users/{id}`, compares, and sends only what differs).
    Target,
    /// The IdP's own record of what it last sent: it pushes when that record and the new
    /// mapping differ, whatever the target holds. Okta compares the Okta user with its
    /// app-user profile and pushes on profile change (§2.4, O-13, O-34: provisioning is
    /// event-driven); PingFederate keeps its sync state in an internal database (PF-18);
    /// PingOne pushes a user when it changes in PingOne (P1-13). That none of the three
    /// re-sends because of what a GET returned is `\[I\]` from those facts. `name` is how the
    /// record is named in the provisioning log.
    OwnRecord { name: &'static str },
}

/// What `Profile::update_user` diffs `desired` against, as the engine chose it from
/// `Profile::diff_source`.
#[derive(Debug, Clone, Copy)]
pub enum Before<'a> {
    /// The target's answer: the `current` argument.
    Target,
    /// What the IdP last sent for the user; empty for a user it matched and never wrote.
    Record(&'a DesiredUser),
}

impl Before<'_> {
    /// The value `path` is taken to hold now: in the target's answer or in the record.
    pub fn value(&self, current: &Value, path: &str) -> Option<Value> {
        match self {
            Before::Target => ClientPath::parse(path, &USER)
                .ok()
                .and_then(|p| p.get(current).cloned()),
            Before::Record(record) => record.get(path).cloned(),
        }
    }
}

/// A changed attribute, as Entra's provisioning log lists it (`modifiedProperties`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModifiedProperty {
    /// Borrowed when it is a mapped path (nearly always): a create names every attribute
    /// it sent, and each name was a string allocated for the log.
    #[serde(rename = "displayName")]
    pub name: std::borrow::Cow<'static, str>,
    #[serde(rename = "oldValue")]
    pub old: Option<Value>,
    #[serde(rename = "newValue")]
    pub new: Option<Value>,
}

/// An update a profile computed from what the target holds and what it wants.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub request: ScimRequest,
    pub modified: Vec<ModifiedProperty>,
}
