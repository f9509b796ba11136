//! The judged raw baseline: the harness's requests, sent again one at a time by plain reqwest
//! against a fresh server, server ids mapped to the fresh server's.
//!
//! Everything a load generator does before its clock starts is done here before the clock
//! too: the replay file is read, each body rendered to its bytes once, and each request's
//! text split where a server id the harness saw appears, so the timed loop only joins
//! pieces and sends. Until session 8 the loop searched every byte offset of every request for
//! an id (a SipHash lookup per offset) and re-serialized each body: under callgrind that was
//! ~80,000 of the replay's ~168,000 instructions per request, which slowed the baseline and
//! flattered the harness's ratio.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use super::measure::{cpu_seconds, Latencies, Stretches};

/// One replay phase: the harness's requests, sent again by plain reqwest.
pub struct ReplayRun {
    pub requests: u64,
    pub seconds: f64,
    pub latency: Latencies,
    /// Answers that were not 2xx, and requests that got no answer.
    pub errors: u64,
    pub cpu_s: f64,
    /// The span split where the first `/Groups` request was sent (`Stretches`).
    pub stretches: Option<Stretches>,
}

/// Part of a request's path or body: text as the harness sent it, or the place of a server
/// id, numbered in the order the harness's creates returned them.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Id(usize),
}

/// One request of the replay file, ready to send.
struct Prepared {
    method: reqwest::Method,
    path: Vec<Piece>,
    body: Option<Vec<Piece>>,
    /// The number of the id this request's create returned to the harness, if it did.
    creates: Option<usize>,
}

/// Whether `s` has the shape of the built-in server's ids (a hyphenated UUID), checked before
/// any lookup so the split costs one pass over the text.
fn uuid_shaped(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `text` split at every id in `known` (id → its number).
fn split(text: &str, known: &std::collections::HashMap<String, usize>) -> Vec<Piece> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i + 36 <= bytes.len() {
        let id = &bytes[i..i + 36];
        // A UUID is ASCII, so a shaped window is on char boundaries.
        if let Some(&n) = uuid_shaped(id)
            .then(|| known.get(&text[i..i + 36]))
            .flatten()
        {
            if start < i {
                pieces.push(Piece::Text(text[start..i].to_string()));
            }
            pieces.push(Piece::Id(n));
            i += 36;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < text.len() {
        pieces.push(Piece::Text(text[start..].to_string()));
    }
    pieces
}

/// `pieces` joined, each id replaced by the fresh server's (`ids[n]`).
fn join(pieces: &[Piece], ids: &[String], out: &mut String) {
    out.clear();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Id(n) => out.push_str(ids.get(*n).map_or("", String::as_str)),
        }
    }
}

/// The replay file (one `[method, path, body, created id]` line per request), prepared.
fn prepare(replay: PathBuf) -> Result<(Vec<Prepared>, usize), String> {
    let file = File::open(replay).map_err(|e| format!("failed to read replay: {e}"))?;
    let mut known = std::collections::HashMap::new();
    let mut requests = Vec::new();
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        let Ok(line) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let method = line[0].as_str().unwrap_or("GET");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let path = split(line[1].as_str().unwrap_or("/"), &known);
        let body = (!line[2].is_null()).then(|| split(&line[2].to_string(), &known));
        let creates = line[3].as_str().map(|old| {
            let n = known.len();
            known.insert(old.to_string(), n);
            n
        });
        requests.push(Prepared {
            method,
            path,
            body,
            creates,
        });
    }
    Ok((requests, known.len()))
}

/// The raw baseline: the harness's requests replayed one at a time with plain reqwest.
pub async fn run_raw(replay: PathBuf, base: String, token: &str) -> Result<ReplayRun, String> {
    let http = reqwest::Client::new();
    let (requests, created) = prepare(replay)?;
    let mut ids = vec![String::new(); created];
    let mut latency = Latencies::new();
    let mut errors = 0;
    let (mut path, mut url) = (String::new(), String::new());
    // Found before the clock starts, like everything else the loop does not need to do.
    let first_group = requests
        .iter()
        .position(|r| matches!(r.path.first(), Some(Piece::Text(t)) if t.starts_with("/Groups")));
    let mut groups_at = None;
    let started = Instant::now();
    let cpu = cpu_seconds();
    for (n, r) in requests.iter().enumerate() {
        if Some(n) == first_group {
            groups_at = Some(started.elapsed().as_secs_f64());
        }
        join(&r.path, &ids, &mut path);
        url.clear();
        url.push_str(&base);
        url.push_str(&path);
        let mut req = http
            .request(r.method.clone(), url.as_str())
            .bearer_auth(token)
            .header("Accept", "application/scim+json");
        if let Some(pieces) = &r.body {
            let mut body = String::new();
            join(pieces, &ids, &mut body);
            req = req
                .header("Content-Type", "application/scim+json")
                .body(body);
        }
        let sent = Instant::now();
        match req.send().await {
            Ok(answer) => {
                let ok = answer.status().is_success();
                let bytes = answer.bytes().await.unwrap_or_default();
                latency.add(sent.elapsed().as_micros() as u64);
                errors += u64::from(!ok);
                if let Some(n) = r.creates {
                    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    if let (Some(new), Some(slot)) =
                        (answer.get("id").and_then(Value::as_str), ids.get_mut(n))
                    {
                        *slot = new.to_string();
                    }
                }
            }
            Err(_) => errors += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let n = requests.len() as u64;
    Ok(ReplayRun {
        requests: n,
        seconds,
        latency,
        errors,
        cpu_s: cpu_seconds() - cpu,
        stretches: first_group
            .zip(groups_at)
            .map(|(before, at)| Stretches::new(n, seconds, before as u64, at)),
    })
}
