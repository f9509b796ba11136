//! The `serve` command: the token, the request log, and `--help` that never echoes a token.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_with_the_token_and_401_without() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["serve", "--listen", "127.0.0.1:0", "--token", "t"])
        .env_remove("SCIM_TOKEN")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.trim().strip_prefix("base URL : ").map(str::to_string))
    })
    .await
    .expect("join")
    .expect("serve prints its base URL");
    let http = reqwest::Client::new();
    let url = format!("{base}/ServiceProviderConfig");
    let ok = http
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .expect("request");
    let denied = http.get(&url).send().await.expect("request");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/scim+json")
    );
    assert_eq!(denied.status(), 401);
    let body: Value = denied.json().await.expect("SCIM error body");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "401");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_never_echoes_a_token_from_the_environment() {
    const SECRET: &str = "env-token-never-shown-5c2e";
    for command in ["serve", "run"] {
        let out = harness(
            args(&[command, "--help"]),
            vec![
                ("SCIM_TOKEN", SECRET.into()),
                ("SCIM_NEXT_TOKEN", SECRET.into()),
            ],
        )
        .await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{command} --help");
        assert!(
            stdout.contains("SCIM_TOKEN"),
            "{command} --help names the variable"
        );
        // Only compared: a failure message must not print the token either.
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{command} --help echoed the token from SCIM_TOKEN"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_logs_each_request_and_its_bodies_but_never_the_token() {
    use std::io::{BufRead, BufReader, Read};
    const SERVE_TOKEN: &str = "serve-log-token-4b1d";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-bodies"])
        .env("SCIM_TOKEN", SERVE_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.trim().strip_prefix("base URL : ").map(str::to_string))
    })
    .await
    .expect("join")
    .expect("serve prints its base URL");
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/Users?attributes=userName"))
        .bearer_auth(SERVE_TOKEN)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"logged@contoso.com","password":"pw-9f1"}"#)
        .send()
        .await
        .expect("request");
    let denied = http
        .get(format!("{base}/Users?filter=userName+eq+%22x%22"))
        .send()
        .await
        .expect("request");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        (created.status().as_u16(), denied.status().as_u16()),
        (201, 401)
    );
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("read the log");
    let lines: Vec<&str> = log.lines().collect();
    let path = base.trim_start_matches("http://");
    let path = &path[path.find('/').unwrap_or(path.len())..];
    let is_line = |l: &str, start: &str| {
        l.strip_prefix(start)
            .and_then(|rest| rest.strip_suffix(" ms"))
            .is_some_and(|ms| ms.parse::<f64>().is_ok())
    };
    assert!(
        is_line(
            lines.first().copied().unwrap_or(""),
            &format!("POST {path}/Users?attributes=userName 201 ")
        ),
        "{log}"
    );
    assert!(
        lines.get(1).is_some_and(
            |l| l.starts_with("  > {") && l.contains(r#""userName":"logged@contoso.com""#)
        ),
        "request body: {log}"
    );
    assert!(
        lines
            .get(2)
            .is_some_and(|l| l.starts_with("  < {") && l.contains(r#""id":"#)),
        "response body: {log}"
    );
    assert!(
        is_line(
            lines.get(3).copied().unwrap_or(""),
            &format!("GET {path}/Users?filter=userName+eq+%22x%22 401 ")
        ),
        "{log}"
    );
    assert!(!log.contains(SERVE_TOKEN), "the token is never logged");
    assert!(!log.contains("pw-9f1"), "passwords are masked");
}
