//! Okta over SCIM 2.0 (idp-behavior.md §2), OIN or AIW: the SCIM template's mapping and POST
//! (§2.2), GET + PUT of the merged object (§2.3), path-less (de)activation PATCH (§2.4), Push
//! Groups (§2.5). It must never build `DELETE /Users`: Okta does not delete users (§2.4).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{
    encode_query_value, quote, Deprovision, DeprovisionAction, DesiredUser, ExistingGroup,
    MembershipChange, ModifiedProperty, Profile, ProfileError, Scheduling, ScimRequest, Update,
    Verb,
};
use crate::idp::SourceUser;
use crate::scenario::model::{Step, UserAttr};
use crate::scim::lookup::{get_ci, ClientPath};
use crate::scim::schema::USER;
use crate::scim::{resource_path, urn};

/// The two ways an app is integrated with Okta (§2, `okta-scim20`, `okta-faq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// OIN catalog (SCIM template): PUT for profile pushes, PATCH for activate/deactivate and
    /// group membership.
    Oin,
    /// App Integration Wizard: PUT for every update, including (de)activation and groups.
    Aiw,
}

impl Integration {
    pub fn option_value(self) -> &'static str {
        match self {
            Integration::Oin => "oin",
            Integration::Aiw => "aiw",
        }
    }
}

pub const WORK_EMAIL: &str = "emails[type eq \"work\"].value";

/// The locale Okta sends for a user whose Okta profile leaves it at the org default (§2.2
/// shows `"locale":"en-US"`). [I] the Entra-shaped source has no locale, so it is constant.
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

#[derive(Debug, Clone)]
pub struct Okta {
    pub integration: Integration,
    /// Push Groups' "Rename groups" setting (§2.5): when on, every membership PATCH also
    /// carries the path-less `{id, displayName}` replace.
    pub push_group_rename: bool,
}

/// Options a scenario or `--option` may set.
pub const OPTIONS: &[&str] = &["integration", "push_group_rename"];

impl Okta {
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, ProfileError> {
        let mut okta = Okta {
            integration: Integration::Oin,
            push_group_rename: true,
        };
        for (key, value) in options {
            match key.as_str() {
                "integration" => {
                    okta.integration = match value.to_ascii_lowercase().as_str() {
                        "oin" => Integration::Oin,
                        "aiw" => Integration::Aiw,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`oin` (catalog app) or `aiw` (App Integration Wizard)",
                            })
                        }
                    }
                }
                "push_group_rename" => {
                    okta.push_group_rename = match value.as_str() {
                        "true" | "True" => true,
                        "false" | "False" => false,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`true` or `false`",
                            })
                        }
                    }
                }
                _ => {
                    return Err(ProfileError::UnknownOption {
                        profile: "okta",
                        key: key.clone(),
                        known: OPTIONS.join(", "),
                    })
                }
            }
        }
        Ok(okta)
    }

    fn patch_body(ops: Vec<Value>) -> Value {
        json!({"schemas": [urn::PATCH_OP], "Operations": ops})
    }

    /// §2.4: the one (de)activation shape Okta's OIN client sends — lowercase `replace`, no
    /// `path`, a JSON boolean inside a value object.
    fn set_active_patch(id: &str, active: bool) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Patch,
            resource_path("Users", id),
            Self::patch_body(vec![json!({"op": "replace", "value": {"active": active}})]),
        )
    }

    /// §2.3: Okta PUTs what GET returned with its own values merged in, so server fields
    /// (`id`, `meta`, `groups`, attributes Okta does not map) are echoed back.
    fn put_user(id: &str, body: Map<String, Value>) -> ScimRequest {
        ScimRequest::with_body(Verb::Put, resource_path("Users", id), Value::Object(body))
    }
}

fn text(v: Option<&str>) -> Option<Value> {
    v.filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A stand-in for the Okta user id (`00u` + 17 alphanumerics, like `00ujl29u0le5T6Aj10h7`,
/// §2.2), derived from the objectId so every request about one user carries the same one.
/// [I] the source has no Okta id; any stable 20-character id serves.
pub fn okta_user_id(object_id: uuid::Uuid) -> String {
    let mut n = object_id.as_u128();
    let mut digits = [b'0'; 17];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!("00u{}", String::from_utf8_lossy(&digits))
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
                items.push(json!({"primary": primary, "value": value, "type": "work"}));
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

/// The value the target holds at a mapped path.
fn held(current: &Value, path: &str) -> Option<Value> {
    ClientPath::parse(path, &USER)
        .ok()
        .and_then(|p| p.get(current).cloned())
}

impl Profile for Okta {
    fn name(&self) -> &'static str {
        "okta"
    }

    /// Okta has neither provision-on-demand nor a "restart provisioning" (§2.6: pushes are
    /// event-driven; imports are a different feature).
    fn supports(&self, step: &Step) -> bool {
        !matches!(step, Step::ProvisionOnDemand(_) | Step::Restart(_))
    }

    /// §2.6: imports page with `startIndex` and `count=100` until `totalResults`.
    fn import_page(&self, start_index: u64) -> Option<ScimRequest> {
        Some(ScimRequest::get(format!(
            "/Users?startIndex={start_index}&count=100"
        )))
    }

    /// §2.2: a 409 stops the job with a task for the admin; Okta does not retry it.
    fn retries_conflicts(&self) -> bool {
        false
    }

    /// §2.1: saving the configuration lists two users; `count=2` is a constant.
    fn test_connection(&self) -> ScimRequest {
        ScimRequest::get("/Users?startIndex=1&count=2")
    }

    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let upn = user.text(UserAttr::UserPrincipalName).unwrap_or_default();
        let mut attrs = Vec::new();
        for (path, source) in MAPPING {
            let value = match source {
                // No UPN tombstone: that is Entra's recycle bin (§1.6), not Okta's.
                Source::Login => Some(Value::String(format!("{prefix}{upn}"))),
                Source::Attr(a) => text(user.text(*a)),
                // [I] Okta's `email` is a required profile attribute, so an Okta user always
                // has one; for a source user without `mail`, the login (UPN) is the closest.
                Source::Email => text(user.text(UserAttr::Mail)).or_else(|| text(Some(upn))),
                // [I] §2.2's example is "Test User" = first + last: the source displayName
                // when set, else given and family names joined.
                Source::DisplayName => {
                    let joined = [user.text(UserAttr::GivenName), user.text(UserAttr::Surname)]
                        .into_iter()
                        .flatten()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    user.text(UserAttr::DisplayName)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .or_else(|| (!joined.is_empty()).then_some(joined))
                        .map(|d| Value::String(format!("{prefix}{d}")))
                }
                Source::Locale => Some(Value::String(LOCALE.into())),
                Source::OktaId => Some(Value::String(format!(
                    "{prefix}{}",
                    okta_user_id(user.object_id)
                ))),
                Source::Active => Some(Value::Bool(active)),
            };
            if let Some(v) = value {
                attrs.push((*path, v));
            }
        }
        DesiredUser { attrs }
    }

    /// §2.2 step 1: filter on userName, with Okta's paging parameters after it.
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        let name = desired.user_name().unwrap_or_default();
        ScimRequest::get(format!(
            "/Users?filter={}&startIndex=1&count=100",
            encode_query_value(&format!("userName eq {}", quote(name)))
        ))
    }

    /// Snapshots keep these. `externalId` is left out: it stands for an Okta id derived from
    /// the objectId, which is new on every run, so no snapshot could hold it stably.
    fn managed_paths(&self) -> Vec<&'static str> {
        MAPPING
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| *p != "externalId")
            .collect()
    }

    /// §2.2 step 3: core schema only, `groups: []`, a password, `active: true`. The password
    /// is random per create and never part of `DesiredUser`, so the provisioning log (which
    /// lists desired attributes) never shows it.
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        let mut body = Map::new();
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
    /// profile to an app user it is deactivating or has deactivated [I]. Otherwise a change
    /// of `active` alone is the activation PATCH (OIN) or a PUT (AIW), and any profile change
    /// is GET + PUT of the merged object, carrying `active: true` (§2.3: omitting it can
    /// suspend users). Whether something changed is judged against what the target returned,
    /// as §8 suggests for Okta too.
    fn update_user(&self, id: &str, current: &Value, desired: &DesiredUser) -> Option<Update> {
        let want_active = desired
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let have_active = get_ci(current, "active").cloned();
        let active_differs = have_active.as_ref().and_then(Value::as_bool) != Some(want_active);
        let active_change = ModifiedProperty {
            name: "active".into(),
            old: have_active.clone(),
            new: Some(Value::Bool(want_active)),
        };
        let mut merged = match current {
            Value::Object(o) => o.clone(),
            // [I] a 200 without a body: Okta merges into an empty user.
            _ => {
                let mut o = Map::new();
                o.insert("schemas".into(), json!([urn::USER]));
                o.insert("id".into(), Value::String(id.to_string()));
                o
            }
        };
        if !want_active {
            if !active_differs {
                return None;
            }
            let request = match self.integration {
                Integration::Oin => Self::set_active_patch(id, false),
                Integration::Aiw => {
                    merge(&mut merged, "active", Value::Bool(false));
                    Self::put_user(id, merged)
                }
            };
            return Some(Update {
                request,
                modified: vec![active_change],
            });
        }
        let mut modified = Vec::new();
        for (path, want) in desired.attrs.iter().filter(|(p, _)| *p != "active") {
            let have = held(current, path);
            if have.as_ref() == Some(want) {
                continue;
            }
            modified.push(ModifiedProperty {
                name: (*path).to_string(),
                old: have,
                new: Some(want.clone()),
            });
            merge(&mut merged, path, want.clone());
        }
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
                merge(&mut merged, "active", Value::Bool(true));
                Self::put_user(id, merged)
            }
        };
        Some(Update { request, modified })
    }

    fn scheduling(&self) -> Scheduling {
        Scheduling::Events
    }

    /// Okta probes only on "Test Connection" / saving the configuration (§2.1), never before
    /// a push.
    fn probe_each_cycle(&self) -> bool {
        false
    }

    /// §2.1: 200 with a ListResponse whose counters are integers (§2.6). An empty list is
    /// accepted [I: §2.1 says only Okta's Runscope suite insists on a non-empty one].
    fn probe_ok(&self, status: u16, body: Option<&Value>) -> bool {
        let Some(body) = body.filter(|_| status == 200) else {
            return false;
        };
        let is_list = body
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn::LIST_RESPONSE)));
        let numeric = ["totalResults", "itemsPerPage", "startIndex"]
            .iter()
            .all(|k| body.get(*k).and_then(Value::as_u64).is_some());
        let resources_ok = body.get("Resources").is_none_or(Value::is_array);
        is_list && numeric && resources_ok
    }

    /// §2.2 step 1: an empty ListResponse or a 404 both mean "no such user".
    fn match_hits(&self, status: u16, body: Option<&Value>) -> Option<Vec<Value>> {
        match status {
            200 => Some(super::list_resources(body)),
            404 => Some(vec![]),
            _ => None,
        }
    }

    /// §2.4: unassigned, deactivated or suspended, soft-deleted → deactivate, and the app
    /// user stays linked, so a reassignment reactivates it instead of creating another.
    /// Okta never sends `DELETE /Users`: a purge sends nothing.
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction {
        match why {
            Deprovision::Unassigned | Deprovision::Disabled | Deprovision::SoftDeleted => {
                DeprovisionAction::Disable {
                    stays_managed: true,
                }
            }
            Deprovision::Purged => DeprovisionAction::Nothing,
        }
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// [I] §2.5 documents no lookup query for Push Groups; this is the user match (§2.2)
    /// applied to displayName, with the same paging parameters.
    fn match_group(&self, display_name: &str) -> ScimRequest {
        ScimRequest::get(format!(
            "/Groups?filter={}&startIndex=1&count=100",
            encode_query_value(&format!("displayName eq {}", quote(display_name)))
        ))
    }

    /// §2.5: a name that already exists cannot be pushed without Group Linking.
    fn existing_group(&self) -> ExistingGroup {
        ExistingGroup::Fail
    }

    /// §2.5: the SCIM 2.0 body; no externalId, members added by later PATCHes.
    fn create_group(&self, display_name: &str, _external_id: &str) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            json!({"schemas": [urn::GROUP], "displayName": display_name, "members": []}),
        )
    }

    /// §2.5: read with members (no `excludedAttributes`).
    fn read_group(&self, id: &str) -> ScimRequest {
        ScimRequest::get(resource_path("Groups", id))
    }

    /// §2.5: OIN renames with the path-less replace that carries the group's own `id`, and
    /// only with "Rename groups" on; AIW writes the group whole with PUT (§2.5 "AIW: PUT").
    fn rename_group(
        &self,
        id: &str,
        display_name: &str,
        members: &[String],
    ) -> Option<ScimRequest> {
        if !self.push_group_rename {
            return None;
        }
        Some(match self.integration {
            Integration::Aiw => {
                let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
                ScimRequest::with_body(
                    Verb::Put,
                    resource_path("Groups", id),
                    json!({"schemas": [urn::GROUP], "id": id, "displayName": display_name, "members": members}),
                )
            }
            Integration::Oin => ScimRequest::with_body(
                Verb::Patch,
                resource_path("Groups", id),
                Self::patch_body(vec![rename_op(id, display_name)]),
            ),
        })
    }

    /// §2.5, OIN: one PATCH per change — the rename (when "Rename groups" is on), one
    /// `members[value eq]` remove per removed member, one `add` with every added member and
    /// its `display` (the userName). AIW: `PUT /Groups/{id}` with the full member list.
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        let path = resource_path("Groups", &change.group_id);
        let member = |id: &String| match change.display.get(id) {
            Some(display) => json!({"value": id, "display": display}),
            None => json!({"value": id}),
        };
        if self.integration == Integration::Aiw {
            let members: Vec<Value> = change.all.iter().map(member).collect();
            return vec![ScimRequest::with_body(
                Verb::Put,
                path,
                json!({"schemas": [urn::GROUP], "id": change.group_id,
                       "displayName": change.display_name, "members": members}),
            )];
        }
        let mut ops = Vec::new();
        if self.push_group_rename {
            ops.push(rename_op(&change.group_id, &change.display_name));
        }
        for id in &change.remove {
            ops.push(json!({"op": "remove", "path": format!("members[value eq {}]", quote(id))}));
        }
        if !change.add.is_empty() {
            let value: Vec<Value> = change.add.iter().map(member).collect();
            ops.push(json!({"op": "add", "path": "members", "value": value}));
        }
        vec![ScimRequest::with_body(
            Verb::Patch,
            path,
            Self::patch_body(ops),
        )]
    }
}

/// §2.5: `{"op":"replace","value":{"id":…,"displayName":…}}`.
fn rename_op(id: &str, display_name: &str) -> Value {
    json!({"op": "replace", "value": {"id": id, "displayName": display_name}})
}

/// A password for the POST (§2.2: "random or synced"); 32 hex characters from a v4 UUID
/// plus a symbol and an upper-case letter, so common complexity rules accept it.
fn random_password() -> String {
    format!("{}!Q", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::Tenant;
    use crate::scenario::model::AttrValue;

    fn alice(t: &mut Tenant) -> SourceUser {
        let attrs = BTreeMap::from([
            (
                UserAttr::UserPrincipalName,
                AttrValue::Text("alice@contoso.com".into()),
            ),
            (UserAttr::Mail, AttrValue::Text("alice@contoso.com".into())),
            (UserAttr::GivenName, AttrValue::Text("Alice".into())),
            (UserAttr::Surname, AttrValue::Text("Smith".into())),
        ]);
        t.create_user("alice", attrs).expect("create");
        t.user("alice").cloned().expect("alice")
    }

    fn okta(options: &[(&str, &str)]) -> Okta {
        Okta::from_options(
            &options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .expect("valid options")
    }

    /// What a correct server returns after the POST: the body without the password, plus
    /// server fields Okta must echo.
    fn on_target(user: &SourceUser, active: bool) -> Value {
        json!({
            "schemas": [urn::USER],
            "id": "u1",
            "userName": "alice@contoso.com",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"primary": true, "value": "alice@contoso.com", "type": "work"}],
            "displayName": "Alice Smith",
            "locale": "en-US",
            "externalId": okta_user_id(user.object_id),
            "active": active,
            "groups": [],
            "nickName": "Al",
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}
        })
    }

    #[test]
    fn post_body_matches_the_documented_shape() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[]);
        let req = o.create_user(&o.desired_user(&user, "", true));
        assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Users"));
        let mut body = req.body.expect("a body");
        let password = body
            .as_object_mut()
            .and_then(|b| b.remove("password"))
            .expect("a password");
        assert!(password.as_str().is_some_and(|p| p.len() >= 16));
        assert_eq!(
            body,
            json!({
                "schemas": [urn::USER],
                "userName": "alice@contoso.com",
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "emails": [{"primary": true, "value": "alice@contoso.com", "type": "work"}],
                "displayName": "Alice Smith",
                "locale": "en-US",
                "externalId": okta_user_id(user.object_id),
                "groups": [],
                "active": true
            })
        );
        // Key order on the wire follows §2.2.
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            [
                "schemas",
                "userName",
                "name",
                "emails",
                "displayName",
                "locale",
                "externalId",
                "groups",
                "active"
            ]
        );
    }

    #[test]
    fn every_create_has_a_new_password_that_the_log_never_sees() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[]);
        let desired = o.desired_user(&user, "", true);
        assert!(desired.get("password").is_none());
        let pw = |r: ScimRequest| r.body.expect("body")["password"].clone();
        assert_ne!(pw(o.create_user(&desired)), pw(o.create_user(&desired)));
    }

    #[test]
    fn okta_ids_are_stable_and_shaped_like_okta_s() {
        let oid = uuid::Uuid::new_v4();
        let id = okta_user_id(oid);
        assert_eq!(id, okta_user_id(oid));
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("00u") && id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            okta_user_id(uuid::Uuid::nil()),
            format!("00u{}", "0".repeat(17))
        );
    }

    #[test]
    fn prefix_marks_user_name_display_name_and_external_id() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let d = okta(&[]).desired_user(&user, "run1-", true);
        assert_eq!(d.user_name(), Some("run1-alice@contoso.com"));
        assert_eq!(d.get("displayName"), Some(&json!("run1-Alice Smith")));
        assert_eq!(
            d.get("externalId"),
            Some(&json!(format!("run1-{}", okta_user_id(user.object_id))))
        );
        assert_eq!(d.get(WORK_EMAIL), Some(&json!("alice@contoso.com")));
    }

    #[test]
    fn a_user_without_mail_gets_the_login_as_email() {
        let mut t = Tenant::new();
        t.create_user(
            "bob",
            BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text("bob@contoso.com".into()),
            )]),
        )
        .expect("create");
        let bob = t.user("bob").cloned().expect("bob");
        let d = okta(&[]).desired_user(&bob, "p-", true);
        assert_eq!(d.get(WORK_EMAIL), Some(&json!("bob@contoso.com")));
        assert_eq!(d.get("displayName"), None);
        assert_eq!(d.get("name.givenName"), None);
    }

    #[test]
    fn probe_and_match_queries() {
        let o = okta(&[]);
        assert_eq!(
            o.test_connection(),
            ScimRequest::get("/Users?startIndex=1&count=2")
        );
        let desired = DesiredUser {
            attrs: vec![("userName", json!("a+b@x.com"))],
        };
        assert_eq!(
            o.match_user(&desired).path,
            "/Users?filter=userName+eq+%22a%2Bb%40x.com%22&startIndex=1&count=100"
        );
        assert_eq!(
            o.match_group("Sales").path,
            "/Groups?filter=displayName+eq+%22Sales%22&startIndex=1&count=100"
        );
    }

    #[test]
    fn probe_accepts_any_list_response_with_integer_counters() {
        let o = okta(&[]);
        let list = |total: Value| {
            json!({"schemas": [urn::LIST_RESPONSE], "totalResults": total, "itemsPerPage": 0,
                   "startIndex": 1, "Resources": []})
        };
        assert!(o.probe_ok(200, Some(&list(json!(0)))));
        assert!(o.probe_ok(200, Some(&list(json!(7)))));
        assert!(!o.probe_ok(200, Some(&list(json!("0")))));
        assert!(!o.probe_ok(200, Some(&json!({"totalResults": 0}))));
        assert!(!o.probe_ok(200, None));
        assert!(!o.probe_ok(500, Some(&list(json!(0)))));
    }

    #[test]
    fn a_404_on_the_match_means_not_found() {
        let o = okta(&[]);
        assert_eq!(o.match_hits(404, None), Some(vec![]));
        assert_eq!(
            o.match_hits(200, Some(&json!({"Resources": [{"id": "u9"}]}))),
            Some(vec![json!({"id": "u9"})])
        );
        assert_eq!(o.match_hits(500, None), None);
    }

    #[test]
    fn deactivate_and_reactivate_are_pathless_patches_under_oin() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[]);
        for (active, from) in [(false, true), (true, false)] {
            let update = o
                .update_user(
                    "u1",
                    &on_target(&user, from),
                    &o.desired_user(&user, "", active),
                )
                .expect("an update");
            assert_eq!(
                (update.request.verb, update.request.path.as_str()),
                (Verb::Patch, "/Users/u1")
            );
            assert_eq!(
                update.request.body,
                Some(json!({"schemas": [urn::PATCH_OP],
                    "Operations": [{"op": "replace", "value": {"active": active}}]}))
            );
            assert_eq!(update.modified.len(), 1);
        }
    }

    #[test]
    fn aiw_deactivates_and_reactivates_with_put_of_the_whole_object() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[("integration", "aiw")]);
        for (active, from) in [(false, true), (true, false)] {
            let update = o
                .update_user(
                    "u1",
                    &on_target(&user, from),
                    &o.desired_user(&user, "", active),
                )
                .expect("an update");
            assert_eq!(update.request.verb, Verb::Put);
            assert_eq!(update.request.body, Some(on_target(&user, active)));
        }
    }

    #[test]
    fn profile_change_is_a_put_of_the_merged_object() {
        let mut t = Tenant::new();
        let mut user = alice(&mut t);
        let o = okta(&[]);
        let current = on_target(&user, true);
        t.update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::Surname, AttrValue::Text("Jones".into())),
                (UserAttr::Mail, AttrValue::Text("aj@contoso.com".into())),
            ]),
        )
        .expect("update");
        user = t.user("alice").cloned().expect("alice");
        let update = o
            .update_user("u1", &current, &o.desired_user(&user, "", true))
            .expect("an update");
        let mut expected = current.clone();
        expected["name"]["familyName"] = json!("Jones");
        expected["emails"][0]["value"] = json!("aj@contoso.com");
        expected["displayName"] = json!("Alice Jones");
        assert_eq!(update.request.verb, Verb::Put);
        assert_eq!(update.request.path, "/Users/u1");
        // id, meta, groups and the unmapped nickName are echoed (§2.3).
        assert_eq!(update.request.body, Some(expected));
        let names: Vec<&str> = update.modified.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["name.familyName", WORK_EMAIL, "displayName"]);
    }

    #[test]
    fn reactivation_with_a_profile_change_is_one_put_with_active_true() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[]);
        let mut current = on_target(&user, false);
        current["locale"] = json!("fr-FR");
        let update = o
            .update_user("u1", &current, &o.desired_user(&user, "", true))
            .expect("an update");
        assert_eq!(update.request.verb, Verb::Put);
        assert_eq!(update.request.body, Some(on_target(&user, true)));
    }

    #[test]
    fn no_profile_push_to_a_deactivated_user_and_nothing_when_matching() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[]);
        let mut inactive = on_target(&user, false);
        inactive["displayName"] = json!("Stale");
        assert_eq!(
            o.update_user("u1", &inactive, &o.desired_user(&user, "", false)),
            None
        );
        assert_eq!(
            o.update_user(
                "u1",
                &on_target(&user, true),
                &o.desired_user(&user, "", true)
            ),
            None
        );
    }

    #[test]
    fn a_missing_work_email_is_appended_in_okta_s_shape() {
        let mut t = Tenant::new();
        let user = alice(&mut t);
        let o = okta(&[]);
        let mut current = on_target(&user, true);
        current["emails"] = json!([{"value": "home@x", "type": "home", "primary": true}]);
        let update = o
            .update_user("u1", &current, &o.desired_user(&user, "", true))
            .expect("an update");
        assert_eq!(
            update.request.body.expect("body")["emails"],
            json!([{"value": "home@x", "type": "home", "primary": true},
                   {"primary": false, "value": "alice@contoso.com", "type": "work"}])
        );
    }

    #[test]
    fn deprovisioning_never_deletes_users() {
        let o = okta(&[]);
        for why in [
            Deprovision::Unassigned,
            Deprovision::Disabled,
            Deprovision::SoftDeleted,
        ] {
            assert_eq!(
                o.deprovision(why),
                DeprovisionAction::Disable {
                    stays_managed: true
                }
            );
        }
        assert_eq!(
            o.deprovision(Deprovision::Purged),
            DeprovisionAction::Nothing
        );
    }

    fn change() -> MembershipChange {
        MembershipChange {
            group_id: "g1".into(),
            display_name: "Sales".into(),
            add: vec!["u2".into(), "u3".into()],
            remove: vec!["u1".into()],
            all: vec!["u2".into(), "u3".into()],
            display: BTreeMap::from([
                ("u1".to_string(), "ann@x".to_string()),
                ("u2".to_string(), "bob@x".to_string()),
                ("u3".to_string(), "cid@x".to_string()),
            ]),
        }
    }

    #[test]
    fn membership_is_one_patch_with_rename_removes_and_add() {
        let reqs = okta(&[]).membership(&change());
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].verb, reqs[0].path.as_str()),
            (Verb::Patch, "/Groups/g1")
        );
        assert_eq!(
            reqs[0].body,
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "replace", "value": {"id": "g1", "displayName": "Sales"}},
                {"op": "remove", "path": "members[value eq \"u1\"]"},
                {"op": "add", "path": "members", "value": [
                    {"value": "u2", "display": "bob@x"}, {"value": "u3", "display": "cid@x"}]}
            ]}))
        );
        let without_rename = okta(&[("push_group_rename", "false")]).membership(&change());
        assert_eq!(
            without_rename[0].body.as_ref().expect("body")["Operations"][0]["op"],
            json!("remove")
        );
    }

    #[test]
    fn aiw_membership_is_a_put_of_the_full_list() {
        let reqs = okta(&[("integration", "aiw")]).membership(&change());
        assert_eq!(reqs.len(), 1);
        assert_eq!(
            (reqs[0].verb, reqs[0].path.as_str()),
            (Verb::Put, "/Groups/g1")
        );
        assert_eq!(
            reqs[0].body,
            Some(
                json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Sales",
                "members": [{"value": "u2", "display": "bob@x"}, {"value": "u3", "display": "cid@x"}]})
            )
        );
    }

    #[test]
    fn group_create_rename_and_delete() {
        let o = okta(&[]);
        assert_eq!(
            o.create_group("Sales", "ignored").body,
            Some(json!({"schemas": [urn::GROUP], "displayName": "Sales", "members": []}))
        );
        assert_eq!(
            o.rename_group("g1", "Sales EMEA", &[]).and_then(|r| r.body),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "replace", "value": {"id": "g1", "displayName": "Sales EMEA"}}]}))
        );
        assert_eq!(o.read_group("g1"), ScimRequest::get("/Groups/g1"));
        let del = o.delete_group("g1");
        assert_eq!((del.verb, del.path.as_str()), (Verb::Delete, "/Groups/g1"));
        assert_eq!(o.existing_group(), ExistingGroup::Fail);
    }

    #[test]
    fn scheduling_probe_and_unsupported_steps() {
        let o = okta(&[]);
        assert_eq!(o.scheduling(), Scheduling::Events);
        assert!(!o.probe_each_cycle());
        assert!(!o.supports(&Step::ProvisionOnDemand("a".into())));
        assert!(!o.supports(&Step::Restart(
            crate::scenario::model::RestartKind::KeepLinks
        )));
        assert!(o.supports(&Step::DisableUser("a".into())));
        assert_eq!(o.set_manager("u1", "u2", false), None);
    }

    #[test]
    fn options_are_parsed_and_unknown_ones_rejected() {
        assert_eq!(
            okta(&[("integration", "AIW")]).integration,
            Integration::Aiw
        );
        assert!(!okta(&[("push_group_rename", "false")]).push_group_rename);
        let bad = |k: &str, v: &str| {
            Okta::from_options(&BTreeMap::from([(k.to_string(), v.to_string())]))
        };
        assert!(matches!(
            bad("integration", "scim"),
            Err(ProfileError::BadOption { .. })
        ));
        assert!(matches!(
            bad("push_group_rename", "yes"),
            Err(ProfileError::BadOption { .. })
        ));
        assert!(matches!(
            bad("patch_dialect", "x"),
            Err(ProfileError::UnknownOption {
                profile: "okta",
                ..
            })
        ));
    }
}
