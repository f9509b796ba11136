//! `set_scoping_filter`: clause groups, and each shape and operator error.

use super::*;

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
