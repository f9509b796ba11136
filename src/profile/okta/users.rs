//! Okta's users (idp-behavior.md §2.2–§2.5): the SCIM template's mapping and POST, GET + PUT
//! of the merged object, the path-less (de)activation PATCH. Never a `DELETE /Users`: Okta does
//! not delete users (§2.4).

use serde_json::{json, Map, Value};

use super::{Integration, Okta};
use crate::idp::SourceUser;
use crate::profile::desired::{prefixed, text};
use crate::profile::{
    eq_filter_path, Before, DesiredUser, ModifiedProperty, ScimRequest, Update, Verb,
};
use crate::scenario::model::UserAttr;
use crate::scim::lookup::get_ci;
use crate::scim::request::{object, patch_op};
use crate::scim::{resource_path, urn};

pub const WORK_EMAIL: &str = "emails[type eq \"work\"].value";

/// The locale Okta sends for a user whose Okta profile leaves it at the org default (§2.2
/// shows `"locale":"en-US"`). \[I\] the Entra-shaped source has no locale, so it is constant.
pub const LOCALE: &str = "en-US";

/// The SCIM template's default mapping (§2.2), in the order of the documented POST body.
/// `userName` is the matching attribute (§2.2 step 1).
const MAPPING: &[(&str, Source)] = &[
    ("userName", Source::Login),
    ("name.givenName", Source::Attr(UserAttr::GivenName)),
    ("name.familyName", Source::Attr(UserAttr::Surname)),
    (WORK_EMAIL, Source::Email),
    ("displayName", Source::DisplayName),
    ("locale", Source::Locale),
    ("externalId", Source::OktaId),
    ("active", Source::Active),
];

#[derive(Debug, Clone, Copy)]
enum Source {
    /// Okta's `login`, which directory-mastered Okta users take from the UPN.
    Login,
    Attr(UserAttr),
    Email,
    DisplayName,
    Locale,
    OktaId,
    Active,
}

impl Okta {
    /// §2.4: the one (de)activation shape Okta's OIN client sends — lowercase `replace`, no
    /// `path`, a JSON boolean inside a value object.
    fn set_active_patch(id: &str, active: bool) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Patch,
            resource_path("Users", id),
            patch_op(vec![json!({"op": "replace", "value": {"active": active}})]),
        )
    }

    /// O-14: OIN sends password sync as a PATCH. Its body is not documented: the path-less
    /// `replace` with a value object, the shape of Okta's (de)activation (O-20), is `\[I\]`, and
    /// so is when it is sent — after a profile push (any change but `active` alone), the
    /// option-based stand-in for a password change (`Okta::password_sync`). The password is
    /// random: the source has none to sync. AIW sends only PUTs (O-15); its password push is
    /// not modelled.
    pub(super) fn password_sync_after(
        &self,
        id: &str,
        modified: &[ModifiedProperty],
    ) -> Vec<ScimRequest> {
        let profile_push = modified.iter().any(|m| m.name != "active");
        if !self.password_sync || self.integration != Integration::Oin || !profile_push {
            return Vec::new();
        }
        vec![ScimRequest::with_body(
            Verb::Patch,
            resource_path("Users", id),
            patch_op(vec![
                json!({"op": "replace", "value": {"password": random_password()}}),
            ]),
        )]
    }

    /// §2.3: Okta PUTs what GET returned with its own values merged in, so server fields
    /// (`id`, `meta`, `groups`, attributes Okta does not map) are echoed back.
    fn put_user(id: &str, body: Map<String, Value>) -> ScimRequest {
        ScimRequest::with_body(Verb::Put, resource_path("Users", id), Value::Object(body))
    }

    /// What Okta merges its values into: the user GET returned, or, for a 200 without a body,
    /// an empty user with the id \[I\].
    fn merge_base(id: &str, current: &Value) -> Map<String, Value> {
        match current {
            Value::Object(o) => o.clone(),
            _ => {
                let mut o = Map::new();
                o.insert("schemas".into(), json!([urn::USER]));
                o.insert("id".into(), Value::String(id.to_string()));
                o
            }
        }
    }

    /// Okta's `login`, its userName: directory-mastered Okta users take it from the UPN. No
    /// UPN tombstone: that is Entra's recycle bin (§1.6), not Okta's.
    pub(super) fn login(user: &SourceUser, prefix: &str) -> String {
        let upn = user.text(UserAttr::UserPrincipalName).unwrap_or_default();
        let mut login = String::with_capacity(prefix.len() + upn.len());
        login.push_str(prefix);
        login.push_str(upn);
        login
    }

    /// The mapping (§2.2, O-9): what Okta's app-user profile holds for a source user.
    pub(super) fn desired(user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let upn = user.text(UserAttr::UserPrincipalName).unwrap_or_default();
        let mut attrs = Vec::with_capacity(MAPPING.len());
        for (path, source) in MAPPING {
            let value = match source {
                Source::Login => Some(Value::String(Okta::login(user, prefix))),
                Source::Attr(a) => text(user.text(*a)),
                // [I] Okta's `email` is a required profile attribute, so an Okta user always
                // has one; for a source user without `mail`, the login (UPN) is the closest.
                Source::Email => text(user.text(UserAttr::Mail)).or_else(|| text(Some(upn))),
                // [I] §2.2's example is "Test User" = first + last: the source displayName
                // when set, else given and family names joined.
                Source::DisplayName => {
                    let joined = || {
                        let names = [user.text(UserAttr::GivenName), user.text(UserAttr::Surname)];
                        let parts: Vec<&str> = names
                            .into_iter()
                            .flatten()
                            .filter(|s| !s.is_empty())
                            .collect();
                        (!parts.is_empty()).then(|| parts.join(" "))
                    };
                    user.text(UserAttr::DisplayName)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .or_else(joined)
                        .map(|d| prefixed(prefix, &d))
                }
                Source::Locale => Some(Value::String(LOCALE.into())),
                Source::OktaId => Some(prefixed(prefix, &okta_user_id(user.object_id))),
                Source::Active => Some(Value::Bool(active)),
            };
            if let Some(v) = value {
                attrs.push((*path, v));
            }
        }
        DesiredUser { attrs }
    }

    /// §2.2 step 1: filter on userName, with Okta's paging parameters after it.
    pub(super) fn user_query(desired: &DesiredUser) -> ScimRequest {
        let name = desired.user_name().unwrap_or_default();
        ScimRequest::get(eq_filter_path(
            "/Users?filter=",
            "userName",
            name,
            "&startIndex=1&count=100",
        ))
    }

    /// Snapshots keep these. `externalId` is left out: it stands for an Okta id derived from
    /// the objectId, which is new on every run, so no snapshot could hold it stably.
    pub(super) fn mapped_paths() -> Vec<&'static str> {
        MAPPING
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| *p != "externalId")
            .collect()
    }

    /// §2.2 step 3: core schema only, `groups: []`, a password, `active: true`. The password
    /// is random per create and never part of `DesiredUser`, so the provisioning log (which
    /// lists desired attributes) never shows it.
    pub(super) fn post_user(desired: &DesiredUser) -> ScimRequest {
        // Sized for the mapping and the fixed keys: grown from empty it was rehashed twice.
        let mut body = Map::with_capacity(desired.attrs.len() + 4);
        body.insert("schemas".into(), json!([urn::USER]));
        for (path, value) in &desired.attrs {
            if *path == "active" {
                continue;
            }
            merge(&mut body, path, value.clone());
        }
        body.insert("groups".into(), json!([]));
        body.insert("password".into(), Value::String(random_password()));
        body.insert(
            "active".into(),
            desired.get("active").cloned().unwrap_or(Value::Bool(true)),
        );
        ScimRequest::with_body(Verb::Post, "/Users", Value::Object(body))
    }

    /// §2.3/§2.4. Deprovisioning (`active` false wanted) only deactivates: Okta pushes no
    /// profile to an app user it is deactivating or has deactivated \[I\]. Otherwise a change
    /// of `active` alone is the activation PATCH (OIN) or a PUT (AIW), and any profile change
    /// is GET + PUT of the merged object: the GET answer with Okta's whole app-user profile
    /// laid over it, carrying `active: true` (§2.3: omitting it can suspend users). Whether
    /// something changed is judged against `before`: Okta's app-user profile, what it last
    /// pushed (`Okta::diff_source`), so a server that drops a value is not written again
    /// until the Okta profile itself changes.
    pub(super) fn user_update(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        before: Before<'_>,
    ) -> Option<Update> {
        let want_active = desired
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let have_active = before.value(current, "active");
        let active_differs = have_active.as_ref().and_then(Value::as_bool) != Some(want_active);
        let active_change = ModifiedProperty {
            name: "active".into(),
            old: have_active.clone(),
            new: Some(Value::Bool(want_active)),
        };
        if !want_active {
            if !active_differs {
                return None;
            }
            let request = match self.integration {
                Integration::Oin => Self::set_active_patch(id, false),
                Integration::Aiw => {
                    let mut merged = Self::merge_base(id, current);
                    merge(&mut merged, "active", Value::Bool(false));
                    Self::put_user(id, merged)
                }
            };
            return Some(Update {
                request,
                modified: vec![active_change],
            });
        }
        let mapped = || desired.attrs.iter().filter(|(p, _)| *p != "active");
        let mut modified: Vec<ModifiedProperty> = mapped()
            .filter_map(|(path, want)| {
                let have = before.value(current, path);
                (have.as_ref() != Some(want)).then(|| ModifiedProperty {
                    name: (*path).into(),
                    old: have,
                    new: Some(want.clone()),
                })
            })
            .collect();
        // Nothing to push: decided before the merged copy is built, which an event-driven
        // IdP re-evaluating an unchanged user would otherwise build and drop (callgrind: the
        // clone and merges were 15,000 instructions of each such pass).
        if modified.is_empty() && !active_differs {
            return None;
        }
        if active_differs {
            modified.push(active_change);
        }
        let request = match (self.integration, modified.len()) {
            // Only `active` changed: the reactivation (§2.4).
            (Integration::Oin, 1) if active_differs => Self::set_active_patch(id, true),
            _ => {
                let mut merged = Self::merge_base(id, current);
                for (path, want) in mapped() {
                    merge(&mut merged, path, want.clone());
                }
                merge(&mut merged, "active", Value::Bool(true));
                Self::put_user(id, merged)
            }
        };
        Some(Update { request, modified })
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A stand-in for the Okta user id (`00u` + 17 alphanumerics, like `00ujl29u0le5T6Aj10h7`,
/// §2.2), derived from the objectId so every request about one user carries the same one.
/// \[I\] the source has no Okta id; any stable 20-character id serves.
pub fn okta_user_id(object_id: uuid::Uuid) -> String {
    // The 17 base-62 digits of the objectId's low 101 bits, as two u64 runs (9 + 8 digits):
    // digit by digit on the u128, each of the 34 wide divisions was a call into the compiler's
    // runtime, and Okta computes this id for every user it evaluates (callgrind: 1,600
    // instructions a call, now ~300).
    const LOW: u128 = 62u128.pow(9);
    let n = object_id.as_u128();
    let (mut low, mut high) = ((n % LOW) as u64, ((n / LOW) % 62u128.pow(8)) as u64);
    let mut digits = [b'0'; 17];
    for (i, d) in digits.iter_mut().rev().enumerate() {
        let run = if i < 9 { &mut low } else { &mut high };
        *d = BASE62[(*run % 62) as usize];
        *run /= 62;
    }
    let mut id = String::with_capacity(20);
    id.push_str("00u");
    id.extend(digits.iter().map(|&b| char::from(b)));
    id
}

/// The key of `obj` that names `attr` case-insensitively (SCIM names are), or `attr` itself.
fn key_for(obj: &Map<String, Value>, attr: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(attr))
        .cloned()
        .unwrap_or_else(|| attr.to_string())
}

/// Writes one mapped value into a user object the way Okta's merge does: an existing work
/// email element gets the new `value`, a missing one is appended in the §2.2 shape
/// (`primary`, `value`, `type`); `name.*` lands in the existing `name` object.
fn merge(obj: &mut Map<String, Value>, path: &str, value: Value) {
    if path == WORK_EMAIL {
        let key = key_for(obj, "emails");
        let list = obj.entry(key).or_insert_with(|| Value::Array(vec![]));
        if !list.is_array() {
            *list = Value::Array(vec![]);
        }
        let Some(items) = list.as_array_mut() else {
            return;
        };
        let work = items.iter_mut().find(|e| {
            get_ci(e, "type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("work"))
        });
        match work.and_then(Value::as_object_mut) {
            Some(element) => {
                let key = key_for(element, "value");
                element.insert(key, value);
            }
            None => {
                let primary = items.is_empty();
                items.push(object([
                    ("primary", Value::Bool(primary)),
                    ("value", value),
                    ("type", Value::from("work")),
                ]));
            }
        }
        return;
    }
    match path.split_once('.') {
        Some((attr, sub)) => {
            let key = key_for(obj, attr);
            let parent = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !parent.is_object() {
                *parent = Value::Object(Map::new());
            }
            if let Some(inner) = parent.as_object_mut() {
                let key = key_for(inner, sub);
                inner.insert(key, value);
            }
        }
        None => {
            let key = key_for(obj, path);
            obj.insert(key, value);
        }
    }
}

/// A password for the POST (§2.2: "random or synced"); 32 hex characters from a v4 UUID
/// plus a symbol and an upper-case letter, so common complexity rules accept it.
fn random_password() -> String {
    format!("{}!Q", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests;
