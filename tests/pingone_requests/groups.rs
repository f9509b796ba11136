//! Group pushes: POST then PUT with members, membership, rename, delete, an existing group.

use super::*;

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
