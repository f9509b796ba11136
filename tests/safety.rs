//! Safety against hostile servers, run as a user runs the binary: whatever the server answers,
//! the run never touches what it did not create, never leaks the token, stays bounded in time
//! and memory, and cleans up or names what it could not remove. One test per misbehaviour of
//! `hostile::Mode`; each prints a `mode | exit | wall | peak RSS | left | token` row.

mod hostile;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hostile::{Elsewhere, Hostile, Mode, TOKEN};

const LIFECYCLE: &str = "name: safety-lifecycle
description: Two users are created, changed, and one is unassigned.
symptom: safety
steps:
  - create_user: { user: ada, userPrincipalName: ada@contoso.com, mail: ada@contoso.com, givenName: Ada, surname: Byron }
  - create_user: { user: alice, userPrincipalName: alice@contoso.com, mail: alice@contoso.com, givenName: Alice, surname: Liddell }
  - assign: ada
  - assign: alice
  - sync: initial
  - update_user: { user: ada, surname: King }
  - update_user: { user: alice, surname: Pleasance }
  - sync: incremental
  - unassign: ada
  - sync: incremental
";

const WITH_SNAPSHOT: &str = "name: safety-snapshot
description: One user is created and the directory is snapshotted.
symptom: safety
steps:
  - create_user: { user: ada, userPrincipalName: ada@contoso.com, mail: ada@contoso.com, givenName: Ada, surname: Byron }
  - assign: ada
  - sync: initial
  - snapshot: created
";

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: Duration,
    peak_rss_kb: u64,
    dir: tempfile::TempDir,
}

impl Ran {
    fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Whether the token appears in any stream or any file the run wrote.
    fn token_found(&self) -> bool {
        self.output().contains(TOKEN) || files_contain(self.dir.path(), TOKEN)
    }
}

fn files_contain(dir: &Path, needle: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let p = e.path();
            if p.is_dir() {
                files_contain(&p, needle)
            } else {
                std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
            }
        })
}

/// GNU time measures the harness's peak resident set as the closing note reports it. It
/// runs in between because a child spawned straight from this test process inherits the
/// test process's own high-water mark at exec (vfork shares its memory).
const TIME: &str = "/usr/bin/time";

/// The process the harness runs as: `pid` itself, or its child when GNU time runs it.
fn harness_pid(pid: u32, timed: bool) -> Option<u32> {
    if !timed {
        return Some(pid);
    }
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The peak resident set of a live process so far (`VmHWM`), in KiB.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Signals to send, in order, each once `ready` says the run is where the test wants it.
type Signals<'a> = (&'a [&'a str], Box<dyn Fn() -> bool + Send + 'a>);

struct Run<'a> {
    scenario: &'a str,
    target: &'a str,
    prefix: &'a str,
    extra: Vec<&'a str>,
    /// Called once with the child's pid after `signal_when` holds (signal tests).
    signal: Option<Signals<'a>>,
}

impl<'a> Run<'a> {
    fn new(scenario: &'a str, target: &'a str, prefix: &'a str) -> Self {
        Run {
            scenario,
            target,
            prefix,
            extra: vec![],
            signal: None,
        }
    }

    fn args(mut self, extra: &[&'a str]) -> Self {
        self.extra.extend_from_slice(extra);
        self
    }

    /// Runs the binary to its end (bounded: killed after 120 s), polling its peak memory.
    fn go(self) -> Ran {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("scenario.yaml");
        std::fs::write(&file, self.scenario).expect("write scenario");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let timed = Path::new(TIME).exists();
        let rss_file = dir.path().join("peak-rss");
        let mut cmd = if timed {
            let mut c = Command::new(TIME);
            c.args(["-f", "%M", "-o"])
                .arg(&rss_file)
                .arg(env!("CARGO_BIN_EXE_scim-harness"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        };
        cmd.current_dir(dir.path())
            .args(["run", &file.display().to_string(), "--target", self.target])
            .args(["--prefix", self.prefix])
            .args(["--json", &path("report.json")])
            .args(["--junit", &path("report.xml")])
            .args(["--log", &path("log.jsonl")])
            .args(["--transcript", &path("transcript.jsonl")])
            .args(["--snapshots", &path("snapshots")])
            .args(&self.extra)
            .env("SCIM_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("the binary runs");
        let pid = child.id();
        // Drain the pipes on threads so a chatty run never blocks on a full pipe.
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out, &mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = std::io::Read::read_to_end(&mut err, &mut s);
            s
        });
        let mut signalled = 0;
        let mut polled = 0;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break status;
            }
            let harness = harness_pid(pid, timed);
            if let Some(kb) = harness.and_then(vm_hwm_kb) {
                polled = polled.max(kb);
            }
            if let (Some((signals, ready)), Some(harness)) = (&self.signal, harness) {
                if signalled < signals.len() && ready() {
                    let _ = Command::new("kill")
                        .args([signals[signalled], &harness.to_string()])
                        .status();
                    signalled += 1;
                }
            }
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("the run did not stop within 120 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // GNU time's figure when it ran (its last line; a line before says a non-zero exit),
        // else the highest VmHWM seen while polling.
        let peak = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(polled);
        Ran {
            code: status.code(),
            stdout: String::from_utf8_lossy(&out_reader.join().expect("join")).into_owned(),
            stderr: String::from_utf8_lossy(&err_reader.join().expect("join")).into_owned(),
            wall: started.elapsed(),
            peak_rss_kb: peak,
            dir,
        }
    }
}

/// Runs `run` on a blocking thread (the hostile server lives on the test's runtime).
async fn go(run: impl FnOnce() -> Ran + Send + 'static) -> Ran {
    tokio::task::spawn_blocking(run).await.expect("join")
}

/// The invariants every mode shares, and the closing-note row.
async fn judge(mode: &str, ran: &Ran, server: &Hostile, before: &hostile::Versions, prefix: &str) {
    let left = server.left_by(prefix).await;
    eprintln!(
        "ROW | {mode} | exit {:?} | {:.1} s | {} MB | left {} | token {}",
        ran.code,
        ran.wall.as_secs_f64(),
        ran.peak_rss_kb / 1024,
        left.len(),
        if ran.token_found() { "yes" } else { "no" }
    );
    let all = ran.output();
    assert!(!ran.token_found(), "{mode}: the token leaked:\n{all}");
    assert_ne!(
        ran.code,
        Some(4),
        "{mode}: exit 4 is for harness bugs:\n{all}"
    );
    let after = server.versions().await;
    for (id, version) in before {
        assert_eq!(
            after.get(id),
            Some(version),
            "{mode}: pre-existing object {id} changed or vanished:\n{all}"
        );
    }
    assert!(
        ran.peak_rss_kb < 200 * 1024,
        "{mode}: peak RSS {} KiB",
        ran.peak_rss_kb
    );
    // What is left must be named, and makes the run fail.
    for name in &left {
        assert!(
            all.contains(name.as_str()),
            "{mode}: {name} left unnamed:\n{all}"
        );
        assert_ne!(ran.code, Some(0), "{mode}: objects left yet exit 0:\n{all}");
    }
    for r in server.requests() {
        assert!(
            !matches!(
                r.as_str(),
                "DELETE /scim/v2/Users/"
                    | "DELETE /scim/v2/Users"
                    | "DELETE /scim/v2/Groups/"
                    | "DELETE /scim/v2/Groups"
            ),
            "{mode}: a DELETE went to the collection URL: {r}"
        );
    }
}

/// Starts a hostile server in `mode` with its pre-existing objects, runs `scenario` against it
/// with `args`, and judges the shared invariants under `label`.
async fn trial(
    mode: Mode,
    label: &str,
    scenario: &'static str,
    prefix: &'static str,
    args: &[&str],
) -> (Ran, Hostile) {
    let server = Hostile::start(mode).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let ran = go(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Run::new(scenario, &url, prefix).args(&args).go()
    })
    .await;
    judge(label, &ran, &server, &before, prefix).await;
    (ran, server)
}

/// What a `--profile all` run of one scenario says when it passes: one run per registered
/// profile, so a new IdP does not need this file edited.
fn every_profile_passed() -> String {
    format!("{} passed, 0 failed", scim_harness::profile::NAMES.len())
}

/// Asserts the exit code and that the output says `says`.
fn expect(label: &str, ran: &Ran, code: i32, says: &str) {
    assert_eq!(ran.code, Some(code), "{label}: {}", ran.output());
    assert!(ran.output().contains(says), "{label}: {}", ran.output());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_server_passes_under_every_profile_and_is_left_clean() {
    let (ran, server) = trial(
        Mode::Honest,
        "honest",
        LIFECYCLE,
        "hs0-",
        &["--profile", "all"],
    )
    .await;
    expect("honest", &ran, 0, &every_profile_passed());
    assert!(server.left_by("hs0-").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_ignores_filter_gets_a_finding_and_no_user_is_adopted() {
    for profile in ["okta", "pingone", "pingfederate", "entra", "cyberark"] {
        let label = format!("ignore-filter ({profile})");
        let (ran, server) = trial(
            Mode::IgnoreFilter,
            &label,
            LIFECYCLE,
            "hs1-",
            &["--profile", profile],
        )
        .await;
        // Entra's probe sees it first (a random userName answered with users), the others
        // at the match; either way the server answered, wrongly: a finding, exit 1.
        expect(
            &label,
            &ran,
            1,
            "F-FILTER-IGNORED the server ignored the filter",
        );
        // `judge` proved every pre-existing object unchanged; no write was even addressed
        // to one of them.
        let victims = server.seeded_ids();
        for r in server.requests() {
            let write = ["PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|v| r.starts_with(v));
            assert!(
                !(write && victims.iter().any(|id| r.contains(id.as_str()))),
                "{label}: wrote to an object the run did not create: {r}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_made_of_path_syntax_address_only_their_own_object() {
    for (mode, label) in [
        (Mode::TraversalId, "traversal-id"),
        (Mode::PathSyntaxId, "path-syntax-id"),
    ] {
        let (ran, server) = trial(mode, label, LIFECYCLE, "hs2-", &["--profile", "all"]).await;
        expect(label, &ran, 0, &every_profile_passed());
        assert!(
            server.left_by("hs2-").await.is_empty(),
            "{label}: cleanup removed everything"
        );
        for r in server.requests() {
            assert!(
                !r.contains("/Users/a/b") && !r.contains("/Users/../"),
                "{label}: an id used as path syntax: {r}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_answers_without_a_string_id_fail_and_are_never_deleted_through_the_collection() {
    for (mode, label, says) in [
        (
            Mode::NumericId,
            "numeric-id",
            "is the number 4200, not a string",
        ),
        (
            Mode::MissingId,
            "missing-id",
            "the server's answer carries no `id`",
        ),
    ] {
        let (ran, server) =
            trial(mode, label, LIFECYCLE, "hs3-", &["--profile", "entra,okta"]).await;
        expect(label, &ran, 1, says);
        // Both users stay (they cannot be addressed), and both are named.
        assert_eq!(server.left_by("hs3-").await.len(), 2, "{label}");
        expect(label, &ran, 1, "still on the target");
    }
}

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
    assert!(
        ran.peak_rss_kb < 100 * 1024,
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
async fn redirects_are_not_followed_and_the_other_host_hears_nothing() {
    let elsewhere = Elsewhere::start().await;
    for (mode, label, code, says) in [
        (
            Mode::RedirectAll(elsewhere.url.clone()),
            "redirect-308",
            3,
            "redirected GET",
        ),
        (
            Mode::RedirectPost(elsewhere.url.clone()),
            "redirect-307-post",
            1,
            "redirected POST",
        ),
    ] {
        let (ran, _server) = trial(mode, label, LIFECYCLE, "hs7-", &["--profile", "entra"]).await;
        expect(label, &ran, code, says);
        expect(label, &ran, code, "IdPs do not follow redirects");
    }
    assert_eq!(elsewhere.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_answering_is_named_with_the_exchange_and_the_time_waited() {
    let (ran, _server) = trial(
        Mode::HangAfterFirst,
        "hang-after-probe",
        LIFECYCLE,
        "hs8-",
        &[
            "--profile",
            "entra",
            "--timeout",
            "1",
            "--scenario-timeout",
            "6",
        ],
    )
    .await;
    // The probe answered, so the target was usable: a finding (1), not a set-up error (3).
    expect(
        "hang-after-probe",
        &ran,
        1,
        "failed after 1.0 s: no answer from",
    );
    assert!(ran.wall < Duration::from_secs(30), "{:?}", ran.wall);
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

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_that_fails_names_every_object_left_and_fails_the_run() {
    let (ran, server) = trial(
        Mode::DeleteFails,
        "delete-fails",
        LIFECYCLE,
        "hs10-",
        &["--profile", "entra"],
    )
    .await;
    expect(
        "delete-fails",
        &ran,
        1,
        "2 objects the run created are still on the target",
    );
    assert_eq!(server.left_by("hs10-").await.len(), 2);
}

/// A run whose `signals` are sent once a create is in flight (the slow server holds it).
fn signal_run(
    url: String,
    signals: &'static [&'static str],
    requests: impl Fn() -> Vec<String> + Send + 'static,
) -> Ran {
    Run {
        scenario: LIFECYCLE,
        target: &url,
        prefix: "hs11-",
        extra: vec!["--profile", "entra"],
        signal: Some((
            signals,
            Box::new(move || {
                requests()
                    .iter()
                    .any(|r| r.starts_with("POST /scim/v2/Users"))
            }),
        )),
    }
    .go()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_during_an_in_flight_create_clean_up_and_write_reports() {
    for signals in [&["-INT"], &["-TERM"]] {
        let label = format!("signal {}", signals[0]);
        let server = std::sync::Arc::new(
            Hostile::start(Mode::Slow {
                answer_create: Duration::from_secs(20),
                delete: Duration::ZERO,
            })
            .await,
        );
        let before = server.seed().await;
        let (url, watched) = (server.url.clone(), server.clone());
        let ran = go(move || signal_run(url, signals, move || watched.requests())).await;
        judge(&label, &ran, &server, &before, "hs11-").await;
        expect(&label, &ran, 1, "stopped by SIG");
        assert!(
            server.left_by("hs11-").await.is_empty(),
            "{label}: the in-flight create was found and deleted"
        );
        let json = std::fs::read_to_string(ran.dir.path().join("report.json"))
            .expect("JSON report written");
        assert!(json.contains("stopped by SIG"), "{json}");
        let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(report["interrupted"], true, "{label}");
        assert_eq!(
            report["stopped_by"],
            signals[0].replace("-", "SIG"),
            "{label}"
        );
        let junit = std::fs::read_to_string(ran.dir.path().join("report.xml"))
            .expect("JUnit report written");
        assert!(
            junit.contains("type=\"interrupted\"")
                && junit.contains("<property name=\"interrupted\" value=\"true\"/>"),
            "{label}: {junit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_exits_at_once_and_names_what_was_left() {
    let server = std::sync::Arc::new(
        Hostile::start(Mode::Slow {
            answer_create: Duration::from_secs(20),
            delete: Duration::from_secs(3),
        })
        .await,
    );
    let before = server.seed().await;
    let (url, watched) = (server.url.clone(), server.clone());
    let ran = go(move || signal_run(url, &["-INT", "-INT"], move || watched.requests())).await;
    expect("second signal", &ran, 1, "second SIGINT: exiting at once");
    assert!(ran.wall < Duration::from_secs(10), "{:?}", ran.wall);
    // A DELETE cut off by the exit may still land; wait for it, then every object left was
    // named.
    tokio::time::sleep(Duration::from_secs(4)).await;
    judge("second signal", &ran, &server, &before, "hs11-").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scenario_timeout_and_the_run_deadline_bound_a_run_whose_requests_never_end() {
    // Requests hang longer than a scenario may last: the scenario timeout cuts each run, and
    // the next one starts.
    let (ran, _server) = trial(
        Mode::HangAfterFirst,
        "scenario-timeout",
        LIFECYCLE,
        "hs12-",
        &[
            "--profile",
            "entra,okta",
            "--timeout",
            "60",
            "--scenario-timeout",
            "2",
        ],
    )
    .await;
    expect(
        "scenario-timeout",
        &ran,
        1,
        "did not finish within 2 s (--scenario-timeout)",
    );
    assert_eq!(
        // Once per scenario run, on the line under its FAIL (findings repeat it after).
        ran.stdout
            .matches("\n       the scenario did not finish within 2 s")
            .count(),
        2,
        "{}",
        ran.stdout
    );
    assert!(ran.wall < Duration::from_secs(20), "{:?}", ran.wall);

    // The deadline stops the run itself and names what was not run.
    let (ran, _server) = trial(
        Mode::HangAfterFirst,
        "deadline",
        LIFECYCLE,
        "hs13-",
        &[
            "--profile",
            "all",
            "--timeout",
            "60",
            "--deadline",
            "2",
            "--keep",
        ],
    )
    .await;
    expect("deadline", &ran, 1, "stopped by the run deadline of 2 s");
    // Every profile's run but the one the deadline cut short.
    let not_run = scim_harness::profile::NAMES.len() - 1;
    expect(
        "deadline",
        &ran,
        1,
        &format!("{not_run} scenario runs not run"),
    );
    assert!(ran.wall < Duration::from_secs(10), "{:?}", ran.wall);
    let json =
        std::fs::read_to_string(ran.dir.path().join("report.json")).expect("JSON report written");
    assert!(json.contains("run deadline"), "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        (&report["interrupted"], &report["not_run"]),
        (&serde_json::json!(true), &serde_json::json!(not_run))
    );
    let junit =
        std::fs::read_to_string(ran.dir.path().join("report.xml")).expect("JUnit report written");
    assert!(
        junit.contains(&format!(
            "message=\"stopped by the run deadline of 2 s (--deadline): {not_run} scenario runs not run\" type=\"interrupted\""
        )),
        "{junit}"
    );
}

/// `--jobs`: four runs side by side on one target. Each gets its own prefix (`hs11-<slot>-`),
/// so no run adopts, changes or deletes another's objects; every one passes, and together
/// they leave nothing behind.
#[tokio::test(flavor = "multi_thread")]
async fn side_by_side_runs_on_one_target_keep_to_their_own_objects() {
    let (ran, server) = trial(
        Mode::Honest,
        "jobs",
        LIFECYCLE,
        "hs11-",
        &["--profile", "all", "--jobs", "4"],
    )
    .await;
    let all = scim_harness::profile::NAMES.len();
    expect("jobs", &ran, 0, &format!("{all} passed, 0 failed"));
    assert!(server.left_by("hs11-").await.is_empty());
    let transcript =
        std::fs::read_to_string(ran.dir.path().join("transcript.jsonl")).unwrap_or_default();
    for slot in 0..all {
        assert!(
            transcript.contains(&format!("hs11-{slot}-ada@contoso.com")),
            "run {slot} did not use its own prefix"
        );
    }
    // Every transcript line is whole: concurrent runs append without tearing lines.
    for line in transcript.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "torn transcript line: {line}"
        );
    }
}
