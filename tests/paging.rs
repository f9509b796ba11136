//! Paging as each IdP pages, on real-size directories (300 users, a 250-member group): the
//! reference server passes, and a server that misbehaves in one paging way — ignores
//! `count`, reads `startIndex` 0-based, counts `totalResults` per page, reorders pages —
//! fails the run with F-PAGING naming the listing, under whichever profile meets it first.

mod hostile;

use hostile::{Hostile, Mode, TOKEN};

const LARGE: &str = "scenarios/common/large-directory-pages.yaml";
const IMPORT: &str = "scenarios/okta/import-pages-300-users.yaml";
const GROUPS: &str = "scenarios/pingfederate/group-lookup-lists-every-page.yaml";

struct Run {
    code: Option<i32>,
    stdout: String,
}

async fn run(mode: Mode, paths: &[&str], profile: &str) -> Run {
    let server = Hostile::start(mode).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(paths.iter().map(|p| format!("{root}/{p}")));
    args.extend([
        "--target".into(),
        server.url.clone(),
        "--profile".into(),
        profile.into(),
        "--snapshots".into(),
        format!("{root}/snapshots"),
    ]);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(&args)
            .env("SCIM_TOKEN", TOKEN)
            .env("CI", "true")
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("join");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

impl Run {
    fn says(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "missing {text:?} in:\n{}",
            self.stdout
        );
        self
    }

    fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{}", self.stdout);
        self
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_server_pages_every_large_scenario_under_every_profile() {
    run(Mode::Honest, &[LARGE, IMPORT, GROUPS], "all")
        .await
        .exits(0)
        .says("8 passed, 0 failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_ignores_count_is_named_by_the_listing() {
    run(Mode::IgnoresCount, &[LARGE], "entra")
        .await
        .exits(1)
        .says("F-PAGING")
        .says("answered 300 resources to a request for count 100");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_pages_from_zero_ends_okta_imports_early() {
    run(Mode::StartsAtZero, &[IMPORT], "okta")
        .await
        .exits(1)
        .says("F-PAGING")
        .says(
            "ended early: the page at startIndex 300 is empty, though totalResults 300 says 1 more",
        );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_counts_total_results_per_page_is_caught_past_the_first_page() {
    run(Mode::TotalResultsPerPage, &[LARGE], "pingone")
        .await
        .exits(1)
        .says("F-PAGING")
        .says("stopped at totalResults 100, yet GET /Users?startIndex=101&count=100 holds 100 more resources");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_reorders_pages_between_requests_is_caught() {
    run(Mode::ReordersPages, &[LARGE], "pingfederate")
        .await
        .exits(1)
        .says("F-PAGING")
        .says("the order is not stable across pages");
}

#[tokio::test(flavor = "multi_thread")]
async fn pingfederates_group_lookup_over_reordered_pages_is_named() {
    run(Mode::ReordersPages, &[GROUPS], "pingfederate")
        .await
        .exits(1)
        .says("F-PAGING")
        .says("the listing GET /Groups?startIndex=");
}
