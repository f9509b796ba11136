//! Connection options: user filter, remove action, disabled users, identifier and URNs.

use super::*;

#[tokio::test]
async fn a_custom_user_filter_is_sent_as_the_admin_wrote_it() {
    let conn = Connection::start(&[("user_filter", r#"email Co "%s""#)]).await;
    let tenant = tenant_with_alice();
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let received = conn.target.take().await;
    assert_eq!(
        received[0],
        sent(
            "GET",
            USERS,
            &[("filter", r#"email Co "alice@contoso.com""#)],
            None
        )
    );
    assert_eq!(received[1], post(USERS, alice_post_body()));
}

#[tokio::test]
async fn remove_action_disable_puts_active_false_on_unassign_and_on_delete() {
    let conn = Connection::start(&[("remove_action", "disable")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    let disabled = put(
        &user_path("u-1"),
        alice_put_body(|b| {
            b.insert("active".into(), json!(false));
        }),
    );

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), disabled]
    );

    // Back in scope: re-enabled, still the same record.
    tenant.assign("alice").expect("assign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(&user_path("u-1"), alice_put_body(|_| {}))
        ]
    );

    // Deleted in the source: the same disable, never a DELETE.
    tenant.hard_delete_user("alice").expect("delete");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            )
        ]
    );
    assert!(conn.target.user("u-1").is_some());
}

#[tokio::test]
async fn remove_action_delete_sends_delete_and_a_return_creates_again() {
    let conn = Connection::start(&[("remove_action", "delete")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![delete(&user_path("u-1"))]);
    assert_eq!(conn.target.user("u-1"), None);

    tenant.assign("alice").expect("assign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body())
        ]
    );
}

/// P1-3 provisioning of disabled accounts: off (the default), a disabled alice is never
/// pushed; on, she is matched and POSTed with `active: false`.
#[tokio::test]
async fn provision_disabled_users_posts_active_false() {
    let mut tenant = tenant_with_alice();
    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");

    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![], "off: nothing pushed");

    let conn = Connection::start(&[("provision_disabled_users", "true")]).await;
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut body = alice_post_body();
    body["active"] = json!(false);
    assert_eq!(
        conn.target.take().await,
        vec![match_user("alice@contoso.com"), post(USERS, body)],
        "on: created disabled"
    );
}

/// P1-1, P1-4: with `UNIQUE_USER_IDENTIFIER` email the documented `email Co "%s"` receives
/// alice's email, not her userName; `SCHEMA_EXTENSION_URNS` join core and enterprise in the
/// POST's `schemas`.
#[tokio::test]
async fn unique_user_identifier_fills_the_filter_and_extension_urns_join_the_schemas() {
    let conn = Connection::start(&[
        ("user_filter", r#"email Co "%s""#),
        ("unique_user_identifier", "email"),
        (
            "schema_extension_urns",
            "urn:acme:params:scim:schemas:extension:2.0:User",
        ),
    ])
    .await;
    let tenant = {
        let mut t = Tenant::new();
        add_user(&mut t, "alice");
        t.update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Mail, text("alice.smith@contoso.com"))]),
        )
        .expect("mail");
        t.assign("alice").expect("assign alice");
        t
    };
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut body = alice_post_body();
    body["schemas"] = json!([
        CORE_USER,
        ENTERPRISE_USER,
        "urn:acme:params:scim:schemas:extension:2.0:User"
    ]);
    body["emails"] = json!([{"primary": true, "type": "work", "value": "alice.smith@contoso.com"}]);
    assert_eq!(
        conn.target.take().await,
        vec![
            sent(
                "GET",
                USERS,
                &[("filter", r#"email Co "alice.smith@contoso.com""#)],
                None
            ),
            post(USERS, body)
        ]
    );
}
