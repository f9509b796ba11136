//! Redirects are not followed, and the host they point to hears nothing.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_not_followed_and_the_other_host_hears_nothing() {
    let elsewhere = Elsewhere::start().await;
    for (mode, label, code, says) in [
        (
            Mode::RedirectAll(elsewhere.url.clone()),
            "redirect-308",
            3,
            "redirected GET",
        ),
        (
            Mode::RedirectPost(elsewhere.url.clone()),
            "redirect-307-post",
            1,
            "redirected POST",
        ),
    ] {
        let (ran, _server) = trial(mode, label, LIFECYCLE, "hs7-", &["--profile", "entra"]).await;
        expect(label, &ran, code, says);
        expect(label, &ran, code, "IdPs do not follow redirects");
    }
    assert_eq!(elsewhere.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}
