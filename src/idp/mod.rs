//! The simulated source directory: the IdP's own users and groups, the application's
//! assignments and scope, and change tracking so an incremental cycle sees only what changed
//! since its watermark. It knows nothing of SCIM requests; profiles turn it into those.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashSet};

use uuid::Uuid;

mod keyed;
mod population;
mod scope;

use keyed::Keyed;

use crate::scenario::model::{AttrValue, Ref, ScopeMode, ScopingClause, UserAttr};

/// A user in the source directory (Entra's vocabulary: objectId, userPrincipalName…).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUser {
    /// A new GUID for every created object: re-creating the same UPN gives a new objectId.
    pub object_id: Uuid,
    attrs: BTreeMap<UserAttr, AttrValue>,
    /// In the recycle bin (Entra soft delete).
    pub soft_deleted: bool,
    /// Change counter value of the last change, for incremental cycles.
    pub changed_at: u64,
}

impl SourceUser {
    pub fn text(&self, attr: UserAttr) -> Option<&str> {
        match self.attrs.get(&attr) {
            Some(AttrValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    pub fn account_enabled(&self) -> bool {
        !matches!(
            self.attrs.get(&UserAttr::AccountEnabled),
            Some(AttrValue::Bool(false))
        )
    }

    /// The UPN as the directory holds it now. Entra frees a soft-deleted user's UPN by
    /// prefixing the objectId without dashes (idp-behavior.md §1.6, the UPN tombstone).
    pub fn user_principal_name(&self) -> String {
        let upn = self.text(UserAttr::UserPrincipalName).unwrap_or_default();
        if self.soft_deleted {
            format!("{}{}", self.object_id.simple(), upn)
        } else {
            upn.to_string()
        }
    }

    /// `mailNickname` defaults to the UPN's local part, as Entra fills it in.
    pub fn mail_nickname(&self) -> String {
        self.text(UserAttr::MailNickname)
            .map(str::to_string)
            .unwrap_or_else(|| {
                let upn = self.text(UserAttr::UserPrincipalName).unwrap_or_default();
                upn.split('@').next().unwrap_or_default().to_string()
            })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceGroup {
    pub object_id: Uuid,
    pub display_name: String,
    /// Direct members, users or groups, in the order added.
    pub members: Vec<Ref>,
    pub changed_at: u64,
}

/// Why an object is not effectively entitled (Entra's `IsSoftDeleted` inputs, §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotEntitled {
    NotAssigned,
    /// Assigned, but the scoping filter does not hold for the user.
    ScopingFilter,
    Disabled,
    SoftDeleted,
}

/// A permanently deleted source object (user or group), remembered so the next cycle can
/// act on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Purge {
    pub user: Ref,
    pub object_id: Uuid,
    pub at: u64,
    pub is_group: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DirectoryError {
    #[error("no user `{0}` in the source directory")]
    UnknownUser(Ref),
    #[error("no group `{0}` in the source directory")]
    UnknownObject(Ref),
    #[error("user `{0}` already exists in the source directory")]
    Exists(Ref),
}

/// The tenant: directory, the application's assignments and scope, and a change clock.
#[derive(Debug, Clone)]
pub struct Tenant {
    users: Keyed<SourceUser>,
    groups: Keyed<SourceGroup>,
    /// Looked up for every user a cycle passes over, never walked: by hash (see `Keyed`).
    assigned: HashSet<Ref>,
    scope: ScopeMode,
    scoping_filter: Vec<Vec<ScopingClause>>,
    /// In the order they happened, so `at` only grows.
    purges: Vec<Purge>,
    clock: u64,
    /// Every user and group by the clock value of its last change (`changed_at`), kept as
    /// the change is stamped: an event-driven IdP (Okta, PingOne) runs a cycle per directory
    /// change, and a cycle that scanned the whole directory for what changed would make a
    /// 100,000-user run quadratic. Mirrors `changed_at` exactly.
    user_changes: BTreeSet<(u64, Ref)>,
    group_changes: BTreeSet<(u64, Ref)>,
    /// Member ref → the groups that list it directly (sorted, no repeats): the reverse of
    /// `SourceGroup::members`, so a user's scope does not scan every group. A sorted `Vec`,
    /// not a `BTreeSet`: almost every user is in one or two groups, and a one-entry
    /// `BTreeSet` allocates a whole B-tree node (~280 bytes; 28 MB for 100,000 users).
    /// Looked up, never walked: by hash (see `Keyed`).
    member_of: HashMap<Ref, Vec<Ref>>,
}

/// Moves `r` in a change index from stamp `from` to stamp `to`. The entry's own ref moves:
/// one ref is made (the key to find it), not two. Okta stamps every member of a group at
/// each membership event.
fn restamp(changes: &mut BTreeSet<(u64, Ref)>, from: u64, to: u64, r: &str) {
    let key = (from, r.to_string());
    let (_, r) = changes.take(&key).unwrap_or(key);
    changes.insert((to, r));
}

impl Default for Tenant {
    fn default() -> Self {
        Tenant {
            users: Keyed::default(),
            groups: Keyed::default(),
            assigned: HashSet::default(),
            scope: ScopeMode::AssignedOnly,
            scoping_filter: vec![],
            purges: vec![],
            clock: 0,
            user_changes: BTreeSet::new(),
            group_changes: BTreeSet::new(),
            member_of: HashMap::default(),
        }
    }
}

impl Tenant {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current value of the change clock; a cycle's watermark.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub fn user(&self, r: &str) -> Option<&SourceUser> {
        self.users.get(r)
    }

    pub fn group(&self, r: &str) -> Option<&SourceGroup> {
        self.groups.get(r)
    }

    pub fn users(&self) -> impl Iterator<Item = (&Ref, &SourceUser)> {
        self.users.iter()
    }

    pub fn groups(&self) -> impl Iterator<Item = (&Ref, &SourceGroup)> {
        self.groups.iter()
    }

    /// Purges that happened after `watermark`.
    pub fn purges_since(&self, watermark: u64) -> impl Iterator<Item = &Purge> {
        let first = self.purges.partition_point(|p| p.at <= watermark);
        self.purges[first..].iter()
    }

    /// Users whose `changed_at` is after `watermark`, from the change index: the cost is
    /// what changed, not the directory's size. Order is by change, not by ref.
    pub fn users_changed_since(&self, watermark: u64) -> impl Iterator<Item = &Ref> {
        self.user_changes
            .range((watermark.saturating_add(1), Ref::new())..)
            .map(|(_, r)| r)
    }

    /// Groups whose `changed_at` is after `watermark`, like `users_changed_since`.
    pub fn groups_changed_since(&self, watermark: u64) -> impl Iterator<Item = &Ref> {
        self.group_changes
            .range((watermark.saturating_add(1), Ref::new())..)
            .map(|(_, r)| r)
    }

    /// Stamps a user's change and moves it in the change index.
    fn stamp_user(&mut self, r: &str, at: u64) -> Option<&mut SourceUser> {
        let user = self.users.get_mut(r)?;
        if user.changed_at != at {
            restamp(&mut self.user_changes, user.changed_at, at, r);
            user.changed_at = at;
        }
        Some(user)
    }

    /// Stamps a group's change and moves it in the change index.
    fn stamp_group(&mut self, r: &str, at: u64) -> Option<&mut SourceGroup> {
        let group = self.groups.get_mut(r)?;
        if group.changed_at != at {
            restamp(&mut self.group_changes, group.changed_at, at, r);
            group.changed_at = at;
        }
        Some(group)
    }

    fn index_member(&mut self, group: &str, member: &str) {
        let groups = self.member_of.entry(member.to_string()).or_default();
        if let Err(at) = groups.binary_search_by(|g| g.as_str().cmp(group)) {
            groups.insert(at, group.to_string());
        }
    }

    fn unindex_member(&mut self, group: &str, member: &str) {
        if let Some(groups) = self.member_of.get_mut(member) {
            if let Ok(at) = groups.binary_search_by(|g| g.as_str().cmp(group)) {
                groups.remove(at);
            }
            if groups.is_empty() {
                self.member_of.remove(member);
            }
        }
    }

    pub fn create_user(
        &mut self,
        r: &str,
        mut attrs: BTreeMap<UserAttr, AttrValue>,
    ) -> Result<(), DirectoryError> {
        if self.users.contains_key(r) {
            return Err(DirectoryError::Exists(r.to_string()));
        }
        // Entra fills mailNickname from the UPN's local part when the user is created; a
        // later UPN change leaves it as it was.
        if !attrs.contains_key(&UserAttr::MailNickname) {
            if let Some(AttrValue::Text(upn)) = attrs.get(&UserAttr::UserPrincipalName) {
                let local = upn.split('@').next().unwrap_or_default().to_string();
                attrs.insert(UserAttr::MailNickname, AttrValue::Text(local));
            }
        }
        let at = self.tick();
        self.users.insert(
            r.to_string(),
            SourceUser {
                object_id: Uuid::new_v4(),
                attrs,
                soft_deleted: false,
                changed_at: at,
            },
        );
        self.user_changes.insert((at, r.to_string()));
        Ok(())
    }

    fn user_mut(&mut self, r: &str) -> Result<&mut SourceUser, DirectoryError> {
        let at = self.tick();
        self.stamp_user(r, at)
            .ok_or_else(|| DirectoryError::UnknownUser(r.to_string()))
    }

    pub fn update_user(
        &mut self,
        r: &str,
        changes: &BTreeMap<UserAttr, AttrValue>,
    ) -> Result<(), DirectoryError> {
        let user = self.user_mut(r)?;
        for (attr, value) in changes {
            match value {
                AttrValue::Clear => {
                    user.attrs.remove(attr);
                }
                v => {
                    user.attrs.insert(*attr, v.clone());
                }
            }
        }
        Ok(())
    }

    pub fn set_account_enabled(&mut self, r: &str, enabled: bool) -> Result<(), DirectoryError> {
        self.user_mut(r)?
            .attrs
            .insert(UserAttr::AccountEnabled, AttrValue::Bool(enabled));
        Ok(())
    }

    pub fn soft_delete_user(&mut self, r: &str) -> Result<(), DirectoryError> {
        self.user_mut(r)?.soft_deleted = true;
        Ok(())
    }

    pub fn restore_user(&mut self, r: &str) -> Result<(), DirectoryError> {
        self.user_mut(r)?.soft_deleted = false;
        Ok(())
    }

    /// Permanently deletes a user: it leaves the directory, its assignments and groups.
    pub fn hard_delete_user(&mut self, r: &str) -> Result<(), DirectoryError> {
        let user = self
            .users
            .remove(r)
            .ok_or_else(|| DirectoryError::UnknownUser(r.to_string()))?;
        let at = self.tick();
        self.user_changes.remove(&(user.changed_at, r.to_string()));
        self.assigned.remove(r);
        self.leave_groups(r, at);
        self.purges.push(Purge {
            user: r.to_string(),
            object_id: user.object_id,
            at,
            is_group: false,
        });
        Ok(())
    }

    pub fn create_group(
        &mut self,
        r: &str,
        display_name: &str,
        members: &[Ref],
    ) -> Result<(), DirectoryError> {
        if self.groups.contains_key(r) {
            return Err(DirectoryError::Exists(r.to_string()));
        }
        let at = self.tick();
        self.groups.insert(
            r.to_string(),
            SourceGroup {
                object_id: Uuid::new_v4(),
                display_name: display_name.to_string(),
                members: members.to_vec(),
                changed_at: at,
            },
        );
        self.group_changes.insert((at, r.to_string()));
        for m in members {
            self.index_member(r, m);
        }
        // A new group is not assigned yet (a ref is assigned only once it exists), so no
        // member's scope changes: its users become changed users when it is assigned
        // (`set_assignment`); member groups are stamped (`stamp_group` skips users).
        for m in members {
            self.stamp_group(m, at);
        }
        Ok(())
    }

    fn touch(&mut self, r: &str, at: u64) {
        if self.users.contains_key(r) {
            self.stamp_user(r, at);
        } else {
            self.stamp_group(r, at);
        }
    }

    /// Whether each of `members` is in scope, before an assignment or membership change.
    fn scopes<M: AsRef<str>>(&self, members: &[M]) -> Vec<bool> {
        members.iter().map(|m| self.in_scope(m.as_ref())).collect()
    }

    /// After an assignment or membership change: stamps the users among `members` whose
    /// scope it changed (`before`, from `scopes`), and, with `groups_too`, every member that
    /// is a group. A user whose scope stayed as it was is not a changed user: a group it is
    /// in changed, not it, and no profile's user pass reads its groups. Stamped anyway, an
    /// event-driven IdP passed over it for nothing (Okta pushes nothing and logs nothing for
    /// an app user it already provisions): at 100,000 users, ten such passes and their log
    /// records for each group the bench assigns.
    fn stamp_rescoped<M: AsRef<str>>(
        &mut self,
        members: &[M],
        before: &[bool],
        at: u64,
        groups_too: bool,
    ) {
        for (m, was) in members.iter().zip(before) {
            let m = m.as_ref();
            if self.users.contains_key(m) {
                if self.in_scope(m) != *was {
                    self.stamp_user(m, at);
                }
            } else if groups_too {
                self.stamp_group(m, at);
            }
        }
    }

    /// Takes `member` out of every group that lists it, stamping those groups with `at`.
    fn leave_groups(&mut self, member: &str, at: u64) {
        for group in self.member_of.remove(member).unwrap_or_default() {
            if let Some(g) = self.stamp_group(&group, at) {
                g.members.retain(|m| m != member);
            }
        }
    }

    pub fn rename_group(&mut self, group: &str, display_name: &str) -> Result<(), DirectoryError> {
        let at = self.tick();
        let g = self
            .stamp_group(group, at)
            .ok_or_else(|| DirectoryError::UnknownObject(group.to_string()))?;
        g.display_name = display_name.to_string();
        Ok(())
    }

    /// Deletes a group: its members lose the entitlement it gave them.
    pub fn delete_group(&mut self, group: &str) -> Result<(), DirectoryError> {
        let g = self
            .groups
            .remove(group)
            .ok_or_else(|| DirectoryError::UnknownObject(group.to_string()))?;
        let at = self.tick();
        self.group_changes
            .remove(&(g.changed_at, group.to_string()));
        // Scopes read with the group still indexed: its members lose what it gave them.
        let before = self.scopes(&g.members);
        let was_assigned = self.assigned.remove(group);
        for m in &g.members {
            self.unindex_member(group, m);
        }
        self.stamp_rescoped(&g.members, &before, at, was_assigned);
        self.leave_groups(group, at);
        self.purges.push(Purge {
            user: group.to_string(),
            object_id: g.object_id,
            at,
            is_group: true,
        });
        Ok(())
    }

    pub fn add_member(&mut self, group: &str, member: &str) -> Result<(), DirectoryError> {
        let at = self.tick();
        let before = self.scopes(&[member]);
        let g = self
            .stamp_group(group, at)
            .ok_or_else(|| DirectoryError::UnknownObject(group.to_string()))?;
        if !g.members.iter().any(|m| m == member) {
            g.members.push(member.to_string());
        }
        self.index_member(group, member);
        self.stamp_rescoped(&[member], &before, at, true);
        Ok(())
    }

    pub fn remove_member(&mut self, group: &str, member: &str) -> Result<(), DirectoryError> {
        let at = self.tick();
        let before = self.scopes(&[member]);
        let g = self
            .stamp_group(group, at)
            .ok_or_else(|| DirectoryError::UnknownObject(group.to_string()))?;
        g.members.retain(|m| m != member);
        self.unindex_member(group, member);
        self.stamp_rescoped(&[member], &before, at, true);
        Ok(())
    }

    pub fn assign(&mut self, r: &str) -> Result<(), DirectoryError> {
        self.set_assignment(r, true)
    }

    pub fn unassign(&mut self, r: &str) -> Result<(), DirectoryError> {
        self.set_assignment(r, false)
    }

    fn set_assignment(&mut self, r: &str, assigned: bool) -> Result<(), DirectoryError> {
        if !self.users.contains_key(r) && !self.groups.contains_key(r) {
            return Err(DirectoryError::UnknownObject(r.to_string()));
        }
        let at = self.tick();
        // Assigning a group entitles its direct members (nested groups are not expanded:
        // idp-behavior.md §1.7): those it brings into or out of scope are changed users.
        let members = self
            .groups
            .get(r)
            .map(|g| g.members.clone())
            .unwrap_or_default();
        let before = self.scopes(&members);
        if assigned {
            self.assigned.insert(r.to_string());
        } else {
            self.assigned.remove(r);
        }
        self.touch(r, at);
        self.stamp_rescoped(&members, &before, at, true);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
