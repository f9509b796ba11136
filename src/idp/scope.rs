//! The application's scope over the source directory: the scope mode, Entra's scoping
//! filter, and the entitlement test every cycle asks of each user and group.

use super::{NotEntitled, SourceUser, Tenant};
use crate::scenario::model::{Ref, ScopeMode, ScopingClause, ScopingOperator, UserAttr};

impl Tenant {
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

    /// Changing the scoping filter, like the scope, re-evaluates every user (§1.8).
    pub fn set_scoping_filter(&mut self, filter: Vec<Vec<ScopingClause>>) {
        self.scoping_filter = filter;
        self.set_scope(self.scope);
    }

    /// The scoping filter as Entra's log shows it in the evaluation details.
    pub fn scoping_filter_text(&self) -> String {
        self.scoping_filter
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|c| {
                        let op = format!("{:?}", c.operator);
                        match &c.value {
                            Some(v) => format!("{} {op} \"{v}\"", c.attribute.name()),
                            None => format!("{} {op}", c.attribute.name()),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ")
            })
            .map(|g| format!("({g})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// Whether a user passes the scoping filter: every clause of some group holds.
    fn passes_scoping_filter(&self, user: &SourceUser) -> bool {
        if self.scoping_filter.is_empty() {
            return true;
        }
        self.scoping_filter
            .iter()
            .any(|group| group.iter().all(|c| clause_holds(user, c)))
    }

    /// Assigned directly, or a direct member of an assigned group, or the scope is "all".
    pub fn in_scope(&self, r: &str) -> bool {
        self.scope == ScopeMode::All
            || self.assigned.contains(r)
            || self
                .member_of
                .get(r)
                .is_some_and(|groups| groups.iter().any(|g| self.assigned.contains(g)))
    }

    /// Whether a group is provisioned: assigned, or the scope is "all" (§1.7).
    pub fn group_in_scope(&self, r: &str) -> bool {
        self.groups.contains_key(r) && (self.scope == ScopeMode::All || self.assigned.contains(r))
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
        } else if !self.passes_scoping_filter(user) {
            Err(NotEntitled::ScopingFilter)
        } else if !user.account_enabled() {
            Err(NotEntitled::Disabled)
        } else {
            Ok(())
        }
    }
}

fn clause_holds(user: &SourceUser, c: &ScopingClause) -> bool {
    let text = if c.attribute == UserAttr::AccountEnabled {
        Some(
            if user.account_enabled() {
                "true"
            } else {
                "false"
            }
            .to_string(),
        )
    } else {
        user.text(c.attribute).map(str::to_string)
    };
    let value = c.value.as_deref().unwrap_or_default();
    let in_list = |t: &str| value.split(',').map(str::trim).any(|v| v == t);
    match c.operator {
        ScopingOperator::Equals => text.as_deref() == Some(value),
        ScopingOperator::NotEquals => text.as_deref() != Some(value),
        ScopingOperator::IsTrue => user.account_enabled(),
        ScopingOperator::IsFalse => !user.account_enabled(),
        ScopingOperator::IsNull => text.is_none(),
        ScopingOperator::IsNotNull => text.is_some(),
        ScopingOperator::Includes => text.as_deref().is_some_and(in_list),
        ScopingOperator::NotIncludes => !text.as_deref().is_some_and(in_list),
    }
}
