//! Group pushes (§2.5, O-26): create, membership, rename and delete in OIN and AIW, name
//! conflicts, full member replacement, member batches and inactive members.

use scim_harness::idp::Tenant;
use scim_harness::profile::okta::Integration;
use scim_harness::scenario::model::SyncKind;
use serde_json::{json, Value};

use super::{
    add_user, group_patch, match_user, post_body, push, read, sent, set_active, with_body, OktaApp,
    Sent, CORE_GROUP,
};

/// §2.5: Push Groups. An assigned group with alice: match, POST with `members: []`, then one
/// PATCH carrying the rename and the add with `display`. Adding bob and removing alice is one
/// PATCH (rename, remove by filter, add). A rename alone is the path-less replace with the
/// id. Deleting the group in the source deletes it on the target.
#[tokio::test]
async fn oin_group_create_membership_rename_and_delete() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice", "Smith");
    add_user(&mut tenant, "bob", "Bob", "Jones");
    tenant
        .create_group("sales", "Sales", &["alice".into()])
        .expect("create sales");
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    tenant.assign("sales").expect("push sales");
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            match_user("alice@contoso.com"),
            with_body(
                "POST",
                "/Users",
                post_body(&tenant, "alice", "Alice", "Smith")
            ),
            match_user("bob@contoso.com"),
            with_body("POST", "/Users", post_body(&tenant, "bob", "Bob", "Jones")),
            sent(
                "GET",
                "/Groups",
                &[
                    ("filter", "displayName eq \"Sales\""),
                    ("startIndex", "1"),
                    ("count", "100")
                ],
                None
            ),
            with_body(
                "POST",
                "/Groups",
                json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": []})
            ),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "add", "path": "members",
                     "value": [{"value": "u-1", "display": "alice@contoso.com"}]}
                ])
            ),
        ],
        "group push with alice"
    );

    tenant.add_member("sales", "bob").expect("add bob");
    tenant
        .remove_member("sales", "alice")
        .expect("remove alice");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            // Both are assigned directly, so the membership change leaves their scope as it
            // was: neither is an event of its own, and neither is read nor written.
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "remove", "path": "members[value eq \"u-1\"]"},
                    {"op": "add", "path": "members",
                     "value": [{"value": "u-2", "display": "bob@contoso.com"}]}
                ])
            ),
        ],
        "membership change"
    );
    assert_eq!(
        app.target.held("/Groups/g-1").map(|g| g["members"].clone()),
        Some(json!([{"value": "u-2"}]))
    );

    tenant
        .rename_group("sales", "Sales EMEA")
        .expect("rename sales");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([{"op": "replace", "value": {"id": "g-1", "displayName": "Sales EMEA"}}])
            ),
        ],
        "rename"
    );

    tenant.delete_group("sales").expect("delete sales");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        // bob, the remaining member, is assigned directly: the group's delete leaves his
        // scope as it was, and he is neither read nor written.
        vec![sent("DELETE", "/Groups/g-1", &[], None)],
        "unlink and delete"
    );
    assert_eq!(app.target.held("/Groups/g-1"), None);
}

/// §2.5, AIW: membership changes are `PUT /Groups/{id}` with the whole member list.
#[tokio::test]
async fn aiw_membership_is_a_put_of_the_full_member_list() {
    let app = OktaApp::start(Integration::Aiw).await;
    let mut tenant = Tenant::new();
    add_user(&mut tenant, "alice", "Alice", "Smith");
    add_user(&mut tenant, "bob", "Bob", "Jones");
    tenant
        .create_group("sales", "Sales", &["alice".into()])
        .expect("create sales");
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    tenant.assign("sales").expect("push sales");
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    let first = app.target.take().await;
    assert_eq!(
        first.last(),
        Some(&with_body(
            "PUT",
            "/Groups/g-1",
            json!({"schemas": [CORE_GROUP], "id": "g-1", "displayName": "Sales",
                   "members": [{"value": "u-1", "display": "alice@contoso.com"}]})
        ))
    );

    tenant.add_member("sales", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            // bob's app-user profile is unchanged: no GET /Users/u-2.
            read("/Groups/g-1"),
            with_body(
                "PUT",
                "/Groups/g-1",
                json!({"schemas": [CORE_GROUP], "id": "g-1", "displayName": "Sales",
                       "members": [{"value": "u-1", "display": "alice@contoso.com"},
                                   {"value": "u-2", "display": "bob@contoso.com"}]})
            ),
        ]
    );
}

/// §2.5: a group whose name already exists on the target cannot be pushed (no Group Linking).
#[tokio::test]
async fn an_existing_group_name_fails_the_push() {
    let app = OktaApp::start(Integration::Oin).await;
    app.target.store.lock().expect("target state").insert(
        "/Groups/g-9".into(),
        json!({"id": "g-9", "displayName": "Sales", "members": []}),
    );
    let mut tenant = Tenant::new();
    tenant
        .create_group("sales", "Sales", &[])
        .expect("create sales");
    tenant.assign("sales").expect("push sales");
    let mut engine = app.engine();
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    let sent = app.target.take().await;
    assert_eq!(sent.len(), 1, "only the lookup: {sent:?}");
    let rec = report
        .records
        .iter()
        .find(|r| r.object == "sales")
        .expect("a record for sales");
    assert_eq!(rec.error_code.as_deref(), Some("EntryConflict"));
}

/// The group lookup (O-26, `[inferred]`) for a group named `name`.
fn match_group(name: &str) -> Sent {
    sent(
        "GET",
        "/Groups",
        &[
            ("filter", &format!("displayName eq \"{name}\"")),
            ("startIndex", "1"),
            ("count", "100"),
        ],
        None,
    )
}

/// ann, bob and cid, assigned; Sales with `members`, pushed.
fn tenant_with_sales(members: &[&str]) -> Tenant {
    let mut tenant = Tenant::new();
    for (r, given) in [("ann", "Ann"), ("bob", "Bob"), ("cid", "Cid")] {
        add_user(&mut tenant, r, given, "Lee");
        tenant.assign(r).expect("assign");
    }
    let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
    tenant
        .create_group("sales", "Sales", &members)
        .expect("create sales");
    tenant.assign("sales").expect("push sales");
    tenant
}

/// The creates of ann, bob and cid (u-1, u-2, u-3), in order.
fn creates(tenant: &Tenant) -> Vec<Sent> {
    ["ann", "bob", "cid"]
        .iter()
        .zip(["Ann", "Bob", "Cid"])
        .flat_map(|(r, given)| {
            [
                match_user(&format!("{r}@contoso.com")),
                with_body("POST", "/Users", post_body(tenant, r, given, "Lee")),
            ]
        })
        .collect()
}

fn member(id: &str, r: &str) -> Value {
    json!({"value": id, "display": format!("{r}@contoso.com")})
}

#[tokio::test]
async fn full_push_replaces_members_with_the_whole_list() {
    let app = OktaApp::with_options(&[("member_push", "replace")]).await;
    let mut tenant = tenant_with_sales(&["ann", "bob"]);
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    let mut want = creates(&tenant);
    want.extend([
        match_group("Sales"),
        with_body(
            "POST",
            "/Groups",
            json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": []}),
        ),
        group_patch(
            "/Groups/g-1",
            json!([
                {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                {"op": "replace", "path": "members",
                 "value": [member("u-1", "ann"), member("u-2", "bob")]}
            ]),
        ),
    ]);
    assert_eq!(app.target.take().await, want, "group push, full");

    tenant.add_member("sales", "cid").expect("add cid");
    tenant.remove_member("sales", "ann").expect("remove ann");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "replace", "path": "members",
                     "value": [member("u-2", "bob"), member("u-3", "cid")]}
                ]),
            ),
        ],
        "membership change, full"
    );
    assert_eq!(
        app.target.held("/Groups/g-1").map(|g| g["members"].clone()),
        Some(json!([{"value": "u-2"}, {"value": "u-3"}]))
    );
}

#[tokio::test]
async fn membership_is_cut_into_patches_of_member_batch_members() {
    let app = OktaApp::with_options(&[("member_batch", "2")]).await;
    let tenant = tenant_with_sales(&["ann", "bob", "cid"]);
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    let rename = json!({"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}});
    let mut want = creates(&tenant);
    want.extend([
        match_group("Sales"),
        with_body(
            "POST",
            "/Groups",
            json!({"schemas": [CORE_GROUP], "displayName": "Sales", "members": []}),
        ),
        group_patch(
            "/Groups/g-1",
            json!([rename, {"op": "add", "path": "members",
                            "value": [member("u-1", "ann"), member("u-2", "bob")]}]),
        ),
        group_patch(
            "/Groups/g-1",
            json!([rename, {"op": "add", "path": "members", "value": [member("u-3", "cid")]}]),
        ),
    ]);
    assert_eq!(
        app.target.take().await,
        want,
        "three members, two per PATCH"
    );
}

#[tokio::test]
async fn inactive_users_are_not_pushed_as_members() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = tenant_with_sales(&[]);
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    app.target.take().await;
    tenant
        .set_account_enabled("bob", false)
        .expect("disable bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![set_active("/Users/u-2", false)],
        "bob deactivated"
    );
    tenant.add_member("sales", "ann").expect("add ann");
    tenant.add_member("sales", "bob").expect("add bob");
    push(&mut engine, &tenant).await;
    assert_eq!(
        app.target.take().await,
        vec![
            read("/Groups/g-1"),
            group_patch(
                "/Groups/g-1",
                json!([
                    {"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}},
                    {"op": "add", "path": "members", "value": [member("u-1", "ann")]}
                ]),
            ),
        ],
        "only the active member is pushed"
    );
}

/// Assigning a group for push is an event for the members it newly entitles only: alice and
/// bob, assigned and provisioned before, have no event (Okta pushes nothing and logs nothing
/// for an app user it already has), carol is matched and created, then the group is pushed.
#[tokio::test]
async fn a_group_assignment_is_no_event_for_members_already_provisioned() {
    let app = OktaApp::start(Integration::Oin).await;
    let mut tenant = Tenant::new();
    for (r, given) in [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")] {
        add_user(&mut tenant, r, given, "Smith");
    }
    tenant.assign("alice").expect("assign alice");
    tenant.assign("bob").expect("assign bob");
    let mut engine = app.engine();
    push(&mut engine, &tenant).await;
    assert_eq!(app.target.take().await.len(), 4, "alice and bob created");

    tenant
        .create_group(
            "sales",
            "Sales",
            &["alice".into(), "bob".into(), "carol".into()],
        )
        .expect("create sales");
    tenant.assign("sales").expect("push sales");
    let report = engine
        .cycle(&tenant, SyncKind::Incremental)
        .await
        .expect("the push runs");
    let objects: Vec<&str> = report.records.iter().map(|r| r.object.as_str()).collect();
    assert_eq!(objects, vec!["carol", "sales"], "{:#?}", report.records);
    let sent = app.target.take().await;
    assert_eq!(
        sent[..2],
        [
            match_user("carol@contoso.com"),
            with_body(
                "POST",
                "/Users",
                post_body(&tenant, "carol", "Carol", "Smith")
            ),
        ]
    );
    assert_eq!(
        sent.len(),
        5,
        "carol's match and create, then the group's three"
    );
}
