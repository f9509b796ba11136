//! Pins the exact requests the PingOne profile sends (idp-behavior.md §4): a wiremock target
//! plays a small correct SCIM server with state, the engine pushes each tenant change as
//! PingOne does (one incremental push per change, no probe), and every request the target
//! received is compared, in order, with PingOne's.

mod pingone_target;
mod wire;

use std::collections::BTreeMap;

use pingone_target::*;
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};

#[tokio::test]
async fn test_connection_is_the_user_filter_on_a_random_value() {
    let conn = Connection::start(&[]).await;
    let engine = conn.engine();
    let mut report = CycleReport::default();
    for _ in 0..2 {
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
    }
    let probe = sent("GET", USERS, &[("filter", r#"username Eq "<guid>""#)], None);
    assert_eq!(conn.target.take().await, vec![probe.clone(), probe]);
    let raw = conn.target.raw_queries().await;
    let values: Vec<&str> = raw
        .iter()
        .map(|q| {
            q.as_deref()
                .and_then(|q| q.strip_prefix("filter=username+Eq+%22"))
                .and_then(|q| q.strip_suffix("%22"))
                .expect("filter=username+Eq+%22<guid>%22")
        })
        .collect();
    assert_ne!(values[0], values[1], "every probe uses a new value");
}

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

/// The rule's group `team` with alice; returns the tenant after the first push.
async fn push_team(engine: &mut Engine<'_>) -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    add_user(&mut tenant, "bob");
    tenant
        .create_group("team", "Team", &["alice".to_string()])
        .expect("create team");
    tenant.assign("team").expect("assign team");
    push(engine, &tenant).await;
    tenant
}

#[tokio::test]
async fn group_create_is_a_post_then_the_group_put_with_its_members() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    push_team(&mut engine).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            match_group("Team"),
            post(
                GROUPS,
                json!({"schemas": [CORE_GROUP], "displayName": "Team"})
            ),
            group_put("g-2", "Team", &["u-1"]),
        ]
    );
}

#[tokio::test]
async fn membership_changes_put_the_whole_member_list() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    let mut bob = alice_post_body();
    bob["userName"] = json!("bob@contoso.com");
    bob["emails"][0]["value"] = json!("bob@contoso.com");
    bob["externalId"] = json!("bob");
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("bob@contoso.com"),
            post(USERS, bob),
            get(&group_path("g-2")),
            group_put("g-2", "Team", &["u-1", "u-3"]),
        ],
        "add"
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            // alice leaves the rule's scope: the remove action (disable) first.
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            ),
            get(&group_path("g-2")),
            group_put("g-2", "Team", &["u-3"]),
        ],
        "remove"
    );
}

#[tokio::test]
async fn rename_is_the_group_put_with_the_members_it_has() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.rename_group("team", "Team EMEA").expect("rename");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&group_path("g-2")),
            group_put("g-2", "Team EMEA", &["u-1"])
        ]
    );
    assert_eq!(
        conn.target.group("g-2").expect("kept")["members"],
        json!([{"value": "u-1"}]),
        "the rename kept the member"
    );
}

#[tokio::test]
async fn group_delete_sends_delete() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.delete_group("team").expect("delete team");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            // alice had access only through the group: users go first, the remove action.
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                })
            ),
            delete(&group_path("g-2")),
        ]
    );
    assert_eq!(conn.target.group("g-2"), None);
}

/// §4: "Team" already exists on the target with `x-9`, a user PingOne does not know.
/// Merge keeps x-9 beside alice; overwrite leaves only alice. The scenario language has no
/// step that creates a group on the target, so this lives here.
async fn existing_group(policy: &str, members: &[&str]) {
    let conn = Connection::start(&[("existing_group", policy)]).await;
    conn.target.seed(
        "Users",
        "x-9",
        json!({"schemas": [CORE_USER], "userName": "legacy@contoso.com"}),
    );
    conn.target.seed(
        "Groups",
        "g-0",
        json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": [{"value": "x-9"}]}),
    );
    let mut engine = conn.engine();
    push_team(&mut engine).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            match_group("Team"),
            // The engine reads the existing group's members once, when it links it.
            get(&group_path("g-0")),
            group_put("g-0", "Team", members),
        ],
        "{policy}"
    );
    let held: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    assert_eq!(
        conn.target.group("g-0").expect("kept")["members"],
        json!(held),
        "{policy}"
    );
}

#[tokio::test]
async fn existing_group_merge_keeps_the_targets_own_members() {
    existing_group("merge", &["u-1", "x-9"]).await;
}

#[tokio::test]
async fn existing_group_overwrite_replaces_the_targets_members() {
    existing_group("overwrite", &["u-1"]).await;
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
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(changed, ["title"]);
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
