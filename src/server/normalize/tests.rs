use super::*;
use crate::scim::schema::{GROUP, USER};
use crate::scim::urn;
use serde_json::json;

fn user(body: Value) -> Result<Value, NormalizeError> {
    normalize_resource(&body, &USER)
}

fn user_attr(name: &str) -> &'static AttributeDef {
    path::parse_attr_path(name, &USER).expect("known").attr()
}

#[test]
fn entra_create_body_becomes_canonical() {
    let body = json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER],
        "externalId": "alice",
        "userName": "alice@contoso.com",
        "active": "True",
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alice A", "familyName": "A", "givenName": "Alice"},
        "roles": [],
        "addresses": null, "phoneNumbers": null, "title": null, "manager": null,
        urn::ENTERPRISE_USER: {"department": "Sales", "employeeNumber": "42"}
    });
    assert_eq!(
        user(body).expect("accepted"),
        json!({
            "externalId": "alice",
            "userName": "alice@contoso.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
            "name": {"formatted": "Alice A", "familyName": "A", "givenName": "Alice"},
            urn::ENTERPRISE_USER: {"department": "Sales", "employeeNumber": "42"}
        })
    );
}

#[test]
fn okta_create_body_ignores_read_only_groups_and_keeps_password() {
    let body = json!({
        "schemas": [urn::USER],
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
        "displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [], "password": "pw", "active": true, "id": "ignored",
    });
    assert_eq!(
        user(body).expect("accepted"),
        json!({
            "userName": "test.user@okta.local",
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
            "displayName": "Test User", "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7", "password": "pw", "active": true
        })
    );
}

#[test]
fn keys_match_case_insensitively_and_take_canonical_spelling() {
    let got = user(json!({"USERNAME": "a", "Name": {"GivenName": "A"}, "EMAILS": [{"Value": "a@x", "TYPE": "work"}]}))
            .expect("accepted");
    assert_eq!(
        got,
        json!({"userName": "a", "name": {"givenName": "A"}, "emails": [{"value": "a@x", "type": "work"}]})
    );
}

#[test]
fn extension_attributes_by_full_urn_key_and_dotted_core_keys() {
    let got = user(json!({
        "userName": "a",
        "name.givenName": "A",
        "name": {"familyName": "B"},
        format!("{}:department", urn::ENTERPRISE_USER): "Sales",
        "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"costCenter": "7"},
    }))
    .expect("accepted");
    assert_eq!(
        got,
        json!({
            "userName": "a",
            "name": {"givenName": "A", "familyName": "B"},
            urn::ENTERPRISE_USER: {"department": "Sales", "costCenter": "7"}
        })
    );
}

#[test]
fn entra_group_create_tolerates_unknown_schema_and_empty_members() {
    let body = json!({
        "schemas": [urn::GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "obj-1", "displayName": "Sales", "meta": {"resourceType": "Group"},
        "members": []
    });
    assert_eq!(
        normalize_resource(&body, &GROUP).expect("accepted"),
        json!({"externalId": "obj-1", "displayName": "Sales"})
    );
}

#[test]
fn members_keep_value_type_and_display_and_are_deduplicated() {
    let body = json!({
        "displayName": "Sales",
        "members": [
            {"value": "u1", "display": "Alice", "$ref": "https://x/Users/u1"},
            {"$ref": null, "value": "u2", "type": "User"},
            {"value": "u1", "display": "Alice again"}
        ]
    });
    assert_eq!(
        normalize_resource(&body, &GROUP).expect("accepted"),
        json!({"displayName": "Sales", "members": [{"value": "u1", "display": "Alice"}, {"value": "u2", "type": "User"}]})
    );
    let err = normalize_resource(
        &json!({"displayName": "S", "members": [{"display": "x"}]}),
        &GROUP,
    )
    .unwrap_err();
    assert_eq!(err, NormalizeError::MissingValue("members".into()));
    assert_eq!(err.scim_type(), "invalidValue");
}

#[test]
fn manager_shapes_all_become_value_objects() {
    let manager = user_attr("manager");
    let expected = json!({"value": "m1"});
    for shape in [
        json!("m1"),
        json!({"value": "m1"}),
        json!({"value": "m1", "$ref": "https://x/Users/m1", "displayName": "Boss"}),
        json!([{"$ref": "https://x/Users/m1", "value": "m1"}]),
    ] {
        assert_eq!(
            normalize_attr_value(manager, &shape, &USER).expect("accepted"),
            expected,
            "{shape}"
        );
    }
    for empty in [json!(""), json!({"value": ""}), json!([]), json!({})] {
        assert_eq!(
            normalize_attr_value(manager, &empty, &USER),
            Ok(Value::Null),
            "{empty}"
        );
    }
    assert_eq!(
        normalize_attr_value(manager, &json!([{"value": "a"}, {"value": "b"}]), &USER),
        Err(NormalizeError::NotSingleValued("manager".into()))
    );
    assert_eq!(
        normalize_attr_value(manager, &json!({"$ref": "https://x"}), &USER),
        Err(NormalizeError::MissingValue("manager".into()))
    );
    let got = user(json!({
        "userName": "a",
        format!("{}:manager.$ref", urn::ENTERPRISE_USER): "https://x/Users/m1",
        format!("{}:manager.value", urn::ENTERPRISE_USER): "m1",
    }))
    .expect("accepted");
    assert_eq!(
        got,
        json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": {"value": "m1"}}})
    );
    let got = user(json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": [{"value": "m1"}]}}))
        .expect("accepted");
    assert_eq!(
        got,
        json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": {"value": "m1"}}})
    );
}

#[test]
fn string_booleans_are_coerced_and_other_values_refused() {
    let active = user_attr("active");
    for (given, expected) in [
        ("True", true),
        ("false", false),
        ("FALSE", false),
        ("true", true),
    ] {
        assert_eq!(
            normalize_attr_value(active, &json!(given), &USER),
            Ok(json!(expected))
        );
    }
    for bad in [json!("yes"), json!(1), json!({"v": true})] {
        let err = normalize_attr_value(active, &bad, &USER).unwrap_err();
        assert_eq!(err.scim_type(), "invalidValue", "{bad}");
    }
    let got = user(json!({"userName": "a", "emails": [{"value": "a@x", "primary": "True"}]}))
        .expect("accepted");
    assert_eq!(got["emails"][0]["primary"], json!(true));
}

#[test]
fn onelogin_single_email_object_is_wrapped() {
    let got = user(json!({"userName": "a", "emails": {"value": "a@x"}})).expect("accepted");
    assert_eq!(got["emails"], json!([{"value": "a@x"}]));
}

#[test]
fn type_checks() {
    let cases = [
        (
            json!({"userName": 5}),
            "attribute \"userName\" must be a string, got the number 5",
        ),
        (
            json!({"userName": "a", "name": "Ann"}),
            "attribute \"name\" must be an object, got the string \"Ann\"",
        ),
        (
            json!({"userName": "a", "emails": ["a@x"]}),
            "attribute \"emails\" must be an object, got the string \"a@x\"",
        ),
        (
            json!({"userName": "a", "name": {"givenName": ["A"]}}),
            "attribute \"name.givenName\" is single-valued but an array was given",
        ),
        (
            json!({"userName": ["a"]}),
            "attribute \"userName\" is single-valued but an array was given",
        ),
        (
            json!({"userName": "a", "emails": [[{"value": "x"}]]}),
            "attribute \"emails\" must be an array of values, not of arrays, got a nested array",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            user(body.clone()).unwrap_err().to_string(),
            message,
            "{body}"
        );
    }
}

#[test]
fn unknown_attributes_are_named() {
    let cases = [
        (json!({"userName": "a", "nickname2": "x"}), "nickname2"),
        (json!({"userName": "a", "name": {"nick": "x"}}), "name.nick"),
        (
            json!({"userName": "a", "emails": [{"value": "a@x", "label": "w"}]}),
            "emails.label",
        ),
        (
            json!({"userName": "a", urn::ENTERPRISE_USER: {"badge": "1"}}),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge",
        ),
        (
            json!({"userName": "a", "urn:ietf:params:scim:schemas:extension:custom:2.0:User:x": "1"}),
            "urn:ietf:params:scim:schemas:extension:custom:2.0:User:x",
        ),
    ];
    for (body, name) in cases {
        let err = user(body.clone()).unwrap_err();
        assert_eq!(err, NormalizeError::UnknownAttribute(name.into()), "{body}");
        assert_eq!(err.scim_type(), "invalidSyntax");
    }
}

#[test]
fn structural_errors() {
    assert_eq!(user(json!(["a"])), Err(NormalizeError::NotAnObject));
    assert_eq!(
        user(json!({"userName": "a", urn::ENTERPRISE_USER: "Sales"})),
        Err(NormalizeError::ExtensionNotObject(
            urn::ENTERPRISE_USER.into()
        ))
    );
    assert_eq!(
        user(json!({"userName": "a", "emails.value": "a@x"})),
        Err(NormalizeError::SubOfMultiValued("emails.value".into()))
    );
}

#[test]
fn required_attributes_must_be_present() {
    assert_eq!(
        user(json!({"displayName": "A", "userName": null})),
        Err(NormalizeError::Required("userName".into()))
    );
    assert_eq!(
        normalize_resource(&json!({"members": []}), &GROUP),
        Err(NormalizeError::Required("displayName".into()))
    );
}

#[test]
fn read_only_attribute_named_directly_is_a_mutability_error() {
    let groups = user_attr("groups");
    let err = normalize_attr_value(groups, &json!([]), &USER).unwrap_err();
    assert_eq!(err.scim_type(), "mutability");
}

#[test]
fn empty_values_are_unassigned() {
    let got = user(json!({"userName": "a", "name": {"givenName": null}, "emails": [{}], "roles": [{"value": null}],
            urn::ENTERPRISE_USER: {"manager": {}, "department": null}}))
            .expect("accepted");
    assert_eq!(got, json!({"userName": "a"}));
    assert_eq!(
        normalize_attr_value(user_attr("emails"), &json!([]), &USER),
        Ok(Value::Null)
    );
    let group = json!({"displayName": "S", "members": [{}, {"value": null}]});
    assert_eq!(
        normalize_resource(&group, &GROUP),
        Ok(json!({"displayName": "S"}))
    );
}

#[test]
fn datetime_values_are_validated() {
    // No writable dateTime in the core schemas: check the scalar rule on meta's table.
    let created = user_attr("meta").sub("created").expect("meta.created");
    assert!(normalize_scalar(created, "meta.created", &json!("2011-05-13T04:42:34Z")).is_ok());
    assert!(normalize_scalar(created, "meta.created", &json!("2011-05-13T04:42:34")).is_ok());
    assert!(normalize_scalar(created, "meta.created", &json!("last tuesday")).is_err());
}

#[test]
fn recanonicalize_restores_the_canonical_form_and_keeps_store_owned_keys() {
    let mut group = json!({
        "schemas": [urn::GROUP], "id": "g1", "meta": {"version": "W/\"1\""},
        "displayName": "Sales",
        "members": [{"value": "u1"}, {"value": "u1", "type": "User"}, {}],
        "externalId": null
    });
    let Value::Object(map) = &mut group else {
        panic!("object")
    };
    recanonicalize(map, &GROUP).expect("canonical");
    assert_eq!(
        group,
        json!({"schemas": [urn::GROUP], "id": "g1", "meta": {"version": "W/\"1\""},
                   "displayName": "Sales", "members": [{"value": "u1"}]})
    );
    let mut user = json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": {"$ref": "x"}}});
    let Value::Object(map) = &mut user else {
        panic!("object")
    };
    assert_eq!(
        recanonicalize(map, &USER),
        Err(NormalizeError::MissingValue("manager".into()))
    );
    let mut user = json!({"userName": "a", urn::ENTERPRISE_USER: {"department": null}});
    let Value::Object(map) = &mut user else {
        panic!("object")
    };
    recanonicalize(map, &USER).expect("canonical");
    assert_eq!(user, json!({"userName": "a"}));
}

#[test]
fn prune_drops_nulls_and_empties_depth_first() {
    let mut v = json!({"a": null, "b": [], "c": {"d": {}}, "e": [{"f": null}, {"g": 1}], "h": ""});
    assert!(prune(&mut v));
    assert_eq!(v, json!({"e": [{"g": 1}], "h": ""}));
}
