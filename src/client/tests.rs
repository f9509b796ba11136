//! The client's own tests: the shared redactor, the bearer header made once per token, and
//! a secret that never prints.

use super::*;

#[test]
fn a_shared_redactor_learns_the_client_token_and_later_ones() {
    let shared = Redactor::new();
    let client = ScimClient::new(
        "https://admin:basic-password@host.example/scim",
        Some(Secret::new("first-token-abc")),
        Duration::from_secs(1),
    )
    .expect("client")
    .with_redactor(shared.clone());
    client.set_token(Secret::new("second-token-def"));
    assert_eq!(
        shared.scrub("first-token-abc second-token-def basic-password"),
        "[REDACTED] [REDACTED] [REDACTED]"
    );
    assert_eq!(client.redactor().scrub("second-token-def"), "[REDACTED]");
}

/// The header is made once per token; a token no header can hold (a line break pasted
/// with it) fails each request with an error that does not show it, as reqwest's
/// `bearer_auth` did, and a rotation to a good token works again.
#[tokio::test]
async fn a_token_no_header_can_hold_fails_its_requests_and_a_rotation_mends_them() {
    let bad = Bearer::new(Secret::new("line-one\nline-two"));
    assert!(bad.header.is_none());
    let good = Bearer::new(Secret::new("good-token-123"));
    let header = good.header.as_ref().expect("a header");
    assert_eq!(header.to_str().ok(), Some("Bearer good-token-123"));
    assert!(header.is_sensitive());

    let (server, seen) = super::test_server::answering(vec![(200, "{}".into())]).await;
    let base = format!("{server}/scim");
    let client = ScimClient::new(
        &base,
        Some(Secret::new("line-one\nline-two")),
        Duration::from_secs(5),
    )
    .expect("client");
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("no request can carry it");
    assert!(!err.to_string().contains("line-two"), "{err}");
    client.set_token(Secret::new("good-token-123"));
    let ok = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("sent");
    assert_eq!(ok.status, 200);
    let requests = seen.await.expect("server");
    let request = requests.first().expect("the request read");
    assert!(
        request
            .to_ascii_lowercase()
            .contains("authorization: bearer good-token-123\r\n"),
        "{request}"
    );
}

#[test]
fn secret_never_prints() {
    let s = Secret::new("hunter22");
    assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
    assert!(s.appears_in("xx hunter22 yy"));
    assert!(!s.appears_in("xx"));
    assert!(
        !Secret::new("tok").appears_in("a token"),
        "too short to tell from words"
    );
}
