//! An honest server: every check passes and nothing is left on it.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_server_passes_every_check_and_keeps_nothing() {
    let (j, server) = judge(Mode::Honest).await;
    assert!(j.failed.is_empty(), "{:#?}", j.failed);
    assert!(j.warned.is_empty(), "{:#?}", j.warned);
    assert_eq!(j.passed, protocol::checks().len());
    assert!(j.left.is_empty(), "{:?}", j.left);
    assert!(server.left_by(&j.prefix).await.is_empty());
}
