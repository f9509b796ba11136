//! Every PATCH shape real IdPs send (idp-behavior.md §1.4–1.7, §1.9, §2.4–2.5), applied over
//! HTTP to the reference server and read back.

mod common;

use common::{Api, ENTERPRISE};
use reqwest::StatusCode;
use serde_json::json;

async fn alice(api: &Api) -> (String, String) {
    let id = api
        .user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "alice@contoso.com",
            "active": true,
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"type": "work", "value": "alice@contoso.com", "primary": true}]
        }))
        .await;
    let path = format!("/Users/{id}");
    (id, path)
}

#[tokio::test]
async fn entra_default_dialect_capitalised_ops_and_string_booleans() {
    let api = Api::start().await;
    let (_, path) = alice(&api).await;
    let back = api
        .patch_and_read(
            &path,
            json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "name.familyName", "value": "Jones"},
                {"op": "Add", "path": "nickName", "value": "Ali"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "42"}
            ]),
        )
        .await;
    assert_eq!(
        back["active"],
        json!(false),
        "string \"False\" stored as boolean"
    );
    assert_eq!(back["name"]["familyName"], "Jones");
    assert_eq!(
        back["name"]["givenName"], "Alice",
        "sibling sub-attribute kept"
    );
    assert_eq!(back["nickName"], "Ali");
    assert_eq!(back[ENTERPRISE]["employeeNumber"], "42");

    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "REPLACE", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(back["active"], json!(true));
}

#[tokio::test]
async fn flag_dialect_pathless_replace_with_dotted_and_urn_keys() {
    let api = Api::start().await;
    let (_, path) = alice(&api).await;
    let back = api
        .patch_and_read(
            &path,
            json!([
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
                {"op": "replace", "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    format!("{ENTERPRISE}:employeeNumber"): "Aklq"
                }},
                {"op": "replace", "path": "active", "value": false}
            ]),
        )
        .await;
    assert_eq!(back["displayName"], "Bjfe");
    assert_eq!(back["name"]["givenName"], "Kkom");
    assert_eq!(back["name"]["familyName"], "Unua");
    assert!(
        back.get("name.givenName").is_none(),
        "no literal dotted attribute"
    );
    assert_eq!(back[ENTERPRISE]["employeeNumber"], "Aklq");
    assert_eq!(back["emails"][0]["value"], "new@contoso.com");
    assert_eq!(back["emails"].as_array().map(Vec::len), Some(1));
    assert_eq!(back["active"], json!(false));
}

#[tokio::test]
async fn pathless_replace_with_nested_objects_merges() {
    let api = Api::start().await;
    let (_, path) = alice(&api).await;
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Replace", "value": {
                "name": {"givenName": "Alicia"},
                ENTERPRISE: {"department": "Sales"}
            }}]),
        )
        .await;
    assert_eq!(back["name"]["givenName"], "Alicia");
    assert_eq!(back["name"]["familyName"], "Smith");
    assert_eq!(back[ENTERPRISE]["department"], "Sales");
}

#[tokio::test]
async fn okta_pathless_deactivate_and_group_rename_with_id() {
    let api = Api::start().await;
    let (uid, path) = alice(&api).await;
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(back["active"], json!(false));

    let gid = api
        .group(json!({"displayName": "Eng", "members": []}))
        .await;
    let gpath = format!("/Groups/{gid}");
    let back = api
        .patch_and_read(
            &gpath,
            json!([
                {"op": "replace", "value": {"id": gid, "displayName": "Engineering"}},
                {"op": "add", "path": "members", "value": [{"value": uid, "display": "alice@contoso.com"}]}
            ]),
        )
        .await;
    assert_eq!(back["displayName"], "Engineering");
    assert_eq!(back["id"], gid.as_str());
    assert_eq!(back["members"][0]["value"], uid.as_str());

    // A different id in the value is an attempt to change an immutable attribute.
    let r = api
        .patch(
            &gpath,
            json!({"Operations": [{"op": "replace", "value": {"id": "other", "displayName": "X"}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["scimType"], "mutability");
    assert_eq!(api.get(&gpath).await.body["displayName"], "Engineering");
}

async fn group_of_three(api: &Api) -> (Vec<String>, String) {
    let mut ids = vec![];
    for n in ["a", "b", "c"] {
        ids.push(api.user(json!({"userName": format!("{n}@x.test")})).await);
    }
    let gid = api.group(json!({"displayName": "Sales"})).await;
    let path = format!("/Groups/{gid}");
    api.patch_and_read(
        &path,
        json!([{"op": "Add", "path": "members", "value": [
            {"$ref": null, "value": ids[0]}, {"$ref": null, "value": ids[1]}, {"$ref": null, "value": ids[2]}
        ]}]),
    )
    .await;
    (ids, path)
}

fn member_ids(group: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["value"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn entra_default_remove_members_by_value_list_removes_only_those() {
    let api = Api::start().await;
    let (ids, path) = group_of_three(&api).await;
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Remove", "path": "members", "value": [{"value": ids[1]}]}]),
        )
        .await;
    let mut expected = vec![ids[0].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(
        member_ids(&back),
        expected,
        "only the listed member removed, never all"
    );
}

#[tokio::test]
async fn flag_remove_member_by_value_filter() {
    let api = Api::start().await;
    let (ids, path) = group_of_three(&api).await;
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}]),
        )
        .await;
    let mut expected = vec![ids[1].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(member_ids(&back), expected);
}

#[tokio::test]
async fn remove_with_value_on_single_valued_attribute() {
    let api = Api::start().await;
    let (_, path) = alice(&api).await;
    // A value that is not the current one must not be taken as the new value.
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "someone-else@x"}]),
        )
        .await;
    assert_eq!(back["emails"][0]["value"], "alice@contoso.com");
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "alice@contoso.com"}]),
        )
        .await;
    let still_has_value = back["emails"]
        .as_array()
        .is_some_and(|a| a.iter().any(|e| e.get("value").is_some()));
    assert!(!still_has_value, "work email value removed: {back}");
}

#[tokio::test]
async fn manager_in_every_shape_is_returned_as_value_object() {
    let api = Api::start().await;
    let (_, path) = alice(&api).await;
    let boss = api.user(json!({"userName": "boss@x.test"})).await;
    let mpath = format!("{ENTERPRISE}:manager");
    for (op, value) in [
        ("add", json!(boss)),
        ("Replace", json!({"value": boss})),
        (
            "Add",
            json!([{"$ref": format!("../Users/{boss}"), "value": boss}]),
        ),
    ] {
        let back = api
            .patch_and_read(&path, json!([{"op": op, "path": mpath, "value": value}]))
            .await;
        // Stored as the id; returned with its `$ref` since the manager is a user here.
        assert_eq!(
            back[ENTERPRISE]["manager"],
            json!({"value": boss, "$ref": format!("{}/Users/{boss}", api.server.base_url())}),
            "shape {value}"
        );
    }
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Remove", "path": mpath, "value": boss}]),
        )
        .await;
    assert!(back
        .get(ENTERPRISE)
        .and_then(|e| e.get("manager"))
        .is_none());
}

#[tokio::test]
async fn add_on_missing_filtered_path_creates_the_element() {
    let api = Api::start().await;
    let id = api.user(json!({"userName": "noemail@x.test"})).await;
    let path = format!("/Users/{id}");
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@x.test"}]),
        )
        .await;
    assert_eq!(
        back["emails"],
        json!([{"type": "work", "value": "w@x.test"}])
    );
}

#[tokio::test]
async fn malformed_patch_is_rejected_and_changes_nothing() {
    let api = Api::start().await;
    let (_, path) = alice(&api).await;
    let before = api.get(&path).await.body;
    for (body, scim_type) in [
        (
            json!({"Operations": [{"op": "jump", "path": "active", "value": true}]}),
            "invalidSyntax",
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "nonsense", "value": 1}]}),
            "invalidPath",
        ),
        (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
        (
            json!({"Operations": [
                {"op": "replace", "path": "displayName", "value": "changed"},
                {"op": "replace", "path": "active", "value": "maybe"}
            ]}),
            "invalidValue",
        ),
    ] {
        let r = api.patch(&path, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["scimType"], scim_type, "{body} → {}", r.body);
        assert_eq!(r.body["status"], "400");
    }
    assert_eq!(
        api.get(&path).await.body,
        before,
        "failed PATCHes are atomic"
    );
}

#[tokio::test]
async fn path_naming_the_extension_urn_targets_the_whole_extension() {
    let api = Api::start().await;
    let boss = api.user(json!({"userName": "boss@x.test"})).await;
    let id = api
        .user(json!({"userName": "ext@x.test", ENTERPRISE: {"department": "Sales", "costCenter": "1"}}))
        .await;
    let path = format!("/Users/{id}");

    // add and replace set the sub-attributes given and keep the others (RFC 7644 §3.5.2.1/3).
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "add", "path": ENTERPRISE, "value": {
                "schemas": [ENTERPRISE], "employeeNumber": "7", "manager": {"value": boss}
            }}]),
        )
        .await;
    assert_eq!(
        back[ENTERPRISE],
        json!({"department": "Sales", "costCenter": "1", "employeeNumber": "7",
               "manager": {"value": boss, "$ref": format!("{}/Users/{boss}", api.server.base_url())}})
    );
    assert!(back["schemas"]
        .as_array()
        .is_some_and(|s| s.contains(&json!(ENTERPRISE))));
    let back = api
        .patch_and_read(
            &path,
            json!([{"op": "Replace", "path": ENTERPRISE, "value": {"department": "Ops"}}]),
        )
        .await;
    assert_eq!(back[ENTERPRISE]["department"], "Ops");
    assert_eq!(back[ENTERPRISE]["costCenter"], "1");

    let r = api
        .patch(
            &path,
            json!({"Operations": [{"op": "replace", "path": ENTERPRISE, "value": "Ops"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    let back = api
        .patch_and_read(&path, json!([{"op": "remove", "path": ENTERPRISE}]))
        .await;
    assert!(back.get(ENTERPRISE).is_none(), "{back}");
    assert!(!back["schemas"]
        .as_array()
        .is_some_and(|s| s.contains(&json!(ENTERPRISE))));
    // An unknown extension URN is still an unknown attribute.
    let r = api
        .patch(
            &path,
            json!({"Operations": [{"op": "remove", "path": "urn:example:params:scim:schemas:extension:x:2.0:User"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["scimType"], "invalidPath");
}

#[tokio::test]
async fn manager_ref_only_for_a_manager_known_here() {
    let api = Api::start().await;
    let id = api
        .user(json!({"userName": "m@x.test", ENTERPRISE: {"manager": {"value": "elsewhere-1"}}}))
        .await;
    let back = api.get(&format!("/Users/{id}")).await.body;
    assert_eq!(back[ENTERPRISE]["manager"], json!({"value": "elsewhere-1"}));
}
