//! Redirects are errors: a 308 is not followed, a 307 POST sends no body elsewhere.

use super::*;

/// A target that redirects every request to `to`, and that second server.
async fn redirecting(status: &'static str) -> (Server, Server) {
    let other = serve(answer_with(|_| response("200 OK", &[], "{}"))).await;
    let location = format!("{}/Users?access_token={TOKEN}", other.base);
    let server = serve(answer_with(move |_| {
        response(status, &[("Location", location.clone())], "moved")
    }))
    .await;
    (server, other)
}

#[tokio::test]
async fn a_308_is_not_followed() {
    let (server, other) = redirecting("308 Permanent Redirect").await;
    let client = client(&server.base);
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("a redirect is an error");
    let ClientError::Redirected {
        method,
        status,
        location,
        ..
    } = &err
    else {
        panic!("expected Redirected, got {err:?}");
    };
    assert_eq!((*method, *status), ("GET", 308));
    assert_eq!(
        location.as_deref(),
        Some(format!("{}/Users?access_token=[REDACTED]", other.base).as_str()),
        "the Location is kept, its echoed token replaced"
    );
    let message = err.to_string();
    assert!(
        message.contains("IdPs do not follow redirects"),
        "{message}"
    );
    assert!(!message.contains(TOKEN), "{message}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        other.connections.load(Ordering::SeqCst),
        0,
        "nothing reached the other host"
    );
    let exchanges = client.take_exchanges();
    assert_eq!(exchanges[0].status, Some(308));
    assert_eq!(exchanges[0].error.as_deref(), Some(message.as_str()));
}

#[tokio::test]
async fn a_307_on_post_does_not_send_the_body_elsewhere() {
    let (server, other) = redirecting("307 Temporary Redirect").await;
    let client = client(&server.base);
    let req = ScimRequest::with_body(
        Verb::Post,
        "/Users",
        json!({"userName": "alice@contoso.com", "password": "Secret-1"}),
    );
    let err = client.send(&req).await.expect_err("a redirect is an error");
    assert!(
        matches!(
            err,
            ClientError::Redirected {
                method: "POST",
                status: 307,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with(&format!(
        "the server answered 307 and redirected POST {}/Users to http://",
        server.base
    )));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        other.connections.load(Ordering::SeqCst),
        0,
        "nothing reached the other host"
    );
}
