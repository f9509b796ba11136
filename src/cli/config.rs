//! `scim-harness.toml`: where a vendor's own scenarios and snapshots live, found upward from
//! the working directory (as nextest finds `.config/nextest.toml`), so the installed binary
//! works from any folder of the vendor's repository. Relative paths in it resolve against
//! the file's own directory. Precedence: flags > environment (SCIM_BASE_URL, SCIM_TOKEN) >
//! this file > defaults. A token never goes in it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ExitCode;

/// The file name searched for, from the working directory up to the filesystem root.
pub const FILE_NAME: &str = "scim-harness.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    scenarios: Option<Vec<String>>,
    snapshots: Option<String>,
    builtin: Option<bool>,
    target: Option<String>,
    profiles: Option<Vec<String>>,
    known_failures: Option<String>,
    options: Option<toml::Table>,
    /// Only to refuse it with a message that says where a token goes instead.
    token: Option<toml::Spanned<toml::Value>>,
}

/// `--config`, as every command that reads the project's settings takes it (`run`, `list`,
/// `review`, `accept`, `reject`): one definition, so its help and variable cannot drift apart.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArg {
    /// Config file (default: the nearest `scim-harness.toml` from the working directory up).
    #[arg(long = "config", env = "SCIM_HARNESS_CONFIG", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// A loaded config file, its paths resolved against its directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub file: PathBuf,
    pub scenarios: Vec<PathBuf>,
    pub snapshots: Option<PathBuf>,
    /// Whether the built-in scenarios run too when no PATHS are given.
    pub builtin: bool,
    pub target: Option<String>,
    pub profiles: Vec<String>,
    pub known_failures: Option<PathBuf>,
    /// `[options]`, a nested table flattened to `profile.key`.
    pub options: Vec<(String, String)>,
}

/// The scenarios a command loads: paths (on disk, or built in by path) and maybe every
/// built-in one. Without PATHS it comes from the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub paths: Vec<PathBuf>,
    /// Add every built-in scenario (those of `scenarios` already on disk win by path).
    pub builtin: bool,
}

impl Default for Selection {
    /// `scenarios`: inside the repository that is the folder on disk; anywhere else it names
    /// the built-in scenarios (a path not on disk is looked up among them).
    fn default() -> Self {
        Selection {
            paths: vec![PathBuf::from("scenarios")],
            builtin: false,
        }
    }
}

/// The config file to use: `--config`/`SCIM_HARNESS_CONFIG` if given, else the nearest
/// `scim-harness.toml` from `cwd` upward; None when there is none.
pub fn find(given: Option<&Path>, cwd: &Path) -> Option<PathBuf> {
    if let Some(path) = given {
        return Some(path.to_path_buf());
    }
    cwd.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Reads and checks the file; an error is rendered as `file:line:col: …`.
pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("failed to read config file {}: {e}", path.display()))?;
    parse(&text, path)
}

fn at(path: &Path, text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{}:{line}:{column}", path.display())
}

/// Parses `text` as the config file at `path`.
pub fn parse(text: &str, path: &Path) -> Result<Config, String> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let place = match e.span() {
            Some(span) => at(path, text, span.start),
            None => path.display().to_string(),
        };
        // `token` is a field only to be refused: not offered among the expected keys.
        let message = e.message().trim_end().replace(", `token`", "");
        format!("{place}: {message}")
    })?;
    if let Some(token) = raw.token {
        return Err(format!(
            "{}: a token does not belong in the config file (it is committed): set the SCIM_TOKEN environment variable, or pass --token",
            at(path, text, token.span().start)
        ));
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    let resolve = |p: &str| dir.join(p);
    let mut options = Vec::new();
    if let Some(table) = &raw.options {
        flatten("", table, &mut options).map_err(|key| {
            format!(
                "{}: [options] {key}: expected a string, number or boolean",
                path.display()
            )
        })?;
    }
    Ok(Config {
        file: path.to_path_buf(),
        scenarios: raw
            .scenarios
            .unwrap_or_default()
            .iter()
            .map(|p| resolve(p))
            .collect(),
        snapshots: raw.snapshots.as_deref().map(resolve),
        builtin: raw.builtin.unwrap_or(true),
        target: raw.target,
        profiles: raw.profiles.unwrap_or_default(),
        known_failures: raw.known_failures.as_deref().map(resolve),
        options,
    })
}

/// `[options]` with `entra.patch_dialect = "…"` (a nested table in TOML) as
/// `("entra.patch_dialect", "…")`, the form `--option` takes.
fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    for (key, value) in table {
        let name = match prefix {
            "" => key.clone(),
            p => format!("{p}.{key}"),
        };
        match value {
            toml::Value::String(s) => out.push((name, s.clone())),
            toml::Value::Integer(i) => out.push((name, i.to_string())),
            toml::Value::Float(f) => out.push((name, f.to_string())),
            toml::Value::Boolean(b) => out.push((name, b.to_string())),
            toml::Value::Table(t) => flatten(&name, t, out)?,
            _ => return Err(name),
        }
    }
    Ok(())
}

/// The config for a command: the file found (or given), loaded; None without one. A file
/// that is there but wrong stops the command with exit code 2.
pub fn for_command(given: &ConfigArg) -> Result<Option<Config>, ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some(path) = find(given.file.as_deref(), &cwd) else {
        return Ok(None);
    };
    let mut config = load(&path).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::Usage
    })?;
    config.relative_to(&cwd);
    Ok(Some(config))
}

impl Config {
    /// Paths under `cwd` written relative to it, as a user would type them: they are shown
    /// in listings and diagnostics and land in snapshot headers, which are committed.
    fn relative_to(&mut self, cwd: &Path) {
        let short = |p: &mut PathBuf| {
            if let Ok(rest) = p.strip_prefix(cwd) {
                if !rest.as_os_str().is_empty() {
                    *p = rest.to_path_buf();
                }
            }
        };
        self.scenarios.iter_mut().for_each(short);
        self.snapshots.iter_mut().for_each(short);
        self.known_failures.iter_mut().for_each(short);
    }
}

/// Where snapshots are read and pending ones written: the flag, then the config file;
/// without either, `snapshots` where this looks like the repository or a project that
/// keeps them there (`./scenarios` or `./snapshots` exists), else None: only the built-in
/// snapshots are compared and nothing is written, so a run from an unrelated folder leaves
/// no files behind.
pub fn snapshot_dir(flag: Option<&Path>, config: Option<&Config>) -> Option<PathBuf> {
    if let Some(dir) = flag {
        return Some(dir.to_path_buf());
    }
    if let Some(config) = config {
        return Some(
            config
                .snapshots
                .clone()
                .unwrap_or_else(|| config.file.with_file_name("snapshots")),
        );
    }
    let local = ["scenarios", "snapshots"]
        .iter()
        .any(|d| Path::new(d).is_dir());
    local.then(|| PathBuf::from("snapshots"))
}

/// Scenario paths without PATHS: the config file's (and the built-in ones if it says so),
/// else the default.
pub fn defaults(config: Option<&Config>) -> Selection {
    match config {
        Some(c) => Selection {
            paths: c.scenarios.clone(),
            builtin: c.builtin,
        },
        None => Selection::default(),
    }
}

/// `run`'s settings from the config file where no flag or variable gave them.
pub fn apply_run(args: &mut super::run::RunArgs, config: Option<&Config>) {
    args.snapshots = snapshot_dir(args.snapshots.as_deref(), config);
    args.defaults = defaults(config);
    let Some(c) = config else {
        return;
    };
    // clap already merged the flag and SCIM_BASE_URL into `target`.
    if args.target.is_none() {
        args.target = c.target.clone();
    }
    if args.profile.is_empty() {
        args.profile = c.profiles.clone();
    }
    if args.known_failures.is_none() {
        args.known_failures = c.known_failures.clone();
    }
    // Later entries win when options are collected, so the flags go last.
    let flags = std::mem::take(&mut args.options);
    args.options = c.options.iter().cloned().chain(flags).collect();
}

/// The options as a map (for tests of precedence).
#[cfg(test)]
fn options_map(args: &super::run::RunArgs) -> std::collections::BTreeMap<String, String> {
    args.options.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(text: &str) -> Result<Config, String> {
        parse(text, Path::new("/repo/scim-harness.toml"))
    }

    #[test]
    fn paths_resolve_against_the_file_and_options_flatten() {
        let c = config(
            "scenarios = [\"scim/scenarios\"]\nsnapshots = \"scim/snapshots\"\nbuiltin = false\n\
             profiles = [\"entra\"]\n[options]\nentra.patch_dialect = \"aadOptscim062020\"\ntimeout = 5\n",
        )
        .expect("valid");
        assert_eq!(c.scenarios, vec![PathBuf::from("/repo/scim/scenarios")]);
        assert_eq!(c.snapshots, Some(PathBuf::from("/repo/scim/snapshots")));
        assert!(!c.builtin);
        assert_eq!(
            c.options,
            vec![
                ("entra.patch_dialect".into(), "aadOptscim062020".into()),
                ("timeout".into(), "5".into())
            ]
        );
        assert!(
            config("").expect("empty").builtin,
            "built-in scenarios run by default"
        );
    }

    #[test]
    fn paths_under_the_working_directory_are_shown_relative() {
        let mut c = config("scenarios = [\"scim/scenarios\", \"../other\"]").expect("valid");
        c.relative_to(Path::new("/repo"));
        assert_eq!(
            c.scenarios,
            vec![PathBuf::from("scim/scenarios"), PathBuf::from("../other")]
        );
        let mut deeper = config("snapshots = \"scim/snapshots\"").expect("valid");
        deeper.relative_to(Path::new("/repo/scim/scenarios"));
        assert_eq!(
            deeper.snapshots,
            Some(PathBuf::from("/repo/scim/snapshots"))
        );
    }

    #[test]
    fn an_unknown_key_is_an_error_at_its_line() {
        let e = config("builtin = true\nsnapshot = \"x\"\n").expect_err("unknown");
        assert!(
            e.starts_with("/repo/scim-harness.toml:2:1: unknown field `snapshot`"),
            "{e}"
        );
        assert!(e.contains("`snapshots`") && !e.contains("`token`"), "{e}");
    }

    #[test]
    fn a_token_is_refused_with_where_it_goes() {
        let e = config("target = \"https://x\"\n\ntoken = \"s3cret\"\n").expect_err("token");
        assert!(e.starts_with("/repo/scim-harness.toml:3:"), "{e}");
        assert!(e.contains("SCIM_TOKEN") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn the_nearest_file_upward_is_found_and_the_flag_wins() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let deep = tmp.path().join("a/b");
        std::fs::create_dir_all(&deep).expect("mkdir");
        assert_eq!(find(None, &deep), None);
        std::fs::write(tmp.path().join(FILE_NAME), "").expect("write");
        assert_eq!(find(None, &deep), Some(tmp.path().join(FILE_NAME)));
        std::fs::write(deep.join(FILE_NAME), "").expect("write");
        assert_eq!(find(None, &deep), Some(deep.join(FILE_NAME)));
        let given = Path::new("/elsewhere/x.toml");
        assert_eq!(find(Some(given), &deep), Some(given.to_path_buf()));
    }

    /// Every command that reads the project's settings takes `--config` the same way (one
    /// `ConfigArg`), and hands `for_command` what was given.
    #[test]
    fn every_command_reading_the_config_takes_the_flag() {
        use super::super::{Cli, Command};
        let file = |cmd: &[&str]| {
            let mut argv = vec!["scim-harness"];
            argv.extend_from_slice(cmd);
            argv.extend_from_slice(&["--config", "/p/x.toml"]);
            let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            match cli.command {
                Command::Run(a) => a.config.file,
                Command::List(a) => a.config.file,
                Command::Review(a) => a.config.file,
                Command::Accept(a) | Command::Reject(a) => a.config.file,
                _ => None,
            }
        };
        let given = Some(PathBuf::from("/p/x.toml"));
        for cmd in [
            &["run"][..],
            &["list"],
            &["review"],
            &["accept", "--all"],
            &["reject", "--all"],
        ] {
            assert_eq!(file(cmd), given, "{cmd:?}");
        }
    }

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        run: super::super::run::RunArgs,
    }

    #[test]
    fn flags_win_over_the_config_file() {
        let c = config(
            "target = \"https://from-config/scim\"\nprofiles = [\"okta\"]\nsnapshots = \"snaps\"\n\
             [options]\npatch_dialect = \"config\"\nother = \"kept\"\n",
        )
        .expect("valid");
        let mut given = Wrap::parse_from([
            "x",
            "--target",
            "https://flag/scim",
            "--option",
            "patch_dialect=flag",
            "--snapshots",
            "mine",
        ])
        .run;
        apply_run(&mut given, Some(&c));
        assert_eq!(given.target.as_deref(), Some("https://flag/scim"));
        assert_eq!(given.snapshots, Some(PathBuf::from("mine")));
        assert_eq!(given.profile, vec!["okta".to_string()]);
        let options = options_map(&given);
        assert_eq!(options["patch_dialect"], "flag");
        assert_eq!(options["other"], "kept");
        let mut bare = Wrap::parse_from(["x"]).run;
        apply_run(&mut bare, Some(&c));
        assert_eq!(bare.target.as_deref(), Some("https://from-config/scim"));
        assert_eq!(bare.snapshots, Some(PathBuf::from("/repo/snaps")));
        assert_eq!(
            bare.defaults,
            Selection {
                paths: vec![],
                builtin: true
            }
        );
    }
}
