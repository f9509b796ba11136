//! Authentication and error answers: any token accepted, HTML content types and error pages.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn any_token_accepted_fails_both_auth_checks() {
    let (j, _s) = judge(Mode::AcceptAnyToken).await;
    assert_eq!(
        j.failed_names(),
        vec!["auth.no-token-is-401", "auth.wrong-token-is-401"],
        "{:#?}",
        j.failed
    );
    let f = j.finding("auth.no-token-is-401");
    assert_eq!(f.code, Code::Auth);
    assert!(
        f.title.contains("without a token was answered 200"),
        "{}",
        f.title
    );
    assert_eq!(f.exchange.as_ref().map(|x| x.status), Some(Some(200)));
}

#[tokio::test(flavor = "multi_thread")]
async fn html_content_type_fails_only_the_content_type_check() {
    only_failure(
        Mode::HtmlContentType,
        "errors.content-type-scim-json",
        Code::ContentType,
        &["text/html"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn html_error_pages_fail_the_error_checks_and_warn_on_the_401() {
    let (j, _s) = judge(Mode::HtmlErrors).await;
    assert_eq!(
        j.failed_names(),
        vec![
            "create.duplicate-username-is-409",
            "errors.content-type-scim-json",
            "errors.scim-error-body",
            "filter.unsupported-is-400",
        ],
        "{:#?}",
        j.failed
    );
    let f = j.finding("errors.scim-error-body");
    assert_eq!(f.code, Code::ErrorBody);
    assert!(
        f.title
            .contains("a 404 is not a SCIM Error: the body is not JSON"),
        "{}",
        f.title
    );
    // Optional per the RFC: a warning, not a failure.
    let w = j.finding("auth.401-has-challenge-and-scim-error");
    assert_eq!(w.severity, Severity::Warning);
}
