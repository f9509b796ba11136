//! The directory steps: reading refs (a name, a created object, a use checked against the
//! ref table) and the user and group steps that act on the source directory.

use std::collections::BTreeMap;

use saphyr::YamlData;

use super::Parser;
use crate::scenario::error::ErrorKind;
use crate::scenario::model::{AttrValue, GroupSpec, Ref, Step, UserAttr, UserSpec};
use crate::scenario::node::{as_str, is_null, item, At, Entry, Map, Node};
use crate::scenario::refs::{Accept, Problem, RefKind, Usage};

impl Parser<'_> {
    // --- refs --------------------------------------------------------------------------

    /// A ref's spelling: text that reads as a name. Refs appear in redacted snapshots
    /// (`<user:alice>`), so spaces and punctuation are kept out.
    pub(super) fn ref_name(&mut self, node: &Node, field: &str, what: &str) -> Option<String> {
        match as_str(node) {
            Some(s) if is_ref_name(s) => Some(s.to_string()),
            _ => {
                self.r.invalid(
                    node,
                    field,
                    &format!("{what} (a name such as `alice`: letters, digits, `_`, `-`, `.`)"),
                );
                None
            }
        }
    }

    /// Reads a ref and checks it against the refs created so far. Returns the name even when
    /// the check fails: the error is recorded, and the step's shape is still worth checking.
    pub(super) fn use_ref(
        &mut self,
        node: &Node,
        field: &str,
        accept: Accept,
        usage: Usage,
    ) -> Option<Ref> {
        let name = self.ref_name(node, field, accept_what(accept))?;
        self.check_ref(&name, node, field, accept, usage);
        Some(name)
    }

    /// Checks a ref read from `node` (alone or as one name of a range) against the refs made
    /// so far, recording an error for a problem; whether it did is the answer.
    pub(super) fn check_ref(
        &mut self,
        name: &str,
        node: &Node,
        field: &str,
        accept: Accept,
        usage: Usage,
    ) -> bool {
        let what = accept_what(accept);
        let name = name.to_string();
        match self.refs.check(&name, accept, usage) {
            Ok(()) => return true,
            Err(Problem::Unknown) => {
                // Message filled in by `finish`, once later steps are known.
                let err =
                    self.r
                        .error_at(At::of(node), ErrorKind::UnknownRef, field, String::new());
                self.unresolved.push((name.clone(), accept, err));
            }
            Err(Problem::WrongKind { kind, created_line }) => {
                let usable = if kind == RefKind::TargetUser {
                    "; target-only refs (from `target_create_user`) can be used only in \
                     `expect: { user: … }` and as `target_create_group` members"
                } else if kind == RefKind::TargetGroup {
                    "; target-only refs (from `target_create_group`) can be used only in \
                     `expect: { group: … }`"
                } else {
                    ""
                };
                let message = format!(
                    "`{name}` is {} (created at line {created_line}); expected {what}{usable}",
                    kind.describe()
                );
                self.r
                    .report(At::of(node), ErrorKind::RefMismatch, field, message);
            }
            Err(Problem::Deleted { kind, deleted_line }) => {
                let (noun, create) = match kind {
                    RefKind::Group => ("group", "create_group"),
                    _ => ("user", "create_user"),
                };
                let message = format!(
                    "{noun} `{name}` was deleted at line {deleted_line}; `{create}` it again \
                     before acting on it"
                );
                self.r
                    .report(At::of(node), ErrorKind::RefMismatch, field, message);
            }
            Err(Problem::Duplicate { .. }) => return true,
        }
        false
    }

    /// Reads a ref that a step creates; a live object of the same name is an error.
    pub(super) fn create_ref(&mut self, node: &Node, field: &str, kind: RefKind) -> Option<Ref> {
        let name = self.ref_name(node, field, kind.describe())?;
        self.create_named(&name, node, field, kind);
        Some(name)
    }

    /// Registers `name` (read from `node`, alone or generated from a template) as created
    /// here; whether it was new is the answer.
    pub(super) fn create_named(
        &mut self,
        name: &str,
        node: &Node,
        field: &str,
        kind: RefKind,
    ) -> bool {
        if let Err(Problem::Duplicate { created_line }) =
            self.refs.create(name, kind, At::of(node).line())
        {
            let message = format!("ref `{name}` already exists (created at line {created_line})");
            let mut err = self
                .r
                .error_at(At::of(node), ErrorKind::DuplicateRef, field, message);
            if kind == RefKind::User {
                err = err.with_help(format!(
                    "to re-create the user, `hard_delete_user: {name}` first, or pick another ref"
                ));
            }
            self.r.push(err);
            return false;
        }
        true
    }

    pub(super) fn user_ref(&mut self, e: &Entry) -> Option<Ref> {
        self.use_ref(e.value, &e.path, Accept::User, Usage::Act)
    }

    /// `assign`, `unassign`, `provision_on_demand`: users and groups are both in scope.
    pub(super) fn scope_ref(&mut self, e: &Entry) -> Option<Ref> {
        self.use_ref(e.value, &e.path, Accept::UserOrGroup, Usage::Act)
    }

    // --- users and groups --------------------------------------------------------------

    pub(super) fn step_map<'n, 'i>(
        &mut self,
        e: &Entry<'n, 'i>,
        expected: &str,
    ) -> Option<Map<'n, 'i>> {
        self.r.map(e.value, At::of(e.key_node), &e.path, expected)
    }

    pub(super) fn user_keys() -> Vec<&'static str> {
        std::iter::once("user")
            .chain(UserAttr::ALL.iter().map(|(n, _)| *n))
            .collect()
    }

    pub(super) fn create_user(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(
            e,
            "a map with `user`, `userPrincipalName` and other attributes",
        )?;
        self.r.check_keys(&map, &Self::user_keys());
        let user_entry = self.r.required(&map, "user");
        self.r.required(&map, "userPrincipalName");
        let attrs = self.user_attrs(&map, false);
        // The ref is registered after the attributes so `manager` cannot name the user itself.
        let user = user_entry.and_then(|u| self.create_ref(u.value, &u.path, RefKind::User));
        let mut attrs = attrs?;
        // The default is resolved here so the engine has one source of truth for it.
        attrs
            .entry(UserAttr::AccountEnabled)
            .or_insert(AttrValue::Bool(true));
        Some(Step::CreateUser(UserSpec { user: user?, attrs }))
    }

    pub(super) fn update_user(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `user` and the attributes to change")?;
        self.r.check_keys(&map, &Self::user_keys());
        let user = self
            .r
            .required(&map, "user")
            .and_then(|u| self.use_ref(u.value, &u.path, Accept::User, Usage::Act));
        if map.entries.iter().all(|a| a.key == "user") {
            let message =
                "`update_user` changes nothing: give at least one attribute besides `user`"
                    .to_string();
            self.r.report(
                At::of(e.key_node),
                ErrorKind::InvalidShape,
                &e.path,
                message,
            );
            return None;
        }
        let attrs = self.user_attrs(&map, true)?;
        Some(Step::UpdateUser(UserSpec { user: user?, attrs }))
    }

    /// The attribute keys of a `create_user`/`update_user` map. Unknown keys were reported by
    /// `check_keys` and are skipped here.
    pub(super) fn user_attrs(
        &mut self,
        map: &Map,
        update: bool,
    ) -> Option<BTreeMap<UserAttr, AttrValue>> {
        let mut attrs = BTreeMap::new();
        let mut ok = true;
        for a in &map.entries {
            let Some((_, attr)) = UserAttr::ALL.iter().find(|(n, _)| *n == a.key) else {
                continue;
            };
            let value = if is_null(a.value) {
                self.null_attr(a, *attr, update)
            } else {
                match attr {
                    UserAttr::AccountEnabled => {
                        self.r.boolean(a.value, &a.path).map(AttrValue::Bool)
                    }
                    UserAttr::Manager => self
                        .use_ref(a.value, &a.path, Accept::User, Usage::Act)
                        .map(AttrValue::Text),
                    _ => self.r.text(a.value, &a.path).map(AttrValue::Text),
                }
            };
            match value {
                Some(v) => {
                    attrs.insert(*attr, v);
                }
                None => ok = false,
            }
        }
        ok.then_some(attrs)
    }

    /// `null` clears an attribute in `update_user`; a user always has a UPN and an enabled
    /// state, and a new user has nothing to clear.
    pub(super) fn null_attr(
        &mut self,
        a: &Entry,
        attr: UserAttr,
        update: bool,
    ) -> Option<AttrValue> {
        let clearable = !matches!(attr, UserAttr::UserPrincipalName | UserAttr::AccountEnabled);
        if update && clearable {
            return Some(AttrValue::Clear);
        }
        let expected = match attr {
            UserAttr::AccountEnabled => "a boolean (true or false)",
            UserAttr::Manager => "a user ref",
            _ => "text",
        };
        let why = if update {
            format!("`{}` cannot be cleared", a.key)
        } else {
            "null clears an attribute only in `update_user`; omit the key instead".to_string()
        };
        let message = format!(
            "invalid value for `{}`: expected {expected}, found null ({why})",
            a.key
        );
        self.r
            .report(At::of(a.value), ErrorKind::InvalidValue, &a.path, message);
        None
    }

    pub(super) fn create_group(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(
            e,
            "a map with `group`, `displayName` and optional `members`",
        )?;
        self.r
            .check_keys(&map, &["group", "displayName", "members"]);
        let group_entry = self.r.required(&map, "group");
        let display_name = self
            .r
            .required(&map, "displayName")
            .and_then(|d| self.r.text(d.value, &d.path));
        let members = match map.get("members") {
            // `members: { users: "u1..u250" }`: a generated set of users.
            Some(m) if matches!(m.value.data, YamlData::Mapping(_)) => self.selection_entry(m),
            Some(m) => self.member_refs(m, Accept::UserOrGroup, Usage::Act),
            None => Some(Vec::new()),
        };
        // Registered after the members so a group cannot contain itself.
        let group = group_entry.and_then(|g| self.create_ref(g.value, &g.path, RefKind::Group));
        Some(Step::CreateGroup(GroupSpec {
            group: group?,
            display_name: display_name?,
            members: members?,
        }))
    }

    pub(super) fn rename_group(&mut self, e: &Entry) -> Option<Step> {
        let map = self.step_map(e, "a map with `group` and `displayName`")?;
        self.r.check_keys(&map, &["group", "displayName"]);
        let group = self
            .r
            .required(&map, "group")
            .and_then(|g| self.use_ref(g.value, &g.path, Accept::Group, Usage::Act));
        let display_name = self
            .r
            .required(&map, "displayName")
            .and_then(|d| self.r.text(d.value, &d.path));
        Some(Step::RenameGroup {
            group: group?,
            display_name: display_name?,
        })
    }

    pub(super) fn member_refs(
        &mut self,
        e: &Entry,
        accept: Accept,
        usage: Usage,
    ) -> Option<Vec<Ref>> {
        let items = self.r.list(e.value, &e.path)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, node) in items.iter().enumerate() {
            match self.use_ref(node, &item(&e.path, i), accept, usage) {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn membership(&mut self, e: &Entry) -> Option<(Ref, Ref)> {
        let map = self.step_map(e, "a map with `group` and `member`")?;
        self.r.check_keys(&map, &["group", "member"]);
        let group = self
            .r
            .required(&map, "group")
            .and_then(|g| self.use_ref(g.value, &g.path, Accept::Group, Usage::Act));
        let member = self
            .r
            .required(&map, "member")
            .and_then(|m| self.use_ref(m.value, &m.path, Accept::UserOrGroup, Usage::Act));
        Some((group?, member?))
    }
}

/// What a ref of the kinds `accept` allows is, for messages.
fn accept_what(accept: Accept) -> &'static str {
    match accept {
        Accept::User | Accept::ExpectedUser => "a user ref",
        Accept::TargetUser => "a target-only user ref (from `target_create_user`)",
        Accept::Group | Accept::ExpectedGroup => "a group ref",
        Accept::UserOrGroup | Accept::ExpectedMember => "a user or group ref",
    }
}

/// Whether `s` is spelled as a ref: letters, digits, `_`, `-`, `.`, not starting with `-`
/// or `.`. Refs appear in redacted snapshots (`<user:alice>`).
pub(super) fn is_ref_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
