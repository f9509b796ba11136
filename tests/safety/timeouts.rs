//! Runs bounded in time: the request timeout, the scenario timeout and the run deadline.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_answering_is_named_with_the_exchange_and_the_time_waited() {
    let (ran, _server) = trial(
        Mode::HangAfterFirst,
        "hang-after-probe",
        LIFECYCLE,
        "hs8-",
        &[
            "--profile",
            "entra",
            "--timeout",
            "1",
            "--scenario-timeout",
            "6",
        ],
    )
    .await;
    // The probe answered, so the target was usable: a finding (1), not a set-up error (3).
    expect(
        "hang-after-probe",
        &ran,
        1,
        "failed after 1.0 s: no answer from",
    );
    assert!(ran.wall < Duration::from_secs(30), "{:?}", ran.wall);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scenario_timeout_and_the_run_deadline_bound_a_run_whose_requests_never_end() {
    // Requests hang longer than a scenario may last: the scenario timeout cuts each run, and
    // the next one starts.
    let (ran, _server) = trial(
        Mode::HangAfterFirst,
        "scenario-timeout",
        LIFECYCLE,
        "hs12-",
        &[
            "--profile",
            "entra,okta",
            "--timeout",
            "60",
            "--scenario-timeout",
            "2",
        ],
    )
    .await;
    expect(
        "scenario-timeout",
        &ran,
        1,
        "did not finish within 2 s (--scenario-timeout)",
    );
    assert_eq!(
        // Once per scenario run, on the line under its FAIL (findings repeat it after).
        ran.stdout
            .matches("\n       the scenario did not finish within 2 s")
            .count(),
        2,
        "{}",
        ran.stdout
    );
    assert!(ran.wall < Duration::from_secs(20), "{:?}", ran.wall);

    // The deadline stops the run itself and names what was not run.
    let (ran, _server) = trial(
        Mode::HangAfterFirst,
        "deadline",
        LIFECYCLE,
        "hs13-",
        &[
            "--profile",
            "all",
            "--timeout",
            "60",
            "--deadline",
            "2",
            "--keep",
        ],
    )
    .await;
    expect("deadline", &ran, 1, "stopped by the run deadline of 2 s");
    // Every profile's run but the one the deadline cut short.
    let not_run = scim_harness::profile::NAMES.len() - 1;
    expect(
        "deadline",
        &ran,
        1,
        &format!("{not_run} scenario runs not run"),
    );
    assert!(ran.wall < Duration::from_secs(10), "{:?}", ran.wall);
    let json =
        std::fs::read_to_string(ran.dir.path().join("report.json")).expect("JSON report written");
    assert!(json.contains("run deadline"), "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        (&report["interrupted"], &report["not_run"]),
        (&serde_json::json!(true), &serde_json::json!(not_run))
    );
    let junit =
        std::fs::read_to_string(ran.dir.path().join("report.xml")).expect("JUnit report written");
    assert!(
        junit.contains(&format!(
            "message=\"stopped by the run deadline of 2 s (--deadline): {not_run} scenario runs not run\" type=\"interrupted\""
        )),
        "{junit}"
    );
}
