//! Tests of the scenario stage through its public API: every step form parsed into exact
//! model values, and one test per error class pinning the rendered line, column and field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::model::*;
use super::*;

/// Lines 1–4; the first step is on line 5.
const HEAD: &str = "name: t\ndescription: d\nsymptom: s\nsteps:\n";

fn parse(text: &str) -> Result<Scenario, ScenarioErrors> {
    parse_str(text, Path::new("t.yaml"))
}

fn steps(body: &str) -> Vec<Step> {
    match parse(&format!("{HEAD}{body}")) {
        Ok(s) => s.steps.into_iter().map(|s| s.value).collect(),
        Err(e) => panic!("expected to parse, got:\n{e}"),
    }
}

fn errors(text: &str) -> Vec<ScenarioError> {
    match parse(text) {
        Ok(s) => panic!("expected errors, parsed {s:#?}"),
        Err(e) => e.0,
    }
}

fn one_error(text: &str) -> ScenarioError {
    let mut all = errors(text);
    assert_eq!(
        all.len(),
        1,
        "expected one error, got:\n{}",
        ScenarioErrors(all.clone())
    );
    all.remove(0)
}

fn at(e: &ScenarioError) -> (usize, usize, &str) {
    let span = e.span.unwrap_or_default();
    (span.line, span.column, e.field.as_str())
}

fn attrs(pairs: &[(UserAttr, AttrValue)]) -> BTreeMap<UserAttr, AttrValue> {
    pairs.iter().cloned().collect()
}

fn text(s: &str) -> AttrValue {
    AttrValue::Text(s.to_string())
}

const ALICE: &str = "  - create_user: { user: alice, userPrincipalName: alice@contoso.com }\n";
const BOB: &str = "  - create_user: { user: bob, userPrincipalName: bob@contoso.com }\n";

// --- the scenario header --------------------------------------------------------------

#[test]
fn header_fields_profiles_options_and_step_spans() {
    let text = "name: unassign-disables\n\
                description: >\n  Unassigning a user\n  disables it.\n\
                symptom: \"Users stay active\"\n\
                profiles: [entra, okta]\n\
                options:\n  patch_dialect: aadOptscim062020\n  retries: 3\n\
                steps:\n  - sync: initial\n  - test_connection\n";
    let s = parse(text).unwrap();
    assert_eq!(s.file, PathBuf::from("t.yaml"));
    assert_eq!(s.name, "unassign-disables");
    // The folded block's trailing newline is YAML syntax, not content.
    assert_eq!(s.description, "Unassigning a user disables it.");
    assert_eq!(s.symptom, "Users stay active");
    assert_eq!(
        s.profiles,
        Some(vec!["entra".to_string(), "okta".to_string()])
    );
    assert_eq!(
        s.options.get("patch_dialect"),
        Some(&Spanned {
            value: "aadOptscim062020".to_string(),
            span: Span {
                line: 8,
                column: 18
            }
        })
    );
    assert_eq!(s.options["retries"].value, "3");
    assert_eq!(
        s.steps,
        vec![
            Spanned {
                value: Step::Sync(SyncKind::Initial),
                span: Span {
                    line: 11,
                    column: 5
                }
            },
            Spanned {
                value: Step::TestConnection {
                    expect_status: Status::Success
                },
                span: Span {
                    line: 12,
                    column: 5
                }
            },
        ]
    );
}

#[test]
fn profiles_omitted_means_every_profile() {
    let s = parse(&format!("{HEAD}  - sync: initial\n")).unwrap();
    assert_eq!(s.profiles, None);
    assert!(s.options.is_empty());
}

#[test]
fn a_name_that_is_not_a_plain_file_name_is_refused_at_its_line() {
    for bad in ["../escape", "a/b", ".hidden", "x\\\\y", "sp ace"] {
        let e = one_error(&format!(
            "description: d\nname: \"{bad}\"\nsymptom: s\nsteps:\n  - sync: initial\n"
        ));
        assert_eq!(
            (e.kind, at(&e)),
            (ErrorKind::InvalidValue, (2, 7, "name")),
            "{bad}"
        );
        assert!(
            e.message.contains("names snapshot files"),
            "{bad}: {}",
            e.message
        );
    }
    let ok = parse("name: entra-v1.2_ok\ndescription: d\nsymptom: s\nsteps:\n  - sync: initial\n");
    assert_eq!(ok.map(|s| s.name).ok().as_deref(), Some("entra-v1.2_ok"));
}

// --- every step form ------------------------------------------------------------------

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
fn scoping_filter_groups_clauses_and_clears() {
    let body = "  - set_scoping_filter:\n      \
                - - { attribute: department, operator: EQUALS, value: Sales }\n        \
                - { attribute: accountEnabled, operator: IS TRUE }\n      \
                - - { attribute: jobTitle, operator: INCLUDES, value: \"Engineer,Lead\" }\n        \
                - { attribute: employeeId, operator: NOT EQUALS, value: 42 }\n      \
                - - { attribute: mail, operator: IS NULL }\n        \
                - { attribute: manager, operator: IS NOT NULL }\n        \
                - { attribute: accountEnabled, operator: IS FALSE }\n        \
                - { attribute: surname, operator: NOT INCLUDES, value: \"Smith,Jones\" }\n  \
                - set_scoping_filter: []\n";
    let clause = |attribute, operator, value: Option<&str>| ScopingClause {
        attribute,
        operator,
        value: value.map(String::from),
    };
    assert_eq!(
        steps(body),
        vec![
            Step::SetScopingFilter(vec![
                vec![
                    clause(UserAttr::Department, ScopingOperator::Equals, Some("Sales")),
                    clause(UserAttr::AccountEnabled, ScopingOperator::IsTrue, None),
                ],
                vec![
                    clause(
                        UserAttr::JobTitle,
                        ScopingOperator::Includes,
                        Some("Engineer,Lead")
                    ),
                    // A number is read as its digits, like `employeeId` in `create_user`.
                    clause(UserAttr::EmployeeId, ScopingOperator::NotEquals, Some("42")),
                ],
                vec![
                    clause(UserAttr::Mail, ScopingOperator::IsNull, None),
                    clause(UserAttr::Manager, ScopingOperator::IsNotNull, None),
                    clause(UserAttr::AccountEnabled, ScopingOperator::IsFalse, None),
                    clause(
                        UserAttr::Surname,
                        ScopingOperator::NotIncludes,
                        Some("Smith,Jones")
                    ),
                ],
            ]),
            Step::SetScopingFilter(vec![]),
        ]
    );
}

#[test]
fn scope_and_provisioning_steps() {
    let body = format!(
        "{ALICE}  - create_group: {{ group: sales, displayName: Sales }}\n  - assign: alice\n  \
         - assign: sales\n  - unassign: alice\n  - set_scope: assigned-only\n  - set_scope: all\n  \
         - sync: initial\n  - sync: incremental\n  - restart: keep-links\n  - restart: full\n  \
         - provision_on_demand: sales\n"
    );
    assert_eq!(
        steps(&body)[2..],
        [
            Step::Assign("alice".into()),
            Step::Assign("sales".into()),
            Step::Unassign("alice".into()),
            Step::SetScope(ScopeMode::AssignedOnly),
            Step::SetScope(ScopeMode::All),
            Step::Sync(SyncKind::Initial),
            Step::Sync(SyncKind::Incremental),
            Step::Restart(RestartKind::KeepLinks),
            Step::Restart(RestartKind::Full),
            Step::ProvisionOnDemand("sales".into()),
        ]
    );
}

#[test]
fn test_connection_bare_empty_and_with_expectation() {
    let body =
        "  - test_connection\n  - test_connection:\n  - test_connection: { expect: failure }\n";
    let ok = Step::TestConnection {
        expect_status: Status::Success,
    };
    assert_eq!(
        steps(body),
        vec![
            ok.clone(),
            ok,
            Step::TestConnection {
                expect_status: Status::Failure
            }
        ]
    );
}

#[test]
fn token_steps_are_bare_words() {
    let body = "  - target_rotate_token\n  - test_connection: { expect: failure }\n  \
                - idp_update_token\n";
    let got = steps(body);
    assert_eq!(got[0], Step::TargetRotateToken);
    assert_eq!(got[2], Step::IdpUpdateToken);
}

#[test]
fn target_fault_reads_every_key_and_defaults() {
    let body = format!(
        "{ALICE}  - target_fault: {{ method: POST, path: /Users, status: 500 }}\n  \
         - target_fault: {{ method: patch, path: /Users, status: 429, times: once-per-object, \
         retry_after: 1, user: alice }}\n  \
         - target_fault: {{ method: Delete, path: /Groups, status: 503, times: always, \
         retry_after: 0 }}\n  - target_clear_faults\n"
    );
    assert_eq!(
        steps(&body)[1..],
        [
            Step::TargetFault(FaultSpec {
                method: "POST".into(),
                path: "/Users".into(),
                status: 500,
                times: FaultTimes::Always,
                retry_after: None,
                user: None,
            }),
            Step::TargetFault(FaultSpec {
                method: "PATCH".into(),
                path: "/Users".into(),
                status: 429,
                times: FaultTimes::OncePerObject,
                retry_after: Some(1),
                user: Some("alice".into()),
            }),
            Step::TargetFault(FaultSpec {
                method: "DELETE".into(),
                path: "/Groups".into(),
                status: 503,
                times: FaultTimes::Always,
                retry_after: Some(0),
                user: None,
            }),
            Step::TargetClearFaults,
        ]
    );
}

#[test]
fn target_fault_may_name_a_user_deleted_in_the_source() {
    let body = format!(
        "{ALICE}  - hard_delete_user: alice\n  \
         - target_fault: {{ method: DELETE, path: /Users, status: 500, user: alice }}\n"
    );
    assert!(matches!(
        &steps(&body)[2],
        Step::TargetFault(f) if f.user.as_deref() == Some("alice")
    ));
}

#[test]
fn target_only_ref_is_usable_in_expect_user() {
    let body =
        "  - target_create_user: { user: legacy, attributes: { userName: alice@contoso.com, \
                active: true, emails: [{ value: a@x, primary: true }] } }\n  \
                - expect: { user: legacy, present: true }\n";
    let got = steps(body);
    assert_eq!(
        got[0],
        Step::TargetCreateUser {
            user: "legacy".into(),
            attributes: json!({
                "userName": "alice@contoso.com",
                "active": true,
                "emails": [{ "value": "a@x", "primary": true }]
            }),
        }
    );
    assert_eq!(
        got[1],
        Step::Expect(Expectation::Object(ObjectExpectation {
            object: "legacy".into(),
            is_group: false,
            present: Some(true),
            active: None,
            attributes: BTreeMap::new(),
            members: None,
            count: None,
        }))
    );
}

#[test]
fn expect_object_forms() {
    let body = format!(
        "{ALICE}{BOB}  - create_group: {{ group: sales, displayName: Sales, members: [alice] }}\n  \
         - expect: {{ user: alice, present: true, active: false, count: 1,\n              \
         attributes: {{ userName: alice@contoso.com, \"name.givenName\": Alice, title: null, \
         \"emails[type eq \\\"work\\\"].value\": alice@contoso.com, x: 2 }} }}\n  \
         - expect: {{ group: sales, members: [alice, bob] }}\n"
    );
    let got = steps(&body);
    let mut expected_attrs = BTreeMap::new();
    expected_attrs.insert("userName".to_string(), json!("alice@contoso.com"));
    expected_attrs.insert("name.givenName".to_string(), json!("Alice"));
    expected_attrs.insert("title".to_string(), json!(null));
    expected_attrs.insert(
        "emails[type eq \"work\"].value".to_string(),
        json!("alice@contoso.com"),
    );
    expected_attrs.insert("x".to_string(), json!(2));
    assert_eq!(
        got[3],
        Step::Expect(Expectation::Object(ObjectExpectation {
            object: "alice".into(),
            is_group: false,
            present: Some(true),
            active: Some(false),
            attributes: expected_attrs,
            members: None,
            count: Some(1),
        }))
    );
    assert_eq!(
        got[4],
        Step::Expect(Expectation::Object(ObjectExpectation {
            object: "sales".into(),
            is_group: true,
            present: None,
            active: None,
            attributes: BTreeMap::new(),
            members: Some(vec!["alice".into(), "bob".into()]),
            count: None,
        }))
    );
}

#[test]
fn expect_log_and_requests_forms() {
    let body = format!(
        "{ALICE}{BOB}  - create_user: {{ user: dave, userPrincipalName: dave@contoso.com }}\n  \
         - expect: {{ log: {{ object: alice, action: disable, status: success }} }}\n  \
         - expect: {{ log: {{ object: bob, status: skipped, skip_reason: NotEffectivelyEntitled }} }}\n  \
         - expect: {{ log: {{ object: dave, status: failure, error_code: InternalServerError }} }}\n  \
         - expect: {{ requests: {{ total: 2, PATCH: 1, GET: 1 }} }}\n"
    );
    let got = steps(&body);
    let log =
        |object: &str, action: Option<&str>, status, skip: Option<&str>, code: Option<&str>| {
            Step::Expect(Expectation::Log(LogExpectation {
                object: object.into(),
                action: action.map(String::from),
                status: Some(status),
                skip_reason: skip.map(String::from),
                error_code: code.map(String::from),
            }))
        };
    assert_eq!(
        got[3..],
        [
            log("alice", Some("disable"), Status::Success, None, None),
            log(
                "bob",
                None,
                Status::Skipped,
                Some("NotEffectivelyEntitled"),
                None
            ),
            log(
                "dave",
                None,
                Status::Failure,
                None,
                Some("InternalServerError")
            ),
            Step::Expect(Expectation::Requests(RequestExpectation {
                total: Some(2),
                by_method: [("PATCH".to_string(), 1), ("GET".to_string(), 1)]
                    .into_iter()
                    .collect(),
            })),
        ]
    );
}

#[test]
fn expect_job_form() {
    let body =
        "  - expect: { job: { quarantined: true, reason: EncounteredQuarantineException } }\n  \
                - expect: { job: { quarantined: false } }\n  \
                - expect: { job: { reason: EncounteredEscrowProportionThreshold } }\n";
    assert_eq!(
        steps(body),
        vec![
            Step::Expect(Expectation::Job(JobExpectation {
                quarantined: Some(true),
                reason: Some("EncounteredQuarantineException".into()),
            })),
            Step::Expect(Expectation::Job(JobExpectation {
                quarantined: Some(false),
                reason: None,
            })),
            Step::Expect(Expectation::Job(JobExpectation {
                quarantined: None,
                reason: Some("EncounteredEscrowProportionThreshold".into()),
            })),
        ]
    );
}

#[test]
fn snapshot_step() {
    assert_eq!(
        steps("  - snapshot: after-unassign\n  - snapshot: step_2\n"),
        vec![
            Step::Snapshot("after-unassign".into()),
            Step::Snapshot("step_2".into())
        ]
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

// --- one test per error class, pinning line, column and field ---------------------------

#[test]
fn wrong_type_renders_like_the_documented_example() {
    let text = "name: unassign-disables\ndescription: Unassigning disables.\nsymptom: Users stay active\n\
                profiles: [entra]\nsteps:\n  - create_user:\n      user: bob\n      \
                userPrincipalName: bob@contoso.com\n  - sync: initial\n  - create_user:\n      \
                user: alice\n      accountEnabled: yes\n      userPrincipalName: alice@contoso.com\n";
    let errs = parse_str(text, Path::new("scenarios/entra/unassign.yaml")).unwrap_err();
    assert_eq!(errs.0.len(), 1);
    let e = &errs.0[0];
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(e), (12, 23, "steps[2].create_user.accountEnabled"));
    assert_eq!(
        errs.to_string(),
        "error: invalid value for `accountEnabled`: expected a boolean (true or false), found string \"yes\"\n\
         \x20 --> scenarios/entra/unassign.yaml:12:23\n\
         \x20  |\n\
         12 |       accountEnabled: yes\n\
         \x20  |                       ^^^\n\
         \x20  = in steps[2].create_user\n"
    );
}

#[test]
fn unknown_top_level_key() {
    let e = one_error(&format!("{HEAD}  - sync: initial\nprofile: [entra]\n"));
    assert_eq!(e.kind, ErrorKind::UnknownKey);
    assert_eq!(at(&e), (6, 1, "profile"));
    assert_eq!(
        e.render(),
        "error: unknown key `profile`; expected one of: name, description, symptom, profiles, options, steps\n\
         \x20 --> t.yaml:6:1\n\
         \x20  |\n\
         \x206 | profile: [entra]\n\
         \x20  | ^^^^^^^\n\
         \x20  = help: did you mean `profiles`?\n"
    );
}

#[test]
fn unknown_step_keyword_suggests_the_closest() {
    let e = one_error(&format!(
        "{HEAD}  - sync: initial\n  - soft_delete: alice\n"
    ));
    assert_eq!(e.kind, ErrorKind::UnknownStep);
    assert_eq!(at(&e), (6, 5, "steps[1]"));
    let r = e.render();
    assert!(r.starts_with(
        "error: unknown step `soft_delete`; expected one of: create_user, update_user, disable_user,"
    ));
    assert!(
        r.ends_with(
            "  --> t.yaml:6:5\n   |\n 6 |   - soft_delete: alice\n   |     ^^^^^^^^^^^\n   \
         = in steps\n   = help: did you mean `soft_delete_user`?\n"
        ),
        "{r}"
    );
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
fn target_only_group_takes_target_only_members_and_is_usable_in_expect_group() {
    let body = "  - target_create_user: { user: bob, attributes: { userName: bob@x } }\n  \
                - target_create_group: { group: legacy, attributes: { displayName: Sales }, \
                members: [bob] }\n  \
                - expect: { group: legacy, members: [bob] }\n";
    let got = steps(body);
    assert_eq!(
        got[1],
        Step::TargetCreateGroup {
            group: "legacy".into(),
            attributes: json!({ "displayName": "Sales" }),
            members: vec!["bob".into()],
        }
    );
    assert!(matches!(
        &got[2],
        Step::Expect(Expectation::Object(o))
            if o.object == "legacy" && o.is_group && o.members == Some(vec!["bob".into()])
    ));
}

#[test]
fn target_only_group_refuses_source_members_and_source_steps() {
    let errs = errors(&format!(
        "{HEAD}{ALICE}  - target_create_group: {{ group: legacy, attributes: {{ displayName: S }}, \
         members: [alice] }}\n  - assign: legacy\n"
    ));
    let got: Vec<_> = errs.iter().map(|e| (e.kind, e.message.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::RefMismatch,
                "`alice` is a user ref (created at line 5); expected a target-only user ref \
                 (from `target_create_user`)"
            ),
            (
                ErrorKind::RefMismatch,
                "`legacy` is a target-only ref (created at line 6); expected a user or group \
                 ref; target-only refs (from `target_create_group`) can be used only in \
                 `expect: { group: … }`"
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
fn expect_with_two_forms() {
    let e = one_error(&format!(
        "{HEAD}{ALICE}  - expect: {{ user: alice, log: {{ object: alice }} }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (6, 28, "steps[1].expect"));
    assert_eq!(
        e.render(),
        "error: `expect` takes exactly one of `user`, `group`, `log`, `requests` or `job`; \
         found `user` and `log`\n\
         \x20 --> t.yaml:6:28\n\
         \x20  |\n\
         \x206 |   - expect: { user: alice, log: { object: alice } }\n\
         \x20  |                            ^^^\n\
         \x20  = in steps[1]\n"
    );
}

#[test]
fn expect_with_no_form() {
    let e = one_error(&format!("{HEAD}  - expect: {{ present: true }}\n"));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (5, 5, "steps[0].expect"));
    assert_eq!(
        e.message,
        "`expect` needs exactly one of `user`, `group`, `log`, `requests` or `job`; found none"
    );
}

#[test]
fn expect_job_with_no_keys() {
    let e = one_error(&format!("{HEAD}  - expect: {{ job: {{}} }}\n"));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (5, 15, "steps[0].expect.job"));
    assert_eq!(
        e.message,
        "`job` needs at least one of: quarantined, reason"
    );
}

#[test]
fn expect_job_with_object_checks_and_bad_values() {
    let errs = errors(&format!(
        "{HEAD}  - expect: {{ job: {{ quarantined: yes }}, present: true }}\n  \
         - expect: {{ job: {{ quarantine: true }} }}\n"
    ));
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::InvalidValue,
                (5, 35, "steps[0].expect.job.quarantined")
            ),
            (ErrorKind::InvalidShape, (5, 42, "steps[0].expect.present")),
            (
                ErrorKind::UnknownKey,
                (6, 22, "steps[1].expect.job.quarantine")
            ),
        ]
    );
    assert_eq!(
        errs[1].message,
        "`present` cannot be used with `job`: it belongs to `user:` and `group:` expectations"
    );
    assert_eq!(errs[2].help.as_deref(), Some("did you mean `quarantined`?"));
}

#[test]
fn expect_keys_that_do_not_fit_the_form() {
    let errs = errors(&format!(
        "{HEAD}{ALICE}  - expect: {{ user: alice, members: [alice] }}\n  \
         - expect: {{ user: alice, present: false, active: true }}\n  \
         - expect: {{ requests: {{ patch: 1 }} }}\n  - expect: {{ log: {{ object: alice, status: ok }} }}\n"
    ));
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (ErrorKind::InvalidShape, (6, 28, "steps[1].expect.members")),
            (ErrorKind::InvalidShape, (7, 44, "steps[2].expect.active")),
            (
                ErrorKind::UnknownKey,
                (8, 27, "steps[3].expect.requests.patch")
            ),
            (
                ErrorKind::InvalidValue,
                (9, 45, "steps[4].expect.log.status")
            ),
        ]
    );
    assert_eq!(errs[2].help.as_deref(), Some("did you mean `PATCH`?"));
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
fn no_argument_step_written_as_a_map() {
    let errs = errors(&format!(
        "{HEAD}  - target_rotate_token: {{ token: new }}\n  - idp_update_token:\n"
    ));
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, at(e), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::InvalidShape,
                (5, 26, "steps[0].target_rotate_token"),
                "step `target_rotate_token` takes no arguments; write it alone: \
                 `- target_rotate_token`"
            ),
            (
                ErrorKind::InvalidShape,
                (6, 5, "steps[1].idp_update_token"),
                "step `idp_update_token` takes no arguments; write it alone: `- idp_update_token`"
            ),
        ]
    );
    assert_eq!(
        errs[0].render(),
        "error: step `target_rotate_token` takes no arguments; write it alone: \
         `- target_rotate_token`\n\
         \x20 --> t.yaml:5:26\n\
         \x20  |\n\
         \x205 |   - target_rotate_token: { token: new }\n\
         \x20  |                          ^^^^^^^^^^^^^\n\
         \x20  = in steps[0]\n"
    );
    // Fields at the keyword's indentation: no "indent the fields" help for a step without any.
    let e = one_error(&format!("{HEAD}  - target_rotate_token:\n    token: new\n"));
    assert_eq!(
        (e.kind, at(&e)),
        (ErrorKind::InvalidShape, (6, 5, "steps[0]"))
    );
    assert_eq!(e.help, None);
}

#[test]
fn scoping_operator_not_in_entra_spelling() {
    let errs = errors(&format!(
        "{HEAD}  - set_scoping_filter:\n      \
         - - {{ attribute: department, operator: equals, value: Sales }}\n        \
         - {{ attribute: mail, operator: IS_NULL }}\n"
    ));
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, at(e), e.help.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::InvalidValue,
                (6, 46, "steps[0].set_scoping_filter[0][0].operator"),
                Some("did you mean `EQUALS`?")
            ),
            (
                ErrorKind::InvalidValue,
                (7, 40, "steps[0].set_scoping_filter[0][1].operator"),
                Some("did you mean `IS NULL`?")
            ),
        ]
    );
    assert_eq!(
        errs[0].render(),
        "error: invalid value for `operator`: expected one of EQUALS, NOT EQUALS, IS TRUE, \
         IS FALSE, IS NULL, IS NOT NULL, INCLUDES, NOT INCLUDES, found string \"equals\"\n\
         \x20 --> t.yaml:6:46\n\
         \x20  |\n\
         \x206 |       - - { attribute: department, operator: equals, value: Sales }\n\
         \x20  |                                              ^^^^^^\n\
         \x20  = in steps[0].set_scoping_filter[0][0]\n\
         \x20  = help: did you mean `EQUALS`?\n"
    );
}

#[test]
fn scoping_comparison_without_a_value() {
    let e = one_error(&format!(
        "{HEAD}  - set_scoping_filter: [[{{ attribute: department, operator: EQUALS }}]]\n"
    ));
    assert_eq!(e.kind, ErrorKind::MissingKey);
    assert_eq!(at(&e), (5, 62, "steps[0].set_scoping_filter[0][0]"));
    assert_eq!(
        e.message,
        "missing required key `value`: `EQUALS` compares with a value"
    );
}

#[test]
fn scoping_value_given_to_an_operator_that_takes_none() {
    let e = one_error(&format!(
        "{HEAD}  - set_scoping_filter: [[{{ attribute: mail, operator: IS NULL, value: x }}]]\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (5, 65, "steps[0].set_scoping_filter[0][0].value"));
    assert_eq!(
        e.message,
        "`value` cannot be used with `IS NULL`: the operator takes no value"
    );
}

#[test]
fn scoping_boolean_test_on_a_text_attribute() {
    let e = one_error(&format!(
        "{HEAD}  - set_scoping_filter: [[{{ attribute: department, operator: IS TRUE }}]]\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(
        at(&e),
        (5, 62, "steps[0].set_scoping_filter[0][0].operator")
    );
    assert_eq!(
        e.message,
        "`IS TRUE` applies only to the boolean attribute `accountEnabled`, not to `department`"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("compare text with `EQUALS` or `NOT EQUALS` and a `value`")
    );
}

#[test]
fn scoping_filter_shapes() {
    let errs = errors(&format!(
        "{HEAD}  - set_scoping_filter:\n      - {{ attribute: mail, operator: IS NULL }}\n  \
         - set_scoping_filter: [[]]\n  - set_scoping_filter:\n  \
         - set_scoping_filter: [[{{ attribute: mial, operator: IS NULL }}]]\n"
    ));
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::InvalidShape,
                (6, 9, "steps[0].set_scoping_filter[0]")
            ),
            (
                ErrorKind::InvalidValue,
                (7, 26, "steps[1].set_scoping_filter[0]")
            ),
            (
                ErrorKind::InvalidValue,
                (8, 23, "steps[2].set_scoping_filter")
            ),
            (
                ErrorKind::InvalidValue,
                (9, 40, "steps[3].set_scoping_filter[0][0].attribute")
            ),
        ]
    );
    assert_eq!(
        errs[0].help.as_deref(),
        Some("each group is a list of its own: write `- - { attribute: … }`")
    );
    assert_eq!(errs[3].help.as_deref(), Some("did you mean `mail`?"));
}

#[test]
fn fault_status_out_of_range() {
    let e = one_error(&format!(
        "{HEAD}  - target_fault: {{ method: GET, path: /Users, status: 200 }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(&e), (5, 56, "steps[0].target_fault.status"));
    assert_eq!(
        e.message,
        "invalid value for `status`: expected an HTTP error status, from 400 to 599, \
         found integer 200"
    );
}

#[test]
fn fault_retry_after_with_a_status_that_has_none() {
    let e = one_error(&format!(
        "{HEAD}  - target_fault: {{ method: POST, path: /Users, status: 500, retry_after: 5 }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (5, 62, "steps[0].target_fault.retry_after"));
    assert_eq!(
        e.render(),
        "error: `retry_after` applies only to status 429 or 503; this fault answers 500\n\
         \x20 --> t.yaml:5:62\n\
         \x20  |\n\
         \x205 |   - target_fault: { method: POST, path: /Users, status: 500, retry_after: 5 }\n\
         \x20  |                                                              ^^^^^^^^^^^\n\
         \x20  = in steps[0].target_fault\n"
    );
}

#[test]
fn fault_unknown_times() {
    let e = one_error(&format!(
        "{HEAD}  - target_fault: {{ method: PUT, path: /Users, status: 500, times: once }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(&e), (5, 68, "steps[0].target_fault.times"));
    assert_eq!(
        e.message,
        "invalid value for `times`: expected one of always, once-per-object, found string \"once\""
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `once-per-object`?"));
}

#[test]
fn fault_user_ref_unknown() {
    let e = one_error(&format!(
        "{HEAD}{ALICE}  - target_fault: {{ method: POST, path: /Users, status: 500, user: dave }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::UnknownRef);
    assert_eq!(at(&e), (6, 68, "steps[1].target_fault.user"));
    assert_eq!(
        e.message,
        "unknown ref `dave`: expected a user created by an earlier `create_user`"
    );
}

#[test]
fn fault_method_and_path_shapes() {
    let errs = errors(&format!(
        "{HEAD}  - target_fault: {{ method: PTACH, path: Users, status: 429 }}\n  \
         - target_fault: {{ method: HEAD, path: /Users }}\n"
    ));
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, at(e), e.help.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::InvalidValue,
                (5, 29, "steps[0].target_fault.method"),
                Some("did you mean `PATCH`?")
            ),
            (
                ErrorKind::InvalidValue,
                (5, 42, "steps[0].target_fault.path"),
                None
            ),
            (ErrorKind::MissingKey, (6, 5, "steps[1].target_fault"), None),
            (
                ErrorKind::InvalidValue,
                (6, 29, "steps[1].target_fault.method"),
                None
            ),
        ]
    );
    assert_eq!(errs[2].message, "missing required key `status`");
}

#[test]
fn bad_snapshot_name() {
    let e = one_error(&format!("{HEAD}  - snapshot: After Unassign\n"));
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(&e), (5, 15, "steps[0].snapshot"));
    assert_eq!(
        e.render(),
        "error: invalid value for `snapshot`: expected a snapshot name matching \
         [a-z0-9][a-z0-9_-]*, found string \"After Unassign\"\n\
         \x20 --> t.yaml:5:15\n\
         \x20  |\n\
         \x205 |   - snapshot: After Unassign\n\
         \x20  |               ^^^^^^^^^^^^^^\n\
         \x20  = in steps[0]\n"
    );
}

#[test]
fn duplicate_snapshot_name() {
    let e = one_error(&format!(
        "{HEAD}  - snapshot: before\n  - snapshot: before\n"
    ));
    assert_eq!(e.kind, ErrorKind::Duplicate);
    assert_eq!(at(&e), (6, 15, "steps[1].snapshot"));
    assert_eq!(e.message, "snapshot `before` is already taken (at line 5)");
}

#[test]
fn yaml_syntax_error() {
    let e = one_error("name: t\ndescription: d: e\nsymptom: s\nsteps: []\n");
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(at(&e), (2, 15, ""));
    assert_eq!(
        e.render(),
        "error: invalid YAML: mapping values are not allowed in this context\n\
         \x20 --> t.yaml:2:15\n\
         \x20  |\n\
         \x202 | description: d: e\n\
         \x20  |               ^\n"
    );
}

#[test]
fn empty_steps() {
    let e = one_error("name: t\ndescription: d\nsymptom: s\nsteps: []\n");
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(at(&e), (4, 8, "steps"));
    assert_eq!(
        e.render(),
        "error: invalid value for `steps`: expected a non-empty list of steps, found an empty list\n\
         \x20 --> t.yaml:4:8\n\
         \x20  |\n\
         \x204 | steps: []\n\
         \x20  |        ^\n"
    );
}

#[test]
fn missing_required_keys_and_empty_file() {
    let errs = errors("name: t\nsteps:\n  - sync: initial\n");
    let got: Vec<_> = errs
        .iter()
        .map(|e| (e.kind, at(e), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                ErrorKind::MissingKey,
                (1, 1, ""),
                "missing required key `description`"
            ),
            (
                ErrorKind::MissingKey,
                (1, 1, ""),
                "missing required key `symptom`"
            ),
        ]
    );
    let e = one_error("");
    assert_eq!((e.kind, at(&e)), (ErrorKind::MissingKey, (1, 1, "")));
}

#[test]
fn step_fields_at_the_keyword_indentation() {
    let e = one_error(&format!(
        "{HEAD}  - create_user:\n    user: alice\n    userPrincipalName: a@x\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (6, 5, "steps[0]"));
    assert_eq!(
        e.help.as_deref(),
        Some("indent the fields of `create_user` further than the keyword")
    );
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

#[test]
fn unknown_profile_and_option_value() {
    let errs = errors(
        "name: t\ndescription: d\nsymptom: s\nprofiles: [entra, okda]\noptions: { a: [1] }\n\
         steps:\n  - sync: initial\n",
    );
    let got: Vec<_> = errs.iter().map(|e| (e.kind, at(e))).collect();
    assert_eq!(
        got,
        vec![
            (ErrorKind::InvalidValue, (4, 19, "profiles[1]")),
            (ErrorKind::InvalidValue, (5, 15, "options.a")),
        ]
    );
    assert_eq!(errs[0].help.as_deref(), Some("did you mean `okta`?"));
}

// --- files ----------------------------------------------------------------------------

#[test]
fn syntax_tour_uses_every_step_and_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax-tour.yaml");
    let s = match load_file(&path) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.name, "syntax-tour");
    let used: BTreeSet<&str> = s.steps.iter().map(|s| s.value.keyword()).collect();
    let all: BTreeSet<&str> = STEP_KEYWORDS.iter().copied().collect();
    assert_eq!(used, all);
}

#[test]
fn load_file_names_a_missing_file() {
    let errs = load_file(Path::new("no/such/scenario.yaml")).unwrap_err();
    let e = &errs.0[0];
    assert_eq!(e.kind, ErrorKind::Io);
    assert_eq!(e.file, PathBuf::from("no/such/scenario.yaml"));
    assert!(
        e.render()
            .starts_with("error: failed to read scenario file `no/such/scenario.yaml`: "),
        "{}",
        e.render()
    );
}

#[test]
fn discover_walks_directories_sorted_and_rejects_missing_paths() {
    let root = std::env::temp_dir().join(format!("scim-harness-discover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("b/nested")).unwrap();
    std::fs::create_dir_all(root.join("a")).unwrap();
    for f in [
        "b/z.yaml",
        "b/nested/m.yml",
        "a/y.yaml",
        "a/notes.md",
        "top.yaml",
    ] {
        std::fs::write(root.join(f), "x").unwrap();
    }
    let single = root.join("a/notes.md");
    let got = discover(&[root.clone(), single.clone()]).unwrap();
    let rel: Vec<_> = got
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        rel,
        [
            "a/y.yaml",
            "b/nested/m.yml",
            "b/z.yaml",
            "top.yaml",
            "a/notes.md"
        ]
    );

    let missing = root.join("gone");
    let errs = discover(&[missing.clone(), root.clone()]).unwrap_err();
    assert_eq!(errs.0.len(), 1);
    assert_eq!((errs.0[0].kind, &errs.0[0].file), (ErrorKind::Io, &missing));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn per_profile_holds_expect_steps_by_profile() {
    let parsed = steps(
        "  - per_profile:\n      okta:\n        - expect: { requests: { total: 0 } }\n      entra:\n        - expect: { requests: { GET: 1 } }\n",
    );
    let [Step::PerProfile(branches)] = parsed.as_slice() else {
        panic!("one per_profile step: {parsed:?}");
    };
    assert_eq!(branches.keys().collect::<Vec<_>>(), vec!["entra", "okta"]);
    let okta = &branches["okta"];
    assert_eq!(okta.len(), 1);
    assert_eq!(okta[0].span.line, 7);
    assert!(matches!(
        &okta[0].value,
        Step::Expect(Expectation::Requests(r)) if r.total == Some(0)
    ));
}

#[test]
fn per_profile_refuses_other_steps_and_unknown_profiles() {
    let base = "name: n\ndescription: d\nsymptom: s\nsteps:\n";
    let e = one_error(&format!(
        "{base}  - per_profile:\n      okta:\n        - sync: initial\n"
    ));
    assert_eq!(at(&e), (7, 11, "steps[0].per_profile.okta[0]"));
    assert!(
        e.message
            .contains("only `expect` steps may differ by profile, found `sync`"),
        "{}",
        e.message
    );
    let e = one_error(&format!(
        "{base}  - per_profile:\n      octa:\n        - expect: {{ requests: {{ total: 0 }} }}\n"
    ));
    assert!(e.message.contains("unknown key `octa`"), "{}", e.message);
    assert_eq!(e.help.as_deref(), Some("did you mean `okta`?"));
}
