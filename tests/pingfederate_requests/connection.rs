//! Test Connection (§3): the matching query for a random value; a poll sends no probe.

use super::*;

#[tokio::test]
async fn test_connection_is_the_matching_query_for_a_random_value() {
    for (options, probe) in [
        (vec![], r#"userName eq "<guid>""#),
        (
            vec![("unique_user_identifier", "workEmail")],
            r#"emails eq "<guid>""#,
        ),
    ] {
        let app = PingApp::start(&options).await;
        let engine = app.engine();
        let mut report = CycleReport::default();
        for _ in 0..2 {
            engine
                .test_connection(&mut report)
                .await
                .expect("a ListResponse passes");
        }
        assert_eq!(
            app.target.take().await,
            vec![match_user(probe), match_user(probe)],
            "{options:?}"
        );
        let raw = app.target.raw_queries().await;
        assert_ne!(raw[0], raw[1], "{options:?}: a new value each time");
        assert!(
            raw[0]
                .as_deref()
                .is_some_and(|q| q.starts_with("filter=") && q.contains("+eq+%22")),
            "{options:?}: encoded as `+` and `%22`: {raw:?}"
        );
    }
}

#[tokio::test]
async fn a_poll_sends_no_probe() {
    let app = PingApp::start(&[]).await;
    let tenant = tenant_with_alice();
    let mut engine = app.engine();
    create_alice(&app, &mut engine, &tenant).await;
    poll(&mut engine, &tenant, SyncKind::Incremental).await;
    assert_eq!(
        app.target.take().await,
        vec![],
        "a quiet poll sends nothing"
    );
}
