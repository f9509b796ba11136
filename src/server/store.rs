//! The in-memory directory behind the reference server: Users and Groups in creation order,
//! with the invariants RFC 7643 asks of a service provider (unique userName and group
//! displayName, case-insensitively; no member pointing at nothing; a new `meta.version` on
//! every write). Every write is validated on a copy and committed whole, or not at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::normalize::normalize_resource;
use super::patch::apply_patch;
use crate::scim::schema::{ResourceTypeDef, GROUP, USER};
use crate::scim::urn;

/// Which collection a resource lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    /// Every resource type, in the order a search across them lists them.
    pub const ALL: &'static [Kind] = &[Kind::User, Kind::Group];

    pub fn def(self) -> &'static ResourceTypeDef {
        match self {
            Kind::User => &USER,
            Kind::Group => &GROUP,
        }
    }

    /// The attribute that must be unique within the collection (RFC 7643 §4.1.1, and groups'
    /// displayName, which every IdP uses to match groups: idp-behavior.md §1.7).
    pub fn unique_attr(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }
}

/// One stored resource. `attrs` holds the canonical attributes together with the server-owned
/// `id` and `meta` (less `location`, which depends on the base URL), so filters on `id` or
/// `meta.lastModified` evaluate without building a copy.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub seq: u64,
    pub attrs: Value,
    pub version: u64,
}

impl Stored {
    pub fn etag(&self) -> String {
        etag(self.version)
    }

    fn created(&self) -> Option<String> {
        self.attrs
            .pointer("/meta/created")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// Writes the server-owned `id` and `meta` into canonical attributes.
fn stamp(attrs: &mut Value, kind: Kind, id: &str, created: &str, modified: &str, version: u64) {
    if let Some(obj) = attrs.as_object_mut() {
        obj.insert("id".into(), Value::String(id.to_string()));
        obj.insert(
            "meta".into(),
            json!({
                "resourceType": kind.def().name,
                "created": created,
                "lastModified": modified,
                "version": etag(version),
            }),
        );
    }
}

/// Strips what the server owns, leaving what a client may set.
fn client_attrs(mut attrs: Value) -> Value {
    if let Some(obj) = attrs.as_object_mut() {
        obj.remove("id");
        obj.remove("meta");
        obj.remove("schemas");
    }
    attrs
}

#[derive(Debug, Default)]
struct Collection {
    by_seq: BTreeMap<u64, Stored>,
    seq_of: HashMap<String, u64>,
    /// Lower-cased unique attribute → id.
    unique: HashMap<String, String>,
}

impl Collection {
    fn get(&self, id: &str) -> Option<&Stored> {
        self.seq_of.get(id).and_then(|seq| self.by_seq.get(seq))
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Stored> {
        let seq = *self.seq_of.get(id)?;
        self.by_seq.get_mut(&seq)
    }
}

/// The directory: both collections and the reverse membership index.
#[derive(Debug, Default)]
pub struct Directory {
    users: Collection,
    groups: Collection,
    /// member id (user or group) → ids of the groups listing it directly.
    member_of: HashMap<String, BTreeSet<String>>,
    next_seq: u64,
    next_version: u64,
}

/// The 404 for a resource id that is not (or no longer) in the directory.
pub fn missing(kind: Kind, id: &str) -> ApiError {
    ApiError::not_found(format!("{} '{id}' not found", kind.def().name))
}

/// Case folding for attributes with `caseExact: false`.
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn unique_value(kind: Kind, attrs: &Value) -> Result<String, ApiError> {
    let name = kind.unique_attr();
    attrs
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalidValue",
                format!("required attribute '{name}' is missing"),
            )
        })
}

fn member_ids(attrs: &Value) -> Vec<String> {
    attrs
        .get("members")
        .and_then(Value::as_array)
        .map(|members| {
            members
                .iter()
                .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    fn collection(&self, kind: Kind) -> &Collection {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn collection_mut(&mut self, kind: Kind) -> &mut Collection {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    pub fn len(&self, kind: Kind) -> usize {
        self.collection(kind).by_seq.len()
    }

    pub fn is_empty(&self, kind: Kind) -> bool {
        self.len(kind) == 0
    }

    pub fn get(&self, kind: Kind, id: &str) -> Option<&Stored> {
        self.collection(kind).get(id)
    }

    /// All resources of a kind, in creation order (the stable order listings use).
    pub fn iter(&self, kind: Kind) -> impl Iterator<Item = &Stored> {
        self.collection(kind).by_seq.values()
    }

    /// Looks a resource up by its unique attribute (userName / group displayName).
    pub fn find_unique(&self, kind: Kind, value: &str) -> Option<&Stored> {
        let c = self.collection(kind);
        c.unique.get(&fold(value)).and_then(|id| c.get(id))
    }

    /// Which kind a member id refers to, if it exists at all.
    pub fn kind_of(&self, id: &str) -> Option<Kind> {
        if self.users.seq_of.contains_key(id) {
            Some(Kind::User)
        } else if self.groups.seq_of.contains_key(id) {
            Some(Kind::Group)
        } else {
            None
        }
    }

    /// Ids of the groups that list `id` as a direct member.
    pub fn groups_of(&self, id: &str) -> impl Iterator<Item = &String> {
        self.member_of.get(id).into_iter().flatten()
    }

    fn bump_version(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    /// Checks what every write must hold before it is committed.
    fn validate(
        &self,
        kind: Kind,
        self_id: Option<&str>,
        attrs: &Value,
    ) -> Result<String, ApiError> {
        let unique = unique_value(kind, attrs)?;
        if let Some(owner) = self.collection(kind).unique.get(&fold(&unique)) {
            if Some(owner.as_str()) != self_id {
                return Err(ApiError::uniqueness(format!(
                    "{} '{}' is already taken",
                    kind.unique_attr(),
                    unique
                )));
            }
        }
        if kind == Kind::Group {
            for member in member_ids(attrs) {
                if Some(member.as_str()) == self_id {
                    return Err(ApiError::invalid_value(
                        "a group cannot be a member of itself",
                    ));
                }
                if self.kind_of(&member).is_none() {
                    return Err(ApiError::invalid_value(format!(
                        "member '{member}' does not reference an existing User or Group"
                    )));
                }
            }
        }
        Ok(unique)
    }

    fn index_members(&mut self, group_id: &str, old: &[String], new: &[String]) {
        for m in old {
            if let Some(set) = self.member_of.get_mut(m) {
                set.remove(group_id);
                if set.is_empty() {
                    self.member_of.remove(m);
                }
            }
        }
        for m in new {
            self.member_of
                .entry(m.clone())
                .or_default()
                .insert(group_id.to_string());
        }
    }

    /// POST: creates a resource from a client body.
    pub fn create(&mut self, kind: Kind, body: &Value) -> Result<&Stored, ApiError> {
        let mut attrs = normalize_resource(body, kind.def())
            .map_err(|e| ApiError::bad_request(e.scim_type(), e.to_string()))?;
        let unique = self.validate(kind, None, &attrs)?;
        let id = uuid::Uuid::new_v4().to_string();
        let time = now();
        let version = self.bump_version();
        self.next_seq += 1;
        let seq = self.next_seq;
        let members = member_ids(&attrs);
        stamp(&mut attrs, kind, &id, &time, &time, version);
        let stored = Stored {
            id: id.clone(),
            seq,
            attrs,
            version,
        };
        let c = self.collection_mut(kind);
        c.unique.insert(fold(&unique), id.clone());
        c.seq_of.insert(id.clone(), seq);
        c.by_seq.insert(seq, stored);
        if kind == Kind::Group {
            self.index_members(&id, &[], &members);
        }
        self.get(kind, &id)
            .ok_or_else(|| ApiError::internal("created resource vanished"))
    }

    fn existing(&self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<&Stored, ApiError> {
        let stored = self.get(kind, id).ok_or_else(|| missing(kind, id))?;
        check_if_match(stored, if_match)?;
        Ok(stored)
    }

    /// Commits new attributes for an existing resource after validation.
    fn commit(&mut self, kind: Kind, id: &str, attrs: Value) -> Result<&Stored, ApiError> {
        let mut attrs = client_attrs(attrs);
        let unique = self.validate(kind, Some(id), &attrs)?;
        let old = self.get(kind, id).ok_or_else(|| missing(kind, id))?;
        let old_unique = unique_value(kind, &old.attrs).ok();
        let old_members = member_ids(&old.attrs);
        let created = old.created().unwrap_or_else(now);
        let new_members = member_ids(&attrs);
        let version = self.bump_version();
        stamp(&mut attrs, kind, id, &created, &now(), version);
        let c = self.collection_mut(kind);
        if let Some(old_unique) = old_unique {
            c.unique.remove(&fold(&old_unique));
        }
        c.unique.insert(fold(&unique), id.to_string());
        if let Some(stored) = c.get_mut(id) {
            stored.attrs = attrs;
            stored.version = version;
        }
        if kind == Kind::Group {
            self.index_members(id, &old_members, &new_members);
        }
        self.get(kind, id)
            .ok_or_else(|| ApiError::internal("updated resource vanished"))
    }

    /// PUT: replaces every client-settable attribute; `id` and `meta` stay the server's,
    /// whatever the body carries.
    pub fn replace(
        &mut self,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<&Stored, ApiError> {
        self.existing(kind, id, if_match)?;
        // `id` and `meta` are readOnly: whatever the body says is ignored (RFC 7644 §3.5.1,
        // "any values provided SHALL be ignored"), so a different `id` is not an error.
        let attrs = normalize_resource(body, kind.def())
            .map_err(|e| ApiError::bad_request(e.scim_type(), e.to_string()))?;
        self.commit(kind, id, attrs)
    }

    /// PATCH: applies RFC 7644 §3.5.2 operations (and the IdP variants `patch` accepts).
    pub fn patch(
        &mut self,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<&Stored, ApiError> {
        let stored = self.existing(kind, id, if_match)?;
        // `patch` sees `id` so that an `id` in a path-less value (Okta) can be compared;
        // `commit` strips the server-owned keys again.
        let mut resource = stored.attrs.clone();
        apply_patch(&mut resource, body, kind.def())
            .map_err(|e| ApiError::bad_request(e.scim_type(), e.to_string()))?;
        self.commit(kind, id, resource)
    }

    /// DELETE: removes the resource and every membership that named it.
    pub fn delete(&mut self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<(), ApiError> {
        self.existing(kind, id, if_match)?;
        let c = self.collection_mut(kind);
        let Some(seq) = c.seq_of.remove(id) else {
            return Err(missing(kind, id));
        };
        let removed = c.by_seq.remove(&seq);
        if let Some(removed) = &removed {
            if let Ok(unique) = unique_value(kind, &removed.attrs) {
                c.unique.remove(&fold(&unique));
            }
            if kind == Kind::Group {
                let members = member_ids(&removed.attrs);
                self.index_members(id, &members, &[]);
            }
        }
        // Drop the deleted resource from every group that listed it (RFC 7644 §3.6: the
        // service provider keeps referential integrity).
        let containing: Vec<String> = self.groups_of(id).cloned().collect();
        for group_id in containing {
            let version = self.bump_version();
            let time = now();
            if let Some(group) = self.groups.get_mut(&group_id) {
                if let Some(members) = group.attrs.get_mut("members").and_then(Value::as_array_mut)
                {
                    members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                    if members.is_empty() {
                        if let Some(obj) = group.attrs.as_object_mut() {
                            obj.remove("members");
                        }
                    }
                }
                let created = group.created().unwrap_or_else(|| time.clone());
                group.version = version;
                stamp(
                    &mut group.attrs,
                    Kind::Group,
                    &group_id,
                    &created,
                    &time,
                    version,
                );
            }
        }
        self.member_of.remove(id);
        Ok(())
    }

    /// The client-facing JSON of a stored resource: `schemas`, `id`, `meta`, computed member
    /// references and user `groups`; never the password.
    pub fn render(&self, kind: Kind, stored: &Stored, base_url: &str) -> Value {
        let def = kind.def();
        let mut out = Map::new();
        let mut schemas = vec![Value::String(def.schema.id.to_string())];
        for ext in def.extensions {
            if stored.attrs.get(ext.id).is_some() {
                schemas.push(Value::String(ext.id.to_string()));
            }
        }
        out.insert("schemas".into(), Value::Array(schemas));
        out.insert("id".into(), Value::String(stored.id.clone()));
        if let Some(attrs) = stored.attrs.as_object() {
            for (k, v) in attrs {
                if k == "password" || k == "id" || k == "meta" {
                    continue;
                }
                out.insert(k.clone(), v.clone());
            }
        }
        if kind == Kind::Group {
            if let Some(members) = out.get_mut("members").and_then(Value::as_array_mut) {
                for m in members.iter_mut() {
                    self.render_member(m, base_url);
                }
            }
        }
        if kind == Kind::User {
            self.render_manager(&mut out, base_url);
            let groups: Vec<Value> = self
                .groups_of(&stored.id)
                .filter_map(|gid| self.groups.get(gid))
                .map(|g| {
                    json!({
                        "value": g.id,
                        "$ref": format!("{base_url}/Groups/{}", g.id),
                        "display": g.attrs.get("displayName").cloned().unwrap_or(Value::Null),
                        "type": "direct",
                    })
                })
                .collect();
            if !groups.is_empty() {
                out.insert("groups".into(), Value::Array(groups));
            }
        }
        let mut meta = stored
            .attrs
            .get("meta")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            m.insert(
                "location".into(),
                Value::String(format!("{base_url}{}/{}", def.endpoint, stored.id)),
            );
        }
        out.insert("meta".into(), meta);
        Value::Object(out)
    }

    /// RFC 7643 §4.3: the manager's `$ref` (RECOMMENDED), when the manager is a user here.
    /// Only the id is stored, so the reference cannot go stale.
    fn render_manager(&self, out: &mut Map<String, Value>, base_url: &str) {
        let Some(manager) = out
            .get_mut(urn::ENTERPRISE_USER)
            .and_then(|e| e.get_mut("manager"))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let Some(id) = manager.get("value").and_then(Value::as_str) else {
            return;
        };
        if self.users.get(id).is_some() {
            let reference = format!("{base_url}/Users/{id}");
            manager.insert("$ref".into(), Value::String(reference));
        }
    }

    fn render_member(&self, member: &mut Value, base_url: &str) {
        let Some(id) = member
            .get("value")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        let Some(kind) = self.kind_of(&id) else {
            return;
        };
        let (display, endpoint) = match kind {
            Kind::User => (
                self.users
                    .get(&id)
                    .and_then(|u| {
                        u.attrs
                            .get("displayName")
                            .or_else(|| u.attrs.get("userName"))
                    })
                    .cloned(),
                "Users",
            ),
            Kind::Group => (
                self.groups
                    .get(&id)
                    .and_then(|g| g.attrs.get("displayName"))
                    .cloned(),
                "Groups",
            ),
        };
        if let Some(obj) = member.as_object_mut() {
            obj.insert(
                "$ref".into(),
                Value::String(format!("{base_url}/{endpoint}/{id}")),
            );
            obj.insert("type".into(), Value::String(kind.def().name.to_string()));
            if let Some(display) = display {
                obj.entry("display").or_insert(display);
            }
        }
    }
}

/// RFC 7644 §3.14: a write carrying `If-Match` applies only to the version it names.
fn check_if_match(stored: &Stored, if_match: Option<&str>) -> Result<(), ApiError> {
    let Some(if_match) = if_match else {
        return Ok(());
    };
    let current = stored.etag();
    let strong = current.trim_start_matches("W/");
    let ok = if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == current || tag.trim_start_matches("W/") == strong);
    if ok {
        Ok(())
    } else {
        Err(ApiError::precondition_failed(format!(
            "resource version is {current}, If-Match asked for {if_match}"
        )))
    }
}
