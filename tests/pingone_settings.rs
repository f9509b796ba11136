//! Pins what PingOne's connection settings (idp-behavior.md §4.1, P1-1) change on the wire:
//! the same wiremock target as `pingone_requests.rs`, one connection per setting, and every
//! request compared, in order, with PingOne's.

mod pingone_target;
mod wire;

use pingone_target::*;
use scim_harness::engine::runner::cleanup;
use scim_harness::idp::Tenant;
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
            &std::collections::BTreeMap::from([(
                scim_harness::scenario::model::UserAttr::JobTitle,
                text("Lead"),
            )]),
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
/// default sends the group's own name (`pingone_requests.rs`).
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
