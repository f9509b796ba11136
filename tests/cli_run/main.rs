//! The `run` command as a user runs it: the binary, real scenario files, the built-in server or
//! a reference server started here as the `--target`; exit codes, messages and reports.

mod cleanup;
mod reports;
mod scenario_files;
mod serve;
mod target_url;
mod verdicts;

use std::path::{Path, PathBuf};
use std::process::Output;

use scim_harness::server::faults::{FaultRule, Times};
use scim_harness::server::{self, RunningServer, ServerConfig};
use serde_json::{json, Value};

const TOKEN: &str = "cli-test-token-7f3a9c";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn harness(args: Vec<String>, envs: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
        // CI is set on CI; tests that want it pass it explicitly, so that --accept and
        // snapshot review behave the same everywhere.
        cmd.current_dir(root())
            .args(&args)
            .env_remove("SCIM_TOKEN")
            .env_remove("CI")
            .env("NO_COLOR", "1");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary runs")
    })
    .await
    .expect("join")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn target() -> RunningServer {
    server::start(ServerConfig {
        tokens: vec![TOKEN.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts")
}

fn write_scenario(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write scenario");
    path
}
