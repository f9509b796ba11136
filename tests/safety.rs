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

/// Waits for `pid` without blocking (WNOHANG) and reaps it: its exit code (`None` when a
/// signal ended it) and peak resident set in KiB, as `/usr/bin/time -v` reports them.
fn reap(pid: u32) -> Option<(Option<i32>, u64)> {
    let mut status = 0;
    // SAFETY: a plain zeroed rusage is valid; wait4 writes both out-parameters.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid as i32, &mut status, libc::WNOHANG, &mut usage) };
    if got != pid as i32 {
        return None;
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Some((code, usage.ru_maxrss as u64))
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
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scim-harness"));
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
        // Reaped by `reap` (wait4), which std's Child cannot do with rusage.
        #[allow(clippy::zombie_processes)]
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
        let (code, peak) = loop {
            if let Some(done) = reap(pid) {
                break done;
            }
            if let Some((signals, ready)) = &self.signal {
                if signalled < signals.len() && ready() {
                    let _ = Command::new("kill")
                        .args([signals[signalled], &pid.to_string()])
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
        Ran {
            code,
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

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_server_passes_under_every_profile_and_is_left_clean() {
    let server = Hostile::start(Mode::Honest).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs0-")
            .args(&["--profile", "all"])
            .go()
    })
    .await;
    judge("honest", &ran, &server, &before, "hs0-").await;
    assert_eq!(ran.code, Some(0), "{}", ran.output());
    assert!(ran.stdout.contains("4 passed, 0 failed"), "{}", ran.stdout);
    assert!(server.left_by("hs0-").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_ignores_filter_gets_a_finding_and_no_user_is_adopted() {
    for profile in ["okta", "pingone", "pingfederate", "entra"] {
        let server = Hostile::start(Mode::IgnoreFilter).await;
        let before = server.seed().await;
        let url = server.url.clone();
        let p = profile.to_string();
        let ran = go(move || {
            Run::new(LIFECYCLE, &url, "hs1-")
                .args(&["--profile", &p])
                .go()
        })
        .await;
        judge(
            &format!("ignore-filter ({profile})"),
            &ran,
            &server,
            &before,
            "hs1-",
        )
        .await;
        assert_ne!(ran.code, Some(0), "{profile}: {}", ran.output());
        if profile != "entra" {
            // Entra's probe already sees the filter ignored; the others reach the match.
            assert_eq!(ran.code, Some(1), "{profile}: {}", ran.output());
            assert!(
                ran.output().contains("ignored the filter"),
                "{profile}: {}",
                ran.output()
            );
        }
        let victims: Vec<&String> = before.keys().collect();
        for r in server.requests() {
            let writes = ["PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|v| r.starts_with(v));
            assert!(
                !(writes && victims.iter().any(|id| r.contains(id.as_str()))),
                "{profile}: wrote to an object the run did not create: {r}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_made_of_path_syntax_address_only_their_own_object() {
    for (mode, name) in [
        (Mode::TraversalId, "traversal-id"),
        (Mode::PathSyntaxId, "path-syntax-id"),
    ] {
        let server = Hostile::start(mode).await;
        let before = server.seed().await;
        let url = server.url.clone();
        let ran = go(move || {
            Run::new(LIFECYCLE, &url, "hs2-")
                .args(&["--profile", "all"])
                .go()
        })
        .await;
        judge(name, &ran, &server, &before, "hs2-").await;
        assert_eq!(ran.code, Some(0), "{name}: {}", ran.output());
        assert!(
            server.left_by("hs2-").await.is_empty(),
            "{name}: cleanup removed everything"
        );
        for r in server.requests() {
            assert!(
                !r.contains("/Users/a/b"),
                "{name}: id used as path syntax: {r}"
            );
            assert!(
                !r.contains("/Users/../"),
                "{name}: id used as path syntax: {r}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_answers_without_a_string_id_fail_and_are_never_deleted_through_the_collection() {
    for (mode, name) in [
        (Mode::NumericId, "numeric-id"),
        (Mode::MissingId, "missing-id"),
    ] {
        let server = Hostile::start(mode).await;
        let before = server.seed().await;
        let url = server.url.clone();
        let ran = go(move || {
            Run::new(LIFECYCLE, &url, "hs3-")
                .args(&["--profile", "entra,okta"])
                .go()
        })
        .await;
        judge(name, &ran, &server, &before, "hs3-").await;
        assert_eq!(ran.code, Some(1), "{name}: {}", ran.output());
        assert!(
            ran.output().contains("not a string") || ran.output().contains("no `id`"),
            "{name}: {}",
            ran.output()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_echoed_by_the_server_is_scrubbed_from_every_output() {
    let server = Hostile::start(Mode::EchoToken).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(WITH_SNAPSHOT, &url, "hs4-")
            .args(&["--profile", "entra,okta", "--accept", "--full"])
            .go()
    })
    .await;
    judge("echo-token", &ran, &server, &before, "hs4-").await;
    let transcript = std::fs::read_to_string(ran.dir.path().join("transcript.jsonl"))
        .expect("transcript written");
    assert!(transcript.contains("[REDACTED]"), "{transcript}");
    for report in ["report.json", "report.xml", "log.jsonl"] {
        assert!(ran.dir.path().join(report).exists(), "{report} written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_at_the_cap_and_memory_stays_small() {
    let server = Hostile::start(Mode::EndlessBody).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs5-")
            .args(&["--profile", "entra"])
            .go()
    })
    .await;
    judge("endless-body", &ran, &server, &before, "hs5-").await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    assert!(
        ran.output().contains("more than 4194304 bytes"),
        "{}",
        ran.output()
    );
    assert!(ran.wall < Duration::from_secs(60), "{:?}", ran.wall);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_error_page_is_shown_truncated() {
    let server = Hostile::start(Mode::HugeErrorPage).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs6-")
            .args(&["--profile", "okta"])
            .go()
    })
    .await;
    judge("huge-error-page", &ran, &server, &before, "hs6-").await;
    assert!(
        ran.output().len() < 64 * 1024,
        "{} bytes of output",
        ran.output().len()
    );
    let transcript =
        std::fs::metadata(ran.dir.path().join("transcript.jsonl")).expect("transcript");
    assert!(
        transcript.len() < 1024 * 1024,
        "{} bytes of transcript",
        transcript.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_not_followed_and_the_other_host_hears_nothing() {
    let elsewhere = Elsewhere::start().await;
    for (mode, name, code, says) in [
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
        let server = Hostile::start(mode).await;
        let before = server.seed().await;
        let url = server.url.clone();
        let ran = go(move || {
            Run::new(LIFECYCLE, &url, "hs7-")
                .args(&["--profile", "entra"])
                .go()
        })
        .await;
        judge(name, &ran, &server, &before, "hs7-").await;
        assert_eq!(ran.code, Some(code), "{name}: {}", ran.output());
        assert!(ran.output().contains(says), "{name}: {}", ran.output());
        assert!(
            ran.output().contains("IdPs do not follow redirects"),
            "{name}: {}",
            ran.output()
        );
    }
    assert_eq!(elsewhere.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_answering_is_bounded_by_the_scenario_timeout() {
    let server = Hostile::start(Mode::HangAfterFirst).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs8-")
            .args(&[
                "--profile",
                "entra",
                "--timeout",
                "1",
                "--scenario-timeout",
                "6",
            ])
            .go()
    })
    .await;
    judge("hang-after-probe", &ran, &server, &before, "hs8-").await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    assert!(ran.wall < Duration::from_secs(30), "{:?}", ran.wall);
    let out = ran.output();
    // The console names the exchange that timed out and how long it waited.
    assert!(out.contains("failed after 1."), "{out}");
    assert!(out.contains("no answer from"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_that_never_ends_is_a_finding() {
    let server = Hostile::start(Mode::EndlessListing).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(WITH_SNAPSHOT, &url, "hs9-")
            .args(&["--profile", "entra", "--accept"])
            .go()
    })
    .await;
    judge("endless-listing", &ran, &server, &before, "hs9-").await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    assert!(ran.output().contains("never ended"), "{}", ran.output());
    let listings = server
        .requests()
        .iter()
        .filter(|r| r.contains("startIndex"))
        .count();
    assert!(listings < 20, "{listings} pages read");
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_that_fails_names_every_object_left_and_fails_the_run() {
    let server = Hostile::start(Mode::DeleteFails).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs10-")
            .args(&["--profile", "entra"])
            .go()
    })
    .await;
    judge("delete-fails", &ran, &server, &before, "hs10-").await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    let left = server.left_by("hs10-").await;
    assert_eq!(left.len(), 2, "both users stay: {left:?}");
    assert!(ran.stderr.contains("still on the target"), "{}", ran.stderr);
}

fn signal_run(
    url: String,
    signals: &'static [&'static str],
    server_requests: impl Fn() -> Vec<String> + Send + 'static,
) -> Ran {
    Run {
        scenario: LIFECYCLE,
        target: &url,
        prefix: "hs11-",
        extra: vec!["--profile", "entra"],
        // Once a create is in flight (the slow server holds it), signal.
        signal: Some((
            signals,
            Box::new(move || {
                server_requests()
                    .iter()
                    .any(|r| r.starts_with("POST /scim/v2/Users"))
            }),
        )),
    }
    .go()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_during_an_in_flight_create_clean_up_and_write_reports() {
    for signal in ["-INT", "-TERM"] {
        let server = std::sync::Arc::new(
            Hostile::start(Mode::Slow {
                answer_create: Duration::from_secs(20),
                delete: Duration::ZERO,
            })
            .await,
        );
        let before = server.seed().await;
        let url = server.url.clone();
        let watched = server.clone();
        let signals: &'static [&'static str] = if signal == "-INT" {
            &["-INT"]
        } else {
            &["-TERM"]
        };
        let ran = go(move || signal_run(url, signals, move || watched.requests())).await;
        judge(&format!("signal {signal}"), &ran, &server, &before, "hs11-").await;
        assert_eq!(ran.code, Some(1), "{signal}: {}", ran.output());
        assert!(
            server.left_by("hs11-").await.is_empty(),
            "{signal}: the in-flight create was found and deleted"
        );
        assert!(
            ran.stderr.contains("stopped by SIG"),
            "{signal}: {}",
            ran.stderr
        );
        let json = std::fs::read_to_string(ran.dir.path().join("report.json"))
            .expect("JSON report written");
        assert!(json.contains("stopped by SIG"), "{json}");
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
    let url = server.url.clone();
    let watched = server.clone();
    let ran = go(move || signal_run(url, &["-INT", "-INT"], move || watched.requests())).await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    assert!(
        ran.stderr.contains("second SIGINT: exiting at once"),
        "{}",
        ran.stderr
    );
    assert!(ran.wall < Duration::from_secs(10), "{:?}", ran.wall);
    // A DELETE cut off by the exit may still land; wait for it, then every object left was
    // named.
    tokio::time::sleep(Duration::from_secs(4)).await;
    judge("second signal", &ran, &server, &before, "hs11-").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scenario_timeout_and_the_run_deadline_bound_a_run_whose_requests_never_end() {
    // Requests hang longer than the scenario may last: the scenario timeout cuts it.
    let server = Hostile::start(Mode::HangAfterFirst).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs12-")
            .args(&[
                "--profile",
                "entra,okta",
                "--timeout",
                "60",
                "--scenario-timeout",
                "2",
            ])
            .go()
    })
    .await;
    judge("scenario-timeout", &ran, &server, &before, "hs12-").await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    assert_eq!(
        ran.stdout
            .matches("did not finish within 2 s (--scenario-timeout)")
            .count(),
        2,
        "{}",
        ran.stdout
    );
    // Each scenario's cleanup is bounded too (60 s at most); the run goes on to the next.
    assert!(ran.wall < Duration::from_secs(100), "{:?}", ran.wall);

    // The deadline stops the run itself and names what was not run.
    let server = Hostile::start(Mode::HangAfterFirst).await;
    let before = server.seed().await;
    let url = server.url.clone();
    let ran = go(move || {
        Run::new(LIFECYCLE, &url, "hs13-")
            .args(&[
                "--profile",
                "all",
                "--timeout",
                "60",
                "--deadline",
                "2",
                "--keep",
            ])
            .go()
    })
    .await;
    judge("deadline", &ran, &server, &before, "hs13-").await;
    assert_eq!(ran.code, Some(1), "{}", ran.output());
    assert!(
        ran.stdout.contains("stopped by the run deadline of 2 s"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("3 scenario runs not run"),
        "{}",
        ran.stderr
    );
    assert!(ran.wall < Duration::from_secs(10), "{:?}", ran.wall);
    let json =
        std::fs::read_to_string(ran.dir.path().join("report.json")).expect("JSON report written");
    assert!(json.contains("run deadline"), "{json}");
}
