//! Unit tests of the Entra profile's request bodies.

use std::collections::BTreeMap;

use super::*;
use crate::idp::Tenant;
use crate::profile::ProfileError;
use crate::scenario::model::AttrValue;

fn alice(t: &mut Tenant) -> SourceUser {
    let attrs = BTreeMap::from([
        (
            UserAttr::UserPrincipalName,
            AttrValue::Text("alice@contoso.com".into()),
        ),
        (UserAttr::Mail, AttrValue::Text("alice@contoso.com".into())),
        (UserAttr::GivenName, AttrValue::Text("Alice".into())),
        (UserAttr::Surname, AttrValue::Text("Smith".into())),
    ]);
    t.create_user("alice", attrs).expect("create");
    t.user("alice").cloned().expect("alice")
}

fn entra(dialect: &str) -> Entra {
    Entra::from_options(&BTreeMap::from([(
        "patch_dialect".to_string(),
        dialect.to_string(),
    )]))
    .expect("valid option")
}

#[test]
fn post_body_matches_the_documented_shape() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let e = entra("default");
    let req = e.create_user(&e.desired_user(&user, "", true));
    assert_eq!(req.verb, Verb::Post);
    assert_eq!(
        req.body.as_deref().cloned(),
        Some(json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": "alice@contoso.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
            "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
            "externalId": "alice",
            "meta": {"resourceType": "User"},
            "roles": []
        }))
    );
}

#[test]
fn disable_in_each_dialect() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let current = json!({"userName": "alice@contoso.com", "active": true, "externalId": "alice",
        "emails": [{"type": "work", "value": "alice@contoso.com"}],
        "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"}});
    for (dialect, op) in [
        (
            "default",
            json!({"op": "Replace", "path": "active", "value": "False"}),
        ),
        (
            "aadOptscim062020",
            json!({"op": "replace", "path": "active", "value": false}),
        ),
    ] {
        let e = entra(dialect);
        let update = e
            .update_user(
                "id1",
                &current,
                &e.desired_user(&user, "", false),
                Before::Target,
            )
            .expect("an update");
        assert_eq!(update.request.path, "/Users/id1");
        assert_eq!(
            update.request.body.as_deref().cloned(),
            Some(json!({"schemas": [urn::PATCH_OP], "Operations": [op]}))
        );
    }
}

#[test]
fn flag_dialect_combines_replaces_into_one_pathless_op() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let current = json!({"userName": "alice@contoso.com", "active": true, "externalId": "alice",
        "emails": [{"type": "work", "value": "old@contoso.com"}],
        "name": {"givenName": "Al", "familyName": "Smith", "formatted": "Al Smith"}});
    let e = entra("aadOptscim062020");
    let update = e
        .update_user(
            "id1",
            &current,
            &e.desired_user(&user, "", true),
            Before::Target,
        )
        .expect("update");
    assert_eq!(
        update.request.body.expect("body")["Operations"],
        json!([
            {"op": "replace", "path": WORK_EMAIL, "value": "alice@contoso.com"},
            {"op": "replace", "value": {"name.givenName": "Alice", "name.formatted": "Alice Smith"}}
        ])
    );
    assert_eq!(update.modified.len(), 3);
}

#[test]
fn nothing_to_send_when_the_target_already_matches() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let e = entra("default");
    let desired = e.desired_user(&user, "", true);
    let mut current = Map::new();
    for (p, v) in &desired.attrs {
        set_path(&mut current, p, v.clone());
    }
    assert_eq!(
        e.update_user("id1", &Value::Object(current), &desired, Before::Target),
        None
    );
}

#[test]
fn unknown_options_are_rejected() {
    let err = Entra::from_options(&BTreeMap::from([("dialect".to_string(), "x".to_string())]));
    assert!(matches!(err, Err(ProfileError::UnknownOption { .. })));
    let err = Entra::from_options(&BTreeMap::from([(
        "patch_dialect".to_string(),
        "x".to_string(),
    )]));
    assert!(matches!(err, Err(ProfileError::BadOption { .. })));
}

#[test]
fn both_spellings_of_the_flag_select_the_rfc_dialect() {
    for flag in Dialect::FLAGS {
        let url = crate::client::TenantUrl::parse(&format!("https://host/scim/v2?{flag}"))
            .expect("a tenant URL");
        assert!(Dialect::flagged_in(&url), "{flag} in the URL");
        assert_eq!(entra(flag).dialect, Dialect::Scim062020, "{flag} as option");
    }
    let url = crate::client::TenantUrl::parse("https://host/scim/v2?AzureAdScimPatch2017")
        .expect("a tenant URL");
    assert!(!Dialect::flagged_in(&url));
}

fn with(key: &str, value: &str) -> Result<Entra, ProfileError> {
    Entra::from_options(&BTreeMap::from([(key.to_string(), value.to_string())]))
}

#[test]
fn parallel_exports_sets_the_worker_pool_and_defaults_to_one() {
    assert_eq!(
        entra("default").worker_threads(),
        1,
        "E-67: none documented"
    );
    assert_eq!(
        with("parallel_exports", "8")
            .map(|e| e.worker_threads())
            .ok(),
        Some(8)
    );
    for bad in ["0", "33", "-1", "four"] {
        assert!(
            matches!(
                with("parallel_exports", bad),
                Err(ProfileError::BadOption { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn rate_is_requests_per_second_for_the_job_and_unlimited_by_default() {
    assert_eq!(entra("default").job().rate, None);
    assert_eq!(
        with("rate", "25").map(|e| e.job().rate).ok(),
        Some(Some(25.0))
    );
    assert_eq!(
        with("rate", "0.5").map(|e| e.job().rate).ok(),
        Some(Some(0.5))
    );
    for bad in ["0", "-25", "NaN", "inf", "fast"] {
        assert!(
            matches!(with("rate", bad), Err(ProfileError::BadOption { .. })),
            "{bad}"
        );
    }
}
