//! RFC 7644 §3.5.2 semantics whatever the IdP, and the refusals (every one a 400).

use super::*;

// ----- RFC 7644 semantics ------------------------------------------------------------

#[test]
fn pathless_add_merges_nested_objects_and_extension_objects() {
    let got = patched(
        alice(),
        json!([{"op": "add", "value": {
            "name": {"middleName": "B"},
            ENT: {"department": "Sales"},
            "schemas": ["ignored"],
            "meta": {"version": "ignored"}
        }}]),
        &USER,
    );
    let expected = alice_with(|u| {
        u["name"]["middleName"] = json!("B");
        u[ENT]["department"] = json!("Sales");
    });
    assert_eq!(got, expected);
}

#[test]
fn complex_single_valued_merges_for_add_and_replace() {
    for op in ["add", "replace"] {
        let got = patched(
            alice(),
            json!([{"op": op, "path": "name", "value": {"givenName": "Al"}}]),
            &USER,
        );
        assert_eq!(
            got["name"],
            json!({"givenName": "Al", "familyName": "Adams"}),
            "{op}"
        );
    }
}

#[test]
fn multi_valued_add_appends_unless_equal_and_replace_replaces() {
    let extra = json!({"value": "h@x", "type": "home"});
    let same = json!({"value": "alice@contoso.com", "type": "work", "primary": "True"});
    let got = patched(
        alice(),
        json!([{"op": "add", "path": "emails", "value": [same.clone(), extra.clone()]}]),
        &USER,
    );
    assert_eq!(
        got["emails"],
        json!([{"value": "alice@contoso.com", "type": "work", "primary": true}, extra])
    );
    let got = patched(
        alice(),
        json!([{"op": "replace", "path": "emails", "value": [extra.clone()]}]),
        &USER,
    );
    assert_eq!(got["emails"], json!([extra]));
    // OneLogin: one object instead of an array.
    let got = patched(
        alice(),
        json!([{"op": "replace", "path": "emails", "value": extra.clone()}]),
        &USER,
    );
    assert_eq!(got["emails"], json!([extra]));
}

#[test]
fn value_path_add_merges_and_replace_swaps_the_element() {
    let path = "emails[type eq \"work\"]";
    let got = patched(
        alice(),
        json!([{"op": "add", "path": path, "value": {"display": "Work"}}]),
        &USER,
    );
    assert_eq!(
        got["emails"],
        json!([{"value": "alice@contoso.com", "type": "work", "primary": true, "display": "Work"}])
    );
    let got = patched(
        alice(),
        json!([{"op": "replace", "path": path, "value": {"value": "n@x", "type": "work"}}]),
        &USER,
    );
    assert_eq!(got["emails"], json!([{"value": "n@x", "type": "work"}]));
}

#[test]
fn sub_attribute_of_multi_valued_without_filter_addresses_every_value() {
    let two =
        alice_with(|u| u["emails"] = json!([{"value": "w@x", "type": "work"}, {"value": "h@x"}]));
    let got = patched(
        two,
        json!([{"op": "replace", "path": "emails.type", "value": "other"}]),
        &USER,
    );
    assert_eq!(
        got["emails"],
        json!([{"value": "w@x", "type": "other"}, {"value": "h@x", "type": "other"}])
    );
    let none = alice_with(|u| {
        u.shift_remove("emails");
    });
    let got = patched(
        none,
        json!([{"op": "add", "path": "emails.value", "value": "n@x"}]),
        &USER,
    );
    assert_eq!(got["emails"], json!([{"value": "n@x"}]));
}

#[test]
fn replace_with_null_or_empty_string_clears_single_valued() {
    let got = patched(
        alice(),
        json!([{"op": "replace", "path": "displayName", "value": ""},
                   {"op": "Replace", "path": "name.givenName", "value": null},
                   {"op": "replace", "value": {"name.familyName": ""}}]),
        &USER,
    );
    assert_eq!(
        got,
        alice_with(|u| {
            u.shift_remove("displayName");
            u.shift_remove("name");
        })
    );
}

#[test]
fn remove_is_idempotent() {
    for op in [
        json!({"op": "remove", "path": "nickName"}),
        json!({"op": "remove", "path": "name.middleName"}),
        json!({"op": "remove", "path": "phoneNumbers[type eq \"fax\"]"}),
        json!({"op": "remove", "path": "addresses"}),
    ] {
        assert_eq!(
            patched(alice(), json!([op.clone()]), &USER),
            alice(),
            "{op}"
        );
    }
    let op = json!({"op": "remove", "path": "members[value eq \"nobody\"]"});
    assert_eq!(patched(sales(), json!([op]), &GROUP), sales());
}

#[test]
fn remove_sub_attribute_of_value_path() {
    let two = alice_with(|u| {
        u["emails"] = json!([
            {"value": "w@x", "type": "work", "primary": true},
            {"value": "h@x", "type": "home"}
        ])
    });
    let got = patched(
        two.clone(),
        json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
        &USER,
    );
    assert_eq!(
        got["emails"],
        json!([{"value": "w@x", "type": "work"}, {"value": "h@x", "type": "home"}])
    );
    let got = patched(
        two,
        json!([{"op": "remove", "path": "emails[type eq \"work\"].value"}]),
        &USER,
    );
    assert_eq!(got["emails"], json!([{"value": "h@x", "type": "home"}]));
}

#[test]
fn multi_valued_remove_without_value_removes_all() {
    let got = patched(alice(), json!([{"op": "Remove", "path": "emails"}]), &USER);
    assert!(got.get("emails").is_none());
    let got = patched(
        alice(),
        json!([{"op": "Remove", "path": "emails", "value": null}]),
        &USER,
    );
    assert!(got.get("emails").is_none(), "a null value is no value");
}

#[test]
fn op_names_are_case_insensitive() {
    let got = patched(
        alice(),
        json!([{"op": "ADD", "path": "title", "value": "x"}, {"Op": "rEpLaCe", "Path": "nickName", "Value": "y"}]),
        &USER,
    );
    assert_eq!(
        (got["title"].clone(), got["nickName"].clone()),
        (json!("x"), json!("y"))
    );
}

// ----- refusals ----------------------------------------------------------------------

#[test]
fn malformed_bodies_are_invalid_syntax() {
    for (body, detail) in [
            (json!([]), "invalid PATCH request: the body must be a JSON object"),
            (json!({"schemas": [urn::PATCH_OP]}), "invalid PATCH request: the body has no \"Operations\""),
            (json!({"Operations": {}}), "invalid PATCH request: \"Operations\" must be an array"),
            (json!({"Operations": []}), "invalid PATCH request: \"Operations\" is empty"),
            (json!({"Operations": [{"op": "merge", "path": "title", "value": "x"}]}),
             "invalid PATCH request: Operations[0]: unknown op \"merge\", expected add, replace or remove"),
            (json!({"Operations": [{"path": "title", "value": "x"}]}), "invalid PATCH request: Operations[0]: has no \"op\""),
            (json!({"Operations": [{"op": "add", "path": "title"}]}), "invalid PATCH request: Operations[0]: add needs a \"value\""),
            (json!({"Operations": [{"op": "replace", "value": "x"}]}),
             "invalid PATCH request: Operations[0]: without a \"path\", \"value\" must be an object of attributes"),
        ] {
            let err = refused(alice(), body.clone(), &USER);
            assert_eq!(err.scim_type(), "invalidSyntax", "{body}");
            assert_eq!(err.to_string(), detail);
        }
}

#[test]
fn remove_without_path_is_no_target() {
    let err = refused_ops(
        alice(),
        json!([{"op": "remove", "value": {"title": "x"}}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "noTarget");
}

#[test]
fn bad_paths_are_invalid_path_or_invalid_filter() {
    for (path, scim_type) in [
        ("nickname2", "invalidPath"),
        ("name.nick", "invalidPath"),
        ("emails[type eq \"work\"", "invalidPath"),
        ("emails[type eq \"work\"]x", "invalidPath"),
        ("emails[typo eq \"work\"].value", "invalidFilter"),
        ("emails[type eq].value", "invalidFilter"),
    ] {
        let err = refused_ops(
            alice(),
            json!([{"op": "replace", "path": path, "value": "x"}]),
            &USER,
        );
        assert_eq!(err.scim_type(), scim_type, "{path}: {err}");
    }
    let err = refused_ops(
        alice(),
        json!([{"op": "replace", "value": {"nickname2": "x"}}]),
        &USER,
    );
    assert_eq!(
        err.to_string(),
        "Operations[0]: unknown attribute \"nickname2\""
    );
    assert_eq!(err.scim_type(), "invalidPath");
}

#[test]
fn read_only_targets_are_mutability_errors() {
    for op in [
        json!({"op": "add", "path": "groups", "value": [{"value": "g1"}]}),
        json!({"op": "remove", "path": "groups"}),
        json!({"op": "replace", "path": "meta.version", "value": "W/\"2\""}),
        json!({"op": "replace", "path": "id", "value": "u2"}),
        json!({"op": "replace", "path": format!("{ENT}:manager.displayName"), "value": "Bob"}),
    ] {
        let err = refused_ops(alice(), json!([op.clone()]), &USER);
        assert_eq!(err.scim_type(), "mutability", "{op}");
    }
    // Restating a readOnly value is not a change: the current id, or Okta echoing an
    // empty `groups` in a path-less value.
    let got = patched(
        alice(),
        json!([{"op": "replace", "value": {"groups": [], "title": "t"}}]),
        &USER,
    );
    assert_eq!(got["title"], json!("t"));
    let err = refused_ops(
        alice(),
        json!([{"op": "replace", "value": {"groups": [{"value": "g1"}]}}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "mutability");
    assert_eq!(
        patched(
            alice(),
            json!([{"op": "replace", "path": "id", "value": "u1"}]),
            &USER
        ),
        alice()
    );
}

#[test]
fn invalid_values_are_refused() {
    let err = refused_ops(
        alice(),
        json!([{"op": "replace", "path": "active", "value": "maybe"}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "invalidValue");
    assert_eq!(
        err.to_string(),
        "Operations[0]: attribute \"active\" must be a boolean, got the string \"maybe\""
    );
    let err = refused_ops(
        alice(),
        json!([{"op": "replace", "path": "displayName", "value": ["a", "b"]}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "invalidSyntax");
}

#[test]
fn a_failing_operation_undoes_the_earlier_ones() {
    let err = refused_ops(
        alice(),
        json!([{"op": "replace", "path": "displayName", "value": "Changed"},
                   {"op": "remove", "path": "emails"},
                   {"op": "replace", "path": "nope", "value": "x"}]),
        &USER,
    );
    assert!(matches!(err, PatchError::Path { op: 2, .. }), "{err:?}");
}

#[test]
fn removing_a_required_attribute_is_refused() {
    let err = refused_ops(
        alice(),
        json!([{"op": "remove", "path": "userName"}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "invalidValue");
    let err = refused_ops(
        sales(),
        json!([{"op": "replace", "path": "displayName", "value": ""}]),
        &GROUP,
    );
    assert_eq!(
        err.to_string(),
        "the patched resource would be invalid: required attribute \"displayName\" is missing"
    );
}

#[test]
fn store_owned_keys_are_left_alone() {
    let got = patched(
        alice(),
        json!([{"op": "replace", "value": {"meta": {"version": "x"}, "schemas": [], "id": "u1", "title": "t"}}]),
        &USER,
    );
    assert_eq!(
        got,
        alice_with(|u| {
            u.insert("title".into(), json!("t"));
        })
    );
}
