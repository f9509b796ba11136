//! Verify (CA-1): one user listed, then the discovery endpoints read.

use super::*;

#[tokio::test]
async fn verify_lists_one_user_then_reads_the_discovery_endpoints() {
    let app = App::start(&[]).await;
    app.seed("Users", "x-1", json!({"userName": "someone@contoso.com"}));
    let engine = app.engine();
    engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect("a list with a user and the discovery resources pass");
    assert_eq!(
        app.take().await,
        vec![
            sent("GET", USERS, &[("count", "1")], None),
            get("/scim/v2/ServiceProviderConfig"),
            get("/scim/v2/ResourceTypes/User"),
            get("/scim/v2/ResourceTypes/Group"),
            get(&format!("/scim/v2/Schemas/{CORE_USER}")),
            get(&format!("/scim/v2/Schemas/{ENTERPRISE_USER}")),
            get(&format!("/scim/v2/Schemas/{CORE_GROUP}")),
        ]
    );
}
