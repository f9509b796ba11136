//! The manager reference (§1.5, E-31, E-33, E-34): set after the creates in each shape,
//! left unset while out of scope, cleared in each dialect and option.

use super::*;

/// alice (manager bob) and bob, both assigned directly.
fn tenant_with_alice_managed_by_bob() -> Tenant {
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", &[(UserAttr::Manager, "bob")]);
    add_user(&mut tenant, "bob", &[]);
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    tenant
}

/// §1.5 / §1.3 step 5: both users are created first, then the manager goes in a separate
/// PATCH on alice in the shape the `manager` option picks. Once the target holds it (as the
/// `{"value": id}` object a correct server returns), a later update of alice does not
/// re-send it.
#[tokio::test]
async fn manager_is_set_after_the_creates_in_each_shape_and_only_once() {
    let enterprise_manager = format!("{ENTERPRISE_USER}:manager");
    let cases = [
        (
            Dialect::Default,
            "string",
            json!({"op": "Add", "path": enterprise_manager, "value": "u-2"}),
        ),
        (
            Dialect::Default,
            "object",
            json!({"op": "Add", "path": enterprise_manager, "value": {"value": "u-2"}}),
        ),
        (
            Dialect::Default,
            "ref-list",
            // E-33: the 2019 page's `$ref` is absolute; `<base>` is the tenant URL.
            json!({"op": "Add", "path": "manager",
                "value": [{"$ref": "<base>/Users/u-2", "value": "u-2"}]}),
        ),
        // The reported traffic (§1.5, scimsdk-686): lowercase `add` with the flag on.
        (
            Dialect::Scim062020,
            "string",
            json!({"op": "add", "path": enterprise_manager, "value": "u-2"}),
        ),
    ];
    for (dialect, shape, op) in cases {
        let app = EntraApp::start(&[
            ("patch_dialect", dialect.option_value()),
            ("manager", shape),
        ])
        .await;
        let base = format!("{}{BASE}", app.target.server.uri());
        let op: Value = serde_json::from_str(&op.to_string().replace("<base>", &base))
            .expect("the op stays JSON");
        let mut tenant = tenant_with_alice_managed_by_bob();
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        let mut expected = vec![probe()];
        expected.extend(create_user("alice"));
        expected.extend(create_user("bob"));
        expected.push(patch_user("u-1", json!([op])));
        assert_eq!(app.target.take().await, expected, "{dialect:?} {shape}");

        app.target.edit_user("u-1", |u| {
            u[ENTERPRISE_USER] = json!({"manager": {"value": "u-2"}});
        });
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
            )
            .expect("update alice");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                read_user("u-1"),
                patch_user(
                    "u-1",
                    json!([{"op": add_op(dialect), "path": "title", "value": "Engineer"}])
                ),
            ],
            "{dialect:?} {shape}: the target holds the manager, no manager PATCH"
        );
    }
}

/// §1.5: "If the manager is out of scope when the user is processed, the reference stays
/// unset until a restart": no manager PATCH for a manager that is not provisioned, nor on a
/// later cycle that provisions him, only after the restart (E-31).
#[tokio::test]
async fn manager_out_of_scope_is_not_written() {
    let app = EntraApp::start(&[]).await;
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", &[(UserAttr::Manager, "bob")]);
    add_user(&mut tenant, "bob", &[]);
    tenant.assign("alice").expect("assign alice");
    let mut engine = app.engine();
    run(&mut engine, &tenant, SyncKind::Initial).await;
    let mut expected = vec![probe()];
    expected.extend(create_user("alice"));
    assert_eq!(app.target.take().await, expected);

    // bob comes into scope and alice changes in the same cycle: bob is created and alice
    // updated, but her manager stays unset — only a restart fills it in (E-31).
    tenant.assign("bob").expect("assign bob");
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
        )
        .expect("update alice");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    let mut expected = vec![
        probe(),
        read_user("u-1"),
        patch_user(
            "u-1",
            json!([{"op": "Add", "path": "title", "value": "Engineer"}]),
        ),
    ];
    expected.extend(create_user("bob"));
    assert_eq!(
        app.target.take().await,
        expected,
        "no manager PATCH before a restart"
    );

    app.target
        .edit_user("u-1", |u| u["title"] = json!("Engineer"));
    engine.restart(false);
    run(&mut engine, &tenant, SyncKind::Initial).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            read_user("u-2"),
            patch_user(
                "u-1",
                json!([{"op": "Add", "path": format!("{ENTERPRISE_USER}:manager"), "value": "u-2"}])
            ),
        ],
        "the restart writes the manager"
    );
}

/// E-34: bob is removed as alice's manager in the source while the target holds him. After
/// the read and the (empty) diff, the manager is cleared in its own PATCH: `Remove` with the
/// old id in the default dialect `[I]`, path only with the flag (scimpatch-453), or, with
/// `manager_removal=replace-empty`, the `Replace` with an empty value Microsoft's validator
/// tests. Once the target holds no manager, nothing more is sent.
#[tokio::test]
async fn removed_manager_is_cleared_in_each_dialect_and_option() {
    let enterprise_manager = format!("{ENTERPRISE_USER}:manager");
    let cases = [
        (
            Dialect::Default,
            "remove",
            json!({"op": "Remove", "path": enterprise_manager, "value": "u-2"}),
        ),
        (
            Dialect::Scim062020,
            "remove",
            json!({"op": "remove", "path": enterprise_manager}),
        ),
        (
            Dialect::Default,
            "replace-empty",
            json!({"op": "Replace", "path": enterprise_manager, "value": ""}),
        ),
        (
            Dialect::Scim062020,
            "replace-empty",
            json!({"op": "replace", "path": enterprise_manager, "value": ""}),
        ),
    ];
    for (dialect, removal, op) in cases {
        let app = EntraApp::start(&[
            ("patch_dialect", dialect.option_value()),
            ("manager_removal", removal),
        ])
        .await;
        let mut tenant = tenant_with_alice_managed_by_bob();
        let mut engine = app.engine();
        run(&mut engine, &tenant, SyncKind::Initial).await;
        app.target.take().await;
        app.target.edit_user("u-1", |u| {
            u[ENTERPRISE_USER] = json!({"manager": {"value": "u-2"}});
        });
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::Manager, AttrValue::Clear)]),
            )
            .expect("remove alice's manager");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), read_user("u-1"), patch_user("u-1", json!([op]))],
            "{dialect:?} {removal}"
        );

        app.target.edit_user("u-1", |u| {
            u[ENTERPRISE_USER] = json!({});
        });
        tenant
            .update_user(
                "alice",
                &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
            )
            .expect("update alice");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                read_user("u-1"),
                patch_user(
                    "u-1",
                    json!([{"op": add_op(dialect), "path": "title", "value": "Engineer"}])
                ),
            ],
            "{dialect:?} {removal}: no manager on the target, nothing to remove"
        );
    }
}
