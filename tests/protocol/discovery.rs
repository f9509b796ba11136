//! Discovery: missing endpoints, ETags, and features the server says it lacks.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn missing_discovery_fails_the_discovery_checks() {
    let (j, _s) = judge(Mode::NoDiscovery).await;
    assert_eq!(
        j.failed_names(),
        vec![
            "discovery.resource-types",
            "discovery.schemas",
            "discovery.service-provider-config"
        ],
        "{:#?}",
        j.failed
    );
    let f = j.finding("discovery.schemas");
    assert_eq!(f.code, Code::Discovery);
    assert!(
        f.title.contains("GET /Schemas was answered 404"),
        "{}",
        f.title
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_etag_header_warns_on_the_etag_check() {
    only_warning(
        Mode::NoEtagHeader,
        "discovery.etag-supported-means-etag",
        Code::Discovery,
        &["etag.supported but GET /Users/{id} carries no ETag header"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feature_the_server_says_it_lacks_is_not_applicable_never_silently_skipped() {
    let server = Hostile::start(Mode::Honest).await;
    let client = ScimClient::new(
        &server.url,
        Some(Secret::new(TOKEN)),
        Duration::from_secs(10),
    )
    .expect("client");
    let settings = SuiteSettings {
        prefix: "pt-na-".into(),
        timeout: Duration::from_secs(10),
        check_timeout: Duration::from_secs(60),
        cleanup: true,
    };
    let says = serde_json::json!({"patch": {"supported": false}, "filter": {"supported": true}});
    let patch = protocol::select(&["patch.ops-in-any-case".into()]).expect("exists");
    let r = protocol::run_check(patch[0], &client, &settings, Some(&says)).await;
    assert_eq!(r.outcome.verdict, Verdict::Skipped);
    assert_eq!(
        r.outcome.warnings,
        vec!["not applicable (the server says `patch.supported: false` in /ServiceProviderConfig)"]
    );
    assert_eq!(r.outcome.requests, 0);
    // A check that needs nothing the server denies still runs.
    let filter = protocol::select(&["filter.externalid-eq".into()]).expect("exists");
    let r = protocol::run_check(filter[0], &client, &settings, Some(&says)).await;
    assert_eq!(r.outcome.verdict, Verdict::Passed);
    assert!(r.outcome.requests > 0);
}
