//! Group provisioning (§3, §7): the full member list by PUT, a normalised name, one member per
//! PATCH, and member PATCHes side by side under Max Threads.

use super::*;

/// alice, bob and carol in scope on their own; group `sales` targeted with alice and bob.
fn tenant_with_sales() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice");
    add_user(&mut tenant, "bob", "Bob");
    add_user(&mut tenant, "carol", "Carol");
    tenant
        .create_group("sales", "Sales", &["alice".to_string(), "bob".to_string()])
        .expect("create sales");
    tenant.assign("sales").expect("assign sales");
    tenant
}

/// The first poll with `sales`: users first, then every group listed and matched locally, then
/// the group POSTed with displayName and its members, alice and bob (PF-11, PF-12); nothing
/// else follows, the POST wrote every member.
async fn create_sales(app: &PingApp, engine: &mut Engine<'_>, tenant: &Tenant) {
    poll(engine, tenant, SyncKind::Initial).await;
    let mut expected = vec![];
    for (r, given) in [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")] {
        expected.push(match_user(&format!(r#"userName eq "{r}@contoso.com""#)));
        expected.push(post(USERS, user_body(r, given)));
    }
    expected.push(list_groups());
    expected.push(post(
        GROUPS,
        json!({"schemas": [CORE_GROUP], "displayName": "Sales",
               "members": [{"value": "u-1"}, {"value": "u-2"}]}),
    ));
    assert_eq!(app.target.take().await, expected, "first poll with sales");
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(
        member_values(&held),
        vec!["u-1", "u-2"],
        "members from the POST"
    );
}

fn sales_put(members: &[&str]) -> Sent {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    put(
        SALES,
        json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": members}),
    )
}

fn member_values(group: &Value) -> Vec<String> {
    let mut v: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|x| x.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// §3 default: membership is one PUT with displayName and the full member list, on create
/// and on every change; deleting the group is `DELETE /Groups/{id}`.
#[tokio::test]
async fn groups_put_the_full_member_list() {
    let app = PingApp::start(&[]).await;
    let mut tenant = tenant_with_sales();
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant).await;

    tenant.add_member("sales", "carol").expect("add carol");
    tenant.remove_member("sales", "bob").expect("remove bob");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![sales_put(&["u-1", "u-3"])],
        "membership change: neither the group (its name is in PingFederate's sync state) nor the \
         members it touched (unchanged in the sync state) are read"
    );
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(member_values(&held), vec!["u-1", "u-3"]);

    tenant.delete_group("sales").expect("delete sales");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![delete(SALES)],
        "group delete (its members' entitlement is re-evaluated, their sync state is unchanged)"
    );
    assert_eq!(app.target.group("g-1"), None);
}

/// PingFederate decides a rename from the name in its sync state (PF-18), not from what the
/// server returns: a server that stores the name in its own form (here upper-cased) draws no
/// rename, where a read-and-compare IdP would rename it on every change.
#[tokio::test]
async fn a_server_normalising_the_group_name_draws_no_rename() {
    let app = PingApp::start(&[("group_updates", "patch")]).await;
    let mut tenant = tenant_with_sales();
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant).await;
    if let Some(held) = app
        .target
        .dir
        .lock()
        .expect("target state")
        .groups
        .get_mut("g-1")
    {
        held["displayName"] = json!("SALES");
    }

    tenant.add_member("sales", "carol").expect("add carol");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![patch(
            SALES,
            json!([{"op": "add", "path": "members", "value": [{"value": "u-3"}]}])
        )],
        "the member add alone"
    );
}

/// §3 with group PATCH selected: one request per member change, RFC 7644 shape [I].
#[tokio::test]
async fn groups_patch_one_member_per_request() {
    let app = PingApp::start(&[("group_updates", "patch")]).await;
    let mut tenant = tenant_with_sales();
    let mut engine = app.engine();
    let add = |id: &str| {
        patch(
            SALES,
            json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
        )
    };
    create_sales(&app, &mut engine, &tenant).await;

    tenant.add_member("sales", "carol").expect("add carol");
    tenant.remove_member("sales", "bob").expect("remove bob");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            add("u-3"),
            patch(
                SALES,
                json!([{"op": "remove", "path": "members[value eq \"u-2\"]"}])
            )
        ],
        "membership change"
    );
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(member_values(&held), vec!["u-1", "u-3"]);

    tenant
        .rename_group("sales", "Sales EMEA")
        .expect("rename sales");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![patch(
            SALES,
            json!([{"op": "replace", "path": "displayName", "value": "Sales EMEA"}])
        )],
        "rename [I], decided from the sync state without a read"
    );

    tenant.delete_group("sales").expect("delete sales");
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![delete(SALES)],
        "group delete (its members' entitlement is re-evaluated, their sync state is unchanged)"
    );
}

/// Max Threads 5 with PATCH: the same per-member requests, sent up to five at a time, so
/// their order on the wire is not fixed; every member arrives.
#[tokio::test]
async fn max_threads_sends_member_patches_side_by_side() {
    let app = PingApp::start(&[("group_updates", "patch"), ("max_threads", "5")]).await;
    let mut tenant = Tenant::new();
    let mut refs = Vec::new();
    for i in 1..=12 {
        let r = format!("user{i:02}");
        add_user(&mut tenant, &r, "User");
        refs.push(r);
    }
    // Created empty (its POST would carry members, PF-12); the members join in one poll.
    tenant
        .create_group("sales", "Sales", &[])
        .expect("create sales");
    tenant.assign("sales").expect("assign sales");
    let mut engine = app.engine();
    poll(&mut engine, &tenant, SyncKind::Initial).await;
    app.target.take().await;
    for r in &refs {
        tenant.add_member("sales", r).expect("add member");
    }
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut sent = app.target.take().await;
    let mut patches = sent.split_off(sent.len() - 12);
    patches.sort();
    let mut expected: Vec<Sent> = (1..=12)
        .map(|i| {
            patch(
                SALES,
                json!([{"op": "add", "path": "members", "value": [{"value": format!("u-{i}")}]}]),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(patches, expected);
    let held = app.target.group("g-1").expect("sales is held");
    assert_eq!(member_values(&held).len(), 12);
}
