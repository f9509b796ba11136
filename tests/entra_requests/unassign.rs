//! Unassign (§1.6): the disable PATCH of `active` in each dialect.

use super::*;

/// §1.6: unassign → GET, PATCH active false; then alice is no longer managed: a quiet cycle,
/// a soft delete and a hard delete each send only the probe.
async fn unassign(dialect: Dialect, disable: Value) {
    let app = EntraApp::start(dialect).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.unassign("alice").expect("unassign alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice(), patch_alice(json!([disable]))],
        "{dialect:?}: disable on unassign"
    );
    app.target.hold(alice_on_target("alice@contoso.com", false));

    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: nothing changed"
    );

    tenant.soft_delete_user("alice").expect("soft delete alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: soft delete of an unmanaged user"
    );

    tenant.hard_delete_user("alice").expect("hard delete alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe()],
        "{dialect:?}: hard delete of an unmanaged user"
    );
}

#[tokio::test]
async fn unassign_default_dialect_replaces_active_with_string_false() {
    unassign(
        Dialect::Default,
        json!({"op": "Replace", "path": "active", "value": "False"}),
    )
    .await;
}

#[tokio::test]
async fn unassign_flag_dialect_replaces_active_with_boolean_false() {
    unassign(
        Dialect::Scim062020,
        json!({"op": "replace", "path": "active", "value": false}),
    )
    .await;
}
