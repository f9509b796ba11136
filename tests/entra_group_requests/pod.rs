//! Provision on demand (§1.8): a user and a group, always in the default dialect.

use super::*;

/// alice with a given name and surname, so that a surname change is a Replace (§1.4).
fn alice_body(surname: &str) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "userName": "alice@contoso.com",
        "active": true,
        "name": {"givenName": "Alice", "familyName": surname, "formatted": format!("Alice {surname}")},
        "externalId": "alice",
        "meta": {"resourceType": "User"},
        "roles": []
    })
}

/// §1.8 POD under `aadOptscim062020`: "uses default PATCH dialect" (§1.1: the flag does not
/// apply to POD). First POD: probe, match, POST. After a change, second POD: probe, GET by id,
/// PATCH with capitalised `Replace` and paths. The cycle afterwards speaks the flag again.
#[tokio::test]
async fn pod_of_a_user_creates_then_updates_in_the_default_dialect() {
    let app = EntraApp::with_dialect(Dialect::Scim062020).await;
    let pod = app
        .profile
        .for_on_demand()
        .expect("Entra's POD has its own profile");
    let mut tenant = Tenant::new();
    add_user(
        &mut tenant,
        "alice",
        &[(UserAttr::GivenName, "Alice"), (UserAttr::Surname, "Smith")],
    );
    tenant.assign("alice").expect("assign alice");
    let mut engine = app.engine();

    engine
        .on_demand(&tenant, "alice", pod.as_ref())
        .await
        .expect("POD runs");
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            match_user("alice"),
            sent("POST", USERS, &[], Some(alice_body("Smith"))),
        ],
        "first POD"
    );

    tenant
        .update_user(
            "alice",
            &BTreeMap::from([(UserAttr::Surname, text("Jones"))]),
        )
        .expect("update alice");
    engine
        .on_demand(&tenant, "alice", pod.as_ref())
        .await
        .expect("POD runs");
    assert_eq!(
        app.target.take().await,
        vec![
            probe(),
            read_user("u-1"),
            patch_user(
                "u-1",
                json!([
                    {"op": "Replace", "path": "name.familyName", "value": "Jones"},
                    {"op": "Replace", "path": "name.formatted", "value": "Alice Jones"}
                ])
            ),
        ],
        "second POD: default dialect despite the flag"
    );

    app.target.edit_user("u-1", |u| {
        u["name"] =
            json!({"givenName": "Alice", "familyName": "Jones", "formatted": "Alice Jones"});
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
                json!([{"op": "add", "path": "title", "value": "Engineer"}])
            ),
        ],
        "the cycle after POD uses the flag's dialect again"
    );
}

/// §1.8 POD of one group (≤ 5 members), flag on: the probe, each member's flow, the group
/// matched and POSTed, then one Add of both members, capitalised (POD ignores the flag).
#[tokio::test]
async fn pod_of_a_group_provisions_members_then_the_group_and_its_memberships() {
    let app = EntraApp::with_dialect(Dialect::Scim062020).await;
    let pod = app
        .profile
        .for_on_demand()
        .expect("Entra's POD has its own profile");
    let tenant = tenant_with_sales(&["alice", "bob"]);
    let mut engine = app.engine();
    engine
        .on_demand(&tenant, "sales", pod.as_ref())
        .await
        .expect("POD runs");
    let mut expected = vec![probe()];
    expected.extend(create_user("alice"));
    expected.extend(create_user("bob"));
    expected.extend([
        match_group("Sales"),
        post_group(&object_id(&tenant, "sales"), "Sales"),
        patch_group("g-1", add_members("Add", &["u-1", "u-2"])),
    ]);
    assert_eq!(app.target.take().await, expected);
}
