//! Test Connection (§1.2, E-6, E-7): a random user then a random group filtered, and the
//! answers that fail it.

use super::*;

/// §1.2, E-7: Test Connection filters users, then groups, each on a new random GUID; the
/// probe that opens a cycle is the user filter alone (E-6).
#[tokio::test]
async fn test_connection_filters_a_random_user_then_a_random_group() {
    for dialect in DIALECTS {
        let app = EntraApp::start(dialect).await;
        let mut engine = app.engine();
        let mut report = CycleReport::default();
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
        assert_eq!(
            app.target.take().await,
            vec![probe(), group_probe(), probe(), group_probe()],
            "{dialect:?}"
        );
        assert_eq!(report.total_requests(), 4, "{dialect:?}");
        // Encoded as Entra sends it (§1.2): `+` for spaces, `%22` for quotes; a new GUID each time.
        let raw = app.target.raw_queries().await;
        let guids: Vec<&str> = raw
            .iter()
            .map(|q| {
                q.as_deref()
                    .and_then(|q| {
                        q.strip_prefix("filter=userName+eq+%22").or_else(|| {
                            q.strip_prefix("excludedAttributes=members&filter=displayName+eq+%22")
                        })
                    })
                    .and_then(|q| q.strip_suffix("%22"))
                    .expect("filter=userName+eq+%22<guid>%22 or the group filter")
            })
            .collect();
        let distinct: std::collections::BTreeSet<&str> = guids.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            4,
            "{dialect:?}: every probe uses a new GUID"
        );
        // A cycle opens with the user probe alone.
        engine
            .cycle(&Tenant::new(), SyncKind::Initial)
            .await
            .expect("the cycle runs");
        assert_eq!(app.target.take().await, vec![probe()], "{dialect:?}");
    }
}

/// E-7: a server that fails the group read fails Test Connection on that request, as a
/// finding about the server (its Groups endpoint), not as a wrong tenant URL; the cycles,
/// which open with the user probe alone, still run.
#[tokio::test]
async fn test_connection_fails_when_the_group_probe_fails() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(USERS))
        .respond_with(wire::scim(200, &empty_list()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Groups"))
        .respond_with(wire::scim(404, &json!({"status": "404"})))
        .mount(&server)
        .await;
    let target = Target {
        server,
        held: Arc::default(),
        seen: AtomicUsize::new(0),
    };
    let app = EntraApp::against(target, Dialect::Default);
    let mut engine = app.engine();
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("a 404 on the group probe fails Test Connection");
    assert!(
        matches!(&err, CycleError::Probe { status: 404, path, problem, .. }
            if path.starts_with("/Groups?excludedAttributes=members&filter=displayName+eq+%22")
                && problem.ends_with("the server has no SCIM Groups endpoint")),
        "{err:?}"
    );
    assert!(!err.is_target_setup(), "the server's fault, not the URL's");
    assert!(
        err.to_string().contains("Entra quarantines the job"),
        "{err}"
    );
    assert_eq!(app.target.take().await, vec![probe(), group_probe()]);
    engine
        .cycle(&Tenant::new(), SyncKind::Initial)
        .await
        .expect("a cycle opens with the user probe alone");
    assert_eq!(app.target.take().await, vec![probe()]);
}

#[tokio::test]
async fn test_connection_401_is_a_credentials_failure() {
    let app = EntraApp::against(Target::answering_probe_with(401).await, Dialect::Default);
    let mut engine = app.engine();
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("401 fails the probe");
    assert!(
        matches!(&err, CycleError::Credentials { status: 401, path, .. } if path.starts_with("/Users?filter=userName+eq+%22")),
        "{err:?}"
    );
    // A quarantined cycle sends nothing after the probe.
    let err = engine
        .cycle(&tenant_with_alice(), SyncKind::Initial)
        .await
        .expect_err("401 fails the cycle");
    assert_eq!(err.status(), Some(401));
    assert_eq!(app.target.take().await, vec![probe(), probe()]);
}

#[tokio::test]
async fn test_connection_404_is_a_probe_failure() {
    let app = EntraApp::against(Target::answering_probe_with(404).await, Dialect::Default);
    let mut engine = app.engine();
    let err = engine
        .test_connection(&mut CycleReport::default())
        .await
        .expect_err("404 fails the probe");
    assert!(
        matches!(&err, CycleError::Probe { status: 404, path, .. } if path.starts_with("/Users?filter=userName+eq+%22")),
        "{err:?}"
    );
    let err = engine
        .cycle(&tenant_with_alice(), SyncKind::Initial)
        .await
        .expect_err("404 fails the cycle");
    assert_eq!(err.status(), Some(404));
    assert_eq!(app.target.take().await, vec![probe(), probe()]);
}
