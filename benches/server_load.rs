//! Load benchmark of the reference server (not a test): requests/s and p99 latency of
//! GET-by-id and `filter=userName eq` with 10k users loaded, measured by `oha`
//! (`cargo install oha`). Target: ≥ 20k req/s on a 2-core machine.
//!
//! Run: `cargo bench --bench server_load` (env: BENCH_SECONDS, BENCH_CONNECTIONS, OHA).

use std::process::Command;
use std::time::Duration;

use scim_harness::server::store::Kind;
use scim_harness::server::{self, ServerConfig};
use serde_json::{json, Value};

const USERS: usize = 10_000;
const TOKEN: &str = "bench-token";
const TARGET_RPS: f64 = 20_000.0;

struct Outcome {
    rps: f64,
    p99_ms: f64,
    ok: u64,
    total: u64,
}

fn oha(binary: &str, url: &str, seconds: u64, connections: u64) -> Result<Outcome, String> {
    let output = Command::new(binary)
        .args([
            "-z",
            &format!("{seconds}s"),
            "-c",
            &connections.to_string(),
            "--no-tui",
            "--output-format",
            "json",
            "-H",
            &format!("Authorization: Bearer {TOKEN}"),
            url,
        ])
        .output()
        .map_err(|e| {
            format!("failed to run {binary}: {e} (install it with `cargo install oha`)")
        })?;
    if !output.status.success() {
        return Err(format!(
            "oha failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("failed to read oha's JSON: {e}"))?;
    let rps = report["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0);
    let p99_ms = report["latencyPercentiles"]["p99"]
        .as_f64()
        .unwrap_or(f64::NAN)
        * 1000.0;
    let codes = report["statusCodeDistribution"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let ok = codes.get("200").and_then(Value::as_u64).unwrap_or(0);
    let total = codes.values().filter_map(Value::as_u64).sum();
    Ok(Outcome {
        rps,
        p99_ms,
        ok,
        total,
    })
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter here.
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let connections: u64 = std::env::var("BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let oha_bin = std::env::var("OHA").unwrap_or_else(|_| "oha".into());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the runtime: {e}");
            std::process::exit(4);
        }
    };
    let (base, probe_id, probe_name, running) = runtime.block_on(async {
        let running = server::start(ServerConfig {
            tokens: vec![TOKEN.into()],
            ..ServerConfig::default()
        })
        .await
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(3);
        });
        let mut probe = (String::new(), String::new());
        {
            let mut dir = running.state().write();
            for i in 0..USERS {
                let name = format!("user{i:05}@bench.test");
                let body = json!({
                    "userName": name, "active": true, "displayName": format!("User {i}"),
                    "name": {"givenName": "User", "familyName": format!("{i}")},
                    "emails": [{"type": "work", "primary": true, "value": name}],
                });
                match dir.create(Kind::User, &body) {
                    Ok(s) if i == USERS / 2 => probe = (s.id.clone(), name),
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("error: failed to load user {i}: {e}");
                        std::process::exit(4);
                    }
                }
            }
        }
        (running.base_url().to_string(), probe.0, probe.1, running)
    });

    println!(
        "reference server: {USERS} users loaded; oha {seconds}s × {connections} connections\n"
    );
    let cases = [
        ("GET /Users/{id}", format!("{base}/Users/{probe_id}")),
        (
            "GET /Users?filter=userName eq",
            format!("{base}/Users?filter=userName%20eq%20%22{probe_name}%22"),
        ),
    ];
    println!(
        "{:<32} {:>12} {:>10} {:>12}  target",
        "case", "req/s", "p99 ms", "2xx/total"
    );
    let mut missed = false;
    for (name, url) in cases {
        match oha(&oha_bin, &url, seconds, connections) {
            Ok(o) => {
                let verdict = if o.rps >= TARGET_RPS { "met" } else { "MISSED" };
                missed |= o.rps < TARGET_RPS;
                println!(
                    "{name:<32} {:>12.0} {:>10.2} {:>5}/{:<6}  ≥{TARGET_RPS:.0} req/s {verdict}",
                    o.rps, o.p99_ms, o.ok, o.total
                );
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(3);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    runtime.block_on(running.stop());
    if missed {
        std::process::exit(1);
    }
}
