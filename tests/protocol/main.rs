//! The protocol suite: the built-in server passes every check (through the binary, as a user
//! runs it), and a server carrying exactly one bug fails exactly the checks that name it,
//! with a finding that names the behaviour and the exchange it was judged on.

#[path = "../hostile/mod.rs"]
mod hostile;

mod auth;
mod cli;
mod discovery;
mod filter;
mod honest;
mod patch;
mod read;
mod writes;

use std::path::PathBuf;
use std::time::Duration;

use hostile::{Hostile, Mode, TOKEN};
use scim_harness::check::finding::{Code, Finding, Severity};
use scim_harness::client::{ScimClient, Secret};
use scim_harness::engine::runner::Verdict;
use scim_harness::protocol::{self, SuiteSettings};

/// What the suite made of a server: failed check → its finding, and warnings by check.
struct Judged {
    failed: Vec<(String, Finding)>,
    warned: Vec<(String, Finding)>,
    passed: usize,
    left: Vec<String>,
    prefix: String,
}

impl Judged {
    fn failed_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.failed.iter().map(|(n, _)| n.as_str()).collect();
        v.sort();
        v
    }

    fn finding(&self, name: &str) -> &Finding {
        &self
            .failed
            .iter()
            .chain(self.warned.iter())
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no finding for {name}"))
            .1
    }
}

async fn judge(mode: Mode) -> (Judged, Hostile) {
    let server = Hostile::start(mode).await;
    let client = ScimClient::new(
        &server.url,
        Some(Secret::new(TOKEN)),
        Duration::from_secs(10),
    )
    .expect("client");
    let prefix = format!("pt{}-", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let settings = SuiteSettings {
        prefix: prefix.clone(),
        timeout: Duration::from_secs(10),
        check_timeout: Duration::from_secs(60),
        cleanup: true,
    };
    let results = protocol::run_suite(&protocol::checks(), &client, &settings, |_| {}).await;
    let mut judged = Judged {
        failed: vec![],
        warned: vec![],
        passed: 0,
        left: vec![],
        prefix,
    };
    for r in results {
        let name = r
            .outcome
            .scenario
            .strip_prefix(protocol::SCENARIO_PREFIX)
            .expect("prefixed")
            .to_string();
        assert_eq!(r.outcome.profile, "protocol");
        judged.left.extend(r.left);
        match r.outcome.verdict {
            Verdict::Failed => {
                let cause = r
                    .outcome
                    .failure
                    .and_then(|f| f.cause)
                    .expect("a failure has its finding");
                judged.failed.push((name, cause));
            }
            Verdict::Passed => {
                judged.passed += 1;
                if let Some(f) = r.outcome.findings.first() {
                    judged.warned.push((name, f.clone()));
                }
            }
            other => panic!("{name}: unexpected verdict {other:?}"),
        }
    }
    (judged, server)
}

/// The one failing check, its code, and words of its title.
async fn only_failure(mode: Mode, check: &str, code: Code, words: &[&str]) -> Judged {
    let (j, server) = judge(mode).await;
    assert_eq!(j.failed_names(), vec![check], "{:#?}", j.failed);
    let f = j.finding(check);
    assert_eq!(f.code, code, "{f:#?}");
    assert_eq!(f.severity, Severity::Error);
    for w in words {
        assert!(f.title.contains(w), "{w:?} not in {:?}", f.title);
    }
    assert!(f.exchange.is_some(), "the finding names its exchange");
    assert!(f.reference.contains("RFC 76"), "{}", f.reference);
    // Whatever a check created is gone (ghost mode keeps answering GETs, so it is exempt).
    assert!(
        server.left_by(&j.prefix).await.is_empty(),
        "left on the server"
    );
    j
}

/// The one check that warns (an optional behaviour broken), nothing failing, and words of its
/// title.
async fn only_warning(mode: Mode, check: &str, code: Code, words: &[&str]) -> Judged {
    let (j, server) = judge(mode).await;
    assert!(j.failed.is_empty(), "{:#?}", j.failed);
    let warned: Vec<&str> = j.warned.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(warned, vec![check], "{:#?}", j.warned);
    let f = j.finding(check);
    assert_eq!(f.code, code, "{f:#?}");
    assert_eq!(f.severity, Severity::Warning);
    for w in words {
        assert!(f.title.contains(w), "{w:?} not in {:?}", f.title);
    }
    assert!(f.exchange.is_some(), "the finding names its exchange");
    assert!(
        server.left_by(&j.prefix).await.is_empty(),
        "left on the server"
    );
    j
}
