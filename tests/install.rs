//! The installed binary, away from this repository: copied into a temp `bin/`, it sets up an
//! empty folder with `init`, runs that project and a built-in selection against a
//! `scim-harness serve` child, and settles snapshots with `accept` and a scripted `review` —
//! writing nothing outside the temp dir (issue 14: "a binary that does nothing away from
//! this repo").

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

mod common;

const TOKEN: &str = "install-test-token";

/// The temp layout: `bin/scim-harness`, `work/` (the vendor repo), `home/` and `tmp/`.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        for sub in ["bin", "work", "home", "tmp", "empty"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
        }
        let bin = root.join("bin/scim-harness");
        std::fs::copy(env!("CARGO_BIN_EXE_scim-harness"), &bin).expect("binary copied");
        Sandbox {
            _dir: dir,
            root,
            bin,
        }
    }

    fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        // Nothing from the caller's environment: no SCIM_*, no CI, no config path.
        cmd.env_clear()
            .env("HOME", self.root.join("home"))
            .env("TMPDIR", self.root.join("tmp"))
            .env("NO_COLOR", "1")
            .current_dir(cwd)
            .args(args);
        cmd
    }

    /// Runs in `cwd` with `stdin` as the answers; the token comes from SCIM_TOKEN.
    fn run(&self, cwd: &Path, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(cwd, args)
            .env("SCIM_TOKEN", TOKEN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the installed binary runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("answers written");
        child.wait_with_output().expect("the binary ends")
    }

    fn work(&self) -> PathBuf {
        self.root.join("work")
    }
}

/// A `scim-harness serve` child of the installed binary, and its base URL.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(sandbox: &Sandbox) -> Server {
        let mut child = sandbox
            .command(
                &sandbox.root,
                &["serve", "--listen", "127.0.0.1:0", "--token", TOKEN],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let out = child.stdout.take().expect("server stdout");
        let base = BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.trim()
                    .strip_prefix("base URL :")
                    .map(|u| u.trim().to_string())
            })
            .expect("the server prints its base URL");
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_code(o: &Output, code: i32, what: &str) {
    assert_eq!(o.status.code(), Some(code), "{what}:\n{}", text(o));
}

/// Every file under `dir`, relative, sorted as text (`scim-harness.toml` before `scim/…`,
/// where paths sort `scim` first).
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = common::files_under(dir)
        .iter()
        .filter_map(|path| path.strip_prefix(dir).ok())
        .map(|rel| rel.display().to_string())
        .collect();
    out.sort();
    out
}

fn repo_status() -> Option<String> {
    Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn snap(work: &Path, profile: &str) -> PathBuf {
    work.join(format!(
        "scim/snapshots/example-user-lifecycle__after-update@{profile}.snap"
    ))
}

fn set_surname(work: &Path, from: &str, to: &str) {
    let path = work.join("scim/scenarios/example.yaml");
    let yaml = std::fs::read_to_string(&path).expect("example");
    assert!(yaml.contains(from), "the example sets surname {from}");
    std::fs::write(&path, yaml.replace(from, to)).expect("edited");
}

#[test]
fn installed_binary_sets_up_runs_and_settles_a_project_away_from_the_repository() {
    let repo_before = repo_status();
    let cwd = std::env::current_dir().expect("cwd");
    let cwd_before = std::fs::read_dir(&cwd).map(|d| d.count()).ok();
    let sandbox = Sandbox::new();
    let work = sandbox.work();

    // init: config, example, its snapshots, CI workflow; a second init refuses (exit 2).
    let init = sandbox.run(&work, &["init"], "");
    assert_code(&init, 0, "init");
    assert!(
        text(&init).contains("next: scim-harness run"),
        "{}",
        text(&init)
    );
    assert_eq!(
        files(&work),
        vec![
            ".github/workflows/scim-harness.yml",
            "scim-harness.toml",
            "scim/scenarios/example.yaml",
            "scim/snapshots/example-user-lifecycle__after-update@entra.snap",
            "scim/snapshots/example-user-lifecycle__after-update@okta.snap",
        ]
    );
    let again = sandbox.run(&work, &["init"], "");
    assert_code(&again, 2, "init over an init'd folder");
    assert!(
        text(&again).contains("scim-harness.toml"),
        "{}",
        text(&again)
    );
    // The built-in scenarios run too by default (verified by hand: 47 s against `serve`);
    // here the project's own scenario alone, to keep the test fast.
    let config = work.join("scim-harness.toml");
    let toml = std::fs::read_to_string(&config).expect("config");
    assert!(toml.contains("builtin = true"));
    std::fs::write(&config, toml.replace("builtin = true", "builtin = false")).expect("edit");

    let server = Server::start(&sandbox);
    let target = ["--target", server.base.as_str()];
    let run = |extra: &[&'static str]| {
        let mut args = vec!["run", "-q"];
        args.extend_from_slice(&target);
        args.extend_from_slice(extra);
        args
    };

    // From a subfolder: the config is found upward and its paths resolve against it.
    let sub = work.join("scim");
    let passed = sandbox.run(&sub, &run(&[]), "");
    assert_code(&passed, 0, "the init'd project against the served server");
    assert!(text(&passed).contains(" 0 failed"), "{}", text(&passed));

    // A built-in selection, as in the repository, compared with the built-in snapshots.
    let builtin = sandbox.run(&work, &run(&["common/user-lifecycle.yaml"]), "");
    assert_code(&builtin, 0, "a built-in selection away from the repository");
    assert!(
        text(&builtin).contains("6 passed, 0 failed"),
        "{}",
        text(&builtin)
    );
    let listed = sandbox.run(&work, &["list", "entra/"], "");
    assert_code(&listed, 0, "list of a built-in folder");
    assert!(
        text(&listed).contains("file:    scenarios/entra/initial-sync-five-users.yaml (built in)"),
        "{}",
        text(&listed)
    );
    let unknown = sandbox.run(&work, &["list", "entra/no-such.yaml"], "");
    assert_code(&unknown, 2, "an unknown path");
    assert!(
        text(&unknown).contains("built in: common/, cyberark/, entra/"),
        "{}",
        text(&unknown)
    );

    // A changed directory goes pending in the project's snapshot folder; accept settles it.
    set_surname(&work, "Park", "Kim");
    let differs = sandbox.run(&work, &run(&[]), "");
    assert_code(&differs, 1, "a snapshot that differs");
    for profile in ["entra", "okta"] {
        assert!(snap(&work, profile).with_extension("snap.new").is_file());
    }
    let accepted = sandbox.run(&work, &["accept", "--all"], "");
    assert_code(&accepted, 0, "accept --all");
    assert!(
        text(&accepted).contains("2 snapshots accepted"),
        "{}",
        text(&accepted)
    );
    let entra = std::fs::read_to_string(snap(&work, "entra")).expect("entra snap");
    assert!(entra.contains("\"familyName\": \"Kim\""), "{entra}");
    assert_code(&sandbox.run(&work, &run(&[]), ""), 0, "after accept");

    // Pending again; a scripted review accepts entra's and rejects okta's.
    set_surname(&work, "Kim", "Wu");
    assert_code(&sandbox.run(&work, &run(&[]), ""), 1, "differs again");
    let review = sandbox.run(&work, &["review"], "a\nr\n");
    assert_code(&review, 0, "review");
    assert!(
        text(&review).contains("accepted 1, rejected 1, skipped 0"),
        "{}",
        text(&review)
    );
    let entra = std::fs::read_to_string(snap(&work, "entra")).expect("entra snap");
    let okta = std::fs::read_to_string(snap(&work, "okta")).expect("okta snap");
    assert!(entra.contains("\"familyName\": \"Wu\""), "{entra}");
    assert!(okta.contains("\"familyName\": \"Kim\""), "{okta}");
    assert!(!snap(&work, "okta").with_extension("snap.new").exists());

    // A folder with no config and no snapshots: built-in snapshots only, nothing written.
    let empty = sandbox.root.join("empty");
    let bare = sandbox.run(
        &empty,
        &[
            "run",
            "--target",
            server.base.as_str(),
            "common/user-lifecycle.yaml",
            "--profile",
            "entra",
        ],
        "",
    );
    assert_code(&bare, 0, "a built-in scenario from an unrelated folder");
    assert!(
        text(&bare).contains("nothing is written"),
        "{}",
        text(&bare)
    );
    assert!(files(&empty).is_empty(), "wrote {:?}", files(&empty));

    drop(server);
    assert_eq!(repo_status(), repo_before, "the repository is untouched");
    assert_eq!(
        std::fs::read_dir(&cwd).map(|d| d.count()).ok(),
        cwd_before,
        "nothing new in the test's working directory"
    );
}
