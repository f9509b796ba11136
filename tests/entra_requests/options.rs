//! Options that change the user requests (E-16, E-37): `post_active` and `patch_booleans`.

use super::*;

/// E-16: with `post_active=string` the POST carries `"active": "True"`, the string the
/// `Switch([IsSoftDeleted], …)` mapping yields and a Microsoft engineer said is sent.
#[tokio::test]
async fn post_active_string_posts_active_as_the_string_true() {
    for dialect in DIALECTS {
        let app = with_options(
            EntraApp::start(dialect).await,
            dialect,
            &[("post_active", "string")],
        );
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        engine
            .cycle(&tenant, SyncKind::Initial)
            .await
            .expect("the initial cycle runs");
        let mut body = alice_post_body();
        body["active"] = json!("True");
        assert_eq!(
            app.target.take().await,
            vec![probe(), match_alice(), post_users(body)],
            "{dialect:?}"
        );
    }
}

/// E-37, §9.1: `patch_booleans=boolean` in the default dialect is the tutorial's disable,
/// a capitalised `Replace` with the JSON boolean `false`; `patch_booleans=string` under the
/// flag keeps the lowercase op and sends `"False"`.
#[tokio::test]
async fn patch_booleans_option_picks_the_disable_value() {
    for (dialect, value, op) in [
        (
            Dialect::Default,
            "boolean",
            json!({"op": "Replace", "path": "active", "value": false}),
        ),
        (
            Dialect::Scim062020,
            "string",
            json!({"op": "replace", "path": "active", "value": "False"}),
        ),
    ] {
        let app = with_options(
            EntraApp::start(dialect).await,
            dialect,
            &[("patch_booleans", value)],
        );
        let mut tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        tenant.unassign("alice").expect("unassign alice");
        incremental(&mut engine, &tenant).await;
        assert_eq!(
            app.target.take().await,
            vec![probe(), read_alice(), patch_alice(json!([op]))],
            "{dialect:?} patch_booleans={value}"
        );
    }
}
