//! Options that change the requests: `string_active`, `removal_action`, `template_file`.

use super::*;

#[tokio::test]
async fn string_active_off_sends_json_booleans() {
    let conn = Connection::start(&[("string_active", "false"), ("null_id", "false")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut body = alice_post_body();
    body["active"] = json!(true);
    body.as_object_mut().expect("object").remove("id");
    assert_eq!(
        conn.target.take().await,
        vec![match_user("alice@contoso.com"), post(USERS, body)]
    );
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![patch(
            &user_path("u-1"),
            json!([{"op": "replace", "value": {"active": false}}])
        )]
    );
}

#[tokio::test]
async fn removal_action_delete_sends_delete_and_nothing_sends_nothing() {
    let conn = Connection::start(&[("removal_action", "delete")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![delete(&user_path("u-1"))]);
    assert_eq!(conn.target.user("u-1"), None);

    let conn = Connection::start(&[("removal_action", "nothing")]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    tenant.hard_delete_user("alice").expect("delete");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, vec![]);
    assert_eq!(
        conn.target.user("u-1").expect("left alone")["active"],
        json!(true)
    );
}

/// A template from a file replaces the shipped one, whatever it writes.
#[tokio::test]
async fn a_template_file_is_what_the_post_carries() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("template.json");
    std::fs::write(
        &file,
        r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "{$user.email}",
            "name": {"formatted": "{$user.firstname} {$user.lastname}"},
            "emails": {"value": "{$user.email}", "type": "work"},
            "active": "{$user.active}"}"#,
    )
    .expect("write");
    let conn = Connection::start(&[
        ("template_file", &file.to_string_lossy()),
        ("null_id", "false"),
    ])
    .await;
    drop(dir);
    let tenant = tenant_with_alice();
    let mut engine = conn.engine();
    push(&mut engine, &tenant).await;
    let mut expected: Map<String, Value> = Map::new();
    expected.insert("schemas".into(), json!([CORE_USER]));
    expected.insert("userName".into(), json!("alice@contoso.com"));
    expected.insert("name".into(), json!({"formatted": "Alice Smith"}));
    expected.insert(
        "emails".into(),
        json!({"value": "alice@contoso.com", "type": "work"}),
    );
    expected.insert("active".into(), json!("true"));
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, Value::Object(expected))
        ]
    );
}
