//! The reference server's HTTP contract: resources, listing, errors and discovery.

mod common;

use common::{ids, Api, ENTERPRISE, TOKEN};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn users(api: &Api, n: usize) -> Vec<String> {
    let mut out = vec![];
    for i in 0..n {
        out.push(
            api.user(json!({"userName": format!("user{i:02}@x.test")}))
                .await,
        );
    }
    out
}

async fn page(api: &Api, query: &[(&str, &str)]) -> Value {
    let r = api
        .send_with(Method::GET, "/Users", None, |r| {
            r.bearer_auth(TOKEN).query(query)
        })
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query:?}: {}", r.body);
    r.body
}

#[tokio::test]
async fn pagination_edges() {
    let api = Api::start().await;
    let all = users(&api, 7).await;

    let p = page(&api, &[("startIndex", "3"), ("count", "2")]).await;
    assert_eq!(
        (
            p["totalResults"].as_u64(),
            p["itemsPerPage"].as_u64(),
            p["startIndex"].as_u64()
        ),
        (Some(7), Some(2), Some(3))
    );
    assert_eq!(ids(&p), all[2..4].to_vec());

    let p = page(&api, &[("startIndex", "50")]).await;
    assert_eq!(p["totalResults"], 7);
    assert_eq!(p["itemsPerPage"], 0);
    assert_eq!(p["startIndex"], 50);
    assert_eq!(p["Resources"], json!([]));

    let p = page(&api, &[("count", "0")]).await;
    assert_eq!(p["totalResults"], 7, "count=0 gives totals only");
    assert_eq!(p["itemsPerPage"], 0);
    assert_eq!(p["Resources"], json!([]));

    let p = page(&api, &[("count", "500")]).await;
    assert_eq!(p["itemsPerPage"], 7);
    assert_eq!(ids(&p), all, "stable creation order");

    let p = page(&api, &[("startIndex", "0"), ("count", "-4")]).await;
    assert_eq!(p["startIndex"], 1, "startIndex below 1 is clamped");
    assert_eq!(p["itemsPerPage"], 0, "negative count is clamped to 0");

    let r = api
        .send_with(Method::GET, "/Users", None, |r| {
            r.bearer_auth(TOKEN).query(&[("count", "ten")])
        })
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["scimType"], "invalidValue");
}

#[tokio::test]
async fn okta_style_paging_walks_every_user_once() {
    let api = Api::start().await;
    let all = users(&api, 11).await;
    let mut seen = vec![];
    let mut start = 1;
    loop {
        let s = start.to_string();
        let p = page(&api, &[("startIndex", s.as_str()), ("count", "4")]).await;
        let got = ids(&p);
        if got.is_empty() {
            break;
        }
        start += got.len();
        seen.extend(got);
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn sorting_ascending_and_descending() {
    let api = Api::start().await;
    let c = api.user(json!({"userName": "Charlie@x.test"})).await;
    let a = api.user(json!({"userName": "alpha@x.test"})).await;
    let b = api.user(json!({"userName": "Bravo@x.test"})).await;
    let p = page(&api, &[("sortBy", "userName")]).await;
    assert_eq!(ids(&p), vec![a.clone(), b.clone(), c.clone()]);
    let p = page(&api, &[("sortBy", "userName"), ("sortOrder", "descending")]).await;
    assert_eq!(ids(&p), vec![c, b, a]);
}

#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let api = Api::start().await;
    let uid = api
        .user(json!({"userName": "a@x.test", "displayName": "A", "emails": [{"type": "work", "value": "a@x.test"}]}))
        .await;
    let gid = api
        .group(json!({"displayName": "G", "members": [{"value": uid}]}))
        .await;

    let r = api
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.get("members").is_none(),
        "members excluded: {}",
        r.body
    );
    assert_eq!(r.body["displayName"], "G");
    assert_eq!(r.body["id"], gid.as_str());

    let r = api
        .send_with(Method::GET, "/Groups", None, |r| {
            r.bearer_auth(TOKEN).query(&[
                ("excludedAttributes", "members"),
                ("filter", "displayName eq \"G\""),
            ])
        })
        .await;
    assert!(r.body["Resources"][0].get("members").is_none());
    assert_eq!(r.body["Resources"][0]["displayName"], "G");

    let r = api
        .get(&format!("/Users/{uid}?attributes=emails.value"))
        .await;
    assert_eq!(r.body["id"], uid.as_str(), "id is always returned");
    assert_eq!(r.body["emails"], json!([{"value": "a@x.test"}]));
    assert!(r.body.get("displayName").is_none());
    assert!(r.body.get("userName").is_none());
}

#[tokio::test]
async fn create_returns_201_location_etag_and_full_resource() {
    let api = Api::start().await;
    // Entra's documented POST body, with the keys real servers must tolerate (§1.3, §1.9.11).
    let r = api
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "externalId": "alice", "userName": "alice@contoso.com", "active": "True",
                "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
                "roles": [], "addresses": null, "title": null,
                ENTERPRISE: {"department": "R&D"}
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.content_type.as_deref(), Some("application/scim+json"));
    let id = r.body["id"].as_str().expect("id");
    assert_eq!(r.location.as_deref(), r.body["meta"]["location"].as_str());
    assert!(r
        .location
        .as_deref()
        .is_some_and(|l| l.ends_with(&format!("/Users/{id}"))));
    assert_eq!(r.etag.as_deref(), r.body["meta"]["version"].as_str());
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert!(r.body.get("title").is_none(), "null keys are ignored");
    assert_eq!(r.body[ENTERPRISE]["department"], "R&D");
    assert_eq!(api.get(&format!("/Users/{id}")).await.body, r.body);

    // Okta's POST: password (never returned) and read-only groups: [].
    let r = api
        .post(
            "/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "t@okta.local",
                   "password": "s3cret!", "groups": [], "locale": "en-US", "active": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.get("password").is_none());
}

#[tokio::test]
async fn put_replaces_but_keeps_id_and_created() {
    let api = Api::start().await;
    let id = api
        .user(json!({"userName": "p@x.test", "title": "Old", "displayName": "P"}))
        .await;
    let path = format!("/Users/{id}");
    let before = api.get(&path).await.body;
    let mut echoed = before.clone();
    echoed["title"] = json!("New");
    echoed.as_object_mut().map(|o| o.remove("displayName"));
    let r = api.put(&path, echoed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["title"], "New");
    assert!(
        r.body.get("displayName").is_none(),
        "PUT replaces: omitted attribute cleared"
    );
    assert_eq!(r.body["id"], before["id"]);
    assert_eq!(r.body["meta"]["created"], before["meta"]["created"]);
    assert_ne!(r.body["meta"]["version"], before["meta"]["version"]);
    assert_eq!(api.get(&path).await.body, r.body);

    // `id` is readOnly: a different value in the body is ignored (RFC 7644 §3.5.1), never
    // moved onto or taken as another resource.
    let r = api
        .put(
            &path,
            json!({"id": "someone-else", "userName": "p@x.test", "title": "Newer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["id"], before["id"]);
    assert_eq!(r.body["title"], "Newer");
    assert_eq!(
        api.get("/Users/someone-else").await.status,
        StatusCode::NOT_FOUND
    );
}

fn assert_scim_error(r: &common::Reply, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.content_type.as_deref(), Some("application/scim+json"));
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(
        r.body["status"],
        json!(status.to_string()),
        "status is a string"
    );
    assert_eq!(r.body.get("scimType").and_then(Value::as_str), scim_type);
    assert!(r.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn error_bodies() {
    let api = Api::start().await;
    // 401 without and with a wrong token
    let r = api.send_with(Method::GET, "/Users", None, |r| r).await;
    assert_scim_error(&r, 401, None);
    assert!(r
        .www_authenticate
        .as_deref()
        .is_some_and(|h| h.starts_with("Bearer")));
    let r = api
        .send_with(Method::GET, "/Users", None, |r| r.bearer_auth("wrong"))
        .await;
    assert_scim_error(&r, 401, None);

    // 404
    assert_scim_error(&api.get("/Users/does-not-exist").await, 404, None);
    assert_scim_error(&api.get("/NoSuchEndpoint").await, 404, None);

    // 409 on userName, case-insensitively, and on group displayName
    api.user(json!({"userName": "dup@x.test"})).await;
    assert_scim_error(
        &api.post("/Users", json!({"userName": "DUP@x.test"})).await,
        409,
        Some("uniqueness"),
    );
    api.group(json!({"displayName": "Team"})).await;
    assert_scim_error(
        &api.post("/Groups", json!({"displayName": "team"})).await,
        409,
        Some("uniqueness"),
    );

    // 412 on a stale If-Match
    let id = api.user(json!({"userName": "v@x.test"})).await;
    let path = format!("/Users/{id}");
    let r = api
        .send_with(
            Method::PATCH,
            &path,
            Some(json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]})),
            |r| r.bearer_auth(TOKEN).header("If-Match", "W/\"999999\""),
        )
        .await;
    assert_scim_error(&r, 412, None);
    let etag = api.get(&path).await.etag.expect("etag header");
    let r = api
        .send_with(
            Method::PATCH,
            &path,
            Some(json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]})),
            |r| r.bearer_auth(TOKEN).header("If-Match", etag.as_str()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "matching If-Match applies");
    let r = api
        .send_with(Method::DELETE, &path, None, |r| {
            r.bearer_auth(TOKEN).header("If-Match", etag.as_str())
        })
        .await;
    assert_scim_error(&r, 412, None);

    // 413 on a huge body, 400 on bad JSON and unknown attributes
    let huge = json!({"userName": "h@x.test", "title": "x".repeat(2 * 1024 * 1024)});
    assert_scim_error(&api.post("/Users", huge).await, 413, None);
    let r = api
        .send_with(Method::POST, "/Users", None, |r| {
            r.bearer_auth(TOKEN)
                .header("content-type", "application/scim+json")
                .body("{not json")
        })
        .await;
    assert_scim_error(&r, 400, Some("invalidSyntax"));
    let r = api
        .post(
            "/Users",
            json!({"userName": "u@x.test", "favouriteColour": "blue"}),
        )
        .await;
    assert_scim_error(&r, 400, Some("invalidSyntax"));
    assert!(r.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("favouriteColour")));
    assert_scim_error(
        &api.post("/Users", json!({"displayName": "no userName"}))
            .await,
        400,
        Some("invalidValue"),
    );

    // 405 on an unsupported method
    let r = api
        .send(Method::DELETE, "/ServiceProviderConfig", None)
        .await;
    assert_scim_error(&r, 405, None);
}

#[tokio::test]
async fn members_must_reference_existing_resources() {
    let api = Api::start().await;
    let r = api
        .post(
            "/Groups",
            json!({"displayName": "G", "members": [{"value": "ghost"}]}),
        )
        .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let gid = api.group(json!({"displayName": "G"})).await;
    let r = api
        .patch(&format!("/Groups/{gid}"), json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": "ghost"}]}]}))
        .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_every_group() {
    let api = Api::start().await;
    let a = api.user(json!({"userName": "a@x.test"})).await;
    let b = api.user(json!({"userName": "b@x.test"})).await;
    let g1 = api
        .group(json!({"displayName": "G1", "members": [{"value": a}, {"value": b}]}))
        .await;
    let g2 = api
        .group(json!({"displayName": "G2", "members": [{"value": a}]}))
        .await;
    let user = api.get(&format!("/Users/{a}")).await.body;
    let mut groups: Vec<&str> = user["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["value"].as_str())
        .collect();
    groups.sort();
    let mut expected = vec![g1.as_str(), g2.as_str()];
    expected.sort();
    assert_eq!(groups, expected, "user.groups lists direct memberships");

    let r = api.delete(&format!("/Users/{a}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_scim_error(&api.get(&format!("/Users/{a}")).await, 404, None);
    assert_scim_error(&api.delete(&format!("/Users/{a}")).await, 404, None);
    let g1b = api.get(&format!("/Groups/{g1}")).await.body;
    assert_eq!(
        g1b["members"],
        json!([{"value": b, "$ref": format!("{}/Users/{b}", api.server.base_url()), "type": "User", "display": "b@x.test"}])
    );
    assert!(api
        .get(&format!("/Groups/{g2}"))
        .await
        .body
        .get("members")
        .is_none());
}

#[tokio::test]
async fn discovery_endpoints_are_truthful() {
    let api = Api::start().await;
    let spc = api.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, StatusCode::OK);
    assert_eq!(spc.content_type.as_deref(), Some("application/scim+json"));
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["filter"]["supported"], true);
    assert_eq!(spc.body["bulk"]["supported"], false);
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["sort"]["supported"], true);

    let schemas = api.get("/Schemas").await.body;
    assert_eq!(schemas["totalResults"], 3);
    let user = api
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        .await
        .body;
    let user_name = user["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["name"] == "userName")
        .expect("userName");
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);

    let rts = api.get("/ResourceTypes").await.body;
    assert_eq!(rts["totalResults"], 2);
    let user_rt = api.get("/ResourceTypes/User").await.body;
    assert_eq!(user_rt["endpoint"], "/Users");
    assert_eq!(user_rt["schemaExtensions"][0]["schema"], ENTERPRISE);
    assert_scim_error(&api.get("/Schemas/urn:nope").await, 404, None);
}

#[tokio::test]
async fn token_rotation_accepts_only_the_current_set() {
    let api = Api::start().await;
    api.server
        .tokens()
        .replace_all(vec!["old".into(), "new".into()]);
    for t in ["old", "new"] {
        let r = api
            .send_with(Method::GET, "/Users", None, |r| r.bearer_auth(t))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    api.server.tokens().replace_all(vec!["new".into()]);
    let r = api
        .send_with(Method::GET, "/Users", None, |r| r.bearer_auth("old"))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn concurrent_creates_keep_user_name_unique() {
    let api = std::sync::Arc::new(Api::start().await);
    let mut tasks = vec![];
    for _ in 0..16 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            api.post("/Users", json!({"userName": "race@x.test"}))
                .await
                .status
        }));
    }
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 15));
}

#[tokio::test]
async fn search_by_post_on_a_collection_and_on_the_root() {
    let api = Api::start().await;
    let all = users(&api, 3).await;
    let gid = api
        .group(json!({"displayName": "Searchers", "members": [{"value": all[0]}]}))
        .await;
    let search = |path: &'static str, body: Value| {
        let api = &api;
        async move { api.post(path, body).await }
    };

    let r = search(
        "/Users/.search",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
               "filter": "userName ne \"user01@x.test\"", "attributes": ["userName"],
               "startIndex": 1, "count": 10}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(ids(&r.body), vec![all[0].clone(), all[2].clone()]);
    assert_eq!(r.body["totalResults"], 2);
    assert!(r.body["Resources"][0].get("emails").is_none());
    assert_eq!(r.body["Resources"][0]["userName"], "user00@x.test");
    assert!(
        r.body["Resources"][0].get("meta").is_none(),
        "attributes projects"
    );

    // The root lists every type; a User-only attribute selects and returns nothing of Groups.
    let r = search("/.search", json!({"excludedAttributes": ["members"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["totalResults"], 4);
    let mut expected = all.clone();
    expected.push(gid.clone());
    assert_eq!(ids(&r.body), expected);
    assert!(r.body["Resources"][3].get("members").is_none());
    assert_eq!(r.body["Resources"][3]["displayName"], "Searchers");

    let r = search(
        "/.search",
        json!({"filter": "userName eq \"user02@x.test\""}),
    )
    .await;
    assert_eq!(ids(&r.body), vec![all[2].clone()]);
    let r = search(
        "/.search",
        json!({"filter": "displayName eq \"Searchers\""}),
    )
    .await;
    assert_eq!(ids(&r.body), vec![gid.clone()]);
    let r = search(
        "/.search",
        json!({"sortBy": "meta.created", "sortOrder": "descending", "count": 1}),
    )
    .await;
    assert_eq!(
        (r.body["totalResults"].as_u64(), ids(&r.body).len()),
        (Some(4), 1)
    );

    for (body, scim_type) in [
        (json!({"filter": "nosuch eq \"x\""}), "invalidFilter"),
        (json!({"filter": "userName eq"}), "invalidFilter"),
        (json!({"attributes": ["nosuch"]}), "invalidValue"),
        (json!(["userName"]), "invalidSyntax"),
    ] {
        let r = search("/.search", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.body["scimType"], scim_type, "{body}");
    }
    let r = search("/Groups/.search", json!({"filter": "userName eq \"x\""})).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "one collection stays strict"
    );
}

#[tokio::test]
async fn member_display_is_the_clients_when_given_else_the_members_name() {
    let api = Api::start().await;
    let a = api.user(json!({"userName": "a@x.test"})).await;
    let b = api
        .user(json!({"userName": "b@x.test", "displayName": "Bee"}))
        .await;
    let gid = api
        .group(json!({"displayName": "G", "members": [
            {"value": a, "display": "Alice (from the IdP)"}, {"value": b}
        ]}))
        .await;
    let g = api.get(&format!("/Groups/{gid}")).await.body;
    let base = api.server.base_url();
    assert_eq!(
        g["members"],
        json!([
            {"value": a, "display": "Alice (from the IdP)", "$ref": format!("{base}/Users/{a}"), "type": "User"},
            {"value": b, "display": "Bee", "$ref": format!("{base}/Users/{b}"), "type": "User"}
        ])
    );
    let schema = api
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
        .await
        .body;
    let members = schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "members"))
        .expect("members published");
    let display = members["subAttributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "display"))
        .expect("display published");
    assert_eq!(display["mutability"], "immutable", "RFC 7643 §4.2");
}
