//! User pushes: match then POST of the template, path-less replace, suspend and restore.

use super::*;

#[tokio::test]
async fn match_then_post_of_the_template_and_a_404_lookup_means_absent() {
    for not_found_is_404 in [false, true] {
        let conn = Connection::against(
            Store {
                not_found_is_404,
                ..Store::default()
            },
            &[],
        )
        .await;
        let tenant = tenant_with_alice();
        let mut engine = conn.engine();
        create_alice(&conn, &mut engine, &tenant).await;
        let object_id = tenant.user("alice").expect("alice").object_id;
        assert_eq!(
            engine.link(&object_id).map(|l| l.target_id.as_str()),
            Some("u-1")
        );
        // Nothing changed: nothing is read or written.
        push(&mut engine, &tenant).await;
        assert_eq!(conn.target.take().await, vec![]);
    }
}

#[tokio::test]
async fn update_is_one_pathless_replace_with_a_lone_emails_object() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::Mail, text("a.jones@contoso.com")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![patch(
            &user_path("u-1"),
            json!([{"op": "replace", "value": {
                "name": {"givenName": "Alice", "familyName": "Jones"},
                "emails": {"value": "a.jones@contoso.com", "type": "work", "primary": true}
            }}])
        )]
    );
    let user = conn.target.user("u-1").expect("kept");
    assert_eq!(user["emails"][0]["value"], json!("a.jones@contoso.com"));
}

#[tokio::test]
async fn suspend_is_a_patch_of_active_false_and_access_back_restores_it() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![active_patch("false")]);
    assert_eq!(
        conn.target.user("u-1").expect("kept")["active"],
        json!(false)
    );

    tenant.assign("alice").expect("assign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![active_patch("true")]);

    // Suspended in OneLogin: suspended on the target too, even with "Do nothing".
    tenant.set_account_enabled("alice", false).expect("disable");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![active_patch("false")]);
}
