//! Okta's users as the profile builds them: mapping, POST, PUT of the merged object, the
//! (de)activation PATCH and the Okta id.

use std::collections::BTreeMap;

use super::*;
use crate::idp::Tenant;
use crate::profile::okta::tests::okta;
use crate::profile::Profile;
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
/// What a correct server returns after the POST: the body without the password, plus
/// server fields Okta must echo.
fn on_target(user: &SourceUser, active: bool) -> Value {
    json!({
        "schemas": [urn::USER],
        "id": "u1",
        "userName": "alice@contoso.com",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"primary": true, "value": "alice@contoso.com", "type": "work"}],
        "displayName": "Alice Smith",
        "locale": "en-US",
        "externalId": okta_user_id(user.object_id),
        "active": active,
        "groups": [],
        "nickName": "Al",
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}
    })
}

#[test]
fn post_body_matches_the_documented_shape() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[]);
    let req = o.create_user(&o.desired_user(&user, "", true));
    assert_eq!((req.verb, req.path.as_str()), (Verb::Post, "/Users"));
    let mut body = req
        .body
        .map(std::sync::Arc::unwrap_or_clone)
        .expect("a body");
    let password = body
        .as_object_mut()
        .and_then(|b| b.remove("password"))
        .expect("a password");
    assert!(password.as_str().is_some_and(|p| p.len() >= 16));
    assert_eq!(
        body,
        json!({
            "schemas": [urn::USER],
            "userName": "alice@contoso.com",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"primary": true, "value": "alice@contoso.com", "type": "work"}],
            "displayName": "Alice Smith",
            "locale": "en-US",
            "externalId": okta_user_id(user.object_id),
            "groups": [],
            "active": true
        })
    );
    // Key order on the wire follows §2.2.
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "schemas",
            "userName",
            "name",
            "emails",
            "displayName",
            "locale",
            "externalId",
            "groups",
            "active"
        ]
    );
}

#[test]
fn every_create_has_a_new_password_that_the_log_never_sees() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[]);
    let desired = o.desired_user(&user, "", true);
    assert!(desired.get("password").is_none());
    let pw = |r: ScimRequest| r.body.expect("body")["password"].clone();
    assert_ne!(pw(o.create_user(&desired)), pw(o.create_user(&desired)));
}

#[test]
fn okta_ids_are_stable_and_shaped_like_okta_s() {
    let oid = uuid::Uuid::new_v4();
    let id = okta_user_id(oid);
    assert_eq!(id, okta_user_id(oid));
    assert_eq!(id.len(), 20);
    assert!(id.starts_with("00u") && id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        okta_user_id(uuid::Uuid::nil()),
        format!("00u{}", "0".repeat(17))
    );
}

proptest::proptest! {
    /// The two-run digits are the plain base-62 digits of the low 101 bits, digit by
    /// digit on the u128, as the id was first computed: ids of earlier runs still match.
    #[test]
    fn okta_ids_are_the_base62_digits_of_the_object_id(n in proptest::prelude::any::<u128>()) {
        let mut m = n;
        let mut digits = [b'0'; 17];
        for d in digits.iter_mut().rev() {
            *d = BASE62[(m % 62) as usize];
            m /= 62;
        }
        let want = format!("00u{}", String::from_utf8_lossy(&digits));
        proptest::prop_assert_eq!(okta_user_id(uuid::Uuid::from_u128(n)), want);
    }
}

#[test]
fn prefix_marks_user_name_display_name_and_external_id() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let d = okta(&[]).desired_user(&user, "run1-", true);
    assert_eq!(d.user_name(), Some("run1-alice@contoso.com"));
    assert_eq!(d.get("displayName"), Some(&json!("run1-Alice Smith")));
    assert_eq!(
        d.get("externalId"),
        Some(&json!(format!("run1-{}", okta_user_id(user.object_id))))
    );
    assert_eq!(d.get(WORK_EMAIL), Some(&json!("alice@contoso.com")));
}

#[test]
fn a_user_without_mail_gets_the_login_as_email() {
    let mut t = Tenant::new();
    t.create_user(
        "bob",
        BTreeMap::from([(
            UserAttr::UserPrincipalName,
            AttrValue::Text("bob@contoso.com".into()),
        )]),
    )
    .expect("create");
    let bob = t.user("bob").cloned().expect("bob");
    let d = okta(&[]).desired_user(&bob, "p-", true);
    assert_eq!(d.get(WORK_EMAIL), Some(&json!("bob@contoso.com")));
    assert_eq!(d.get("displayName"), None);
    assert_eq!(d.get("name.givenName"), None);
}

#[test]
fn deactivate_and_reactivate_are_pathless_patches_under_oin() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[]);
    for (active, from) in [(false, true), (true, false)] {
        let update = o
            .update_user(
                "u1",
                &on_target(&user, from),
                &o.desired_user(&user, "", active),
                Before::Target,
            )
            .expect("an update");
        assert_eq!(
            (update.request.verb, update.request.path.as_str()),
            (Verb::Patch, "/Users/u1")
        );
        assert_eq!(
            update.request.body.as_deref().cloned(),
            Some(json!({"schemas": [urn::PATCH_OP],
                "Operations": [{"op": "replace", "value": {"active": active}}]}))
        );
        assert_eq!(update.modified.len(), 1);
    }
}

#[test]
fn aiw_deactivates_and_reactivates_with_put_of_the_whole_object() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[("integration", "aiw")]);
    for (active, from) in [(false, true), (true, false)] {
        let update = o
            .update_user(
                "u1",
                &on_target(&user, from),
                &o.desired_user(&user, "", active),
                Before::Target,
            )
            .expect("an update");
        assert_eq!(update.request.verb, Verb::Put);
        assert_eq!(
            update.request.body.as_deref().cloned(),
            Some(on_target(&user, active))
        );
    }
}

#[test]
fn profile_change_is_a_put_of_the_merged_object() {
    let mut t = Tenant::new();
    let mut user = alice(&mut t);
    let o = okta(&[]);
    let current = on_target(&user, true);
    t.update_user(
        "alice",
        &BTreeMap::from([
            (UserAttr::Surname, AttrValue::Text("Jones".into())),
            (UserAttr::Mail, AttrValue::Text("aj@contoso.com".into())),
        ]),
    )
    .expect("update");
    user = t.user("alice").cloned().expect("alice");
    let update = o
        .update_user(
            "u1",
            &current,
            &o.desired_user(&user, "", true),
            Before::Target,
        )
        .expect("an update");
    let mut expected = current.clone();
    expected["name"]["familyName"] = json!("Jones");
    expected["emails"][0]["value"] = json!("aj@contoso.com");
    expected["displayName"] = json!("Alice Jones");
    assert_eq!(update.request.verb, Verb::Put);
    assert_eq!(update.request.path, "/Users/u1");
    // id, meta, groups and the unmapped nickName are echoed (§2.3).
    assert_eq!(update.request.body.as_deref().cloned(), Some(expected));
    let names: Vec<&str> = update.modified.iter().map(|m| m.name.as_ref()).collect();
    assert_eq!(names, ["name.familyName", WORK_EMAIL, "displayName"]);
}

#[test]
fn reactivation_with_a_profile_change_is_one_put_with_active_true() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[]);
    let mut current = on_target(&user, false);
    current["locale"] = json!("fr-FR");
    let update = o
        .update_user(
            "u1",
            &current,
            &o.desired_user(&user, "", true),
            Before::Target,
        )
        .expect("an update");
    assert_eq!(update.request.verb, Verb::Put);
    assert_eq!(
        update.request.body.as_deref().cloned(),
        Some(on_target(&user, true))
    );
}

#[test]
fn no_profile_push_to_a_deactivated_user_and_nothing_when_matching() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[]);
    let mut inactive = on_target(&user, false);
    inactive["displayName"] = json!("Stale");
    assert_eq!(
        o.update_user(
            "u1",
            &inactive,
            &o.desired_user(&user, "", false),
            Before::Target
        ),
        None
    );
    assert_eq!(
        o.update_user(
            "u1",
            &on_target(&user, true),
            &o.desired_user(&user, "", true),
            Before::Target
        ),
        None
    );
}

#[test]
fn a_missing_work_email_is_appended_in_okta_s_shape() {
    let mut t = Tenant::new();
    let user = alice(&mut t);
    let o = okta(&[]);
    let mut current = on_target(&user, true);
    current["emails"] = json!([{"value": "home@x", "type": "home", "primary": true}]);
    let update = o
        .update_user(
            "u1",
            &current,
            &o.desired_user(&user, "", true),
            Before::Target,
        )
        .expect("an update");
    assert_eq!(
        update.request.body.expect("body")["emails"],
        json!([{"value": "home@x", "type": "home", "primary": true},
               {"primary": false, "value": "alice@contoso.com", "type": "work"}])
    );
}
