//! A token the server echoes is replaced before anyone sees it, in the client and in a run.

use super::*;

/// A server that answers 401 echoing the Authorization header it got.
async fn echoing(json_body: bool) -> Server {
    serve(answer_with(move |head| {
        let auth = header(&head, "authorization").unwrap_or("").to_string();
        if json_body {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "401",
                "detail": format!("token not accepted: {auth}"),
                auth.clone(): "echoed as a key too",
            });
            response(
                "401 Unauthorized",
                &[("Content-Type", "application/scim+json".into())],
                &body.to_string(),
            )
        } else {
            response(
                "401 Unauthorized",
                &[],
                &format!("<h1>denied</h1> you sent {auth}"),
            )
        }
    }))
    .await
}

#[tokio::test]
async fn a_token_echoed_in_json_is_replaced_before_anyone_sees_it() {
    let server = echoing(true).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let transcript = dir.path().join("transcript.jsonl");
    let client = client(&server.base)
        .transcript(&transcript, "echo", "entra")
        .expect("transcript");
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert_eq!(r.status, 401);
    assert!(!r.text().contains(TOKEN), "{}", r.text());
    assert!(r.text().contains("Bearer [REDACTED]"), "{}", r.text());
    let body = r.body.expect("JSON body");
    assert_eq!(
        body["detail"],
        json!("token not accepted: Bearer [REDACTED]")
    );
    assert_eq!(body["Bearer [REDACTED]"], json!("echoed as a key too"));
    assert!(!body.to_string().contains(TOKEN));

    let recorded = serde_json::to_string(&client.take_exchanges()).expect("serializable");
    assert!(
        recorded.contains("[REDACTED]") && !recorded.contains(TOKEN),
        "{recorded}"
    );
    let written = std::fs::read_to_string(&transcript).expect("transcript written");
    assert!(
        written.contains("token not accepted: Bearer [REDACTED]"),
        "{written}"
    );
    assert!(!written.contains(TOKEN), "{written}");
}

#[tokio::test]
async fn a_token_echoed_in_text_is_replaced_before_anyone_sees_it() {
    let server = echoing(false).await;
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let sink = seen.clone();
    let client = client(&server.base).observe(Box::new(move |x| {
        if let Ok(mut s) = sink.lock() {
            s.push_str(&serde_json::to_string(x).unwrap_or_default());
        }
    }));
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert_eq!(r.text, "<h1>denied</h1> you sent Bearer [REDACTED]");
    assert_eq!(r.body, None);
    let observed = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        observed.contains("you sent Bearer [REDACTED]"),
        "{observed}"
    );
    assert!(!observed.contains(TOKEN), "{observed}");
}

#[tokio::test]
async fn a_rotated_token_is_replaced_too() {
    let server = echoing(true).await;
    let client = client(&server.base);
    let redactor = client.redactor();
    let rotated = "rotated-token-91ab";
    client.set_token(Secret::new(rotated));
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert!(!r.text().contains(rotated), "{}", r.text());
    assert_eq!(
        redactor.scrub(&format!("{TOKEN} {rotated}")),
        "[REDACTED] [REDACTED]"
    );
}

/// The bug as a user met it: a target that echoes the token in its error `detail` made the
/// run print the token, then refuse to write its reports and exit 4.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_against_a_target_echoing_the_token_writes_clean_reports() {
    let server = serve(answer_with(|head| {
        if head.starts_with("GET ") {
            let list = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []});
            return response(
                "200 OK",
                &[("Content-Type", "application/scim+json".into())],
                &list.to_string(),
            );
        }
        let auth = header(&head, "authorization").unwrap_or("").to_string();
        let error = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "400", "detail": format!("cannot create with {auth}")});
        response(
            "400 Bad Request",
            &[("Content-Type", "application/scim+json".into())],
            &error.to_string(),
        )
    }))
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let reports: Vec<std::path::PathBuf> = ["r.json", "r.xml", "log.jsonl", "transcript.jsonl"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "scenarios/entra/initial-sync-five-users.yaml",
            "--target",
        ])
        .arg(&server.base)
        .args(["--token", TOKEN, "--json"])
        .arg(&reports[0])
        .arg("--junit")
        .arg(&reports[1])
        .arg("--log")
        .arg(&reports[2])
        .arg("--transcript")
        .arg(&reports[3])
        .env_remove("SCIM_TOKEN")
        .env("CI", "true")
        .env("NO_COLOR", "1");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the server is wrong, not us: {stdout}{stderr}"
    );
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{stdout}{stderr}"
    );
    for p in &reports {
        let text = std::fs::read_to_string(p).expect("report written");
        assert!(!text.contains(TOKEN), "token in {}", p.display());
    }
    // The echo reached the reports (where it used to make the run refuse to write them).
    let log = std::fs::read_to_string(&reports[2]).expect("log");
    assert!(
        log.contains("cannot create with Bearer [REDACTED]"),
        "{log}"
    );
    let transcript = std::fs::read_to_string(&reports[3]).expect("transcript");
    assert!(
        transcript.contains("cannot create with Bearer [REDACTED]"),
        "{transcript}"
    );
}
