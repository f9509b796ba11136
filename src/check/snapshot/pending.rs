//! Pending snapshots: the `.snap.new` files (and `.snap.users.new` side files) a run wrote
//! for review, accepted or rejected without running anything again — as `cargo insta
//! review` does, for a vendor who has no Cargo. It only moves and removes files in the
//! snapshot directory; it never reads the target.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{body, remove_if_present, users_file};

/// One snapshot waiting for review.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The stored snapshot (`….snap`), which may not exist yet.
    pub snap: PathBuf,
    /// The new version (`….snap.new`).
    pub new: PathBuf,
}

impl Pending {
    /// The pending snapshot a path names: the `.snap.new` itself or its `.snap`; None when
    /// nothing is pending there.
    pub fn at(path: &Path) -> Option<Pending> {
        let name = path.file_name()?.to_str()?;
        let snap = if let Some(stem) = name.strip_suffix(".new") {
            path.with_file_name(stem)
        } else {
            path.to_path_buf()
        };
        if !snap.to_str()?.ends_with(".snap") {
            return None;
        }
        let new = snap.with_extension("snap.new");
        new.is_file().then_some(Pending { snap, new })
    }

    /// `.snap.users.new`: the side file of a pending summary.
    pub fn side_new(&self) -> PathBuf {
        users_file(&self.snap).with_extension("users.new")
    }

    /// The stored body (None for a new snapshot) and the pending body.
    pub fn bodies(&self) -> std::io::Result<(Option<String>, String)> {
        let new = std::fs::read_to_string(&self.new)?;
        let old = super::stored(&self.snap, source_of(&new))?
            .as_deref()
            .and_then(body);
        Ok((old, body(&new).unwrap_or(new)))
    }

    /// For a summary: the side-file lines that differ (stored, pending), each in full.
    pub fn side_diff(&self) -> std::io::Result<Option<(String, String)>> {
        let Ok(new) = std::fs::read_to_string(self.side_new()) else {
            return Ok(None);
        };
        let header = std::fs::read_to_string(&self.new)?;
        let old = super::stored(&users_file(&self.snap), source_of(&header))?.unwrap_or_default();
        Ok(Some(super::summary::differing_lines(&old, &new)))
    }

    /// The pending version becomes the snapshot, its side file with it. A pending snapshot
    /// without a side file is not a summary, so a side file left from an earlier summary
    /// goes: it would describe a snapshot that no longer exists.
    pub fn accept(&self) -> std::io::Result<()> {
        std::fs::rename(&self.new, &self.snap)?;
        let side = self.side_new();
        if side.is_file() {
            std::fs::rename(&side, users_file(&self.snap))
        } else {
            remove_if_present(&users_file(&self.snap))
        }
    }

    /// The pending version and its side file are removed; the snapshot stays as it was.
    pub fn reject(&self) -> std::io::Result<()> {
        std::fs::remove_file(&self.new)?;
        remove_if_present(&self.side_new())
    }
}

/// The `source:` line of a snapshot header: the scenario file, `… (built in)` for a built-in
/// one, whose stored version may be the one compiled into the binary.
fn source_of(text: &str) -> &str {
    text.lines()
        .skip(1)
        .take_while(|l| *l != "---")
        .find_map(|l| l.strip_prefix("source: "))
        .unwrap_or("")
}

/// Every pending snapshot in `dir`, by file name. A missing directory has none.
pub fn pending(dir: &Path) -> std::io::Result<Vec<Pending>> {
    let mut out: Vec<Pending> = snapshot_files(dir, ".snap.new")?
        .iter()
        .filter_map(|p| Pending::at(p))
        .collect();
    out.sort_by(|a, b| a.snap.cmp(&b.snap));
    Ok(out)
}

/// `.snap` files in `dir` whose name is not in `referenced` (file names a scenario step
/// would write): snapshots of a renamed scenario or step, or of a profile it left.
pub fn unreferenced(dir: &Path, referenced: &BTreeSet<String>) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = snapshot_files(dir, ".snap")?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !referenced.contains(n))
        })
        .collect();
    out.sort();
    Ok(out)
}

fn snapshot_files(dir: &Path, suffix: &str) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(suffix))
            && path.is_file()
        {
            out.push(path);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh snapshot directory, removed with its guard when the test ends.
    fn dir(name: &str) -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().expect("tmp");
        let dir = root.path().join(name);
        std::fs::create_dir_all(&dir).expect("tmp");
        (root, dir)
    }

    fn snap(text: &str) -> String {
        format!("---\nsource: s.yaml\nexpression: \"snapshot s\"\n---\n{text}\n")
    }

    #[test]
    fn accept_moves_the_new_version_and_its_side_file_into_place() {
        let (_root, d) = dir("accept");
        std::fs::write(d.join("a__s@entra.snap"), snap("old")).expect("w");
        std::fs::write(d.join("a__s@entra.snap.new"), snap("new")).expect("w");
        std::fs::write(d.join("a__s@entra.snap.users.new"), "u1 {}\n").expect("w");
        std::fs::write(d.join("b__s@entra.snap"), snap("kept")).expect("w");
        let all = pending(&d).expect("io");
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].bodies().expect("io"),
            (Some("old".into()), "new".into())
        );
        assert_eq!(
            all[0].side_diff().expect("io"),
            Some((String::from("u1 (none)\n"), String::from("u1 {}\n")))
        );
        all[0].accept().expect("io");
        assert_eq!(
            std::fs::read_to_string(d.join("a__s@entra.snap")).expect("r"),
            snap("new")
        );
        assert_eq!(
            std::fs::read_to_string(d.join("a__s@entra.snap.users")).expect("r"),
            "u1 {}\n"
        );
        assert!(!d.join("a__s@entra.snap.new").exists());
        assert!(!d.join("a__s@entra.snap.users.new").exists());
        assert!(pending(&d).expect("io").is_empty());
    }

    #[test]
    fn reject_removes_the_new_version_and_keeps_the_snapshot() {
        let (_root, d) = dir("reject");
        std::fs::write(d.join("a__s@okta.snap"), snap("old")).expect("w");
        std::fs::write(d.join("a__s@okta.snap.new"), snap("new")).expect("w");
        std::fs::write(d.join("a__s@okta.snap.users.new"), "x\n").expect("w");
        let p = Pending::at(&d.join("a__s@okta.snap")).expect("named by its .snap");
        assert_eq!(Pending::at(&d.join("a__s@okta.snap.new")), Some(p.clone()));
        p.reject().expect("io");
        assert_eq!(
            std::fs::read_to_string(d.join("a__s@okta.snap")).expect("r"),
            snap("old")
        );
        assert!(!d.join("a__s@okta.snap.users.new").exists());
        assert_eq!(Pending::at(&d.join("a__s@okta.snap")), None);
    }

    #[test]
    fn unreferenced_lists_only_snapshots_no_step_names() {
        let (_root, d) = dir("unref");
        for name in [
            "a__s@entra.snap",
            "gone__s@entra.snap",
            "a__s@entra.snap.users",
        ] {
            std::fs::write(d.join(name), "x").expect("w");
        }
        let referenced: BTreeSet<String> = ["a__s@entra.snap".to_string()].into();
        assert_eq!(
            unreferenced(&d, &referenced).expect("io"),
            vec![d.join("gone__s@entra.snap")]
        );
        assert!(unreferenced(&d.join("missing"), &referenced)
            .expect("io")
            .is_empty());
    }
}
