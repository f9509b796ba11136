//! User create (§1.3): the probe, the matching query and the documented POST body.

use super::*;

#[tokio::test]
async fn create_sends_probe_match_and_the_documented_post_body() {
    for dialect in DIALECTS {
        let app = EntraApp::start(dialect).await;
        let tenant = tenant_with_alice();
        let mut engine = app.engine();
        create_alice(&app, &mut engine, &tenant).await;
        let raw = app.target.raw_queries().await;
        assert_eq!(
            raw[1].as_deref(),
            Some("filter=userName+eq+%22alice%40contoso.com%22"),
            "{dialect:?}: the matching query as sent"
        );
        assert_eq!(raw[2], None, "{dialect:?}: POST has no query");
        let object_id = tenant.user("alice").expect("alice").object_id;
        assert_eq!(
            engine.link(&object_id).map(|l| l.target_id.as_str()),
            Some("u-1"),
            "{dialect:?}: the returned id is the anchor"
        );
    }
}
