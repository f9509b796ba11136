//! Generated populations: `create_users` expanded into exact specs, user sets (ranges,
//! lists, `every`) in every step that takes them, and each error reported once at its place.

use super::*;

const POP: &str = "  - create_users: { count: 4, template: { user: \"u{n}\", userPrincipalName: \"u{n}@contoso.com\", department: [Sales, Ops, Hr], accountEnabled: [true, false] } }\n";

#[test]
fn create_users_expands_templates_and_cycles_lists() {
    let s = steps(POP);
    let Step::CreateUsers(population) = &s[0] else {
        panic!("{s:?}");
    };
    let specs: Vec<UserSpec> = population.specs().collect();
    let want: Vec<UserSpec> = (1..=4u64)
        .map(|n| UserSpec {
            user: format!("u{n}"),
            attrs: attrs(&[
                (
                    UserAttr::UserPrincipalName,
                    text(&format!("u{n}@contoso.com")),
                ),
                (
                    UserAttr::Department,
                    text(["Sales", "Ops", "Hr"][(n as usize - 1) % 3]),
                ),
                (UserAttr::AccountEnabled, AttrValue::Bool(n % 2 == 1)),
            ]),
        })
        .collect();
    assert_eq!(specs, want);
    assert_eq!(population.len(), 4);
    assert_eq!(
        population.spec(3),
        want[2],
        "one user made alone is the same user"
    );
    assert_eq!(s[0].keyword(), "create_users");
}

#[test]
fn a_generated_user_is_the_user_create_user_makes() {
    // No `accountEnabled` in either: both default it to true, and to nothing else.
    let s = steps(
        "  - create_users: { count: 7, template: { user: \"u{n}\", userPrincipalName: \"u{n}@contoso.com\", jobTitle: \"Lead {n}\" } }\n\
         \x20 - create_user: { user: w7, userPrincipalName: u7@contoso.com, jobTitle: Lead 7 }\n",
    );
    let (Step::CreateUsers(population), Step::CreateUser(one)) = (&s[0], &s[1]) else {
        panic!("{s:?}");
    };
    let seventh = population.spec(7);
    assert_eq!(seventh.user, "u7");
    assert_eq!(seventh.attrs, one.attrs);
    assert_eq!(
        seventh.attrs.get(&UserAttr::AccountEnabled),
        Some(&AttrValue::Bool(true))
    );
    assert_eq!(population.specs().last(), Some(seventh));
}

#[test]
fn user_sets_take_ranges_lists_and_every() {
    let s = steps(&format!(
        "{POP}{ALICE}  - create_group: {{ group: g, displayName: G, members: {{ users: \"u2..u4\" }} }}\n\
         \x20 - assign: {{ users: [alice, \"u1..u4\"], every: 2 }}\n\
         \x20 - update_users: {{ users: \"u1..u4\", every: 3, jobTitle: Lead }}\n\
         \x20 - disable_users: {{ users: u4 }}\n\
         \x20 - soft_delete_users: {{ users: [\"u1..u2\", u1] }}\n\
         \x20 - expect: {{ users: \"u1..u4\", every: 2, count: 1, active: true, attributes: {{ title: Lead }} }}\n\
         \x20 - expect: {{ group: g, members: {{ users: \"u2..u4\" }} }}\n"
    ));
    let refs = |v: &[&str]| v.iter().map(|r| r.to_string()).collect::<Vec<_>>();
    assert!(matches!(&s[2], Step::CreateGroup(g) if g.members == refs(&["u2", "u3", "u4"])));
    // alice, u1, u2, u3, u4: every second is u1 and u3.
    assert_eq!(s[3], Step::AssignUsers(refs(&["u1", "u3"])));
    assert_eq!(s[3].keyword(), "assign");
    assert_eq!(
        s[4],
        Step::UpdateUsers(vec![UserSpec {
            user: "u3".into(),
            attrs: attrs(&[(UserAttr::JobTitle, text("Lead"))]),
        }])
    );
    assert_eq!(s[5], Step::DisableUsers(refs(&["u4"])));
    assert_eq!(
        s[6],
        Step::SoftDeleteUsers(refs(&["u1", "u2"])),
        "each user once"
    );
    assert_eq!(
        s[7],
        Step::Expect(Expectation::Users(UsersExpectation {
            users: refs(&["u2", "u4"]),
            present: None,
            active: Some(true),
            attributes: BTreeMap::from([("title".to_string(), json!("Lead"))]),
            count: Some(1),
        }))
    );
    assert!(matches!(&s[8], Step::Expect(Expectation::Object(o))
        if o.members == Some(refs(&["u2", "u3", "u4"]))));
}

#[test]
fn a_range_past_the_population_is_one_unknown_ref() {
    let e = one_error(&format!("{HEAD}{POP}  - assign: {{ users: \"u1..u9\" }}\n"));
    assert_eq!(e.kind, ErrorKind::UnknownRef);
    assert_eq!(at(&e), (6, 22, "steps[1].assign.users"));
    assert_eq!(
        e.message,
        "unknown ref `u5`: expected a user created by an earlier `create_user`"
    );
}

#[test]
fn malformed_ranges_are_invalid_values_at_their_place() {
    for (range, why) in [
        ("u4..u1", "`u4..u1` runs backwards: write `u1..u4`"),
        (
            "u1..x4",
            "the two ends of `u1..x4` have different prefixes (`u` and `x`)",
        ),
        (
            "u1..u300000",
            "`u1..u300000` names 300000 users; a range names at most 200000",
        ),
    ] {
        let e = one_error(&format!(
            "{HEAD}{POP}  - disable_users: {{ users: \"{range}\" }}\n"
        ));
        assert_eq!(e.kind, ErrorKind::InvalidValue, "{range}");
        assert_eq!(at(&e), (6, 29, "steps[1].disable_users.users"));
        assert_eq!(e.message, format!("invalid range `{range}`: {why}"));
    }
}

#[test]
fn template_errors_name_the_key_with_suggestions() {
    let e = one_error(&format!(
        "{HEAD}  - create_users: {{ count: 2, template: {{ user: \"u{{n}}\", userPrincipalName: \"u{{n}}@x.com\", departement: Ops }} }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::UnknownKey);
    assert_eq!(e.help.as_deref(), Some("did you mean `department`?"));

    let e = one_error(&format!(
        "{HEAD}  - create_users: {{ count: 2, template: {{ user: u, userPrincipalName: \"u{{n}}@x.com\" }} }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(&e), (5, 49, "steps[0].create_users.template.user"));
    assert!(
        e.message.contains("a ref template with `{n}`"),
        "{}",
        e.message
    );

    let e = one_error(&format!(
        "{HEAD}{ALICE}  - create_users: {{ count: 2, template: {{ user: \"u{{n}}\", userPrincipalName: \"u{{n}}@x.com\", manager: alice }} }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert!(
        e.message.starts_with("`manager` cannot be generated"),
        "{}",
        e.message
    );

    let e = one_error(&format!(
        "{HEAD}  - create_users: {{ count: 0, template: {{ user: \"u{{n}}\", userPrincipalName: \"u{{n}}@x.com\" }} }}\n"
    ));
    assert_eq!(at(&e), (5, 28, "steps[0].create_users.count"));
}

#[test]
fn a_population_created_twice_is_one_duplicate() {
    let e = one_error(&format!("{HEAD}{POP}{POP}"));
    assert_eq!(e.kind, ErrorKind::DuplicateRef);
    assert_eq!(e.message, "ref `u1` already exists (created at line 5)");
    assert_eq!(e.field, "steps[1].create_users.template.user");
}

#[test]
fn set_steps_refuse_what_does_not_fit() {
    let e = one_error(&format!(
        "{HEAD}{POP}  - update_users: {{ users: \"u1..u4\", every: 0, jobTitle: X }}\n"
    ));
    assert_eq!(at(&e), (6, 45, "steps[1].update_users.every"));
    let e = one_error(&format!(
        "{HEAD}{POP}  - update_users: {{ users: \"u1..u4\" }}\n"
    ));
    assert!(
        e.message.starts_with("`update_users` changes nothing"),
        "{}",
        e.message
    );
    let e = one_error(&format!(
        "{HEAD}{POP}  - expect: {{ users: \"u1..u4\", members: [u1] }}\n"
    ));
    assert_eq!(
        e.message,
        "`members` cannot be used with `users`: it belongs to `group:` expectations"
    );
    let e = one_error(&format!(
        "{HEAD}{POP}  - expect: {{ user: u1, every: 2 }}\n"
    ));
    assert_eq!(
        e.message,
        "`every` cannot be used with `user`: it belongs to `users:` expectations"
    );
}

#[test]
fn create_groups_expands_names_and_registers_group_refs() {
    let s = steps(
        "  - create_groups: { count: 3, template: { group: \"g{n}\", displayName: [\"Team {n}\", Blue] } }\n\
         \x20 - assign: g3\n",
    );
    let Step::CreateGroups(population) = &s[0] else {
        panic!("{s:?}");
    };
    let specs: Vec<GroupSpec> = population.specs().collect();
    let names: Vec<(&str, &str)> = specs
        .iter()
        .map(|g| (g.group.as_str(), g.display_name.as_str()))
        .collect();
    assert_eq!(names, [("g1", "Team 1"), ("g2", "Blue"), ("g3", "Team 3")]);
    assert!(specs.iter().all(|g| g.members.is_empty()));
    let e = one_error(&format!(
        "{HEAD}  - create_groups: {{ count: 2, template: {{ group: \"g{{n}}\", displayName: X }} }}\n\
         \x20 - disable_users: {{ users: \"g1..g2\" }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::RefMismatch);
    assert!(
        e.message.starts_with("`g1` is a group ref"),
        "{}",
        e.message
    );
}
