//! Safety against hostile servers, run as a user runs the binary: whatever the server answers,
//! the run never touches what it did not create, never leaks the token, stays bounded in time
//! and memory, and cleans up or names what it could not remove. One test per misbehaviour of
//! `hostile::Mode`; each prints a `mode | exit | wall | peak RSS | left | token` row.

#[path = "../hostile/mod.rs"]
mod hostile;

mod bodies;
mod ids;
mod ownership;
mod redirects;
mod signals;
mod timeouts;

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
