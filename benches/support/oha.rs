//! The raw baseline by `oha` (`cargo install oha --locked`): the harness's requests,
//! grouped by class (method, collection, by id or not, query or not), each class driven by
//! oha for a few seconds with the profile's number of workers, on the server the harness
//! just filled; the class rates combine by the harness's mix (time per request = Σ share ÷
//! rate) into one raw rate.
//!
//! oha picks a URL from the class's file and, independently, a body from its body file at
//! random for every request, so the paths (ids, filters) and bodies are the harness's own
//! but their pairing and repetition are not; and the directory is already there, so a
//! create the harness made answers 409 here (uniqueness) and a membership add changes
//! nothing. The share of 2xx answers is printed per class to show it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// One class of the harness's mix and what oha measured for it.
pub struct Class {
    pub name: String,
    pub share: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ok_share: f64,
}

/// The class of a request: `GET /Users?`, `PATCH /Groups/{id}`, `POST /Users`…
pub(crate) fn class_of(method: &str, path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((p, _)) => (p, "?"),
        None => (path, ""),
    };
    let mut segments = path.trim_start_matches('/').split('/');
    let collection = segments.next().unwrap_or_default();
    let by_id = if segments.next().is_some() {
        "/{id}"
    } else {
        ""
    };
    format!("{method} /{collection}{by_id}{query}")
}

/// The oha binary: `$OHA`, else `oha` on the PATH, else `~/.cargo/bin/oha`; `None` when
/// none runs.
pub fn binary() -> Option<String> {
    let home = std::env::var("HOME").unwrap_or_default();
    let candidates = [
        std::env::var("OHA").ok(),
        Some("oha".to_string()),
        Some(format!("{home}/.cargo/bin/oha")),
    ];
    candidates.into_iter().flatten().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Where a class's URLs and bodies are: `class<n>.urls` and `class<n>.bodies` in the split's
/// directory.
pub(crate) fn files(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("class{n}.urls")),
        dir.join(format!("class{n}.bodies")),
    )
}

/// Splits the replay file into one URL file and one body file per class, in `dir`, numbered
/// in the order the classes first appear. Returns each class with its request count and the
/// number of its files: the classes come back sorted by name, which is not that order (until
/// 2026-12-03 `run` numbered them by the sorted order, so most classes were driven with
/// another class's URLs and bodies — Entra's `GET /Users?` with the POSTs' URLs, a listing of
/// every user).
pub(crate) fn split(
    replay: &Path,
    base: &str,
    dir: &Path,
) -> Result<BTreeMap<String, (u64, usize)>, String> {
    let file = File::open(replay).map_err(|e| format!("failed to read the replay: {e}"))?;
    let mut counts: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    let mut writers: BTreeMap<String, (BufWriter<File>, BufWriter<File>)> = BTreeMap::new();
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        let Ok(Value::Array(fields)) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let method = fields.first().and_then(Value::as_str).unwrap_or("GET");
        let path = fields.get(1).and_then(Value::as_str).unwrap_or("/");
        let class = class_of(method, path);
        let n = writers.len();
        if !writers.contains_key(&class) {
            let (urls, bodies) = files(dir, n);
            let open = |path: PathBuf| {
                File::create(path)
                    .map(BufWriter::new)
                    .map_err(|e| format!("failed to write oha's input: {e}"))
            };
            writers.insert(class.clone(), (open(urls)?, open(bodies)?));
        }
        counts.entry(class.clone()).or_insert((0, n)).0 += 1;
        if let Some((urls, bodies)) = writers.get_mut(&class) {
            let _ = writeln!(urls, "{base}{path}");
            if let Some(body) = fields.get(2).filter(|b| !b.is_null()) {
                let _ = writeln!(bodies, "{body}");
            }
        }
    }
    for (urls, bodies) in writers.values_mut() {
        urls.flush().map_err(|e| e.to_string())?;
        bodies.flush().map_err(|e| e.to_string())?;
    }
    Ok(counts)
}

/// Drives every class of the replay with oha against `base`, `seconds` each, `workers`
/// connections. Returns the classes and the combined raw rate.
pub fn run(
    binary: &str,
    replay: &Path,
    base: &str,
    token: &str,
    workers: usize,
    seconds: u64,
    dir: &Path,
) -> Result<(Vec<Class>, f64), String> {
    let counts = split(replay, base, dir)?;
    let total: u64 = counts.values().map(|(count, _)| count).sum();
    let mut classes = vec![];
    for (name, (count, n)) in &counts {
        let (urls, bodies) = files(dir, *n);
        let method = name.split(' ').next().unwrap_or("GET");
        let mut cmd = Command::new(binary);
        cmd.args(["--no-tui", "--output-format", "json", "--urls-from-file"])
            .args(["-z", &format!("{seconds}s"), "-c", &workers.to_string()])
            .args(["-m", method])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args(["-H", "Accept: application/scim+json"]);
        if std::fs::metadata(&bodies).is_ok_and(|m| m.len() > 0) {
            cmd.args(["-T", "application/scim+json", "-Z"]).arg(&bodies);
        }
        let output = cmd
            .arg(&urls)
            .output()
            .map_err(|e| format!("failed to run {binary}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "oha failed on {name}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let report: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("failed to read oha's JSON: {e}"))?;
        let codes = report["statusCodeDistribution"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let answered: u64 = codes.values().filter_map(Value::as_u64).sum();
        let ok: u64 = codes
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .filter_map(|(_, n)| n.as_u64())
            .sum();
        let ms = |p: &str| report["latencyPercentiles"][p].as_f64().unwrap_or(f64::NAN) * 1000.0;
        classes.push(Class {
            name: name.clone(),
            share: *count as f64 / total.max(1) as f64,
            rps: report["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
            p50_ms: ms("p50"),
            p99_ms: ms("p99"),
            ok_share: ok as f64 / answered.max(1) as f64,
        });
    }
    let seconds_per_request: f64 = classes.iter().map(|c| c.share / c.rps).sum();
    Ok((classes, 1.0 / seconds_per_request))
}
