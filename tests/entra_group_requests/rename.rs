//! Group rename (§1.7): read without members, then one PATCH on displayName.

use super::*;

/// §1.7 Rename: the group is read without members, then one PATCH on displayName; once the
/// target holds the new name, a restart reads it again and sends nothing more.
#[tokio::test]
async fn rename_reads_the_group_then_replaces_display_name() {
    for dialect in DIALECTS {
        let app = EntraApp::with_dialect(dialect).await;
        let mut tenant = tenant_with_sales(&["alice"]);
        let mut engine = app.engine();
        create_sales(&app, &mut engine, &tenant, &["alice"], dialect).await;

        tenant
            .rename_group("sales", "Sales EMEA")
            .expect("rename sales");
        run(&mut engine, &tenant, SyncKind::Incremental).await;
        assert_eq!(
            app.target.take().await,
            vec![
                probe(),
                read_group("g-1"),
                patch_group(
                    "g-1",
                    json!([{"op": replace_op(dialect), "path": "displayName", "value": "Sales EMEA"}])
                ),
            ],
            "{dialect:?}"
        );

        app.target
            .edit_group("g-1", |g| g["displayName"] = json!("Sales EMEA"));
        engine.restart(false);
        run(&mut engine, &tenant, SyncKind::Initial).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), read_user("u-1"), read_group("g-1")],
            "{dialect:?}: the target holds the name, nothing to PATCH"
        );
    }
}
