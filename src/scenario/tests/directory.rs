//! Users, groups and refs: every directory step form, and the ref errors (unknown, used
//! before creation, duplicate, wrong kind, deleted).

use super::*;

#[test]
fn create_user_reads_every_attribute() {
    let body = format!(
        "{BOB}  - create_user:\n      user: alice\n      userPrincipalName: alice@contoso.com\n      \
         mail: alice@contoso.com\n      mailNickname: alice\n      givenName: Alice\n      \
         surname: Smith\n      displayName: Alice Smith\n      jobTitle: Engineer\n      \
         department: Sales\n      employeeId: 42\n      accountEnabled: false\n      manager: bob\n"
    );
    let got = steps(&body);
    assert_eq!(
        got[1],
        Step::CreateUser(UserSpec {
            user: "alice".into(),
            attrs: attrs(&[
                (UserAttr::UserPrincipalName, text("alice@contoso.com")),
                (UserAttr::Mail, text("alice@contoso.com")),
                (UserAttr::MailNickname, text("alice")),
                (UserAttr::GivenName, text("Alice")),
                (UserAttr::Surname, text("Smith")),
                (UserAttr::DisplayName, text("Alice Smith")),
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Department, text("Sales")),
                (UserAttr::EmployeeId, text("42")),
                (UserAttr::AccountEnabled, AttrValue::Bool(false)),
                (UserAttr::Manager, text("bob")),
            ]),
        })
    );
}

#[test]
fn create_user_defaults_account_enabled_to_true() {
    assert_eq!(
        steps(ALICE),
        vec![Step::CreateUser(UserSpec {
            user: "alice".into(),
            attrs: attrs(&[
                (UserAttr::UserPrincipalName, text("alice@contoso.com")),
                (UserAttr::AccountEnabled, AttrValue::Bool(true)),
            ]),
        })]
    );
}

#[test]
fn update_user_sets_and_clears() {
    let body = format!(
        "{ALICE}{BOB}  - update_user: {{ user: alice, jobTitle: Engineer, department: null, \
         manager: bob, accountEnabled: false }}\n"
    );
    assert_eq!(
        steps(&body)[2],
        Step::UpdateUser(UserSpec {
            user: "alice".into(),
            attrs: attrs(&[
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Department, AttrValue::Clear),
                (UserAttr::Manager, text("bob")),
                (UserAttr::AccountEnabled, AttrValue::Bool(false)),
            ]),
        })
    );
}

#[test]
fn user_lifecycle_steps_take_a_user_ref() {
    let body = format!(
        "{ALICE}  - disable_user: alice\n  - enable_user: alice\n  - soft_delete_user: alice\n  \
         - restore_user: alice\n  - hard_delete_user: alice\n"
    );
    let a = || "alice".to_string();
    assert_eq!(
        steps(&body)[1..],
        [
            Step::DisableUser(a()),
            Step::EnableUser(a()),
            Step::SoftDeleteUser(a()),
            Step::RestoreUser(a()),
            Step::HardDeleteUser(a()),
        ]
    );
}

#[test]
fn group_steps() {
    let body = format!(
        "{ALICE}{BOB}  - create_group: {{ group: sales, displayName: Sales, members: [alice, bob] }}\n  \
         - create_group: {{ group: empty, displayName: Empty }}\n  \
         - add_member: {{ group: sales, member: empty }}\n  \
         - remove_member: {{ group: sales, member: bob }}\n  - delete_group: sales\n"
    );
    assert_eq!(
        steps(&body)[2..],
        [
            Step::CreateGroup(GroupSpec {
                group: "sales".into(),
                display_name: "Sales".into(),
                members: vec!["alice".into(), "bob".into()],
            }),
            Step::CreateGroup(GroupSpec {
                group: "empty".into(),
                display_name: "Empty".into(),
                members: vec![],
            }),
            Step::AddMember {
                group: "sales".into(),
                member: "empty".into()
            },
            Step::RemoveMember {
                group: "sales".into(),
                member: "bob".into()
            },
            Step::DeleteGroup("sales".into()),
        ]
    );
}

#[test]
fn rename_group_takes_a_group_ref_and_a_new_name() {
    let body = "  - create_group: { group: sales, displayName: Sales }\n  \
                - rename_group: { group: sales, displayName: Sales EMEA }\n";
    assert_eq!(
        steps(body)[1],
        Step::RenameGroup {
            group: "sales".into(),
            display_name: "Sales EMEA".into(),
        }
    );
}

#[test]
fn recreate_after_hard_delete_is_accepted() {
    let body = format!(
        "{ALICE}  - hard_delete_user: alice\n  - expect: {{ user: alice, present: false }}\n{ALICE}  \
         - expect: {{ user: alice, count: 1 }}\n"
    );
    let got = steps(&body);
    assert_eq!(got.len(), 5);
    assert_eq!(got[1], Step::HardDeleteUser("alice".into()));
    assert_eq!(got[3], got[0], "the re-create reads like the first create");
    assert!(matches!(
        &got[4],
        Step::Expect(Expectation::Object(o)) if o.object == "alice" && o.count == Some(1)
    ));
}

#[test]
fn wrong_case_attribute_suggests_the_right_case() {
    let e = one_error(&format!(
        "{HEAD}  - create_user: {{ user: alice, userPrincipalName: a@x, givenname: Alice }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::UnknownKey);
    assert_eq!(at(&e), (5, 57, "steps[0].create_user.givenname"));
    assert_eq!(e.help.as_deref(), Some("did you mean `givenName`?"));
}

#[test]
fn unknown_ref() {
    let e = one_error(&format!("{HEAD}{ALICE}  - disable_user: alcie\n"));
    assert_eq!(e.kind, ErrorKind::UnknownRef);
    assert_eq!(at(&e), (6, 19, "steps[1].disable_user"));
    assert_eq!(
        e.render(),
        "error: unknown ref `alcie`: expected a user created by an earlier `create_user`\n\
         \x20 --> t.yaml:6:19\n\
         \x20  |\n\
         \x206 |   - disable_user: alcie\n\
         \x20  |                   ^^^^^\n\
         \x20  = in steps[1]\n\
         \x20  = help: did you mean `alice`?\n"
    );
}

#[test]
fn ref_used_before_creation() {
    let e = one_error(&format!("{HEAD}  - assign: bob\n{BOB}"));
    assert_eq!(e.kind, ErrorKind::RefUsedBeforeCreate);
    assert_eq!(at(&e), (5, 13, "steps[0].assign"));
    assert!(e.render().starts_with(
        "error: ref `bob` is used before it is created (created at line 6)\n  --> t.yaml:5:13\n"
    ));
}

#[test]
fn duplicate_create() {
    let e = one_error(&format!(
        "{HEAD}{ALICE}  - create_user: {{ user: alice, userPrincipalName: alice2@contoso.com }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::DuplicateRef);
    assert_eq!(at(&e), (6, 26, "steps[1].create_user.user"));
    assert_eq!(
        e.render(),
        "error: ref `alice` already exists (created at line 5)\n\
         \x20 --> t.yaml:6:26\n\
         \x20  |\n\
         \x206 |   - create_user: { user: alice, userPrincipalName: alice2@contoso.com }\n\
         \x20  |                          ^^^^^\n\
         \x20  = in steps[1].create_user\n\
         \x20  = help: to re-create the user, `hard_delete_user: alice` first, or pick another ref\n"
    );
}

#[test]
fn wrong_kind_and_deleted_refs() {
    let errs = errors(&format!(
        "{HEAD}{ALICE}  - create_group: {{ group: sales, displayName: Sales }}\n  \
         - disable_user: sales\n  - hard_delete_user: alice\n  - assign: alice\n  \
         - target_create_user: {{ user: legacy, attributes: {{ userName: x }} }}\n  \
         - assign: legacy\n"
    ));
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, at(e), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::RefMismatch,
                (7, 19, "steps[2].disable_user"),
                "`sales` is a group ref (created at line 6); expected a user ref"
            ),
            (
                ErrorKind::RefMismatch,
                (9, 13, "steps[4].assign"),
                "user `alice` was deleted at line 8; `create_user` it again before acting on it"
            ),
            (
                ErrorKind::RefMismatch,
                (11, 13, "steps[6].assign"),
                "`legacy` is a target-only ref (created at line 10); expected a user or group ref; \
                 target-only refs (from `target_create_user`) can be used only in \
                 `expect: { user: … }` and as `target_create_group` members"
            ),
        ]
    );
}

#[test]
fn all_ref_errors_of_a_file_are_reported_in_order() {
    let errs = errors(&format!(
        "{HEAD}  - assign: carol\n  - create_group: {{ group: sales, displayName: S, members: [alice, bob] }}\n\
         {ALICE}  - expect: {{ log: {{ object: zed }} }}\n"
    ));
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (ErrorKind::UnknownRef, (5, 13, "steps[0].assign")),
            (
                ErrorKind::RefUsedBeforeCreate,
                (6, 61, "steps[1].create_group.members[0]")
            ),
            (
                ErrorKind::UnknownRef,
                (6, 68, "steps[1].create_group.members[1]")
            ),
            (ErrorKind::UnknownRef, (8, 30, "steps[3].expect.log.object")),
        ]
    );
    let rendered = ScenarioErrors(errs).render();
    assert!(rendered.ends_with("\n4 errors\n"), "{rendered}");
}

#[test]
fn rename_of_an_unknown_group() {
    let e = one_error(&format!(
        "{HEAD}  - create_group: {{ group: sales, displayName: Sales }}\n  \
         - rename_group: {{ group: sale, displayName: Sales EMEA }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::UnknownRef);
    assert_eq!(at(&e), (6, 28, "steps[1].rename_group.group"));
    assert_eq!(
        e.message,
        "unknown ref `sale`: expected a group created by an earlier `create_group`"
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `sales`?"));
}

#[test]
fn bad_values_in_user_steps() {
    let errs = errors(&format!(
        "{HEAD}{ALICE}  - update_user: {{ user: alice, userPrincipalName: null }}\n  \
         - update_user: {{ user: alice }}\n  - sync: weekly\n  - profiles: x\n"
    ));
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::InvalidValue,
                (6, 52, "steps[1].update_user.userPrincipalName")
            ),
            (ErrorKind::InvalidShape, (7, 5, "steps[2].update_user")),
            (ErrorKind::InvalidValue, (8, 11, "steps[3].sync")),
            (ErrorKind::UnknownStep, (9, 5, "steps[4]")),
        ]
    );
    assert_eq!(
        errs[0].message,
        "invalid value for `userPrincipalName`: expected text, found null (`userPrincipalName` \
         cannot be cleared)"
    );
}
