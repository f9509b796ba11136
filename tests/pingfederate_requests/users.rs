//! User provisioning (§3, PF-3): create on the configured identifier, update and
//! (de)activation as PUTs, the delete remove action, and disabled users provisioned inactive.

use super::*;

#[tokio::test]
async fn create_matches_on_the_configured_identifier_then_posts() {
    for (options, filter) in [
        (
            vec![("unique_user_identifier", "workEmail")],
            r#"emails eq "alice@contoso.com""#,
        ),
        (
            vec![("filter_expression", r#"externalId eq "%s""#)],
            r#"externalId eq "alice@contoso.com""#,
        ),
    ] {
        let app = PingApp::start(&options).await;
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        poll(&mut engine, &tenant, SyncKind::Initial).await;
        assert_eq!(
            app.target.take().await,
            vec![match_user(filter), post(USERS, alice_body(true))],
            "{options:?}"
        );
    }
    let app = PingApp::start(&[]).await;
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
    assert_eq!(
        app.target.raw_queries().await,
        vec![
            Some("filter=userName+eq+%22alice%40contoso.com%22".to_string()),
            None
        ],
        "the matching query as sent"
    );
    let object_id = tenant.user("alice").expect("alice").object_id;
    assert_eq!(
        engine.link(&object_id).map(|l| l.target_id.as_str()),
        Some("u-1"),
        "the returned id is the link"
    );
}

/// §3: an attribute change is GET then a PUT of the whole mapped user; a cleared attribute
/// is never cleared: alone it sends nothing (not even a GET: the sync state says nothing can
/// be pushed), with another change the PUT keeps its value.
#[tokio::test]
async fn update_puts_the_whole_user_and_never_clears() {
    let app = PingApp::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut updated = alice_body(true);
    updated["title"] = json!("Engineer");
    updated["name"]["familyName"] = json!("Jones");
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, updated.clone())],
        "attribute change"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("clear department");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![],
        "a cleared attribute alone sends nothing"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("retitle alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    updated["title"] = json!("Lead");
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, updated)],
        "the PUT carries the department the source no longer has"
    );
    let held = app.target.user("u-1").expect("alice is held");
    assert_eq!(held[ENTERPRISE_USER]["department"], json!("R&D"));
}

/// §3 Remove User Action = Disable (default): disabling alice is GET then the whole user with
/// `active: false`; enabling her again is the same PUT with `active: true`. Removing her from
/// the targeted scope disables her the same way.
#[tokio::test]
async fn deactivate_and_reactivate_are_puts_of_active() {
    let app = PingApp::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(false))],
        "deactivate"
    );

    tenant
        .set_account_enabled("alice", true)
        .expect("enable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(true))],
        "reactivate"
    );

    tenant.unassign("alice").expect("unassign alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(false))],
        "removed from the targeted scope"
    );

    tenant.assign("alice").expect("assign alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(true))],
        "back in scope: still managed, re-enabled"
    );

    tenant.hard_delete_user("alice").expect("delete alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, alice_body(false))],
        "deleted in the source: disabled, not deleted"
    );
    assert!(app.target.user("u-1").is_some());
}

/// §3 Remove User Action = Delete: every trigger sends `DELETE /Users/{id}`, without a read.
#[tokio::test]
async fn remove_action_delete_deletes() {
    let app = PingApp::start(&[("remove_user_action", "delete")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(app.target.take().await, vec![delete(ALICE)], "disabled");
    assert_eq!(app.target.user("u-1"), None);

    // Enabled again, she is a new user to the channel: matched, then created.
    tenant
        .set_account_enabled("alice", true)
        .expect("enable alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user(r#"userName eq "alice@contoso.com""#),
            post(USERS, alice_body(true))
        ],
        "re-enabled"
    );

    tenant.hard_delete_user("alice").expect("delete alice");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![delete("/scim/v2/Users/u-2")],
        "deleted in the source"
    );
}

/// PF-3 "Provision Disabled Users": off (the default), a disabled alice is never sent; on, she
/// is matched and POSTed with `active: false`, and the next poll leaves her as she is.
#[tokio::test]
async fn provision_disabled_users_posts_active_false() {
    let mut tenant = tenant_with_alice();
    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");

    let app = PingApp::start(&[]).await;
    let mut engine = app.engine();
    poll(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(app.target.take().await, vec![], "off: nothing sent");

    let app = PingApp::start(&[("provision_disabled_users", "true")]).await;
    let mut engine = app.engine();
    poll(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user(r#"userName eq "alice@contoso.com""#),
            post(USERS, alice_body(false))
        ],
        "on: created disabled"
    );
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Dev"))]),
        )
        .expect("title");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut body = alice_body(false);
    body["title"] = json!("Dev");
    assert_eq!(
        app.target.take().await,
        vec![get(ALICE, &[]), put(ALICE, body)],
        "a change of the disabled user is a PUT that keeps it disabled, never a removal"
    );
}
