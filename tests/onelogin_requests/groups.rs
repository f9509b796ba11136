//! Groups: listed, posted, then patched with the members in; membership deltas as patches.

use super::*;

/// The group `team` with alice, given access; returns the tenant after the first push.
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
async fn group_create_lists_groups_posts_and_patches_the_members_in() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    push_team(&mut engine).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            post(USERS, alice_post_body()),
            list_groups(),
            post(
                GROUPS,
                json!({"schemas": [CORE_GROUP], "displayName": "Team"})
            ),
            patch(
                &group_path("g-2"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-1"}]}])
            ),
        ]
    );
    assert_eq!(
        conn.target.group("g-2").expect("created")["members"],
        json!([{"value": "u-1"}])
    );
}

#[tokio::test]
async fn membership_changes_are_group_patches_of_the_delta() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    let mut bob = alice_post_body();
    bob["userName"] = json!("bob@contoso.com");
    bob["emails"][0]["value"] = json!("bob@contoso.com");
    assert_eq!(
        conn.target.take().await,
        vec![
            match_user("bob@contoso.com"),
            post(USERS, bob),
            // [I] the engine reads a linked group before changing it; OneLogin documents
            // only "Get Groups" (OL-3), see idp-behavior.md §7.
            get(&group_path("g-2")),
            patch(
                &group_path("g-2"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-3"}]}])
            ),
        ]
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![
            // alice had access through the group only: suspended first.
            active_patch("false"),
            get(&group_path("g-2")),
            patch(
                &group_path("g-2"),
                json!([{"op": "remove", "path": "members[value eq \"u-1\"]"}])
            ),
        ]
    );
    assert_eq!(
        conn.target.group("g-2").expect("kept")["members"],
        json!([{"value": "u-3"}])
    );
}
