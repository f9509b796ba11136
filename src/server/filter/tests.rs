use super::parse::word_literal;
use super::*;
use crate::scim::schema::{GROUP, USER};
use crate::scim::urn;
use serde_json::json;

fn user() -> Value {
    json!({
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "Ext-1",
        "userName": "Bjensen@Example.com",
        "displayName": "Babs Jensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z"
        },
        urn::ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "m-1"}}
    })
}

fn parse(text: &str) -> Filter {
    parse_filter(text, &USER).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn check(text: &str, expected: bool) {
    assert_eq!(parse(text).matches(&user()), expected, "{text}");
}

#[test]
fn eq_is_case_insensitive_for_case_insensitive_attributes_only() {
    check(r#"userName eq "bjensen@example.com""#, true);
    check(r#"displayName eq "BABS JENSEN""#, true);
    check(r#"emails.value eq "BJENSEN@example.com""#, true);
    check(r#"externalId eq "ext-1""#, false);
    check(r#"externalId eq "Ext-1""#, true);
    check(r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false);
    check(r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true);
}

#[test]
fn operators_and_attribute_names_are_case_insensitive() {
    check(r#"USERNAME Eq "bjensen@example.com""#, true);
    check(r#"username EQ "nobody""#, false);
    check(r#"title Co "guide" AnD active EQ true"#, true);
}

#[test]
fn ne_needs_a_differing_value() {
    check(r#"title ne "Tour Guide""#, false);
    check(r#"title ne "Boss""#, true);
    // Missing attributes never match, `ne` included.
    check(r#"nickName ne "x""#, false);
    // Multi-valued: none of the values may be equal.
    check(r#"emails.value ne "babs@jensen.org""#, false);
    check(r#"emails.value ne "other@x""#, true);
}

#[test]
fn substring_operators() {
    check(r#"title co "UR gu""#, true);
    check(r#"title co "boss""#, false);
    check(r#"userName sw "BJEN""#, true);
    check(r#"userName sw "jen""#, false);
    check(r#"emails.value ew "@JENSEN.org""#, true);
    check(r#"emails.value ew "@nowhere.org""#, false);
    check(r#"externalId sw "ext""#, false);
}

#[test]
fn ordering_operators_on_strings() {
    check(r#"title gt "tour""#, true);
    check(r#"title gt "tour guide""#, false);
    check(r#"title ge "TOUR GUIDE""#, true);
    check(r#"title lt "Tour Guidf""#, true);
    check(r#"title lt "Tour Guide""#, false);
    check(r#"title le "tour guide""#, true);
    check(r#"title le "a""#, false);
}

#[test]
fn datetime_compares_as_instants() {
    check(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false);
    check(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true);
    // Same instant written with an offset.
    check(r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true);
    check(r#"meta.lastModified gt "2011-05-13T05:42:34+02:00""#, true);
    check(r#"meta.created lt "2010-01-23T04:56:23Z""#, true);
    check(r#"meta.created lt "2010-01-23T04:56:22Z""#, false);
    let err = parse_filter(r#"meta.lastModified gt "yesterday""#, &USER).unwrap_err();
    assert!(matches!(err, FilterError::Value { .. }), "{err}");
}

#[test]
fn pr_means_present_and_not_empty() {
    check("title pr", true);
    check("nickName pr", false);
    check("emails pr", true);
    check("name.middleName pr", false);
    let sparse = json!({"userName": "a", "title": "", "emails": [], "name": {}});
    for text in ["title pr", "emails pr", "name pr", "phoneNumbers pr"] {
        assert!(!parse(text).matches(&sparse), "{text}");
    }
}

#[test]
fn booleans_numbers_and_null_literals() {
    check("active eq true", true);
    check("active eq FALSE", false);
    check(r#"active eq "True""#, true);
    check("active ne false", true);
    check("nickName eq null", true);
    check("title eq null", false);
    check("title ne null", true);
    assert!(matches!(
        parse_filter("active gt true", &USER),
        Err(FilterError::Operator { .. })
    ));
    assert!(matches!(
        parse_filter("active eq 1", &USER),
        Err(FilterError::Value { .. })
    ));
    assert!(matches!(
        parse_filter("userName eq 42", &USER),
        Err(FilterError::Value { .. })
    ));
    assert!(matches!(
        parse_filter("userName co null", &USER),
        Err(FilterError::Value { .. })
    ));
}

#[test]
fn number_literals_parse() {
    // The core schemas have no numeric attribute: check the literal reader directly.
    assert_eq!(word_literal("-1.5e2"), Some(json!(-150.0)));
    assert_eq!(word_literal("42"), Some(json!(42)));
    assert_eq!(word_literal("Null"), Some(Value::Null));
    assert_eq!(word_literal("4x2"), None);
    let err = parse_filter("userName eq bjensen", &USER).unwrap_err();
    assert!(matches!(err, FilterError::Syntax { pos: 13, .. }), "{err}");
}

#[test]
fn precedence_is_not_then_and_then_or() {
    // and binds tighter than or: true or (false and false) = true.
    check(
        r#"title eq "Tour Guide" or userName eq "x" and displayName eq "y""#,
        true,
    );
    // Grouping changes it: (true or false) and false = false.
    check(
        r#"(title eq "Tour Guide" or userName eq "x") and displayName eq "y""#,
        false,
    );
    // not binds tighter than and: (not false) and true = true.
    check(r#"not (userName eq "x") and active eq true"#, true);
    check(r#"not (userName eq "x" or active eq true)"#, false);
    check(r#"NOT (nickName pr)"#, true);
}

#[test]
fn value_path_filter() {
    check(
        r#"emails[type eq "work" and value co "@example.com"]"#,
        true,
    );
    check(
        r#"emails[type eq "home" and value co "@example.com"]"#,
        false,
    );
    check(
        r#"emails[type eq "work"] and not (emails[type eq "other"])"#,
        true,
    );
    check(r#"emails[not (type eq "work")]"#, true);
}

#[test]
fn value_path_followed_by_sub_attribute_comparison() {
    // Entra's matching query: the same element must be a work email with this value.
    check(
        r#"emails[type eq "work"].value eq "bjensen@example.com""#,
        true,
    );
    check(
        r#"emails[type eq "work"].value eq "babs@jensen.org""#,
        false,
    );
    check(r#"emails[type eq "home"].value pr"#, true);
    check(
        r#"emails[type eq "work"].value eq "BJENSEN@example.com" and userName pr"#,
        true,
    );
}

#[test]
fn multi_valued_complex_without_sub_attribute_compares_value() {
    // PingFederate matches work email as `emails eq "…"`.
    check(r#"emails eq "babs@jensen.org""#, true);
    check(r#"emails co "jensen""#, true);
    check(r#"emails eq "nobody@x""#, false);
    // Single-valued complex with a `value` too: Entra's historical manager query.
    check(
        r#"id eq "2819c223-7f76-453a-919d-413861904646" and manager eq "m-1""#,
        true,
    );
    assert!(matches!(
        parse_filter(r#"name eq "x""#, &USER),
        Err(FilterError::Attribute { .. })
    ));
}

#[test]
fn urn_qualified_names() {
    check(
        &format!(r#"{}:employeeNumber eq "701984""#, urn::ENTERPRISE_USER),
        true,
    );
    check(
        &format!(r#"{}:manager.value eq "m-1""#, urn::ENTERPRISE_USER),
        true,
    );
    check(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "jensen""#,
        true,
    );
    check(r#"employeeNumber eq "1""#, false);
}

#[test]
fn string_escapes_in_values() {
    let resource = json!({"userName": "a", "displayName": "Say \"hi\" \\ é"});
    assert!(parse(r#"displayName eq "Say \"hi\" \\ \u00e9""#).matches(&resource));
    assert!(parse(r#"displayName eq "say \"HI\" \\ É""#).matches(&resource));
    let err = parse_filter(r#"displayName eq "bad \q""#, &USER).unwrap_err();
    assert!(matches!(err, FilterError::BadString { .. }), "{err}");
}

#[test]
fn missing_attributes_never_match_except_under_not() {
    let bare = json!({"userName": "a"});
    assert!(!parse(r#"title eq "x""#).matches(&bare));
    assert!(!parse(r#"title co """#).matches(&bare));
    assert!(!parse(r#"emails[type eq "work"]"#).matches(&bare));
    assert!(parse(r#"not (title eq "x")"#).matches(&bare));
}

#[test]
fn group_filters() {
    let group = json!({"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]});
    let f = parse_filter(r#"members[value eq "u2"]"#, &GROUP).expect("parses");
    assert!(f.matches(&group));
    let f = parse_filter(r#"members.value eq "U2""#, &GROUP).expect("parses");
    assert!(!f.matches(&group), "members.value is caseExact");
    assert!(parse_filter(r#"userName eq "x""#, &GROUP).is_err());
}

#[test]
fn parse_errors_are_reported_with_positions() {
    let cases: &[(&str, &str)] = &[
        ("", "the filter is empty"),
        (
            r#"userName eq "x" garbage"#,
            "expected \"and\", \"or\" or the end of the filter at position 17, found \"garbage\"",
        ),
        (
            r#"userName xx "x""#,
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) at position 10, found \"xx\"",
        ),
        (
            r#"(userName eq "x""#,
            "expected \")\" at position 17, found the end of the filter",
        ),
        (
            r#"userName eq "x"#,
            "unterminated string starting at position 13",
        ),
        (
            r#"nickname2 eq "x""#,
            "unknown attribute \"nickname2\" (position 1)",
        ),
        (
            r#"emails[typo eq "work"]"#,
            "attribute \"emails\" has no sub-attribute \"typo\" (position 8)",
        ),
        (
            r#"emails[type eq "work"].nope eq "x""#,
            "attribute \"emails\" has no sub-attribute \"nope\" (position 23)",
        ),
        (
            r#"emails[type eq "work"] and"#,
            "expected an attribute name or \"(\" at position 27, found the end of the filter",
        ),
        (
            "userName eq",
            "expected a value (a quoted string, a number, true, false or null) at position 12, found the end of the filter",
        ),
    ];
    for (text, message) in cases {
        let err = parse_filter(text, &USER).unwrap_err();
        assert_eq!(&err.to_string(), message, "{text}");
    }
    assert!(parse_filter(r#"emails[type[value eq "x"]]"#, &USER).is_err());
}

#[test]
fn simple_eq_only_for_single_valued_core_string_attributes() {
    let f = parse(r#"userName eq "alice""#);
    assert_eq!(f.simple_eq(), Some(("userName", "alice")));
    let f = parse(r#"EXTERNALID Eq "e1""#);
    assert_eq!(f.simple_eq(), Some(("externalId", "e1")));
    let f = parse_filter(r#"displayName eq "Sales""#, &GROUP).expect("parses");
    assert_eq!(f.simple_eq(), Some(("displayName", "Sales")));
    for text in [
        r#"userName ne "alice""#,
        r#"userName eq "a" and active eq true"#,
        r#"emails eq "a@x""#,
        r#"name.givenName eq "a""#,
        r#"employeeNumber eq "1""#,
        "active eq true",
        "userName eq null",
    ] {
        assert_eq!(parse(text).simple_eq(), None, "{text}");
    }
}

#[test]
fn eq_conjunction_describes_the_selected_value() {
    let f = parse_value_filter(r#"type eq "work" and primary eq "true""#, emails_def())
        .expect("parses");
    let parts: Vec<(&str, Value)> = f
        .eq_conjunction()
        .expect("a conjunction of eq")
        .into_iter()
        .map(|(def, v)| (def.name, v.clone()))
        .collect();
    assert_eq!(
        parts,
        vec![("type", json!("work")), ("primary", json!(true))]
    );
    for text in [r#"type eq "work" or type eq "home""#, r#"value co "x""#] {
        let f = parse_value_filter(text, emails_def()).expect("parses");
        assert!(f.eq_conjunction().is_none(), "{text}");
    }
}

fn emails_def() -> &'static AttributeDef {
    USER.resolve("emails").expect("emails").0.attr
}
