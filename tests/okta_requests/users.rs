//! User pushes (§2.2–§2.4, O-13, O-14): create, profile update, (de)activation in OIN and
//! AIW, odd create answers, a server that drops an attribute, and password sync.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use scim_harness::profile::okta::Integration;
use scim_harness::scenario::model::{SyncKind, UserAttr};
use serde_json::{json, Map, Value};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{
    alice_on_target, create_alice, list, push, read, set_active, tenant_with_alice, text, wire,
    with_body, OktaApp, Target, PASSWORD, PATCH_OP,
};

#[tokio::test]
async fn create_sends_match_then_the_documented_post_and_no_probe() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::start(integration).await;
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let raw: Vec<Option<String>> = app
            .target
            .received()
            .await
            .iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect();
        assert_eq!(
            raw,
            vec![
                Some("filter=userName+eq+%22alice%40contoso.com%22&startIndex=1&count=100".into()),
                None
            ],
            "{integration:?}: the matching query as sent"
        );
        let object_id = tenant.user("alice").expect("alice").object_id;
        assert_eq!(
            engine.link(&object_id).map(|l| l.target_id.as_str()),
            Some("u-1"),
            "{integration:?}: the returned id links the app user"
        );
        let held = app
            .target
            .held("/Users/u-1")
            .expect("alice is on the target");
        assert_eq!(held.get("password"), None, "the target never echoes it");
    }
}

/// §2.3: a profile change is GET, then PUT of what GET returned with Okta's values merged in,
/// echoing server fields (`id`, `meta`, `groups`) and attributes Okta does not map.
#[tokio::test]
async fn update_is_get_then_put_of_the_merged_object() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::start(integration).await;
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        // Someone set a title on the target; Okta does not map title.
        app.target.edit("/Users/u-1", "title", json!("Engineer"));

        tenant
            .update_user(
                "alice",
                &BTreeMap::from([
                    (UserAttr::Surname, text("Jones")),
                    (UserAttr::Mail, text("alice.jones@contoso.com")),
                ]),
            )
            .expect("update alice");
        push(&mut engine, &tenant).await;
        let mut merged = alice_on_target(&tenant);
        merged["title"] = json!("Engineer");
        merged["name"]["familyName"] = json!("Jones");
        merged["emails"][0]["value"] = json!("alice.jones@contoso.com");
        merged["displayName"] = json!("Alice Jones");
        assert_eq!(
            app.target.take().await,
            vec![
                read("/Users/u-1"),
                with_body("PUT", "/Users/u-1", merged.clone())
            ],
            "{integration:?}"
        );
        assert_eq!(
            app.target.held("/Users/u-1").map(|u| u["title"].clone()),
            Some(json!("Engineer")),
            "{integration:?}: the unmapped attribute survives the PUT"
        );

        // Nothing changed in the source: no request at all.
        push(&mut engine, &tenant).await;
        assert_eq!(app.target.take().await, vec![], "{integration:?}");
    }
}

/// §2.4: unassign → path-less PATCH `active:false`; reassign → the same PATCH with `true` on
/// the same user (no match, no POST); a deactivated user then hard-deleted in the source gets
/// nothing. No GET precedes the PATCH: Okta decides from its app-user profile and a PATCH is
/// not built from the target's representation (O-20, O-24).
#[tokio::test]
async fn oin_deactivates_and_reactivates_with_pathless_patches() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", false)],
        "deactivate on unassign"
    );
    assert_eq!(
        app.target.held("/Users/u-1").map(|u| u["active"].clone()),
        Some(json!(false))
    );

    tenant.assign("alice").expect("reassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", true)],
        "reactivate on reassignment"
    );

    tenant
        .set_account_enabled("alice", false)
        .expect("deactivate alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", false)],
        "deactivate in the source"
    );

    tenant.hard_delete_user("alice").expect("delete alice");
    push(&mut engine, &tenant).await;
    assert_eq!(app.target.take().await, vec![], "Okta never deletes users");
    assert_eq!(
        app.target.held("/Users/u-1").map(|u| u["active"].clone()),
        Some(json!(false)),
        "alice stays, inactive"
    );
}

/// O-23: Okta deletes only a deactivated user, so deleting an active one deactivates it: the
/// app gets the deactivation, OIN's path-less PATCH or AIW's GET + PUT, and never a DELETE.
#[tokio::test]
async fn deleting_an_active_user_sends_its_deactivation() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::start(integration).await;
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let mut inactive = alice_on_target(&tenant);
        inactive["active"] = json!(false);

        tenant.hard_delete_user("alice").expect("delete alice");
        push(&mut engine, &tenant).await;
        let expected = match integration {
            Integration::Oin => vec![set_active("/Users/u-1", false)],
            Integration::Aiw => vec![read("/Users/u-1"), with_body("PUT", "/Users/u-1", inactive)],
        };
        assert_eq!(app.target.take().await, expected, "{integration:?}");
        assert_eq!(
            app.target.held("/Users/u-1").map(|u| u["active"].clone()),
            Some(json!(false)),
            "{integration:?}: alice stays, inactive"
        );
    }
}

/// §2.4, AIW: (de)activation is a PUT of the whole object with `active` changed.
#[tokio::test]
async fn aiw_deactivates_and_reactivates_with_put() {
    let app = OktaApp::start(Integration::Aiw).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign alice");
    push(&mut engine, &tenant).await;
    let mut inactive = alice_on_target(&tenant);
    inactive["active"] = json!(false);
    assert_eq!(
        app.target.take().await,
        vec![read("/Users/u-1"), with_body("PUT", "/Users/u-1", inactive)]
    );

    tenant.assign("alice").expect("reassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Users/u-1"),
            with_body("PUT", "/Users/u-1", alice_on_target(&tenant))
        ]
    );
}

/// §2.2 step 1: a 404 on the matching query means "no such user", and the POST follows.
#[tokio::test]
async fn a_404_match_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(|req: &Request| {
            let mut user: Map<String, Value> =
                serde_json::from_slice(&req.body).expect("a JSON body");
            user.insert("id".into(), json!("u-1"));
            wire::scim(201, &Value::Object(user))
        })
        .mount(&server)
        .await;
    let target = Target {
        server,
        store: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = OktaApp::against(target, Integration::Oin);
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
}

/// §2.2 step 4: a 201 with an empty body is a failure ("Create new user returned empty
/// user"); nothing is linked, so the next push matches again.
#[tokio::test]
async fn an_empty_create_answer_fails() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wire::scim(200, &list(vec![])))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let target = Target {
        server,
        store: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = OktaApp::against(target, Integration::Oin);
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    assert_eq!(app.target.take().await.len(), 2, "match and POST");
    let rec = report
        .records
        .iter()
        .find(|r| r.object == "alice")
        .expect("a record for alice");
    assert_eq!(
        rec.error_code.as_deref(),
        Some("SystemForCrossDomainIdentityManagementServiceIncompatible")
    );
    let object_id = tenant.user("alice").expect("alice").object_id;
    assert!(engine.link(&object_id).is_none(), "nothing is linked");
}

/// Drops `name.familyName` from a user, as a server without that attribute would.
fn drop_family_name(user: &mut Value) {
    if let Some(name) = user.get_mut("name").and_then(Value::as_object_mut) {
        name.remove("familyName");
    }
}

/// O-13, O-34: Okta pushes when the Okta user's profile changes, judged against its app-user
/// profile, not against what the target returns. A server that silently drops
/// `name.familyName` gets no PUT when alice is pushed again with nothing Okta maps changed (a
/// harness diffing against the GET answer would PUT the family name at every event); when
/// her given name changes it gets exactly GET + PUT of the GET answer with Okta's whole
/// profile laid over it — the family name included — and the log lists only what changed.
#[tokio::test]
async fn a_server_that_drops_an_attribute_gets_no_put_until_the_okta_profile_changes() {
    for integration in [Integration::Oin, Integration::Aiw] {
        let app = OktaApp::against(Target::forgetting(drop_family_name).await, integration);
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let mut on_target = alice_on_target(&tenant);
        drop_family_name(&mut on_target);
        assert_eq!(app.target.held("/Users/u-1"), Some(on_target.clone()));

        // An event about alice that changes nothing Okta maps: a department Okta does not
        // push, then a re-assignment.
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::Department, text("R&D"))]),
            )
            .expect("update alice");
        let report = engine
            .cycle(&tenant, SyncKind::Incremental)
            .await
            .expect("the push runs");
        assert_eq!(
            app.target.take().await,
            vec![],
            "{integration:?}: nothing sent"
        );
        let rec = report.records.last().expect("a record for alice");
        assert_eq!(rec.skip_reason.as_deref(), Some("RedundantExport"));
        assert_eq!(
            rec.reason.as_deref(),
            Some("Okta's app-user profile is unchanged; nothing sent")
        );
        tenant.unassign("alice").expect("unassign");
        tenant.assign("alice").expect("reassign");
        push(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![],
            "{integration:?}: re-assigned"
        );

        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::GivenName, text("Alicia"))]),
            )
            .expect("rename alice");
        let report = engine
            .cycle(&tenant, SyncKind::Incremental)
            .await
            .expect("the push runs");
        let mut merged = on_target.clone();
        merged["name"] = json!({"givenName": "Alicia", "familyName": "Smith"});
        merged["displayName"] = json!("Alicia Smith");
        assert_eq!(
            app.target.take().await,
            vec![read("/Users/u-1"), with_body("PUT", "/Users/u-1", merged)],
            "{integration:?}: the source changed"
        );
        let changed: Vec<&str> = report
            .records
            .last()
            .expect("a record for alice")
            .modified_properties
            .iter()
            .map(|m| m.name.as_ref())
            .collect();
        assert_eq!(
            changed,
            ["name.givenName", "displayName"],
            "{integration:?}"
        );
    }
}

/// O-14: with "Sync Password" on, an OIN profile push (GET + PUT) is followed by the
/// password-sync PATCH, path-less like the (de)activation `[I]`; (de)activation alone sends
/// none, and AIW none at all.
#[tokio::test]
async fn password_sync_patch_follows_a_profile_push() {
    let app = OktaApp::with_options(&[("password_sync", "true")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, text("Jones"))]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let mut merged = alice_on_target(&tenant);
    merged["name"]["familyName"] = json!("Jones");
    merged["displayName"] = json!("Alice Jones");
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Users/u-1"),
            with_body("PUT", "/Users/u-1", merged),
            with_body(
                "PATCH",
                "/Users/u-1",
                json!({"schemas": [PATCH_OP],
                       "Operations": [{"op": "replace", "value": {"password": PASSWORD}}]})
            ),
        ],
        "profile push with password sync"
    );
    tenant.unassign("alice").expect("unassign alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-1", false)],
        "a deactivation carries no password"
    );

    let aiw = OktaApp::with_options(&[("password_sync", "true"), ("integration", "aiw")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = aiw.engine();
    create_alice(&aiw, &mut engine, &tenant).await;
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, text("Jones"))]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let methods: Vec<String> = aiw
        .target
        .take()
        .await
        .into_iter()
        .map(|s| s.method)
        .collect();
    assert_eq!(methods, vec!["GET", "PUT"], "AIW: PUT only (O-15)");
}
