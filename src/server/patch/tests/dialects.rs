//! The PATCH bodies each IdP really sends: Entra's default and flagged dialects, the
//! manager shapes, Okta's.

use super::*;

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
