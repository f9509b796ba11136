//! What the bench measures of a phase: latencies in a bounded histogram, the process's CPU
//! time and its peak RSS.

/// Latencies in microseconds, bounded: one counter per µs up to 100 ms, then one overflow.
pub struct Latencies {
    counts: Vec<u64>,
    n: u64,
}

impl Latencies {
    pub fn new() -> Self {
        Latencies {
            counts: vec![0; 100_001],
            n: 0,
        }
    }
    pub fn add(&mut self, us: u64) {
        self.counts[(us as usize).min(100_000)] += 1;
        self.n += 1;
    }
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let want = ((self.n as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (us, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return us as f64 / 1000.0;
            }
        }
        f64::NAN
    }
}

/// Peak RSS of this process since the last reset, in MB (Linux `VmHWM`).
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0), so each profile's peak is its own.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time this process has used (user + system, all threads), in seconds: beside the wall
/// clock, which on a shared machine moves with the neighbours, what each request cost.
pub fn cpu_seconds() -> f64 {
    cpu_seconds_in("/proc/self/stat")
}

/// CPU time process `pid` has used (user + system, all threads), in seconds: the server's,
/// which serves one phase from its start, so its total is that phase's.
pub fn cpu_seconds_of(pid: u32) -> f64 {
    cpu_seconds_in(&format!("/proc/{pid}/stat"))
}

fn cpu_seconds_in(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The span of a phase's requests: from the first request's send to the last answer. A phase
/// prepares before its first request (the harness builds its directory from the scenario, the
/// replay reads and splits its file) and the harness judges after its last; the request rate
/// is judged over this span for both, and the harness's whole-run rate is printed beside it.
///
/// The span is also split where the first request to `/Groups` is sent (`Stretches`): every
/// profile provisions the users first and the groups after, and the two stretches cost the
/// harness differently (under Okta each group's push is an event cycle of its own).
#[derive(Default)]
pub struct Window {
    first_sent: Option<std::time::Instant>,
    last_answered: Option<std::time::Instant>,
    answers: u64,
    /// The first `/Groups` request's send, and the answers before it.
    groups_from: Option<(std::time::Instant, u64)>,
}

/// A phase's span in two: (requests, seconds) from the first request to the first `/Groups`
/// one, and from there to the last answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stretches {
    pub users: (u64, f64),
    pub groups: (u64, f64),
}

impl Stretches {
    /// From the phase's request count and span, and where its first `/Groups` request stood:
    /// `before` requests answered, `at` seconds into the span.
    pub fn new(requests: u64, seconds: f64, before: u64, at: f64) -> Stretches {
        Stretches {
            users: (before, at),
            groups: (requests.saturating_sub(before), seconds - at),
        }
    }

    /// The users' stretch's requests/s and the groups'.
    pub fn rates(&self) -> [f64; 2] {
        [self.users, self.groups].map(|(n, secs)| n as f64 / secs)
    }
}

impl Window {
    /// An exchange that took `us` microseconds was just answered; `path` is its request's
    /// path under the base URL.
    pub fn answered(&mut self, us: u64, path: &str) {
        let now = std::time::Instant::now();
        let sent = now - std::time::Duration::from_micros(us);
        self.first_sent.get_or_insert(sent);
        if self.groups_from.is_none() && path.starts_with("/Groups") {
            self.groups_from = Some((sent, self.answers));
        }
        self.answers += 1;
        self.last_answered = Some(now);
    }

    pub fn seconds(&self) -> f64 {
        match (self.first_sent, self.last_answered) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
            _ => f64::NAN,
        }
    }

    /// The span split at the first `/Groups` request; `None` when no request went there.
    pub fn stretches(&self) -> Option<Stretches> {
        let (at, before) = self.groups_from?;
        let first = self.first_sent?;
        Some(Stretches::new(
            self.answers,
            self.seconds(),
            before,
            at.duration_since(first).as_secs_f64(),
        ))
    }
}

/// Where the bench runs: the CPU's model name, its logical CPUs and the cache size
/// `/proc/cpuinfo` gives. The same code read a ratio of 0.72–0.78 on one 2-core machine and
/// 0.84–0.91 on another the same day, with the same instructions a request (benches/README.md,
/// 2026-12-04): a run that does not name its machine cannot be compared with another.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{}, {cpus} logical CPUs, cache size {}",
        field("model name").unwrap_or_else(|| "unknown CPU".into()),
        field("cache size").unwrap_or_else(|| "unknown".into())
    )
}

/// The machine's CPU ticks at one moment (`/proc/stat`'s first line): those the hypervisor
/// gave to other guests (steal) and all of them. Earlier sessions read them by hand to tell a
/// run slowed by its neighbours from a slow harness; the bench now prints the share.
#[derive(Clone, Copy)]
pub struct Ticks {
    steal: u64,
    total: u64,
}

impl Ticks {
    pub fn now() -> Ticks {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        // user nice system idle iowait irq softirq steal (guest time is inside user and nice).
        let values: Vec<u64> = stat
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("cpu "))
            .map(|l| {
                l.split_whitespace()
                    .take(8)
                    .filter_map(|v| v.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        Ticks {
            steal: values.get(7).copied().unwrap_or(0),
            total: values.iter().sum(),
        }
    }

    /// The per cent of the machine's time stolen since `self`; NaN where `/proc/stat` says
    /// nothing.
    pub fn stolen_since(&self) -> f64 {
        let now = Ticks::now();
        let total = now.total.saturating_sub(self.total);
        if total == 0 {
            return f64::NAN;
        }
        100.0 * now.steal.saturating_sub(self.steal) as f64 / total as f64
    }
}
