//! The simulated source directory: the IdP's own users and groups, the application's
//! assignments and scope, and change tracking so an incremental cycle sees only what changed
//! since its watermark. It knows nothing of SCIM requests; profiles turn it into those.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use crate::scenario::model::{AttrValue, Ref, ScopeMode, UserAttr};

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
    Disabled,
    SoftDeleted,
}

/// A permanently deleted source object, remembered so the next cycle can act on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Purge {
    pub user: Ref,
    pub object_id: Uuid,
    pub at: u64,
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
    users: BTreeMap<Ref, SourceUser>,
    groups: BTreeMap<Ref, SourceGroup>,
    assigned: BTreeSet<Ref>,
    scope: ScopeMode,
    purges: Vec<Purge>,
    clock: u64,
}

impl Default for Tenant {
    fn default() -> Self {
        Tenant {
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            assigned: BTreeSet::new(),
            scope: ScopeMode::AssignedOnly,
            purges: vec![],
            clock: 0,
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
        self.purges.iter().filter(move |p| p.at > watermark)
    }

    pub fn create_user(
        &mut self,
        r: &str,
        attrs: BTreeMap<UserAttr, AttrValue>,
    ) -> Result<(), DirectoryError> {
        if self.users.contains_key(r) {
            return Err(DirectoryError::Exists(r.to_string()));
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
        Ok(())
    }

    fn user_mut(&mut self, r: &str) -> Result<&mut SourceUser, DirectoryError> {
        let at = self.tick();
        let user = self
            .users
            .get_mut(r)
            .ok_or_else(|| DirectoryError::UnknownUser(r.to_string()))?;
        user.changed_at = at;
        Ok(user)
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
        self.assigned.remove(r);
        for group in self.groups.values_mut() {
            if group.members.iter().any(|m| m == r) {
                group.members.retain(|m| m != r);
                group.changed_at = at;
            }
        }
        self.purges.push(Purge {
            user: r.to_string(),
            object_id: user.object_id,
            at,
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
        // Membership changes a member's entitlement when the group is assigned.
        for m in members {
            self.touch(m, at);
        }
        Ok(())
    }

    fn touch(&mut self, r: &str, at: u64) {
        if let Some(u) = self.users.get_mut(r) {
            u.changed_at = at;
        } else if let Some(g) = self.groups.get_mut(r) {
            g.changed_at = at;
        }
    }

    pub fn add_member(&mut self, group: &str, member: &str) -> Result<(), DirectoryError> {
        let at = self.tick();
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| DirectoryError::UnknownObject(group.to_string()))?;
        if !g.members.iter().any(|m| m == member) {
            g.members.push(member.to_string());
        }
        g.changed_at = at;
        self.touch(member, at);
        Ok(())
    }

    pub fn remove_member(&mut self, group: &str, member: &str) -> Result<(), DirectoryError> {
        let at = self.tick();
        let g = self
            .groups
            .get_mut(group)
            .ok_or_else(|| DirectoryError::UnknownObject(group.to_string()))?;
        g.members.retain(|m| m != member);
        g.changed_at = at;
        self.touch(member, at);
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
        if assigned {
            self.assigned.insert(r.to_string());
        } else {
            self.assigned.remove(r);
        }
        self.touch(r, at);
        // Assigning a group entitles its direct members (nested groups are not expanded:
        // idp-behavior.md §1.7).
        let members = self
            .groups
            .get(r)
            .map(|g| g.members.clone())
            .unwrap_or_default();
        for m in members {
            self.touch(&m, at);
        }
        Ok(())
    }

    /// Changing the scope makes every object a candidate again.
    pub fn set_scope(&mut self, scope: ScopeMode) {
        let at = self.tick();
        self.scope = scope;
        let refs: Vec<Ref> = self
            .users
            .keys()
            .chain(self.groups.keys())
            .cloned()
            .collect();
        for r in refs {
            self.touch(&r, at);
        }
    }

    pub fn scope(&self) -> ScopeMode {
        self.scope
    }

    /// Assigned directly, or a direct member of an assigned group, or the scope is "all".
    pub fn in_scope(&self, r: &str) -> bool {
        self.scope == ScopeMode::All
            || self.assigned.contains(r)
            || self
                .groups
                .iter()
                .any(|(g, group)| self.assigned.contains(g) && group.members.iter().any(|m| m == r))
    }

    /// Entra's entitlement test for a user: in scope, enabled, not soft-deleted (§1.1).
    pub fn entitlement(&self, r: &str) -> Result<(), NotEntitled> {
        let Some(user) = self.users.get(r) else {
            return Err(NotEntitled::NotAssigned);
        };
        if user.soft_deleted {
            Err(NotEntitled::SoftDeleted)
        } else if !self.in_scope(r) {
            Err(NotEntitled::NotAssigned)
        } else if !user.account_enabled() {
            Err(NotEntitled::Disabled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(upn: &str) -> BTreeMap<UserAttr, AttrValue> {
        BTreeMap::from([(UserAttr::UserPrincipalName, AttrValue::Text(upn.into()))])
    }

    #[test]
    fn soft_delete_tombstones_the_upn_with_the_object_id() {
        let mut t = Tenant::new();
        t.create_user("alice", attrs("alice@contoso.com"))
            .expect("create");
        t.soft_delete_user("alice").expect("soft delete");
        let u = t.user("alice").expect("alice");
        let hex = u.object_id.simple().to_string();
        assert_eq!(hex.len(), 32);
        assert_eq!(u.user_principal_name(), format!("{hex}alice@contoso.com"));
        t.restore_user("alice").expect("restore");
        assert_eq!(
            t.user("alice").map(|u| u.user_principal_name()),
            Some("alice@contoso.com".into())
        );
    }

    #[test]
    fn entitlement_follows_assignment_group_membership_and_state() {
        let mut t = Tenant::new();
        t.create_user("alice", attrs("alice@contoso.com"))
            .expect("create");
        assert_eq!(t.entitlement("alice"), Err(NotEntitled::NotAssigned));
        t.create_group("sales", "Sales", &["alice".into()])
            .expect("group");
        t.assign("sales").expect("assign");
        assert_eq!(t.entitlement("alice"), Ok(()));
        t.set_account_enabled("alice", false).expect("disable");
        assert_eq!(t.entitlement("alice"), Err(NotEntitled::Disabled));
        t.set_account_enabled("alice", true).expect("enable");
        t.remove_member("sales", "alice").expect("remove");
        assert_eq!(t.entitlement("alice"), Err(NotEntitled::NotAssigned));
        t.set_scope(ScopeMode::All);
        assert_eq!(t.entitlement("alice"), Ok(()));
    }

    #[test]
    fn changes_advance_only_the_touched_objects() {
        let mut t = Tenant::new();
        t.create_user("a", attrs("a@x")).expect("a");
        t.create_user("b", attrs("b@x")).expect("b");
        let watermark = t.clock();
        t.update_user(
            "b",
            &BTreeMap::from([(UserAttr::JobTitle, AttrValue::Text("Eng".into()))]),
        )
        .expect("update");
        let changed: Vec<&Ref> = t
            .users()
            .filter(|(_, u)| u.changed_at > watermark)
            .map(|(r, _)| r)
            .collect();
        assert_eq!(changed, vec!["b"]);
    }

    #[test]
    fn hard_delete_records_a_purge_and_frees_the_ref() {
        let mut t = Tenant::new();
        t.create_user("a", attrs("a@x")).expect("a");
        let first = t.user("a").map(|u| u.object_id).expect("a");
        t.assign("a").expect("assign");
        let watermark = t.clock();
        t.hard_delete_user("a").expect("purge");
        let purges: Vec<_> = t.purges_since(watermark).collect();
        assert_eq!(purges.len(), 1);
        assert_eq!(purges[0].object_id, first);
        t.create_user("a", attrs("a@x")).expect("re-create");
        assert_ne!(
            t.user("a").map(|u| u.object_id),
            Some(first),
            "a new objectId"
        );
        assert!(!t.in_scope("a"), "assignment did not survive the purge");
    }
}
