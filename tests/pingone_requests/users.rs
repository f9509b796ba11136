//! User pushes: match then POST, a PUT of the whole user, emails, clears, (de)activation.

use super::*;

#[tokio::test]
async fn create_matches_with_the_capitalised_filter_then_posts_core_and_enterprise() {
    let conn = Connection::start(&[]).await;
    let tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    let raw = conn.target.raw_queries().await;
    assert_eq!(
        raw[0].as_deref(),
        Some("filter=username+Eq+%22alice%40contoso.com%22"),
        "the matching query as sent"
    );
    let object_id = tenant.user("alice").expect("alice").object_id;
    assert_eq!(
        engine.link(&object_id).map(|l| l.target_id.as_str()),
        Some("u-1")
    );
    // Pushed again with nothing changed: PingOne's last pushed state matches, nothing is
    // read or written.
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("runs");
    assert_eq!(conn.target.take().await, vec![]);
}

#[tokio::test]
async fn update_is_a_put_of_the_whole_user_never_a_patch() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let body = alice_put_body(|b| {
        b.insert("title".into(), json!("Engineer"));
        b.insert(
            "name".into(),
            json!({"givenName": "Alice", "familyName": "Jones"}),
        );
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)]
    );
}

/// P1-7 (`p1-limits`): once the second email is populated, PingOne's PUT marks both emails
/// primary.
#[tokio::test]
async fn a_second_email_is_put_with_both_emails_primary() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::OtherMails, text("alice@home.example"))]),
        )
        .expect("update alice");
    push(&mut engine, &tenant).await;
    let body = alice_put_body(|b| {
        b.insert(
            "emails".into(),
            json!([
                {"primary": true, "type": "work", "value": "alice@contoso.com"},
                {"primary": true, "type": "other", "value": "alice@home.example"}
            ]),
        );
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)]
    );
}

#[tokio::test]
async fn a_cleared_attribute_is_not_sent_and_later_puts_keep_it() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("clear department");
    push(&mut engine, &tenant).await;
    // A clear cannot be pushed (P1-7): nothing is read or written.
    assert_eq!(conn.target.take().await, vec![]);

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("set title");
    push(&mut engine, &tenant).await;
    let body = alice_put_body(|b| {
        b.insert("title".into(), json!("Lead"));
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)],
        "the department the target holds goes back unchanged"
    );
}

#[tokio::test]
async fn deactivate_and_reactivate_put_the_whole_user_with_active_flipped() {
    let conn = Connection::start(&[]).await;
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .set_account_enabled("alice", false)
        .expect("disable alice");
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
        ],
        "deactivate"
    );
    assert_eq!(
        conn.target.user("u-1").expect("kept")["active"],
        json!(false)
    );

    tenant
        .set_account_enabled("alice", true)
        .expect("enable alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(&user_path("u-1"), alice_put_body(|_| {}))
        ],
        "reactivate"
    );
}

/// Drops `type` from every email, as a server that keeps only the address would.
fn drop_email_types(user: &mut Value) {
    for email in user
        .get_mut("emails")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(e) = email.as_object_mut() {
            e.remove("type");
        }
    }
}

/// P1-13 `[I]`: PingOne pushes a user when it changes in PingOne, judged against what it last
/// pushed. A server that drops `emails[].type` never holds the work email PingOne maps, yet
/// pushing alice again with nothing mapped changed sends nothing; a mapped change is GET +
/// the PUT built from the target's representation, and the log lists only that change.
#[tokio::test]
async fn a_server_that_drops_email_types_gets_no_put_until_pingone_changes() {
    let conn = Connection::against(Target::forgetting(drop_email_types).await, &[]);
    let mut tenant = tenant_with_alice();
    let mut engine = conn.engine();
    create_alice(&conn, &mut engine, &tenant).await;
    let held = conn.target.user("u-1").expect("alice is held");
    assert_eq!(
        held["emails"],
        json!([{"primary": true, "value": "alice@contoso.com"}])
    );

    // Pushed again with nothing PingOne maps changed: alice is unassigned and assigned again
    // between two pushes.
    tenant.unassign("alice").expect("unassign alice");
    tenant.assign("alice").expect("reassign alice");
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    assert_eq!(conn.target.take().await, vec![]);
    let rec = report.records.last().expect("a record for alice");
    assert_eq!(rec.skip_reason.as_deref(), Some("RedundantExport"));
    assert_eq!(
        rec.reason.as_deref(),
        Some("PingOne's last pushed state is unchanged; nothing sent")
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("retitle alice");
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    let body = alice_put_body(|b| {
        b.insert("title".into(), json!("Lead"));
        b.insert(
            "emails".into(),
            json!([{"primary": true, "value": "alice@contoso.com"},
                   {"primary": false, "type": "work", "value": "alice@contoso.com"}]),
        );
    });
    assert_eq!(
        conn.target.take().await,
        vec![get(&user_path("u-1")), put(&user_path("u-1"), body)]
    );
    let changed: Vec<&str> = report
        .records
        .last()
        .expect("a record for alice")
        .modified_properties
        .iter()
        .map(|m| m.name.as_ref())
        .collect();
    assert_eq!(changed, ["title"]);
}
