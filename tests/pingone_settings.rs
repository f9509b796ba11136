//! Pins what PingOne's connection settings (idp-behavior.md §4.1, P1-1) change on the wire:
//! the same wiremock target as `tests/pingone_requests/`, one connection per setting, and every
//! request compared, in order, with PingOne's.

mod pingone_target;
mod wire;

use std::collections::BTreeMap;

use pingone_target::*;
use scim_harness::engine::log::{Action, LogRecord};
use scim_harness::engine::runner::cleanup;
use scim_harness::engine::Engine;
use scim_harness::idp::Tenant;
use scim_harness::scenario::model::{Status, SyncKind, UserAttr};
use serde_json::json;

const ACCOUNTS: &str = "/scim/v2/Accounts";
const TEAMS: &str = "/scim/v2/Teams";

/// P1-1 `USERS_RESOURCE` / `GROUPS_RESOURCE`: a target that keeps its users at `/Accounts`
/// and its groups at `/Teams` (and answers 404 at `/Users` and `/Groups`) gets every
/// request there — match, POST, read, PUT, DELETE — and cleanup deletes what the run
/// created there too.
#[tokio::test]
async fn every_request_and_cleanup_go_to_the_configured_resources() {
    let target = Target::serving(Store {
        users_at: Some("Accounts"),
        groups_at: Some("Teams"),
        ..Store::default()
    })
    .await;
    let conn = Connection::against(
        target,
        &[
            ("users_resource", "/Accounts"),
            ("groups_resource", "/Teams/"),
            ("remove_action", "delete"),
        ],
    );
    let mut engine = conn.engine();
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    add_user(&mut tenant, "bob");
    tenant
        .create_group("team", "Team", &["alice".to_string()])
        .expect("create team");
    tenant.assign("team").expect("assign team");
    push(&mut engine, &tenant).await;
    let members = |ids: &[&str]| -> serde_json::Value {
        json!(ids.iter().map(|m| json!({"value": m})).collect::<Vec<_>>())
    };
    let team_put = |ids: &[&str]| {
        put(
            &format!("{TEAMS}/g-2"),
            json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": members(ids)}),
        )
    };
    assert_eq!(
        conn.target.take().await,
        vec![
            sent(
                "GET",
                ACCOUNTS,
                &[("filter", r#"username Eq "alice@contoso.com""#)],
                None
            ),
            post(ACCOUNTS, alice_post_body()),
            sent(
                "GET",
                TEAMS,
                &[("filter", r#"displayName eq "Team""#)],
                None
            ),
            post(
                TEAMS,
                json!({"schemas": [CORE_GROUP], "displayName": "Team"})
            ),
            team_put(&["u-1"]),
        ],
        "create"
    );

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    let sent_now = conn.target.take().await;
    assert_eq!(
        sent_now[2..],
        [get(&format!("{TEAMS}/g-2")), team_put(&["u-1", "u-3"])],
        "membership: the group read and PUT"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("title");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&format!("{ACCOUNTS}/u-1")),
            put(
                &format!("{ACCOUNTS}/u-1"),
                alice_put_body(|b| {
                    b.insert("title".into(), json!("Lead"));
                })
            ),
        ],
        "update"
    );

    tenant.soft_delete_user("bob").expect("delete bob");
    push(&mut engine, &tenant).await;
    let sent_now = conn.target.take().await;
    assert_eq!(
        sent_now[0],
        delete(&format!("{ACCOUNTS}/u-3")),
        "REMOVE_ACTION delete"
    );
    assert!(
        sent_now
            .iter()
            .all(|s| s.path.starts_with(ACCOUNTS) || s.path.starts_with(TEAMS)),
        "{sent_now:?}"
    );

    // Cleanup deletes what the run created where it created it, and proves it gone there.
    let done = cleanup(&conn.client, engine.created()).await;
    assert_eq!(done.left, Vec::<String>::new());
    assert_eq!(conn.target.user("u-1"), None);
    assert_eq!(conn.target.group("g-2"), None);
    let swept = conn.target.take().await;
    assert!(
        swept.contains(&delete(&format!("{ACCOUNTS}/u-1")))
            && swept.contains(&delete(&format!("{TEAMS}/g-2")))
            && swept.contains(&get(&format!("{TEAMS}/g-2"))),
        "{swept:?}"
    );
    assert!(
        swept
            .iter()
            .all(|s| !s.path.contains("/Users") && !s.path.contains("/Groups")),
        "{swept:?}"
    );
}

/// P1-1 `GROUP_NAME_SOURCE` distinguished name: the group is matched, POSTed, written and
/// renamed under `CN=<name>,OU=Groups,DC=contoso,DC=com` (the DN's base is `[inferred]`); the
/// default sends the group's own name (`tests/pingone_requests/`).
#[tokio::test]
async fn group_name_source_distinguished_name_sends_the_dn_as_display_name() {
    let conn = Connection::start(&[("group_name_source", "distinguished_name")]).await;
    let mut engine = conn.engine();
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice");
    tenant
        .create_group("team", "Team, EMEA", &["alice".to_string()])
        .expect("create team");
    tenant.assign("team").expect("assign team");
    push(&mut engine, &tenant).await;
    let dn = r"CN=Team\, EMEA,OU=Groups,DC=contoso,DC=com";
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            // The filter's string literal escapes the DN's backslash (RFC 7644 §3.4.2.2).
            sent(
                "GET",
                GROUPS,
                &[(
                    "filter",
                    r#"displayName eq "CN=Team\\, EMEA,OU=Groups,DC=contoso,DC=com""#
                )],
                None
            ),
            post(GROUPS, json!({"schemas": [CORE_GROUP], "displayName": dn})),
            group_put("g-2", dn, &["u-1"]),
        ]
    );

    tenant.rename_group("team", "Team APAC").expect("rename");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&group_path("g-2")),
            group_put("g-2", "CN=Team APAC,OU=Groups,DC=contoso,DC=com", &["u-1"]),
        ]
    );
}

/// One push, and the provisioning-log record it wrote for `object`.
async fn push_logged(engine: &mut Engine<'_>, tenant: &Tenant, object: &str) -> LogRecord {
    let report = engine
        .cycle(tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    report
        .records
        .into_iter()
        .find(|r| r.object == object)
        .expect("a record for the object")
}

/// The record says the write was skipped because the admin switched it off, naming the
/// setting.
fn assert_switched_off(rec: &LogRecord, setting: &str) {
    assert_eq!(rec.status, Status::Skipped, "{rec:?}");
    assert_eq!(rec.skip_reason.as_deref(), Some("ActionSwitchedOff"));
    let why = rec.reason.as_deref().unwrap_or_default();
    assert!(why.starts_with(&format!("{setting} is off")), "{why}");
}

/// P1-1 `CREATE_USERS` off: alice is still looked for (a match would link her), but she is
/// not POSTed and stays unlinked.
#[tokio::test]
async fn create_users_off_matches_but_never_posts() {
    let conn = Connection::start(&[("create_users", "false")]).await;
    let mut engine = conn.engine();
    let tenant = tenant_with_alice();
    let rec = push_logged(&mut engine, &tenant, "alice").await;
    assert_switched_off(&rec, "CREATE_USERS");
    assert_eq!(rec.provisioning_action, Action::Create);
    assert_eq!(
        conn.target.take().await,
        vec![match_user("alice@contoso.com")]
    );
    assert_eq!(conn.target.user("u-1"), None);
    assert!(
        engine
            .link(&tenant.user("alice").expect("alice").object_id)
            .is_none(),
        "nothing links alice"
    );
}

/// P1-1 `UPDATE_USERS` off: a change to a linked alice sends nothing (not even the read
/// before the PUT), and neither does her reactivation; disabling her still goes out.
#[tokio::test]
async fn update_users_off_sends_no_put_for_changes_or_reactivation() {
    let conn = Connection::start(&[("update_users", "false")]).await;
    let mut engine = conn.engine();
    let mut tenant = tenant_with_alice();
    create_alice(&conn, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Lead"))]),
        )
        .expect("title");
    let rec = push_logged(&mut engine, &tenant, "alice").await;
    assert_switched_off(&rec, "UPDATE_USERS");
    assert_eq!(rec.provisioning_action, Action::Update);
    assert_eq!(conn.target.take().await, vec![], "change");

    tenant.unassign("alice").expect("unassign");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            get(&user_path("u-1")),
            put(
                &user_path("u-1"),
                // The whole user as PingOne holds it, with the title the switch held back
                // [I: the disable is the PUT of the whole user, P1-9].
                alice_put_body(|b| {
                    b.insert("active".into(), json!(false));
                    b.insert("title".into(), json!("Lead"));
                })
            ),
        ],
        "the disable is DISABLE_USERS', still on"
    );

    tenant.assign("alice").expect("assign");
    let rec = push_logged(&mut engine, &tenant, "alice").await;
    assert_switched_off(&rec, "UPDATE_USERS");
    assert_eq!(conn.target.take().await, vec![], "reactivation");
    assert_eq!(
        conn.target.user("u-1").expect("kept")["active"],
        json!(false)
    );
}

/// P1-1 `DISABLE_USERS` off: unassigning alice sends nothing under `REMOVE_ACTION` disable
/// or delete; she stays active on the target.
#[tokio::test]
async fn disable_users_off_neither_disables_nor_deletes() {
    for remove_action in ["disable", "delete"] {
        let conn =
            Connection::start(&[("disable_users", "false"), ("remove_action", remove_action)])
                .await;
        let mut engine = conn.engine();
        let mut tenant = tenant_with_alice();
        create_alice(&conn, &mut engine, &tenant).await;

        tenant.unassign("alice").expect("unassign");
        let rec = push_logged(&mut engine, &tenant, "alice").await;
        assert_switched_off(&rec, "DISABLE_USERS");
        let action = if remove_action == "delete" {
            Action::Delete
        } else {
            Action::Disable
        };
        assert_eq!(rec.provisioning_action, action, "{remove_action}");

        tenant.hard_delete_user("alice").expect("purge");
        push(&mut engine, &tenant).await;
        assert_eq!(conn.target.take().await, vec![], "{remove_action}");
        assert_eq!(
            conn.target.user("u-1").expect("kept")["active"],
            json!(true),
            "{remove_action}"
        );
    }
}
