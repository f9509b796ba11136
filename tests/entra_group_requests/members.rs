//! Group membership (§1.7, §1.11): a group created with its direct user members, member adds
//! and removes in each dialect, batched by `member_batch`.

use super::*;

/// §1.7 / §1.11 "Group assigned with members": the members' flows, the group matched by
/// displayName without members, POSTed empty with Entra's body, then one PATCH adding the
/// direct user members. The nested group and its member are not sent; nothing is re-written
/// on a quiet cycle (Entra never re-reads membership).
#[tokio::test]
async fn group_create_matches_posts_empty_then_adds_direct_user_members() {
    for dialect in DIALECTS {
        let app = EntraApp::with_dialect(dialect).await;
        let mut tenant = Tenant::new();
        for user in ["alice", "bob", "carol"] {
            add_user(&mut tenant, user, &[]);
        }
        tenant
            .create_group("eng", "Engineering", &["carol".into()])
            .expect("create eng");
        tenant
            .create_group(
                "sales",
                "Sales",
                &["alice".into(), "bob".into(), "eng".into()],
            )
            .expect("create sales");
        tenant.assign("sales").expect("assign sales");
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        let sales = object_id(&tenant, "sales");
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                match_user("alice"),
                sent("POST", USERS, &[], Some(user_body("alice"))),
                match_user("bob"),
                sent("POST", USERS, &[], Some(user_body("bob"))),
                match_group("Sales"),
                post_group(&sales, "Sales"),
                patch_group(
                    "g-1",
                    json!([{"op": add_op(dialect), "path": "members", "value": [
                        {"$ref": null, "value": "u-1"},
                        {"$ref": null, "value": "u-2"}
                    ]}])
                ),
            ],
            "{dialect:?}: carol (a member of the nested eng only) and eng are not provisioned"
        );
        // Encoded as Entra sends it (§1.7): excludedAttributes first, `+` and `%22` in the filter.
        let raw: Vec<Option<String>> = app
            .target
            .received()
            .await
            .iter()
            .map(|r| r.url.query().map(str::to_string))
            .collect();
        assert_eq!(
            raw[5].as_deref(),
            Some("excludedAttributes=members&filter=displayName+eq+%22Sales%22"),
            "{dialect:?}"
        );
        assert_eq!(
            engine
                .link(&tenant.group("sales").expect("sales").object_id)
                .map(|l| l.target_id.as_str()),
            Some("g-1"),
            "{dialect:?}: the returned id is the group's anchor"
        );

        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![probe()],
            "{dialect:?}: nothing changed, membership is not re-sent"
        );
    }
}

/// §1.7: "multiple members may be batched in one PATCH"; `member_batch` sets the size.
#[tokio::test]
async fn member_add_is_batched_by_member_batch() {
    let app = EntraApp::start(&[("member_batch", "2")]).await;
    let members = ["alice", "bob", "carol", "dave", "erin"];
    let tenant = tenant_with_sales(&members);
    let mut engine = app.engine();
    run(&mut engine, &tenant, SyncKind::Initial).await;
    let mut expected = vec![probe()];
    for member in members {
        expected.extend(create_user(member));
    }
    expected.extend([
        match_group("Sales"),
        post_group(&object_id(&tenant, "sales"), "Sales"),
        patch_group("g-1", add_members("Add", &["u-1", "u-2"])),
        patch_group("g-1", add_members("Add", &["u-3", "u-4"])),
        patch_group("g-1", add_members("Add", &["u-5"])),
    ]);
    assert_eq!(app.target.take().await, expected);
}

/// §1.7 member removed (and one added) in one incremental cycle: the removed users lose their
/// only assignment and are disabled (§1.6), the new member is created, then the group is read
/// without members and the deltas go as one Add and one Remove, in the dialect's shape.
async fn member_remove(dialect: Dialect, remove: Value) {
    let app = EntraApp::with_dialect(dialect).await;
    let mut tenant = tenant_with_sales(&["alice", "bob", "dave"]);
    add_user(&mut tenant, "carol", &[]);
    let mut engine = app.engine();
    create_sales(
        &app,
        &mut engine,
        &tenant,
        &["alice", "bob", "dave"],
        dialect,
    )
    .await;

    tenant.remove_member("sales", "bob").expect("remove bob");
    tenant.remove_member("sales", "dave").expect("remove dave");
    tenant.add_member("sales", "carol").expect("add carol");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut expected = vec![
        probe(),
        read_user("u-2"),
        patch_user("u-2", disable(dialect)),
    ];
    expected.extend(create_user("carol"));
    expected.extend([
        read_user("u-3"),
        patch_user("u-3", disable(dialect)),
        read_group("g-1"),
        patch_group("g-1", add_members(add_op(dialect), &["u-4"])),
        patch_group("g-1", remove),
    ]);
    assert_eq!(app.target.take().await, expected, "{dialect:?}");

    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: the deltas are sent once"
    );
}

#[tokio::test]
async fn member_remove_default_dialect_removes_by_value_list() {
    member_remove(
        Dialect::Default,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u-2"}, {"value": "u-3"}]}]),
    )
    .await;
}

#[tokio::test]
async fn member_remove_flag_dialect_sends_one_value_filter_op_per_member() {
    member_remove(
        Dialect::Scim062020,
        json!([
            {"op": "remove", "path": "members[value eq \"u-2\"]"},
            {"op": "remove", "path": "members[value eq \"u-3\"]"}
        ]),
    )
    .await;
}

/// Member removes are batched like adds, `member_batch` members per PATCH `[I]` (Entra
/// documents no batch size): three members removed with a batch of 2 go in two PATCHes, in
/// each dialect's shape.
#[tokio::test]
async fn member_remove_is_batched_by_member_batch() {
    for dialect in DIALECTS {
        let app = EntraApp::start(&[
            ("patch_dialect", dialect.option_value()),
            ("member_batch", "2"),
        ])
        .await;
        let mut tenant = tenant_with_sales(&["alice", "bob", "carol"]);
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        app.target.take().await;

        for member in ["alice", "bob", "carol"] {
            tenant
                .remove_member("sales", member)
                .expect("remove member");
        }
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        let removes = |ids: &[&str]| match dialect {
            Dialect::Default => {
                let value: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
                json!([{"op": "Remove", "path": "members", "value": value}])
            }
            Dialect::Scim062020 => Value::Array(
                ids.iter()
                    .map(
                        |id| json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")}),
                    )
                    .collect(),
            ),
        };
        let mut expected = vec![probe()];
        for id in ["u-1", "u-2", "u-3"] {
            expected.extend([read_user(id), patch_user(id, disable(dialect))]);
        }
        expected.extend([
            read_group("g-1"),
            patch_group("g-1", removes(&["u-1", "u-2"])),
            patch_group("g-1", removes(&["u-3"])),
        ]);
        assert_eq!(app.target.take().await, expected, "{dialect:?}");
    }
}

/// A server that numbers each collection on its own holds user `n-1` and group `n-1`, two
/// different objects (RFC 7643 §3.1 wants ids unique across all resources; that is the
/// server's fault, not a link clash): the group Entra matches by displayName is linked and
/// gets its member.
/// Until 2026-12-03 the engine looked for a matched id among every link, users' included,
/// and refused the group as `TargetEntryAlreadyLinked` to the user.
#[tokio::test]
async fn a_group_matched_under_the_id_of_a_linked_user_is_linked() {
    let app = EntraApp::on(Target::start_numbered().await, &[]);
    let existing = scim_harness::scim::ScimRequest::with_body(
        scim_harness::scim::Verb::Post,
        "/Groups",
        json!({"schemas": [CORE_GROUP], "displayName": "Sales"}),
    );
    let made = app.client.send(&existing).await.expect("the group is made");
    assert_eq!(made.status, 201);
    app.target.take().await;
    let tenant = tenant_with_sales(&["alice"]);
    let mut engine = app.engine();
    let report = engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the cycle runs");
    let failed: Vec<_> = report
        .records
        .iter()
        .filter(|r| r.status == scim_harness::scenario::model::Status::Failure)
        .map(|r| (&r.object, &r.error_code, &r.reason))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let link = |object: &str| {
        let object_id = tenant.group(object).map(|g| g.object_id);
        let object_id = object_id.or_else(|| tenant.user(object).map(|u| u.object_id));
        engine
            .link(&object_id.expect("in the tenant"))
            .map(|l| l.target_id.clone())
    };
    assert_eq!(link("alice").as_deref(), Some("n-1"));
    assert_eq!(link("sales").as_deref(), Some("n-1"));
    let sent = app.target.take().await;
    let add = patch_group("n-1", add_members(add_op(Dialect::Default), &["n-1"]));
    assert!(sent.contains(&add), "{sent:#?}");
}
