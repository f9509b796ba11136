//! SIGINT and SIGTERM during an in-flight create: cleanup, reports, and a second signal.

use super::*;

/// A run whose `signals` are sent once a create is in flight (the slow server holds it).
fn signal_run(
    url: String,
    signals: &'static [&'static str],
    requests: impl Fn() -> Vec<String> + Send + 'static,
) -> Ran {
    Run {
        scenario: LIFECYCLE,
        target: &url,
        prefix: "hs11-",
        extra: vec!["--profile", "entra"],
        signal: Some((
            signals,
            Box::new(move || {
                requests()
                    .iter()
                    .any(|r| r.starts_with("POST /scim/v2/Users"))
            }),
        )),
    }
    .go()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_during_an_in_flight_create_clean_up_and_write_reports() {
    for signals in [&["-INT"], &["-TERM"]] {
        let label = format!("signal {}", signals[0]);
        let server = std::sync::Arc::new(
            Hostile::start(Mode::Slow {
                answer_create: Duration::from_secs(20),
                delete: Duration::ZERO,
            })
            .await,
        );
        let before = server.seed().await;
        let (url, watched) = (server.url.clone(), server.clone());
        let ran = go(move || signal_run(url, signals, move || watched.requests())).await;
        judge(&label, &ran, &server, &before, "hs11-").await;
        expect(&label, &ran, 1, "stopped by SIG");
        assert!(
            server.left_by("hs11-").await.is_empty(),
            "{label}: the in-flight create was found and deleted"
        );
        let json = std::fs::read_to_string(ran.dir.path().join("report.json"))
            .expect("JSON report written");
        assert!(json.contains("stopped by SIG"), "{json}");
        let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(report["interrupted"], true, "{label}");
        assert_eq!(
            report["stopped_by"],
            signals[0].replace("-", "SIG"),
            "{label}"
        );
        let junit = std::fs::read_to_string(ran.dir.path().join("report.xml"))
            .expect("JUnit report written");
        assert!(
            junit.contains("type=\"interrupted\"")
                && junit.contains("<property name=\"interrupted\" value=\"true\"/>"),
            "{label}: {junit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_exits_at_once_and_names_what_was_left() {
    let server = std::sync::Arc::new(
        Hostile::start(Mode::Slow {
            answer_create: Duration::from_secs(20),
            delete: Duration::from_secs(3),
        })
        .await,
    );
    let before = server.seed().await;
    let (url, watched) = (server.url.clone(), server.clone());
    let ran = go(move || signal_run(url, &["-INT", "-INT"], move || watched.requests())).await;
    expect("second signal", &ran, 1, "second SIGINT: exiting at once");
    assert!(ran.wall < Duration::from_secs(10), "{:?}", ran.wall);
    // A DELETE cut off by the exit may still land; wait for it, then every object left was
    // named.
    tokio::time::sleep(Duration::from_secs(4)).await;
    judge("second signal", &ran, &server, &before, "hs11-").await;
}
