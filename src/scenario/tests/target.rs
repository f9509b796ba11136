//! Provisioning and target-side steps: `test_connection`, token steps, target-only objects
//! and `target_fault`.

use super::*;

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
