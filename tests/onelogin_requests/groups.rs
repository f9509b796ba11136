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

/// What bob joining `team` sends: his lookup and create, then the group PATCH adding him. No
/// `GET /Groups/{id}` first: OneLogin's documented calls hold no group read by id (OL-3).
fn bob_joins_team() -> Vec<Sent> {
    let mut bob = alice_post_body();
    bob["userName"] = json!("bob@contoso.com");
    bob["emails"][0]["value"] = json!("bob@contoso.com");
    vec![
        match_user("bob@contoso.com"),
        post(USERS, bob),
        patch(
            &group_path("g-2"),
            json!([{"op": "add", "path": "members", "value": [{"value": "u-3"}]}]),
        ),
    ]
}

/// What alice leaving `team` sends: she had access through the group only, so she is
/// suspended first, then the group PATCH removes her.
fn alice_leaves_team() -> Vec<Sent> {
    vec![
        active_patch("false"),
        patch(
            &group_path("g-2"),
            json!([{"op": "remove", "path": "members[value eq \"u-1\"]"}]),
        ),
    ]
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
    assert_eq!(conn.target.take().await, bob_joins_team());

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, alice_leaves_team());
    assert_eq!(
        conn.target.group("g-2").expect("kept")["members"],
        json!([{"value": "u-3"}])
    );
}

/// OneLogin reads no group by id (OL-3 lists "Get Groups" but no "Get Group by ID"): a rename
/// is decided from the name it last sent. A server that stores the name in its own form
/// (upper-cased here) draws no rename, and a server without `GET /Groups/{id}` is never asked.
#[tokio::test]
async fn a_rename_is_decided_from_the_name_last_sent_without_a_read() {
    let conn = Connection::start(&[]).await;
    let mut engine = conn.engine();
    let mut tenant = push_team(&mut engine).await;
    conn.target.take().await;
    if let Some(held) = conn
        .target
        .store
        .lock()
        .expect("state")
        .groups
        .get_mut("g-2")
    {
        held["displayName"] = json!("TEAM");
    }

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(conn.target.take().await, bob_joins_team(), "no rename");

    tenant
        .rename_group("team", "Team EMEA")
        .expect("rename team");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        vec![patch(
            &group_path("g-2"),
            json!([{"op": "replace", "path": "displayName", "value": "Team EMEA"}])
        )],
        "the rename, with no read before it"
    );
    assert_eq!(
        conn.target.group("g-2").expect("kept")["displayName"],
        json!("Team EMEA")
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        conn.target.take().await,
        alice_leaves_team(),
        "no second rename: the name last sent is now Team EMEA"
    );
}
