//! Passwords: one in a request body is recorded redacted, one in the target URL never shows.

use super::*;

/// The record shares the request's body; one naming a password gets a redacted copy of
/// its own, and the request keeps what it sent.
#[tokio::test]
async fn a_request_body_is_recorded_shared_and_a_password_only_in_a_redacted_copy() {
    let server = serve(answer_with(|_| {
        response(
            "201 Created",
            &[("Content-Type", "application/scim+json".into())],
            r#"{"id":"u-1"}"#,
        )
    }))
    .await;
    let client = client(&server.base);
    let plain = ScimRequest::with_body(Verb::Post, "/Users", json!({"userName": "bob"}));
    let secret = ScimRequest::with_body(
        Verb::Post,
        "/Users",
        json!({"userName": "alice", "password": "Secret-1"}),
    );
    for req in [&plain, &secret] {
        assert_eq!(client.send(req).await.expect("answer").status, 201);
    }
    let exchanges = client.take_exchanges();
    let (Some(sent), Some(kept)) = (&plain.body, &exchanges[0].request_body) else {
        panic!("both bodies are there");
    };
    assert!(Arc::ptr_eq(sent, kept), "a clean body is not copied");
    let kept = exchanges[1].request_body.as_deref().expect("recorded");
    assert_eq!(kept["password"], json!("[REDACTED]"));
    assert_eq!(kept["userName"], json!("alice"));
    let sent = secret.body.as_deref().expect("sent");
    assert_eq!(
        sent["password"],
        json!("Secret-1"),
        "the request is not redacted"
    );
}

#[tokio::test]
async fn a_password_in_the_target_url_never_shows() {
    // A port nothing listens on: the connect error names the URL.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let base = format!("http://admin:url-password-77@127.0.0.1:{port}/scim/v2");
    let client = ScimClient::new(&base, None, Duration::from_secs(5)).expect("client");
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("nothing listens");
    let message = err.to_string();
    assert!(!message.contains("url-password-77"), "{message}");
    assert!(message.contains("http://[REDACTED]@127.0.0.1"), "{message}");
    let recorded = serde_json::to_string(&client.take_exchanges()).expect("serializable");
    assert!(!recorded.contains("url-password-77"), "{recorded}");
    assert!(client.redactor().scrub("x url-password-77 y") == "x [REDACTED] y");
}
