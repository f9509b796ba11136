//! Soft delete and restore (§1.6) in each dialect, and the hard delete of a soft-deleted
//! user.

use super::*;

/// §1.6: soft delete → one PATCH with the tombstoned userName and active false; restore →
/// one PATCH with the UPN back and active true. `ops(user_name, active)` builds the dialect's.
async fn tombstone_and_restore(dialect: Dialect, ops: fn(&str, bool) -> Value) {
    let app = EntraApp::start(dialect).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant.soft_delete_user("alice").expect("soft delete alice");
    let tombstoned = tombstone(&tenant);
    assert_eq!(tombstoned.len(), 32 + "alice@contoso.com".len());
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice(), patch_alice(ops(&tombstoned, false))],
        "{dialect:?}: tombstone on soft delete"
    );
    app.target.hold(alice_on_target(&tombstoned, false));

    tenant.restore_user("alice").expect("restore alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_alice(),
            patch_alice(ops("alice@contoso.com", true))
        ],
        "{dialect:?}: restore"
    );
}

#[tokio::test]
async fn soft_delete_and_restore_default_dialect_replace_user_name_then_active() {
    tombstone_and_restore(Dialect::Default, |user_name, active| {
        json!([
            {"op": "Replace", "path": "userName", "value": user_name},
            {"op": "Replace", "path": "active", "value": if active { "True" } else { "False" }}
        ])
    })
    .await;
}

#[tokio::test]
async fn soft_delete_and_restore_flag_dialect_replace_active_then_pathless_user_name() {
    tombstone_and_restore(Dialect::Scim062020, |user_name, active| {
        json!([
            {"op": "replace", "path": "active", "value": active},
            {"op": "replace", "value": {"userName": user_name}}
        ])
    })
    .await;
}

/// §1.6: a hard delete of a user still managed when it was soft-deleted → `DELETE /Users/{id}`
/// with no body, right after the probe; nothing more afterwards.
#[tokio::test]
async fn hard_delete_of_a_soft_deleted_managed_user_sends_delete() {
    for dialect in DIALECTS {
        let app = EntraApp::start(dialect).await;
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        tenant.soft_delete_user("alice").expect("soft delete alice");
        incremental(&mut engine, &tenant).await;
        let tombstoned = tombstone(&tenant);
        assert_eq!(
            app.target.take().await.len(),
            3,
            "{dialect:?}: probe, GET, PATCH"
        );
        app.target.hold(alice_on_target(&tombstoned, false));

        tenant.hard_delete_user("alice").expect("hard delete alice");
        incremental(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), delete_alice()],
            "{dialect:?}: hard delete"
        );
        assert_eq!(
            app.target.held(),
            None,
            "{dialect:?}: the target deleted alice"
        );

        incremental(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![probe()],
            "{dialect:?}: the purge is handled once"
        );
    }
}
