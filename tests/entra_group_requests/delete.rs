//! Group delete (§1.7): a group deleted in the source or unassigned is deleted on the target.

use super::*;

/// §1.7 Delete: a group deleted in the source → `DELETE /Groups/{id}`, after its only member,
/// who loses the assignment, is disabled (§1.6); then nothing more.
#[tokio::test]
async fn group_deleted_in_the_source_is_deleted_on_the_target() {
    let app = EntraApp::start(&[]).await;
    let mut tenant = tenant_with_sales(&["alice"]);
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant, &["alice"], Dialect::Default).await;

    tenant.delete_group("sales").expect("delete sales");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user("u-1", disable(Dialect::Default)),
            delete_group("g-1"),
        ]
    );
    assert_eq!(
        app.target.group("g-1"),
        None,
        "the target deleted the group"
    );

    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(app.target.take().await, vec![probe()], "deleted once");
}

/// §1.7 Delete: a group that falls out of scope (unassigned) → `DELETE /Groups/{id}` too
/// (validation Restore_Group_Test: unassign → Delete).
#[tokio::test]
async fn group_unassigned_is_deleted_on_the_target() {
    let app = EntraApp::start(&[]).await;
    let mut tenant = tenant_with_sales(&["alice"]);
    let mut engine = app.engine();
    create_sales(&app, &mut engine, &tenant, &["alice"], Dialect::Default).await;

    tenant.unassign("sales").expect("unassign sales");
    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user("u-1", disable(Dialect::Default)),
            delete_group("g-1"),
        ]
    );
    assert_eq!(
        app.target.group("g-1"),
        None,
        "the target deleted the group"
    );

    run(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(app.target.take().await, vec![probe()], "deleted once");
}
