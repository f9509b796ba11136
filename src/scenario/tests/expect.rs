//! The check steps: every `expect` form, `snapshot` and `per_profile`, and their errors.

use super::*;

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
fn expect_with_two_forms() {
    let e = one_error(&format!(
        "{HEAD}{ALICE}  - expect: {{ user: alice, log: {{ object: alice }} }}\n"
    ));
    assert_eq!(e.kind, ErrorKind::InvalidShape);
    assert_eq!(at(&e), (6, 28, "steps[1].expect"));
    assert_eq!(
        e.render(),
        "error: `expect` takes exactly one of `user`, `users`, `group`, `log`, `requests` or `job`; \
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
        "`expect` needs exactly one of `user`, `users`, `group`, `log`, `requests` or `job`; found none"
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
