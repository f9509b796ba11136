//! Snapshot review without Cargo, as a vendor does it with the binary alone: a run writes
//! pending `.snap.new` files, then `accept`, `reject` and a scripted `review` settle them
//! without running anything again, and a later matching run removes a stale pending file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary from the project root (so snapshot headers name `scenarios/…` as the
/// committed ones do), feeding `stdin`.
fn harness(args: &[&str], stdin: &str) -> Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .current_dir(root())
        .args(args)
        .env_remove("CI")
        .env_remove("SCIM_TOKEN")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("answers written");
    child.wait_with_output().expect("the binary ends")
}

fn stdout(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const SCENARIO: &str = "scenarios/common/user-lifecycle.yaml";
const PROFILES: [&str; 6] = [
    "cyberark",
    "entra",
    "okta",
    "onelogin",
    "pingfederate",
    "pingone",
];

fn snap(dir: &Path, profile: &str) -> PathBuf {
    dir.join(format!("common-user-lifecycle__reactivated@{profile}.snap"))
}

fn committed(profile: &str) -> String {
    std::fs::read_to_string(snap(&root().join("snapshots"), profile)).expect("committed")
}

/// The committed snapshot with its expected content changed, as a stale expectation.
fn changed(profile: &str) -> String {
    committed(profile).replace("\"users\"", "\"userz\"")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pending(dir: &Path, profile: &str) -> PathBuf {
    snap(dir, profile).with_extension("snap.new")
}

#[test]
fn pending_snapshots_are_accepted_rejected_and_reviewed_without_a_rerun() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    for p in PROFILES {
        std::fs::write(snap(dir, p), changed(p)).expect("write");
    }
    std::fs::write(dir.join("renamed-away__old@entra.snap"), "---\n---\n{}\n").expect("write");
    let d = dir.to_str().expect("utf8");

    let run = harness(&["run", SCENARIO, "--snapshots", d], "");
    assert_eq!(run.status.code(), Some(1), "{}", stdout(&run));
    for p in PROFILES {
        assert!(pending(dir, p).exists(), "{p}: {}", stdout(&run));
        assert_eq!(
            read(&snap(dir, p)),
            changed(p),
            "the snapshot itself is kept"
        );
    }

    // `accept FILE`: that one only, named by its .snap.new.
    let cyberark_new = pending(dir, "cyberark");
    let out = harness(&["accept", cyberark_new.to_str().expect("utf8")], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(read(&snap(dir, "cyberark")), committed("cyberark"));
    assert!(!cyberark_new.exists());
    assert!(pending(dir, "entra").exists());

    // `review`, scripted: entra accepted, okta rejected, onelogin skipped; stdin then ends,
    // which skips the rest.
    let out = harness(
        &["review", "--snapshots", d, "--scenarios", SCENARIO],
        "a\nr\ns\n",
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("[1/5]") && text.contains("reactivated@entra.snap (changed)"),
        "{text}"
    );
    assert!(
        text.contains("  -   \"userz\": {") && text.contains("  +   \"users\": {"),
        "the diff of stored and pending: {text}"
    );
    assert!(text.contains("accepted 1, rejected 1, skipped 3"), "{text}");
    assert!(
        text.contains("unreferenced snapshot ")
            && text.contains("renamed-away__old@entra.snap (no scenario step names it)"),
        "{text}"
    );
    assert_eq!(
        text.matches("unreferenced snapshot ").count(),
        1,
        "the scenario's own snapshots are referenced: {text}"
    );
    assert_eq!(read(&snap(dir, "entra")), committed("entra"));
    assert!(!pending(dir, "entra").exists());
    assert_eq!(read(&snap(dir, "okta")), changed("okta"), "rejected: kept");
    assert!(!pending(dir, "okta").exists());
    for p in ["onelogin", "pingfederate", "pingone"] {
        assert!(pending(dir, p).exists(), "{p} skipped");
        assert_eq!(read(&snap(dir, p)), changed(p));
    }

    // `reject FILE` by its .snap, then `accept --all` for what is left.
    let out = harness(
        &["reject", snap(dir, "onelogin").to_str().expect("utf8")],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(read(&snap(dir, "onelogin")), changed("onelogin"));
    assert!(!pending(dir, "onelogin").exists());
    let out = harness(&["accept", "--all", "--snapshots", d], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("2 snapshots accepted"),
        "{}",
        stdout(&out)
    );
    for p in ["pingfederate", "pingone"] {
        assert_eq!(read(&snap(dir, p)), committed(p));
    }
    let left: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".new"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Nothing pending: a named file is a usage error, a review says so.
    let out = harness(&["accept", snap(dir, "okta").to_str().expect("utf8")], "");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let out = harness(&["review", "--snapshots", d, "--scenarios", SCENARIO], "");
    assert!(
        stdout(&out).contains("no pending snapshots"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_matching_run_removes_a_stale_pending_snapshot() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    for p in PROFILES {
        std::fs::write(snap(dir, p), committed(p)).expect("write");
        std::fs::write(pending(dir, p), changed(p)).expect("a stale pending version");
    }
    let out = harness(
        &["run", SCENARIO, "--snapshots", dir.to_str().expect("utf8")],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    for p in PROFILES {
        assert!(!pending(dir, p).exists(), "{p}: stale .snap.new removed");
        assert_eq!(read(&snap(dir, p)), committed(p));
    }
}
