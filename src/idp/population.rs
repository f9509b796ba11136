//! Directory-sized changes: a generated population created, changed, disabled, soft-deleted
//! or assigned in one step. Each user changes exactly as the one-user operation would change
//! it, so an incremental cycle sees the same per-user changes; the first refusal stops the
//! step and names the user.

use super::{DirectoryError, Tenant};
use crate::scenario::model::{GroupSpec, Ref, UserSpec};

impl Tenant {
    /// Creates each user as it is reached, so a generated population (`Population::specs`)
    /// is never held whole outside the tenant.
    pub fn create_users(
        &mut self,
        specs: impl IntoIterator<Item = UserSpec>,
    ) -> Result<(), DirectoryError> {
        specs
            .into_iter()
            .try_for_each(|s| self.create_user(&s.user, s.attrs))
    }

    /// Creates each group as it is reached, like `create_users`.
    pub fn create_groups(
        &mut self,
        specs: impl IntoIterator<Item = GroupSpec>,
    ) -> Result<(), DirectoryError> {
        specs
            .into_iter()
            .try_for_each(|g| self.create_group(&g.group, &g.display_name, &g.members))
    }

    pub fn update_users(&mut self, specs: &[UserSpec]) -> Result<(), DirectoryError> {
        specs
            .iter()
            .try_for_each(|s| self.update_user(&s.user, &s.attrs))
    }

    pub fn disable_users(&mut self, users: &[Ref]) -> Result<(), DirectoryError> {
        users
            .iter()
            .try_for_each(|u| self.set_account_enabled(u, false))
    }

    pub fn soft_delete_users(&mut self, users: &[Ref]) -> Result<(), DirectoryError> {
        users.iter().try_for_each(|u| self.soft_delete_user(u))
    }

    pub fn assign_all(&mut self, refs: &[Ref]) -> Result<(), DirectoryError> {
        refs.iter().try_for_each(|r| self.assign(r))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::idp::NotEntitled;
    use crate::scenario::model::{AttrValue, UserAttr};

    fn spec(user: &str) -> UserSpec {
        UserSpec {
            user: user.into(),
            attrs: BTreeMap::from([(
                UserAttr::UserPrincipalName,
                AttrValue::Text(format!("{user}@contoso.com")),
            )]),
        }
    }

    #[test]
    fn a_population_changes_user_by_user_and_stops_at_the_first_refusal() {
        let mut t = Tenant::new();
        t.create_users((1..=4).map(|n| spec(&format!("u{n}"))))
            .expect("created");
        // Created in order: the clock moves per user.
        let stamps: Vec<u64> = (1..=4)
            .filter_map(|n| t.user(&format!("u{n}")).map(|u| u.changed_at))
            .collect();
        assert_eq!(stamps.len(), 4);
        assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
        let before = t.clock();
        let refs: Vec<Ref> = vec!["u2".into(), "u4".into()];
        t.assign_all(&refs).expect("assigned");
        t.disable_users(&refs[..1]).expect("disabled");
        t.soft_delete_users(&refs[1..]).expect("soft-deleted");
        assert_eq!(t.entitlement("u1"), Err(NotEntitled::NotAssigned));
        assert_eq!(t.entitlement("u2"), Err(NotEntitled::Disabled));
        assert_eq!(t.entitlement("u4"), Err(NotEntitled::SoftDeleted));
        assert!(t.user("u2").is_some_and(|u| u.changed_at > before));
        assert!(t.user("u3").is_some_and(|u| u.changed_at <= before));
        assert_eq!(
            t.create_users([spec("u5"), spec("u1"), spec("u6")]),
            Err(DirectoryError::Exists("u1".into()))
        );
        assert!(t.user("u5").is_some() && t.user("u6").is_none());
    }

    #[test]
    fn generated_groups_are_created_in_order_and_stop_at_the_first_refusal() {
        let mut t = Tenant::new();
        let group = |g: &str| GroupSpec {
            group: g.into(),
            display_name: format!("Team {g}"),
            members: Vec::new(),
        };
        t.create_groups(["g1", "g2"].map(group)).expect("created");
        assert_eq!(
            t.create_groups(["g3", "g1", "g4"].map(group)),
            Err(DirectoryError::Exists("g1".into()))
        );
        assert!(t.group("g3").is_some_and(|g| g.display_name == "Team g3"));
        assert!(t.group("g4").is_none());
    }
}
