//! Hostile bodies: an echoed token, an endless body, a huge error page, a listing without end.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_token_echoed_by_the_server_is_scrubbed_from_every_output() {
    let (ran, _server) = trial(
        Mode::EchoToken,
        "echo-token",
        WITH_SNAPSHOT,
        "hs4-",
        &["--profile", "entra,okta", "--accept", "--full"],
    )
    .await;
    assert_ne!(ran.code, Some(4), "{}", ran.output());
    let transcript = std::fs::read_to_string(ran.dir.path().join("transcript.jsonl"))
        .expect("transcript written");
    assert!(
        transcript.contains("rejected credentials Bearer [REDACTED]"),
        "{transcript}"
    );
    let snapshots = ran.dir.path().join("snapshots");
    assert!(
        files_contain(&snapshots, "\"nickName\": \"Bearer [REDACTED]\""),
        "the echo reached the snapshot, scrubbed"
    );
    for report in ["report.json", "report.xml", "log.jsonl"] {
        assert!(ran.dir.path().join(report).exists(), "{report} written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_at_the_cap_and_memory_stays_small() {
    let (ran, _server) = trial(
        Mode::EndlessBody,
        "endless-body",
        LIFECYCLE,
        "hs5-",
        &["--profile", "entra"],
    )
    .await;
    expect("endless-body", &ran, 1, "more than 4194304 bytes");
    assert!(ran.wall < Duration::from_secs(60), "{:?}", ran.wall);
    // Six GETs meet the endless body here, each cut at 4 MiB; a plain run of this scenario
    // peaks at ~27 MB and this one at 43–53 MB. Growing one buffer per answer peaked at
    // 77–103 MB: the bound catches that coming back.
    assert!(
        ran.peak_rss_kb < 72 * 1024,
        "peak RSS {} KiB",
        ran.peak_rss_kb
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_error_page_is_shown_truncated() {
    let (ran, _server) = trial(
        Mode::HugeErrorPage,
        "huge-error-page",
        LIFECYCLE,
        "hs6-",
        &["--profile", "okta"],
    )
    .await;
    // The 500 is retried and succeeds; the console and files carry only a cut of the page.
    expect("huge-error-page", &ran, 0, "1 passed, 0 failed");
    assert!(
        ran.output().len() < 64 * 1024,
        "{} bytes of output",
        ran.output().len()
    );
    let transcript =
        std::fs::read_to_string(ran.dir.path().join("transcript.jsonl")).expect("transcript");
    assert!(
        transcript.len() < 1024 * 1024,
        "{} bytes of transcript",
        transcript.len()
    );
    assert!(
        transcript.contains("bytes in all"),
        "the cut says how much there was"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_that_never_ends_is_a_finding() {
    let (ran, server) = trial(
        Mode::EndlessListing,
        "endless-listing",
        WITH_SNAPSHOT,
        "hs9-",
        &["--profile", "entra", "--accept"],
    )
    .await;
    expect("endless-listing", &ran, 1, "never ended");
    let pages = server
        .requests()
        .iter()
        .filter(|r| r.contains("startIndex"))
        .count();
    assert!(pages < 5, "{pages} pages read");
}
