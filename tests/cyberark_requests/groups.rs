//! Mapped roles as groups: listed, posted, patched; membership changes; an existing group reused.

use super::*;

/// The role `team` with alice, mapped to the app; alice is assigned on her own too.
async fn mapped_team(app: &App, engine: &mut Engine<'_>) -> Tenant {
    let mut tenant = created_alice(app, engine).await;
    add_user(&mut tenant, "bob");
    tenant.assign("bob").expect("assign bob");
    push(engine, &tenant).await;
    app.take().await;
    tenant
        .create_group("team", "Team", &["alice".to_string()])
        .expect("create team");
    tenant.assign("team").expect("map team");
    push(engine, &tenant).await;
    tenant
}

#[tokio::test]
async fn a_mapped_role_is_listed_posted_then_patched_with_its_members() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    mapped_team(&app, &mut engine).await;
    assert_eq!(
        app.take().await,
        vec![
            list_groups(),
            sent(
                "POST",
                GROUPS,
                &[],
                Some(json!({"schemas": [CORE_GROUP], "displayName": "Team"}))
            ),
            patch(
                &group_path("g-3"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-1"}]}])
            ),
        ]
    );
}

#[tokio::test]
async fn membership_changes_are_patches_and_a_removed_mapping_sends_nothing() {
    let app = App::start(&[]).await;
    let mut engine = app.engine();
    let mut tenant = mapped_team(&app, &mut engine).await;
    app.take().await;

    tenant.add_member("team", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            get(&group_path("g-3")),
            patch(
                &group_path("g-3"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-2"}]}])
            ),
        ],
        "add"
    );

    tenant.remove_member("team", "alice").expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.take().await,
        vec![
            get(&group_path("g-3")),
            patch(
                &group_path("g-3"),
                json!([{"op": "remove", "path": "members[value eq \"u-1\"]"}])
            ),
        ],
        "remove"
    );

    tenant.unassign("team").expect("unmap team");
    push(&mut engine, &tenant).await;
    tenant.delete_group("team").expect("delete the role");
    push(&mut engine, &tenant).await;
    assert_eq!(app.take().await, vec![], "the group stays (CA-4)");
    assert_eq!(
        app.resource("Groups", "g-3").expect("kept")["members"],
        json!([{"value": "u-2"}])
    );
}

#[tokio::test]
async fn an_existing_destination_group_is_reused_and_keeps_its_members() {
    let app = App::start(&[]).await;
    app.seed(
        "Groups",
        "g-0",
        json!({"schemas": [CORE_GROUP], "displayName": "Team", "members": [{"value": "x-9"}]}),
    );
    let mut engine = app.engine();
    mapped_team(&app, &mut engine).await;
    assert_eq!(
        app.take().await,
        vec![
            list_groups(),
            patch(
                &group_path("g-0"),
                json!([{"op": "add", "path": "members", "value": [{"value": "u-1"}]}])
            ),
        ]
    );
    assert_eq!(
        app.resource("Groups", "g-0").expect("reused")["members"],
        json!([{"value": "x-9"}, {"value": "u-1"}])
    );
}
