//! Microsoft Entra ID's provisioning service (idp-behavior.md §1): the custom SCIM app's
//! default user mapping (§1.1), the test-connection probe (§1.2), the POST body (§1.3), and
//! PATCH in its two dialects (§1.4). Entra never uses PUT and deprovisions by PATCHing
//! `active`; it sends DELETE only on a hard delete (§1.6, decided by the engine).

use serde_json::{json, Map, Value};

use super::{
    quote, set_parsed, set_path, Before, Deprovision, DeprovisionAction, DesiredUser, JobSettings,
    Level, Lookup, MatchKey, MembershipChange, ModifiedProperty, Profile, ScimRequest, Strictness,
    Update, Verb,
};
use crate::idp::SourceUser;
use crate::profile::desired::{prefixed, text};
use crate::scenario::model::{Step, UserAttr};
use crate::scim::lookup::ClientPath;
use crate::scim::request::{is_plain_name, members_op, object, patch_op};
use crate::scim::schema::USER;
use crate::scim::{resource_path, urn};

pub const ENTERPRISE_EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
pub const ENTERPRISE_DEPARTMENT: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
pub const ENTERPRISE_MANAGER_VALUE: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";
pub const WORK_EMAIL: &str = "emails[type eq \"work\"].value";

/// The custom SCIM app's default user mapping (§1.1), in the order Entra evaluates it.
/// `userName` is the matching attribute (precedence 1); option `matching` adds others.
const MAPPING: &[(&str, Source)] = &[
    ("userName", Source::Upn),
    ("active", Source::Active),
    ("displayName", Source::Prefixed(UserAttr::DisplayName)),
    ("title", Source::Attr(UserAttr::JobTitle)),
    (WORK_EMAIL, Source::Attr(UserAttr::Mail)),
    ("name.givenName", Source::Attr(UserAttr::GivenName)),
    ("name.familyName", Source::Attr(UserAttr::Surname)),
    ("name.formatted", Source::FormattedName),
    ("externalId", Source::MailNickname),
    (
        ENTERPRISE_EMPLOYEE_NUMBER,
        Source::Attr(UserAttr::EmployeeId),
    ),
    (ENTERPRISE_DEPARTMENT, Source::Attr(UserAttr::Department)),
];

/// `MAPPING`'s paths that are not plain names, parsed once: parsing them for every user was
/// ~2,500 instructions of each create (callgrind).
static PARSED: std::sync::LazyLock<Vec<(&'static str, ClientPath<'static>)>> =
    std::sync::LazyLock::new(|| {
        MAPPING
            .iter()
            .filter(|(path, _)| !is_plain_name(path))
            .filter_map(|(path, _)| Some((*path, ClientPath::parse(path, &USER).ok()?)))
            .collect()
    });

/// A mapped path as parsed once, when it is one of `MAPPING`'s that needs parsing.
fn mapped_path(path: &str) -> Option<&'static ClientPath<'static>> {
    PARSED
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, parsed)| parsed)
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Upn,
    Active,
    Attr(UserAttr),
    Prefixed(UserAttr),
    FormattedName,
    MailNickname,
}

#[derive(Debug, Clone)]
pub struct Entra {
    pub dialect: Dialect,
    pub manager: ManagerShape,
    pub job: JobSettings,
    /// What a source attribute that became empty sends (E-28).
    pub clears: Clears,
    /// How a manager removed in the source is cleared on the target (E-34).
    pub manager_removal: ManagerRemoval,
    /// `active` on the POST as the string `"True"` (E-16, `[observed]` scimref-21) instead of
    /// the documented JSON boolean.
    pub post_active_string: bool,
    /// Booleans in PATCH as strings (`"False"`); `None`: as the dialect has them (E-25,
    /// E-26). `Some(false)` in the default dialect is the tutorial's `Replace` with a JSON
    /// `false`, the third documented disable body (E-37, §9.1).
    pub patch_string_booleans: Option<bool>,
    /// The user matching attributes, in precedence order (E-10): `userName` alone, as the
    /// default mapping ships, unless the admin sets option `matching`.
    pub matching: Vec<&'static str>,
    /// The group matching attributes (E-47): `displayName` alone unless option
    /// `group_matching` says otherwise.
    pub group_matching: Vec<&'static str>,
    /// How many objects the job exports at once (option `parallel_exports`, E-67): 1 unless
    /// set. \[I\] Microsoft documents no concurrency for the provisioning service, so the
    /// default stays the one-at-a-time order the rest of §1 describes.
    pub parallel_exports: usize,
}

/// What Entra sends for a mapped attribute whose source value became empty (E-28, §9.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clears {
    /// `Remove` on the attribute's path: in the default dialect with the old value
    /// (`[observed]`, scimref-pr87), with the flag without one (`\[I\]`: the flag drops the
    /// value from member removes, E-53, and the RFC's remove carries none).
    Remove,
    /// Nothing: "null attributes can't be provisioned" read literally (`[documented]`,
    /// ms-known-issues); the target keeps the old value.
    Nothing,
}

/// How a removed manager is cleared (§1.5, E-34).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerRemoval {
    /// `Remove` on the manager path, with the old id in the default dialect (the reference
    /// server accepts Remove with or without it, scimref-code; the value is `\[I\]` from E-28),
    /// path only with the flag (`[observed]`, scimpatch-453).
    Remove,
    /// `Replace` with an empty value, as Microsoft's gallery validation tests it
    /// (`[documented]`, scimref-validation).
    ReplaceEmpty,
}

/// How the manager reference is written (§1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerShape {
    /// Today's traffic: the bare id on the enterprise path.
    String,
    /// `{"value": id}` on the enterprise path.
    Object,
    /// The historical `[{"$ref": …, "value": id}]` on path `manager`.
    RefList,
}

impl Entra {
    /// The manager's path and value in the configured shape (§1.5, E-32, E-33).
    fn manager_value(&self, base_url: &str, manager_id: &str) -> (String, Value) {
        let path = format!("{}:manager", urn::ENTERPRISE_USER);
        match self.manager {
            ManagerShape::String => (path, json!(manager_id)),
            ManagerShape::Object => (path, json!({"value": manager_id})),
            ManagerShape::RefList => (
                "manager".to_string(),
                json!([{"$ref": format!("{}/Users/{manager_id}", base_url.trim_end_matches('/')), "value": manager_id}]),
            ),
        }
    }

    /// The operation that clears a mapped attribute whose source value became empty, or
    /// none (E-28).
    fn clear_op(&self, path: &str, old: &Value) -> Option<Value> {
        match (self.clears, self.dialect) {
            (Clears::Nothing, _) => None,
            (Clears::Remove, Dialect::Default) => {
                Some(json!({"op": "Remove", "path": path, "value": old}))
            }
            (Clears::Remove, Dialect::Scim062020) => Some(json!({"op": "remove", "path": path})),
        }
    }
}

impl Profile for Entra {
    fn name(&self) -> &'static str {
        "entra"
    }

    /// E-19: a create is answered `201 Created` with an `id`; E-72: every answer is
    /// `application/scim+json` and every query a ListResponse. PATCH may answer 200 or 204
    /// (E-30); a 404 to a matching query is a compliance failure, not "no such user".
    /// Failures are escrowed and retried with back-off (E-20, E-65).
    fn strictness(&self) -> Strictness {
        Strictness {
            idp: "Entra",
            create_201: Level::Strict,
            put_returns_resource: Level::Tolerant,
            content_type: Level::Strict,
            list_shape: Level::Strict,
            list_paging: Level::Tolerant,
            delete_404: Level::Tolerant,
            match_404_is_empty: false,
            on_rejected: "Entra logs the failure for the object and retries it every cycle with \
                          back-off; the job quarantines when over 40 % of events fail (E-65)",
            on_transient: "Entra escrows the object and retries it in later cycles with \
                           back-off, honouring Retry-After (E-65, E-66)",
        }
    }

    /// Everything but scheduled imports, which Entra's outbound provisioning does not run.
    fn supports(&self, step: &Step) -> bool {
        !matches!(step, Step::Sync(crate::scenario::model::SyncKind::Import))
    }

    /// §1.2: a filter on the matching attribute (precedence 1) for a random GUID; success is
    /// 200 + empty list.
    fn test_connection(&self) -> ScimRequest {
        let probe = uuid::Uuid::new_v4().to_string();
        matching::user_filter(self.matching.first().unwrap_or(&"userName"), &probe)
    }

    /// E-7: Test Connection also "fetches a random user and group" (`ms-scim-tutorial`): a
    /// filter on the group matching attribute (precedence 1) for a random GUID, without
    /// members as every group read (§1.7). The request is `\[I\]`: Microsoft names no query.
    /// Sent at Test Connection only; what opens each cycle was observed to be the user
    /// filter (E-6, scimref-63).
    fn test_connection_followups(&self) -> Vec<ScimRequest> {
        let probe = uuid::Uuid::new_v4().to_string();
        vec![matching::group_filter(
            self.group_matching.first().unwrap_or(&"displayName"),
            &probe,
        )]
    }

    fn desired_user(&self, user: &SourceUser, prefix: &str, active: bool) -> DesiredUser {
        let mut attrs = Vec::with_capacity(MAPPING.len());
        for (path, source) in MAPPING {
            let value = match source {
                Source::Upn => {
                    // The tombstone prefix goes in front of the whole UPN (§1.6), and the
                    // run prefix is part of the UPN the run created.
                    let upn = user.text(UserAttr::UserPrincipalName).unwrap_or_default();
                    Some(if user.soft_deleted {
                        Value::String(format!("{}{prefix}{upn}", user.object_id.simple()))
                    } else {
                        prefixed(prefix, upn)
                    })
                }
                Source::Active => Some(Value::Bool(active)),
                Source::Attr(a) => text(user.text(*a)),
                Source::Prefixed(a) => user.text(*a).map(|s| prefixed(prefix, s)),
                Source::FormattedName => {
                    let parts: Vec<&str> =
                        [user.text(UserAttr::GivenName), user.text(UserAttr::Surname)]
                            .into_iter()
                            .flatten()
                            .collect();
                    text(Some(&parts.join(" ")))
                }
                Source::MailNickname => Some(prefixed(prefix, &user.mail_nickname())),
            };
            // "Null attributes can't be provisioned" (§1.3): unmapped values are not sent.
            if let Some(v) = value {
                attrs.push((*path, v));
            }
        }
        DesiredUser { attrs }
    }

    fn for_on_demand(&self) -> Option<Box<dyn Profile>> {
        Some(Box::new(Entra {
            dialect: Dialect::Default,
            ..self.clone()
        }))
    }

    fn job(&self) -> JobSettings {
        self.job.clone()
    }

    /// E-67: no documented figure; option `parallel_exports` (default 1) \[I\].
    fn worker_threads(&self) -> usize {
        self.parallel_exports
    }

    /// E-56 (`ms-known-issues`): members are written only for users Entra provisions; one out
    /// of scope (unassigned, scoped out, disabled, soft-deleted) is passed over. One already
    /// written stays (E-43: a disabled user's memberships are left alone).
    fn pushes_inactive_members(&self) -> bool {
        false
    }

    fn provisions_groups(&self) -> bool {
        true
    }

    /// §1.7: match by displayName, never reading members.
    fn match_group(&self, display_name: &str) -> ScimRequest {
        matching::group_filter("displayName", display_name)
    }

    /// E-47: displayName, or the attributes of option `group_matching` in their order.
    fn group_lookups(&self, display_name: &str, external_id: &str) -> Vec<Lookup> {
        self.lookups_for_group(display_name, external_id)
    }

    /// §1.7: created empty, members added afterwards; externalId is the objectId.
    fn create_group(&self, display_name: &str, external_id: &str) -> ScimRequest {
        ScimRequest::with_body(
            Verb::Post,
            "/Groups",
            json!({
                "schemas": [urn::GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": external_id,
                "displayName": display_name,
                "meta": {"resourceType": "Group"}
            }),
        )
    }

    fn read_group(&self, id: &str) -> ScimRequest {
        ScimRequest::get(format!(
            "{}?excludedAttributes=members",
            resource_path("Groups", id)
        ))
    }

    fn rename_group(&self, id: &str, display_name: &str, _: &[String]) -> Option<ScimRequest> {
        let op = json!({"op": self.dialect.table().replace, "path": "displayName", "value": display_name});
        Some(ScimRequest::with_body(
            Verb::Patch,
            resource_path("Groups", id),
            patch_op(vec![op]),
        ))
    }

    /// §1.7: adds batched as `Add members [{"$ref":null,"value"}]`; removes in the default
    /// dialect as `Remove` with a value list (RFC-incompatible), with the flag as one
    /// `members[value eq "id"]` operation per member; both `member_batch` members per PATCH
    /// (100 by default, the harness's choice: Entra documents no batch size) \[I\].
    fn membership(&self, change: &MembershipChange) -> Vec<ScimRequest> {
        let path = resource_path("Groups", &change.group_id);
        let mut requests: Vec<ScimRequest> = change
            .add
            .chunks(self.job.member_batch.max(1))
            .map(|chunk| {
                let value: Vec<Value> = chunk
                    .iter()
                    .map(|m| object([("$ref", Value::Null), ("value", Value::String(m.clone()))]))
                    .collect();
                let op = object([
                    ("op", Value::from(self.dialect.table().add)),
                    ("path", Value::from("members")),
                    ("value", Value::Array(value)),
                ]);
                ScimRequest::with_body(Verb::Patch, path.clone(), patch_op(vec![op]))
            })
            .collect();
        // Removes are batched like adds [I]: no source gives a size for either (E-51).
        for chunk in change.remove.chunks(self.job.member_batch.max(1)) {
            let ops = match self.dialect {
                Dialect::Default => {
                    vec![members_op("Remove", chunk)]
                }
                Dialect::Scim062020 => chunk
                    .iter()
                    .map(|m| json!({"op": "remove", "path": format!("members[value eq {}]", quote(m))}))
                    .collect(),
            };
            requests.push(ScimRequest::with_body(
                Verb::Patch,
                path.clone(),
                patch_op(ops),
            ));
        }
        requests
    }

    /// §1.6: unassignment disables and stops managing; a disabled or soft-deleted user is
    /// disabled and stays managed; a purge of a managed user is a DELETE.
    fn deprovision(&self, why: Deprovision) -> DeprovisionAction {
        match why {
            Deprovision::Unassigned => DeprovisionAction::Disable {
                stays_managed: false,
            },
            Deprovision::Disabled | Deprovision::SoftDeleted => DeprovisionAction::Disable {
                stays_managed: true,
            },
            Deprovision::Purged => DeprovisionAction::Delete,
        }
    }

    /// §1.5: written in a separate round trip after the user exists.
    fn set_manager(&self, user_id: &str, manager_id: &str, replacing: bool) -> Option<ScimRequest> {
        self.set_manager_at("..", user_id, manager_id, replacing)
    }

    /// E-33: the 2019 page shows `"$ref": "http://…/Users/<id>"`, absolute; without a base
    /// URL (`set_manager`) the `$ref` is relative, `../Users/<id>`.
    fn set_manager_at(
        &self,
        base_url: &str,
        user_id: &str,
        manager_id: &str,
        replacing: bool,
    ) -> Option<ScimRequest> {
        let table = self.dialect.table();
        let op = if replacing { table.replace } else { table.add };
        let (path, value) = self.manager_value(base_url, manager_id);
        Some(ScimRequest::with_body(
            Verb::Patch,
            resource_path("Users", user_id),
            patch_op(vec![object([
                ("op", Value::from(op)),
                ("path", Value::from(path)),
                ("value", value),
            ])]),
        ))
    }

    fn managed_paths(&self) -> Vec<&'static str> {
        let mut paths: Vec<&'static str> = MAPPING.iter().map(|(p, _)| *p).collect();
        paths.push(ENTERPRISE_MANAGER_VALUE);
        paths
    }

    /// The lookup on the matching attribute of precedence 1 (E-10).
    fn match_user(&self, desired: &DesiredUser) -> ScimRequest {
        match self.lookups_for_user(desired).into_iter().next() {
            Some(lookup) => lookup.request,
            None => matching::user_filter("userName", desired.user_name().unwrap_or_default()),
        }
    }

    fn match_key(&self, desired: &DesiredUser) -> MatchKey {
        match self.lookups_for_user(desired).into_iter().next() {
            Some(lookup) => lookup.key,
            None => MatchKey::user_name(desired.user_name().unwrap_or_default()),
        }
    }

    /// E-10: one filter per matching attribute, in precedence order, until one finds something.
    fn user_lookups(&self, desired: &DesiredUser) -> Vec<Lookup> {
        self.lookups_for_user(desired)
    }

    /// §1.3's documented body: both schemas, `meta.resourceType`, `roles: []`, only mapped
    /// attributes with values; `active` as the boolean the tutorial shows, or, with
    /// `post_active=string`, the string a Microsoft engineer said the service sends (E-16).
    fn create_user(&self, desired: &DesiredUser) -> ScimRequest {
        // Sized for the mapping and the fixed keys: grown from empty it was rehashed twice.
        let mut body = Map::with_capacity(desired.attrs.len() + 3);
        body.insert("schemas".into(), json!([urn::USER, urn::ENTERPRISE_USER]));
        for (path, value) in &desired.attrs {
            let value = match value {
                // `Switch([IsSoftDeleted], , "False", "True", "True", "False")` yields a
                // string; whether it reaches the wire as one is disputed (E-16).
                Value::Bool(b) if self.post_active_string => {
                    Value::String(if *b { "True" } else { "False" }.into())
                }
                other => other.clone(),
            };
            match mapped_path(path) {
                Some(parsed) => set_parsed(&mut body, parsed, value),
                None => set_path(&mut body, path, value),
            }
        }
        body.insert("meta".into(), json!({"resourceType": "User"}));
        body.insert("roles".into(), json!([]));
        ScimRequest::with_body(Verb::Post, "/Users", Value::Object(body))
    }

    /// §1.4: GET then diff; only changed attributes are sent. A value the source no longer
    /// has is removed (`Clears::Remove`, E-28) or left alone (`Clears::Nothing`, "null
    /// attributes can't be provisioned", §1.3 / §9.5). `before` is
    /// always `Before::Target`: Entra keeps the default `diff_source` (E-23).
    fn update_user(
        &self,
        id: &str,
        current: &Value,
        desired: &DesiredUser,
        _before: Before<'_>,
    ) -> Option<Update> {
        let table = self.dialect.table();
        let string_booleans = self.patch_string_booleans.unwrap_or(table.string_booleans);
        let mut ops = Vec::new();
        let mut pathless = Map::new();
        let mut modified = Vec::new();
        for (path, _) in MAPPING {
            let have = ClientPath::parse(path, &USER)
                .ok()
                .and_then(|p| p.get(current).cloned())
                .filter(|v| !v.is_null() && v.as_str() != Some(""));
            let Some(want) = desired.get(path) else {
                // Cleared in the source while the target still holds a value (E-28).
                if let Some(op) = have.as_ref().and_then(|old| self.clear_op(path, old)) {
                    ops.push(op);
                    modified.push(ModifiedProperty {
                        name: (*path).into(),
                        old: have,
                        new: None,
                    });
                }
                continue;
            };
            if have.as_ref() == Some(want) {
                continue;
            }
            modified.push(ModifiedProperty {
                name: (*path).into(),
                old: have.clone(),
                new: Some(want.clone()),
            });
            let wire = match want {
                Value::Bool(b) if string_booleans => {
                    Value::String(if *b { "True" } else { "False" }.into())
                }
                other => other.clone(),
            };
            let is_add = have.is_none();
            let keeps_path = is_add || *path == "active" || path.contains('[');
            if table.pathless_replace && !keeps_path {
                pathless.insert((*path).to_string(), wire);
            } else {
                let op = if is_add { table.add } else { table.replace };
                ops.push(object([
                    ("op", Value::from(op)),
                    ("path", Value::from(*path)),
                    ("value", wire),
                ]));
            }
        }
        if !pathless.is_empty() {
            ops.push(object([
                ("op", Value::from(table.replace)),
                ("value", Value::Object(pathless)),
            ]));
        }
        if ops.is_empty() {
            return None;
        }
        Some(Update {
            request: ScimRequest::with_body(Verb::Patch, resource_path("Users", id), patch_op(ops)),
            modified,
        })
    }

    /// §1.5, E-34: a manager removed in the source, in a separate round trip like the set.
    fn remove_manager(&self, user_id: &str, manager_id: &str) -> Option<ScimRequest> {
        let table = self.dialect.table();
        let (path, value) = self.manager_value("..", manager_id);
        let op = match (self.manager_removal, self.dialect) {
            (ManagerRemoval::ReplaceEmpty, _) => {
                json!({"op": table.replace, "path": path, "value": ""})
            }
            (ManagerRemoval::Remove, Dialect::Default) => object([
                ("op", Value::from("Remove")),
                ("path", Value::from(path)),
                ("value", value),
            ]),
            (ManagerRemoval::Remove, Dialect::Scim062020) => json!({"op": "remove", "path": path}),
        };
        Some(ScimRequest::with_body(
            Verb::Patch,
            resource_path("Users", user_id),
            patch_op(vec![op]),
        ))
    }
}

mod dialect;
mod matching;
mod options;

pub use dialect::Dialect;
pub use matching::{GROUP_MATCHING, USER_MATCHING};
pub use options::OPTIONS;
#[cfg(test)]
mod tests;
