//! The judges of `check::judge`, one exchange at a time.

use super::*;
use serde_json::json;

#[test]
fn the_service_provider_config_is_a_resource_not_a_query() {
    assert!(is_collection("/Users?count=1"));
    assert!(is_collection("/Schemas"));
    assert!(!is_collection("/ServiceProviderConfig"));
    assert!(!is_collection("/ResourceTypes/User"));
}

fn x(method: Verb, path: &str, req: Option<Value>, status: u16, resp: Value) -> Exchange {
    Exchange {
        method,
        url: format!("http://h{path}"),
        path: path.into(),
        authorization: None,
        request_body: req.map(Into::into),
        status: Some(status),
        response_cut: false,
        response_body: Some(resp.into()),
        content_type: Some("application/scim+json".into()),
        error: None,
        failure: None,
        duration_ms: 0,
        duration_us: 0,
    }
}

/// A 200 to a GET of `path` listing `resources`.
fn query(path: &str, resources: Value) -> Exchange {
    x(Verb::Get, path, None, 200, list(resources))
}

fn entra() -> Strictness {
    use crate::profile::Profile;
    crate::profile::entra::Entra::from_options(&Default::default())
        .expect("entra")
        .strictness()
}

fn list(resources: Value) -> Value {
    json!({"schemas": [urn::LIST_RESPONSE], "totalResults": 1, "itemsPerPage": 1,
        "startIndex": 1, "Resources": resources})
}

#[test]
fn a_page_recorded_cut_is_not_taken_for_a_body_that_is_not_json() {
    let cut = json!("{\"Resources\":[… (300000 bytes in all)");
    let mut page = x(Verb::Get, "/Users?startIndex=1&count=100", None, 200, cut);
    let found = exchange(&entra(), &page);
    assert_eq!(found.len(), 1, "text is not JSON: {found:?}");
    assert_eq!(found[0].code, Code::NotJson);
    page.response_cut = true;
    assert_eq!(exchange(&entra(), &page), vec![], "JSON recorded cut");
}

#[test]
fn a_create_answered_200_is_an_error_for_entra_and_a_201_is_clean() {
    let user = json!({"id": "1", "userName": "a"});
    let body = Some(json!({"userName": "a"}));
    let ok = exchange(
        &entra(),
        &x(Verb::Post, "/Users", body.clone(), 201, user.clone()),
    );
    assert_eq!(ok, vec![]);
    let found = exchange(&entra(), &x(Verb::Post, "/Users", body, 200, user));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].code, found[0].severity),
        (Code::CreateStatus, Severity::Error)
    );
    assert_eq!(
        found[0].title,
        "the server answered 200 to Entra's POST /Users, not 201 Created"
    );
}

#[test]
fn a_dropped_email_type_is_named_by_its_path() {
    let sent = json!({"schemas": [urn::USER], "userName": "a", "meta": {"resourceType": "User"},
        "emails": [{"type": "work", "value": "a@x", "primary": true}], "roles": []});
    let answer = json!({"id": "1", "userName": "a", "emails": [{"value": "a@x", "primary": true}]});
    let found = exchange(&entra(), &x(Verb::Post, "/Users", Some(sent), 201, answer));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, Code::DroppedAttribute);
    assert!(
        found[0]
            .title
            .starts_with("the server drops `emails[].type`"),
        "{}",
        found[0].title
    );
    assert_eq!(found[0].key, "F-DROPPED-ATTR|emails[].type");
}

/// Keys are compared lower-cased at every level, an extension's attributes by their URN,
/// a path written twice and dropped twice (the type of each of two emails) is one finding,
/// and several are named in path order.
#[test]
fn dropped_attributes_are_matched_without_case_once_each_in_path_order() {
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let sent = json!({"schemas": [urn::USER], "userName": "a",
        "Name": {"givenName": "A", "familyName": "B"},
        "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}],
        ext: {"Department": "Sales", "costCenter": "7"}});
    let answer = json!({"id": "1", "userName": "a", "name": {"GIVENNAME": "A"},
        "emails": [{"value": "a@x"}, {"value": "b@x"}], ext: {"department": "Sales"}});
    let found = exchange(&entra(), &x(Verb::Post, "/Users", Some(sent), 201, answer));
    let keys: Vec<&str> = found.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "F-DROPPED-ATTR|emails[].type",
            "F-DROPPED-ATTR|name.familyname",
            "F-DROPPED-ATTR|urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:costcenter",
        ],
        "{found:?}"
    );
}

/// A group query's strays are told by displayName, a user query's by the filtered attribute.
#[test]
fn an_ignored_group_filter_is_keyed_by_the_groups_endpoint() {
    let ex = query(
        "/Groups?filter=displayName%20eq%20%22Sales%22",
        json!([{"id": "9", "displayName": "Ops"}]),
    );
    let found = exchange(&entra(), &ex);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, Code::FilterIgnored);
    assert!(
        found[0].key.ends_with("/Groups displayName"),
        "{}",
        found[0].key
    );
    let matching = query(
        "/Groups?filter=displayName%20eq%20%22Sales%22",
        json!([{"id": "9", "displayName": "Sales"}]),
    );
    assert_eq!(exchange(&entra(), &matching), vec![]);
}

#[test]
fn a_list_response_without_paging_fields_names_each_missing_field() {
    let body = json!({"schemas": [urn::LIST_RESPONSE], "totalResults": 0, "Resources": []});
    let found = exchange(
        &entra(),
        &x(Verb::Get, "/Users?startIndex=1&count=2", None, 200, body),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, Code::ListShape);
    assert_eq!(
        found[0].title,
        "the server's ListResponse lacks `itemsPerPage`, `startIndex`"
    );
}

#[test]
fn a_rejected_patch_groups_across_ids_and_boolean_strings() {
    let req =
        |v: &str| Some(json!({"Operations": [{"op": "Replace", "path": "active", "value": v}]}));
    let err = json!({"schemas": [urn::ERROR], "status": "400", "scimType": "invalidValue", "detail": "no"});
    let a = exchange(
        &entra(),
        &x(Verb::Patch, "/Users/1", req("False"), 400, err.clone()),
    );
    let b = exchange(&entra(), &x(Verb::Patch, "/Users/2", req("True"), 400, err));
    assert_eq!(a[0].code, Code::Rejected);
    assert_eq!(a[0].key, b[0].key);
    assert_eq!(
        a[0].title,
        "the server answered 400 invalidValue \"no\" to Entra's PATCH /Users/{id}"
    );
    // Another request rejected for the same reason, about another user, is the same cause.
    let other = Some(
        json!({"Operations": [{"op": "Replace", "path": "userName", "value": "x2@y"},
        {"op": "Replace", "path": "active", "value": "False"}]}),
    );
    let err = json!({"schemas": [urn::ERROR], "status": "400", "scimType": "invalidValue", "detail": "no"});
    let c = exchange(&entra(), &x(Verb::Patch, "/Users/3", other, 400, err));
    assert_eq!(a[0].key, c[0].key);
    let shown = a[0].exchange.as_ref().expect("exchange").line();
    assert_eq!(shown, "PATCH /Users/1 → 400 invalidValue \"no\"");
}

#[test]
fn html_content_type_and_an_ignored_filter_are_found() {
    let mut ex = query(
        "/Users?filter=userName+eq+%22ada%40x.com%22",
        json!([{"id": "9", "userName": "bob@other.com"}]),
    );
    ex.content_type = Some("text/html; charset=utf-8".into());
    let found = exchange(&entra(), &ex);
    let codes: Vec<Code> = found.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        vec![Code::ContentType, Code::FilterIgnored],
        "{found:?}"
    );
    assert!(
        found[1].title.contains("bob@other.com"),
        "{}",
        found[1].title
    );
    let matching = query(
        "/Users?filter=userName+eq+%22ada%40x.com%22",
        json!([{"id": "9", "userName": "ADA@x.com"}]),
    );
    assert_eq!(exchange(&entra(), &matching), vec![]);
}
