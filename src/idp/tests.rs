use super::*;
use crate::scenario::model::ScopingOperator;

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

/// A group's assignment changes the members whose scope it changes, and no other: a member
/// already in scope directly, or through another assigned group, is not a changed user.
#[test]
fn assigning_a_group_changes_only_the_members_it_brings_into_or_out_of_scope() {
    let mut t = Tenant::new();
    for u in ["ada", "bob", "cy"] {
        t.create_user(u, attrs(&format!("{u}@contoso.com")))
            .expect("create");
    }
    t.create_group("sales", "Sales", &["ada".into(), "bob".into(), "cy".into()])
        .expect("sales");
    t.create_group("ops", "Ops", &["cy".into()]).expect("ops");
    t.assign("ada").expect("assign ada");
    t.assign("ops").expect("assign ops");
    let changed =
        |t: &Tenant, since: u64| -> Vec<Ref> { t.users_changed_since(since).cloned().collect() };
    let before = t.clock();
    t.assign("sales").expect("assign sales");
    assert_eq!(changed(&t, before), vec!["bob".to_string()]);
    assert_eq!(
        t.groups_changed_since(before).cloned().collect::<Vec<_>>(),
        vec!["sales".to_string()]
    );
    // Assigned again: nothing about any member changes.
    let before = t.clock();
    t.assign("sales").expect("assign sales again");
    assert_eq!(changed(&t, before), Vec::<Ref>::new());
    let before = t.clock();
    t.unassign("sales").expect("unassign sales");
    assert_eq!(changed(&t, before), vec!["bob".to_string()]);
    assert_eq!(t.entitlement("bob"), Err(NotEntitled::NotAssigned));
    assert_eq!(
        (t.entitlement("ada"), t.entitlement("cy")),
        (Ok(()), Ok(()))
    );
}

#[test]
fn scoping_filter_ands_clauses_and_ors_groups() {
    let mut t = Tenant::new();
    let mut a = attrs("a@x");
    a.insert(UserAttr::Department, AttrValue::Text("Sales".into()));
    t.create_user("a", a).expect("a");
    t.create_user("b", attrs("b@x")).expect("b");
    t.assign("a").expect("assign");
    t.assign("b").expect("assign");
    let clause = |attribute, operator, value: Option<&str>| ScopingClause {
        attribute,
        operator,
        value: value.map(str::to_string),
    };
    t.set_scoping_filter(vec![vec![
        clause(UserAttr::Department, ScopingOperator::Equals, Some("Sales")),
        clause(UserAttr::AccountEnabled, ScopingOperator::IsTrue, None),
    ]]);
    assert_eq!(t.entitlement("a"), Ok(()));
    assert_eq!(t.entitlement("b"), Err(NotEntitled::ScopingFilter));
    assert_eq!(
        t.scoping_filter_text(),
        "(department Equals \"Sales\" AND accountEnabled IsTrue)"
    );
    t.set_scoping_filter(vec![
        vec![clause(
            UserAttr::Department,
            ScopingOperator::Includes,
            Some("HR, Sales"),
        )],
        vec![clause(UserAttr::Department, ScopingOperator::IsNull, None)],
    ]);
    assert_eq!((t.entitlement("a"), t.entitlement("b")), (Ok(()), Ok(())));
    t.set_scoping_filter(vec![]);
    assert_eq!(t.entitlement("b"), Ok(()));
}

#[test]
fn deleting_an_assigned_group_records_a_purge_and_drops_its_members_entitlement() {
    let mut t = Tenant::new();
    t.create_user("a", attrs("a@x")).expect("a");
    t.create_group("g", "G", &["a".into()]).expect("g");
    t.assign("g").expect("assign");
    assert!(t.group_in_scope("g"));
    let watermark = t.clock();
    t.delete_group("g").expect("delete");
    assert_eq!(t.entitlement("a"), Err(NotEntitled::NotAssigned));
    let purges: Vec<_> = t.purges_since(watermark).collect();
    assert!(purges.len() == 1 && purges[0].is_group);
    assert!(t.user("a").is_some_and(|u| u.changed_at > watermark));
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

/// The change index and the membership index answer what a scan of the directory
/// would, at every watermark, through every kind of change.
#[test]
fn the_change_and_membership_indexes_agree_with_a_scan() {
    let mut t = Tenant::new();
    let scan_users = |t: &Tenant, w: u64| -> BTreeSet<Ref> {
        t.users()
            .filter(|(_, u)| u.changed_at > w)
            .map(|(r, _)| r.clone())
            .collect()
    };
    let scan_groups = |t: &Tenant, w: u64| -> BTreeSet<Ref> {
        t.groups()
            .filter(|(_, g)| g.changed_at > w)
            .map(|(r, _)| r.clone())
            .collect()
    };
    let scan_scope = |t: &Tenant, r: &str| {
        t.assigned.contains(r)
            || t.groups()
                .any(|(g, group)| t.assigned.contains(g) && group.members.iter().any(|m| m == r))
    };
    for u in ["a", "b", "c", "d"] {
        t.create_user(u, attrs(&format!("{u}@x"))).expect("user");
    }
    t.create_group("g", "G", &["a".into(), "b".into(), "a".into()])
        .expect("g");
    t.create_group("h", "H", &["g".into(), "c".into()])
        .expect("h");
    t.assign("h").expect("assign");
    t.add_member("g", "d").expect("add");
    t.update_user("b", &BTreeMap::new()).expect("update");
    t.remove_member("g", "a").expect("remove");
    t.assign("g").expect("assign");
    t.hard_delete_user("d").expect("purge d");
    t.rename_group("h", "H2").expect("rename");
    t.delete_group("g").expect("delete g");
    t.create_user("d", attrs("d@x")).expect("re-create d");
    for w in 0..=t.clock() {
        let users: BTreeSet<Ref> = t.users_changed_since(w).cloned().collect();
        let groups: BTreeSet<Ref> = t.groups_changed_since(w).cloned().collect();
        assert_eq!(users, scan_users(&t, w), "users changed since {w}");
        assert_eq!(groups, scan_groups(&t, w), "groups changed since {w}");
        assert_eq!(
            t.users_changed_since(w).count(),
            users.len(),
            "each user once"
        );
    }
    assert_eq!(t.users_changed_since(t.clock()).count(), 0);
    for r in ["a", "b", "c", "d", "g"] {
        assert_eq!(t.in_scope(r), scan_scope(&t, r), "scope of {r}");
    }
    assert!(t.in_scope("c") && !t.in_scope("a") && !t.in_scope("d"));
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
