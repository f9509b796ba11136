//! Filters over HTTP (RFC 7644 §3.4.2.2): every operator, logic, value paths, case rules.

mod common;

use common::{Api, ENTERPRISE};
use reqwest::{Method, StatusCode};
use serde_json::json;

struct Fixture {
    api: Api,
    alice: String,
    bob: String,
    carol: String,
}

async fn fixture() -> Fixture {
    let api = Api::start().await;
    let alice = api
        .user(json!({
            "userName": "Alice@Contoso.com", "externalId": "ext-A", "title": "Engineer",
            "active": true,
            "emails": [{"type": "work", "value": "alice@contoso.com"}, {"type": "home", "value": "a@home.test"}],
            ENTERPRISE: {"department": "R&D", "employeeNumber": "100"}
        }))
        .await;
    let bob = api
        .user(json!({
            "userName": "bob@contoso.com", "externalId": "ext-b", "active": false,
            "emails": [{"type": "home", "value": "bob@home.test"}],
            ENTERPRISE: {"department": "Sales", "employeeNumber": "200"}
        }))
        .await;
    let carol = api
        .user(json!({"userName": "carol@fabrikam.com", "title": "Engineering Manager"}))
        .await;
    Fixture {
        api,
        alice,
        bob,
        carol,
    }
}

#[tokio::test]
async fn every_comparison_operator() {
    let f = fixture().await;
    let cases: Vec<(&str, Vec<&String>)> = vec![
        (r#"userName eq "alice@contoso.com""#, vec![&f.alice]),
        (r#"userName ne "alice@contoso.com""#, vec![&f.bob, &f.carol]),
        (r#"userName co "CONTOSO""#, vec![&f.alice, &f.bob]),
        (r#"userName sw "car""#, vec![&f.carol]),
        (r#"userName ew "fabrikam.com""#, vec![&f.carol]),
        (r#"title pr"#, vec![&f.alice, &f.carol]),
        (r#"userName gt "bob@contoso.com""#, vec![&f.carol]),
        (r#"userName ge "bob@contoso.com""#, vec![&f.bob, &f.carol]),
        (r#"userName lt "bob@contoso.com""#, vec![&f.alice]),
        (r#"userName le "bob@contoso.com""#, vec![&f.alice, &f.bob]),
        (r#"active eq false"#, vec![&f.bob]),
    ];
    for (filter, expected) in cases {
        let got = f.api.filter_ids("/Users", filter).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(got, expected, "filter {filter}");
    }
}

#[tokio::test]
async fn case_rules_follow_the_schema() {
    let f = fixture().await;
    // userName is caseExact false; externalId is caseExact true.
    assert_eq!(
        f.api
            .filter_ids("/Users", r#"USERNAME EQ "ALICE@CONTOSO.COM""#)
            .await,
        vec![f.alice.clone()]
    );
    assert_eq!(
        f.api.filter_ids("/Users", r#"externalId eq "ext-A""#).await,
        vec![f.alice.clone()]
    );
    assert!(f
        .api
        .filter_ids("/Users", r#"externalId eq "EXT-A""#)
        .await
        .is_empty());
    // PingOne writes capitalised operators.
    assert_eq!(
        f.api
            .filter_ids("/Users", r#"username Eq "bob@contoso.com""#)
            .await,
        vec![f.bob.clone()]
    );
}

#[tokio::test]
async fn logic_parentheses_and_not() {
    let f = fixture().await;
    let cases: Vec<(&str, Vec<&String>)> = vec![
        (
            r#"userName co "contoso" and active eq true"#,
            vec![&f.alice],
        ),
        (
            r#"userName sw "bob" or userName sw "carol""#,
            vec![&f.bob, &f.carol],
        ),
        (r#"not (userName co "contoso")"#, vec![&f.carol]),
        (
            r#"title pr and (userName sw "a" or userName sw "c") and not (title eq "Engineer")"#,
            vec![&f.carol],
        ),
        // and binds tighter than or
        (
            r#"userName sw "carol" or userName sw "bob" and active eq true"#,
            vec![&f.carol],
        ),
    ];
    for (filter, expected) in cases {
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(
            f.api.filter_ids("/Users", filter).await,
            expected,
            "filter {filter}"
        );
    }
}

#[tokio::test]
async fn value_paths_and_multi_valued_attributes() {
    let f = fixture().await;
    let cases: Vec<(&str, Vec<&String>)> = vec![
        // Entra's matching query form
        (
            r#"emails[type eq "work"].value eq "alice@contoso.com""#,
            vec![&f.alice],
        ),
        (
            r#"emails[type eq "work" and value co "contoso"]"#,
            vec![&f.alice],
        ),
        (r#"emails[type eq "work"]"#, vec![&f.alice]),
        // PingFederate filters on the multi-valued attribute itself
        (r#"emails eq "bob@home.test""#, vec![&f.bob]),
        (r#"emails.value ew "home.test""#, vec![&f.alice, &f.bob]),
        (r#"emails.type eq "home""#, vec![&f.alice, &f.bob]),
    ];
    for (filter, expected) in cases {
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(
            f.api.filter_ids("/Users", filter).await,
            expected,
            "filter {filter}"
        );
    }
}

#[tokio::test]
async fn urn_qualified_and_meta_attributes() {
    let f = fixture().await;
    let filter = format!(r#"{ENTERPRISE}:department eq "sales""#);
    assert_eq!(
        f.api.filter_ids("/Users", &filter).await,
        vec![f.bob.clone()]
    );
    let filter = r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "carol""#;
    assert_eq!(
        f.api.filter_ids("/Users", filter).await,
        vec![f.carol.clone()]
    );
    let all = f
        .api
        .filter_ids("/Users", r#"meta.lastModified gt "2000-01-01T00:00:00Z""#)
        .await;
    assert_eq!(all.len(), 3);
    assert!(f
        .api
        .filter_ids("/Users", r#"meta.created lt "2000-01-01T00:00:00Z""#)
        .await
        .is_empty());
    assert_eq!(
        f.api
            .filter_ids("/Users", &format!(r#"id eq "{}""#, f.bob))
            .await,
        vec![f.bob.clone()]
    );
}

#[tokio::test]
async fn zero_hits_is_an_empty_list_never_404() {
    let f = fixture().await;
    let r = f
        .api
        .send_with(Method::GET, "/Users", None, |r| {
            r.bearer_auth(common::TOKEN).query(&[(
                "filter",
                r#"userName eq "cf4d78e8-cc4f-4b7f-9b3a-2a3e2f6d1e00""#,
            )])
        })
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.body["Resources"], json!([]));
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
}

#[tokio::test]
async fn malformed_filters_answer_invalid_filter() {
    let f = fixture().await;
    for bad in [
        r#"userName eq"#,
        r#"userName eq "unterminated"#,
        r#"userName equals "x""#,
        r#"(userName eq "x""#,
        r#"nosuchattribute eq "x""#,
        r#"userName eq "x" and"#,
    ] {
        let r = f
            .api
            .send_with(Method::GET, "/Users", None, |r| {
                r.bearer_auth(common::TOKEN).query(&[("filter", bad)])
            })
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "filter {bad}");
        assert_eq!(
            r.body["scimType"], "invalidFilter",
            "filter {bad}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn group_filters_by_display_name_case_insensitively() {
    let f = fixture().await;
    let g = f.api.group(json!({"displayName": "Sales Team"})).await;
    assert_eq!(
        f.api
            .filter_ids("/Groups", r#"displayName eq "sales team""#)
            .await,
        vec![g.clone()]
    );
    assert_eq!(
        f.api
            .filter_ids("/Groups", r#"displayName co "TEAM""#)
            .await,
        vec![g]
    );
}
