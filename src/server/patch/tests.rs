use super::*;
use crate::scim::schema::{GROUP, USER};
use crate::scim::urn;
use serde_json::json;

const ENT: &str = urn::ENTERPRISE_USER;

fn meta() -> Value {
    json!({"resourceType": "User", "created": "2024-01-01T00:00:00Z",
               "lastModified": "2024-01-01T00:00:00Z", "version": "W/\"1\""})
}

/// A stored user: canonical, with the store-owned keys.
fn alice() -> Value {
    json!({
        "schemas": [urn::USER, ENT],
        "id": "u1",
        "meta": meta(),
        "userName": "alice@contoso.com",
        "active": true,
        "displayName": "Alice",
        "name": {"givenName": "Alice", "familyName": "Adams"},
        "emails": [{"value": "alice@contoso.com", "type": "work", "primary": true}],
        ENT: {"employeeNumber": "1", "manager": {"value": "m1"}}
    })
}

fn sales() -> Value {
    json!({
        "schemas": [urn::GROUP],
        "id": "g1",
        "meta": meta(),
        "displayName": "Sales",
        "members": [{"value": "u1"}, {"value": "u2", "type": "User"}]
    })
}

/// Applies `ops` with the PatchOp envelope and returns the result.
fn patched(mut resource: Value, ops: Value, rt: &'static ResourceTypeDef) -> Value {
    let body = json!({"schemas": [urn::PATCH_OP], "Operations": ops});
    apply_patch(&mut resource, &body, rt).unwrap_or_else(|e| panic!("{e}"));
    resource
}

/// Applies `body` expecting an error, and checks the resource was left untouched.
fn refused(resource: Value, body: Value, rt: &'static ResourceTypeDef) -> PatchError {
    let mut copy = resource.clone();
    let err = apply_patch(&mut copy, &body, rt).expect_err("refused");
    assert_eq!(copy, resource, "resource changed by a failed PATCH");
    err
}

fn refused_ops(resource: Value, ops: Value, rt: &'static ResourceTypeDef) -> PatchError {
    refused(resource, json!({"Operations": ops}), rt)
}

/// `alice()` with `edit` applied, for stating expected results as differences.
fn alice_with(edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut user = alice();
    if let Value::Object(map) = &mut user {
        edit(map);
    }
    user
}

// ----- Entra default dialect (idp-behavior.md §1.4) -------------------------------------

#[test]
fn entra_default_dialect_update() {
    let got = patched(
        alice(),
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Smith"},
            {"op": "Replace", "path": format!("{ENT}:employeeNumber"), "value": "42"},
            {"op": "Add", "path": "nickName", "value": "Babs"}
        ]),
        &USER,
    );
    let expected = alice_with(|u| {
        u["emails"] = json!([{"value": "new@contoso.com", "type": "work", "primary": true}]);
        u["name"] = json!({"givenName": "Alice", "familyName": "Smith"});
        u[ENT]["employeeNumber"] = json!("42");
        u.insert("nickName".into(), json!("Babs"));
    });
    assert_eq!(got, expected);
}

#[test]
fn disable_and_enable_in_every_documented_shape() {
    for op in [
        json!({"op": "Replace", "path": "active", "value": "False"}),
        json!({"op": "replace", "path": "active", "value": false}),
        json!({"op": "Replace", "path": "active", "value": false}),
    ] {
        let got = patched(alice(), json!([op.clone()]), &USER);
        assert_eq!(got["active"], json!(false), "{op}");
    }
    let disabled = alice_with(|u| u["active"] = json!(false));
    let got = patched(
        disabled,
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
        &USER,
    );
    assert_eq!(got, alice());
}

#[test]
fn entra_soft_delete_renames_and_disables_in_one_patch() {
    let got = patched(
        alice(),
        json!([
            {"op": "Replace", "path": "userName", "value": "283405f5c2alice@contoso.com"},
            {"op": "Replace", "path": "active", "value": "False"}
        ]),
        &USER,
    );
    assert_eq!(
        got,
        alice_with(|u| {
            u["userName"] = json!("283405f5c2alice@contoso.com");
            u["active"] = json!(false);
        })
    );
}

#[test]
fn add_on_missing_filtered_element_creates_it() {
    let no_emails = alice_with(|u| {
        u.shift_remove("emails");
    });
    let got = patched(
        no_emails,
        json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@x"}]),
        &USER,
    );
    assert_eq!(got["emails"], json!([{"type": "work", "value": "a@x"}]));

    // Alongside an element of another type, a new one is made; the home one is untouched.
    let home_only = alice_with(|u| u["emails"] = json!([{"value": "h@x", "type": "home"}]));
    let got = patched(
        home_only,
        json!([{"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
                   {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@x"}]),
        &USER,
    );
    assert_eq!(
        got["emails"],
        json!([{"value": "h@x", "type": "home"}, {"type": "work", "value": "w@x"}])
    );
    assert_eq!(
        got["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555"}])
    );

    // Entra's address mapping: one sub-attribute at a time on the work address.
    let got = patched(
        alice(),
        json!([{"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
                   {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Springfield"}]),
        &USER,
    );
    assert_eq!(
        got["addresses"],
        json!([{"type": "work", "streetAddress": "1 Main St", "locality": "Springfield"}])
    );
}

#[test]
fn filtered_add_without_an_eq_conjunction_and_no_match_is_no_target() {
    let err = refused_ops(
        alice(),
        json!([{"op": "Add", "path": "emails[type eq \"home\" or type eq \"other\"].value", "value": "a@x"}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "noTarget");
    let err = refused_ops(
        alice(),
        json!([{"op": "replace", "path": "emails[value co \"nobody\"].type", "value": "home"}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "noTarget");
}

#[test]
fn entra_remove_with_value_removes_only_an_equal_value() {
    // Not the current work email: nothing happens.
    let op = json!({"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "old@x"});
    assert_eq!(patched(alice(), json!([op]), &USER), alice());
    // The current one (case-insensitively, emails.value is not caseExact): the email goes.
    let op = json!({"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "ALICE@contoso.com"});
    let got = patched(alice(), json!([op]), &USER);
    assert_eq!(
        got,
        alice_with(|u| {
            u.shift_remove("emails");
        })
    );
    // Single-valued attributes too: "False" is compared as the boolean false.
    let op = json!({"op": "Remove", "path": "active", "value": "False"});
    assert_eq!(patched(alice(), json!([op]), &USER), alice());
    let op = json!({"op": "Remove", "path": "displayName", "value": "alice"});
    assert!(patched(alice(), json!([op]), &USER)
        .get("displayName")
        .is_none());
}

#[test]
fn entra_group_add_members_batched_and_deduplicated() {
    let got = patched(
        sales(),
        json!([{"op": "Add", "path": "members", "value": [
            {"$ref": null, "value": "u3"}, {"$ref": null, "value": "u1"}, {"value": "u3"}
        ]}]),
        &GROUP,
    );
    assert_eq!(
        got["members"],
        json!([{"value": "u1"}, {"value": "u2", "type": "User"}, {"value": "u3"}])
    );
}

#[test]
fn entra_default_remove_members_by_value_list_never_removes_all() {
    let got = patched(
        sales(),
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}, {"value": "nobody"}]}]),
        &GROUP,
    );
    assert_eq!(got["members"], json!([{"value": "u1"}]));
    // An empty list removes nothing.
    let got = patched(
        sales(),
        json!([{"op": "Remove", "path": "members", "value": []}]),
        &GROUP,
    );
    assert_eq!(got, sales());
    // Without a value, remove clears the attribute (RFC 7644 §3.5.2.2).
    let got = patched(
        sales(),
        json!([{"op": "remove", "path": "members"}]),
        &GROUP,
    );
    assert!(got.get("members").is_none());
    assert_eq!(got["displayName"], json!("Sales"));
}

#[test]
fn entra_group_rename() {
    let got = patched(
        sales(),
        json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]),
        &GROUP,
    );
    let mut expected = sales();
    expected["displayName"] = json!("Sales EMEA");
    assert_eq!(got, expected);
}

#[test]
fn entra_roles_with_json_encoded_value_are_stored_verbatim() {
    let role = "{\"id\":\"r1\",\"value\":\"Admin\",\"displayName\":\"Admin\"}";
    let got = patched(
        alice(),
        json!([{"op": "Add", "path": "roles", "value": [{"value": role}]}]),
        &USER,
    );
    assert_eq!(got["roles"], json!([{"value": role}]));
}

// ----- Entra aadOptscim062020 -------------------------------------------------------------

#[test]
fn flag_dialect_pathless_replace_with_dotted_and_urn_keys() {
    let got = patched(
        alice(),
        json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
            {"op": "replace", "value": {
                "displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
                format!("{ENT}:employeeNumber"): "Aklq"
            }}
        ]),
        &USER,
    );
    let expected = alice_with(|u| {
        u["emails"][0]["value"] = json!("new@contoso.com");
        u["displayName"] = json!("Bjfe");
        u["name"] = json!({"givenName": "Kkom", "familyName": "Unua"});
        u[ENT]["employeeNumber"] = json!("Aklq");
    });
    assert_eq!(got, expected);
    assert!(got.get("name.givenName").is_none());
}

#[test]
fn flag_dialect_add_and_member_removal_by_filter() {
    let got = patched(
        alice(),
        json!([{"op": "add", "path": "title", "value": "CEO"}]),
        &USER,
    );
    assert_eq!(got["title"], json!("CEO"));
    let got = patched(
        sales(),
        json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]),
        &GROUP,
    );
    assert_eq!(got["members"], json!([{"value": "u2", "type": "User"}]));
}

// ----- Manager (§1.5) -----------------------------------------------------------------

fn without_manager() -> Value {
    alice_with(|u| u[ENT] = json!({"employeeNumber": "1"}))
}

#[test]
fn manager_is_stored_as_value_object_from_every_shape() {
    for op in [
        json!({"op": "add", "path": format!("{ENT}:manager"), "value": "m2"}),
        json!({"op": "Add", "path": "manager", "value": [{"$ref": "https://x/Users/m2", "value": "m2"}]}),
        json!({"op": "Replace", "path": format!("{ENT}:manager"), "value": {"value": "m2", "displayName": "Bob"}}),
        json!({"op": "replace", "value": {ENT: {"manager": {"value": "m2", "$ref": "https://x/Users/m2"}}}}),
        json!({"op": "replace", "path": format!("{ENT}:manager.value"), "value": "m2"}),
    ] {
        for start in [alice(), without_manager()] {
            let got = patched(start, json!([op.clone()]), &USER);
            assert_eq!(
                got[ENT],
                json!({"employeeNumber": "1", "manager": {"value": "m2"}}),
                "{op}"
            );
        }
    }
}

#[test]
fn manager_removal_shapes() {
    let path = format!("{ENT}:manager");
    // Remove with the current id (string or object), by filter, or by path alone.
    for op in [
        json!({"op": "Remove", "path": path, "value": "m1"}),
        json!({"op": "Remove", "path": path, "value": {"value": "m1"}}),
        json!({"op": "remove", "path": format!("{path}[value eq \"m1\"]")}),
        json!({"op": "remove", "path": "manager[value eq \"m1\"]"}),
        json!({"op": "Remove", "path": path}),
        // Microsoft's validator clears with an empty replace.
        json!({"op": "Replace", "path": path, "value": ""}),
        json!({"op": "Replace", "path": path, "value": {"value": ""}}),
    ] {
        let got = patched(alice(), json!([op.clone()]), &USER);
        assert_eq!(got, without_manager(), "{op}");
    }
    // Another manager's id: no-op.
    for op in [
        json!({"op": "Remove", "path": path, "value": "m9"}),
        json!({"op": "remove", "path": format!("{path}[value eq \"m9\"]")}),
    ] {
        assert_eq!(
            patched(alice(), json!([op.clone()]), &USER),
            alice(),
            "{op}"
        );
    }
}

#[test]
fn removing_the_last_extension_attribute_drops_the_extension_object() {
    let got = patched(
        alice(),
        json!([{"op": "remove", "path": format!("{ENT}:manager")},
                   {"op": "remove", "path": format!("{ENT}:employeeNumber")}]),
        &USER,
    );
    assert!(got.get(ENT).is_none(), "{got}");
    assert_eq!(
        got["schemas"],
        alice()["schemas"],
        "schemas are the store's to change"
    );
}

#[test]
fn manager_ref_sub_path_never_leaves_more_than_the_id() {
    let path = format!("{ENT}:manager.$ref");
    let got = patched(
        alice(),
        json!([{"op": "add", "path": path, "value": "https://x/Users/m1"}]),
        &USER,
    );
    assert_eq!(got, alice());
    // A manager with no id at all is refused rather than stored half-made.
    let err = refused_ops(
        without_manager(),
        json!([{"op": "add", "path": path, "value": "https://x/Users/m1"}]),
        &USER,
    );
    assert_eq!(err.scim_type(), "invalidValue");
}

// ----- Okta (§2.4, §2.5) --------------------------------------------------------------

#[test]
fn okta_deactivate_pathless_without_schemas() {
    let mut user = alice();
    let body = json!({"Operations": [{"op": "replace", "value": {"active": false}}]});
    apply_patch(&mut user, &body, &USER).expect("accepted");
    assert_eq!(user, alice_with(|u| u["active"] = json!(false)));
}

#[test]
fn okta_group_rename_carries_the_group_id() {
    let got = patched(
        sales(),
        json!([{"op": "replace", "value": {"id": "g1", "displayName": "Sales 2"}}]),
        &GROUP,
    );
    let mut expected = sales();
    expected["displayName"] = json!("Sales 2");
    assert_eq!(got, expected);
    let err = refused_ops(
        sales(),
        json!([{"op": "replace", "value": {"id": "other", "displayName": "Sales 2"}}]),
        &GROUP,
    );
    assert_eq!(err.scim_type(), "mutability");
}

#[test]
fn okta_membership_remove_and_add_in_one_body() {
    let got = patched(
        sales(),
        json!([
            {"op": "remove", "path": "members[value eq \"u2\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u3", "display": "test.user@okta.local"}]}
        ]),
        &GROUP,
    );
    // Okta's `display` is kept: member sub-attributes are the client's (RFC 7643 §4.2).
    assert_eq!(
        got["members"],
        json!([{"value": "u1"}, {"value": "u3", "display": "test.user@okta.local"}])
    );
}

#[test]
fn okta_full_push_replaces_all_members() {
    let got = patched(
        sales(),
        json!([{"op": "replace", "path": "members", "value": [{"value": "u9", "display": "x"}]}]),
        &GROUP,
    );
    assert_eq!(got["members"], json!([{"value": "u9", "display": "x"}]));
    let got = patched(
        sales(),
        json!([{"op": "replace", "path": "members", "value": []}]),
        &GROUP,
    );
    assert!(got.get("members").is_none());
}

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
