//! User update (§1.4, E-28): attribute adds and replaces in each dialect, and a cleared attribute.

use super::*;

/// §1.4: after linking, jobTitle (new) and surname (changed) → GET, one PATCH with the diff;
/// then a restart that keeps links reads again and sends nothing more.
async fn attribute_update(dialect: Dialect, operations: Value) {
    let app = EntraApp::start(dialect).await;
    let mut tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([
                (UserAttr::JobTitle, text("Engineer")),
                (UserAttr::Surname, text("Jones")),
            ]),
        )
        .expect("update alice");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice(), patch_alice(operations)],
        "{dialect:?}"
    );

    let mut updated = alice_on_target("alice@contoso.com", true);
    updated["title"] = json!("Engineer");
    updated["name"] =
        json!({"givenName": "Alice", "familyName": "Jones", "formatted": "Alice Jones"});
    app.target.hold(updated);
    engine.restart(false);
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the initial cycle runs");
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice()],
        "{dialect:?}: the target matches, nothing to PATCH"
    );
}

#[tokio::test]
async fn update_default_dialect_adds_and_replaces_with_paths() {
    attribute_update(
        Dialect::Default,
        json!([
            {"op": "Add", "path": "title", "value": "Engineer"},
            {"op": "Replace", "path": "name.familyName", "value": "Jones"},
            {"op": "Replace", "path": "name.formatted", "value": "Alice Jones"}
        ]),
    )
    .await;
}

#[tokio::test]
async fn update_flag_dialect_adds_with_path_and_replaces_pathless_with_dotted_keys() {
    attribute_update(
        Dialect::Scim062020,
        json!([
            {"op": "add", "path": "title", "value": "Engineer"},
            {"op": "replace", "value": {"name.familyName": "Jones", "name.formatted": "Alice Jones"}}
        ]),
    )
    .await;
}

/// E-28: jobTitle set, then cleared in the source while the target still holds it. Entra
/// sends `Remove` on the path — with the old value in the default dialect (scimref-pr87),
/// without one under the flag `[I]` — and nothing once the target no longer holds it.
async fn clear_title(options: &[(&str, &str)], dialect: Dialect, clear: Option<Value>) {
    let app = with_options(EntraApp::start(dialect).await, dialect, options);
    let mut tenant = tenant_with_alice();
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, text("Engineer"))]),
        )
        .expect("give alice a title");
    let mut engine = app.engine();
    engine
        .cycle(&tenant, SyncKind::Initial)
        .await
        .expect("the initial cycle runs");
    let mut body = alice_post_body();
    body["title"] = json!("Engineer");
    assert_eq!(
        app.target.take().await,
        vec![probe(), match_alice(), post_users(body)]
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::JobTitle, AttrValue::Clear)]),
        )
        .expect("clear alice's title");
    incremental(&mut engine, &tenant).await;
    let mut expected = vec![probe(), read_alice()];
    expected.extend(clear.map(|op| patch_alice(json!([op]))));
    assert_eq!(app.target.take().await, expected, "{dialect:?} {options:?}");

    // A correct server dropped the title: nothing more to send.
    app.target.hold(alice_on_target("alice@contoso.com", true));
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, text("R&D"))]),
        )
        .expect("give alice a department");
    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Department, AttrValue::Clear)]),
        )
        .expect("and take it away");
    incremental(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![probe(), read_alice()],
        "{dialect:?} {options:?}: the target holds no title, nothing to remove"
    );
}

#[tokio::test]
async fn cleared_attribute_default_dialect_removes_with_the_old_value() {
    clear_title(
        &[],
        Dialect::Default,
        Some(json!({"op": "Remove", "path": "title", "value": "Engineer"})),
    )
    .await;
}

#[tokio::test]
async fn cleared_attribute_flag_dialect_removes_by_path() {
    clear_title(
        &[],
        Dialect::Scim062020,
        Some(json!({"op": "remove", "path": "title"})),
    )
    .await;
}

#[tokio::test]
async fn cleared_attribute_sends_nothing_with_cleared_attributes_nothing() {
    for dialect in DIALECTS {
        clear_title(&[("cleared_attributes", "nothing")], dialect, None).await;
    }
}
