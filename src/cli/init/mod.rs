//! `scim-harness init [DIR]`: scaffolds a vendor repository — the config file, an example
//! scenario with its reviewed snapshots, and a CI workflow — so that `scim-harness run` works
//! there at once, against the built-in server or a staging endpoint. It never overwrites a
//! file unless told to (`--force`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::ExitCode;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository to set up (default: the working directory).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// What `init` writes, relative to DIR. The example's snapshots are the ones a correct
/// server gives, so the first `run` passes and shows what a snapshot looks like.
const FILES: &[(&str, &str)] = &[
    (super::config::FILE_NAME, include_str!("scim-harness.toml")),
    ("scim/scenarios/example.yaml", include_str!("example.yaml")),
    (
        "scim/snapshots/example-user-lifecycle__after-update@entra.snap",
        include_str!("example-user-lifecycle__after-update@entra.snap"),
    ),
    (
        "scim/snapshots/example-user-lifecycle__after-update@okta.snap",
        include_str!("example-user-lifecycle__after-update@okta.snap"),
    ),
    (
        ".github/workflows/scim-harness.yml",
        include_str!("workflow.yml"),
    ),
];

pub fn init(args: InitArgs) -> ExitCode {
    let existing: Vec<PathBuf> = FILES
        .iter()
        .map(|(path, _)| args.dir.join(path))
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() && !args.force {
        eprintln!(
            "error: refusing to overwrite files that already exist (--force overwrites them):"
        );
        for p in &existing {
            eprintln!("  {}", p.display());
        }
        return ExitCode::Usage;
    }
    for (path, text) in FILES {
        let target = args.dir.join(path);
        if let Err(e) = write(&target, text) {
            eprintln!("error: failed to write {}: {e}", target.display());
            return ExitCode::Usage;
        }
        say!("wrote {}", target.display());
    }
    let cd = match args.dir.as_path() == Path::new(".") {
        true => String::new(),
        false => format!("cd {} && ", args.dir.display()),
    };
    say!(
        "next: {cd}scim-harness run   (the built-in server; --target URL or SCIM_BASE_URL with SCIM_TOKEN for yours)"
    );
    ExitCode::Ok
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_config_and_example_parse() {
        let config = super::super::config::parse(FILES[0].1, Path::new("/v/scim-harness.toml"))
            .expect("the config init writes is valid");
        assert_eq!(config.scenarios, vec![PathBuf::from("/v/scim/scenarios")]);
        assert_eq!(config.snapshots, Some(PathBuf::from("/v/scim/snapshots")));
        let example = crate::scenario::parse_str(FILES[1].1, Path::new("example.yaml"))
            .expect("the example scenario parses");
        // Every snapshot the example writes ships with it, so the first run passes.
        for profile in example.profiles.iter().flatten() {
            let name = format!(
                "scim/snapshots/{}__after-update@{profile}.snap",
                example.name
            );
            assert!(FILES.iter().any(|(p, _)| *p == name), "{name} is written");
        }
        // A built-in scenario of the same name would clash with the vendor's copy.
        assert!(crate::catalog::scenarios().all(|s| !s.text.contains(&example.name)));
    }

    #[test]
    fn existing_files_are_kept_unless_forced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join(super::super::config::FILE_NAME);
        std::fs::write(&config, "mine").expect("write");
        let args = |force| InitArgs {
            dir: dir.path().to_path_buf(),
            force,
        };
        assert_eq!(init(args(false)), ExitCode::Usage);
        assert_eq!(std::fs::read_to_string(&config).expect("read"), "mine");
        assert!(
            !dir.path().join("scim").exists(),
            "nothing written on refusal"
        );
        assert_eq!(init(args(true)), ExitCode::Ok);
        assert_eq!(std::fs::read_to_string(&config).expect("read"), FILES[0].1);
        assert!(dir
            .path()
            .join(".github/workflows/scim-harness.yml")
            .is_file());
    }
}
