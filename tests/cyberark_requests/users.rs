//! User pushes: match then create, update and deactivate by PUT, delete, an existing userName.

use super::*;

#[tokio::test]
async fn create_matches_on_user_name_then_posts_and_an_unchanged_user_sends_nothing() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let tenant = created_alice(&app, &mut engine).await;
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("a provisioning job runs");
    assert_eq!(app.take().await, vec![], "nothing changed since the push");
}

#[tokio::test]
async fn update_reads_then_puts_the_whole_user() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let mut tenant = created_alice(&app, &mut engine).await;
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("update");
    push(&mut engine, &tenant).await;
    let mut body = user_body("alice", true);
    body["title"] = json!("Lead");
    assert_eq!(
        app.take().await,
        vec![
            get(&user_path("u-1")),
            sent("PUT", &user_path("u-1"), &[], Some(body)),
        ]
    );
}

#[tokio::test]
async fn deactivate_is_the_put_with_active_false_and_a_disabled_user_is_left_alone() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let mut tenant = created_alice(&app, &mut engine).await;
    tenant.set_account_enabled("alice", false).expect("disable");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![],
        "de-provision when disabled is off"
    );
    tenant.set_account_enabled("alice", true).expect("enable");
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            get(&user_path("u-1")),
            sent(
                "PUT",
                &user_path("u-1"),
                &[],
                Some(user_body("alice", false))
            ),
        ]
    );
}

#[tokio::test]
async fn delete_is_a_delete_without_a_read() {
    let app = App::start(&[("deprovision", "delete"), ("deprovision_disabled", "true")]).await;
    let mut engine = app.engine();
    let mut tenant = created_alice(&app, &mut engine).await;
    tenant.set_account_enabled("alice", false).expect("disable");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![sent("DELETE", &user_path("u-1"), &[], None)]
    );
    assert_eq!(app.resource("Users", "u-1"), None);
}

#[tokio::test]
async fn an_existing_principal_name_is_overwritten_or_left_alone() {
    for (option, writes) in [("overwrite", true), ("no-overwrite", false)] {
        let app = App::start(&[("existing_user", option)]).await;
        let legacy =
            json!({"schemas": [CORE_USER], "userName": "Alice@Contoso.com", "title": "Intern"});
        app.seed("Users", "x-1", legacy.clone());
        let mut engine = app.engine();
        let mut tenant = Tenant::new();
        add_user(&mut tenant, "alice");
        tenant.assign("alice").expect("assign");
        push(&mut engine, &tenant).await;
        let mut want = vec![match_user("alice@contoso.com")];
        if writes {
            want.push(get(&user_path("x-1")));
            want.push(sent(
                "PUT",
                &user_path("x-1"),
                &[],
                Some(user_body("alice", true)),
            ));
        }
        assert_eq!(app.take().await, want, "{option}");
        let mut kept = legacy;
        kept["id"] = json!("x-1");
        let held = app.resource("Users", "x-1").expect("still there");
        assert_eq!(held == kept, !writes, "{option}: {held}");
    }
}
