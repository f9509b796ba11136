//! Enabling provisioning (OL-2): a userName that cannot exist, answered empty or 404.

use super::*;

#[tokio::test]
async fn enable_probes_a_username_that_cannot_exist_and_passes_on_empty_or_404() {
    for not_found_is_404 in [false, true] {
        let conn = Connection::against(
            Store {
                not_found_is_404,
                ..Store::default()
            },
            &[],
        )
        .await;
        let engine = conn.engine();
        let mut report = CycleReport::default();
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty list or a 404 passes");
        assert_eq!(
            conn.target.take().await,
            vec![sent(
                "GET",
                USERS,
                &[("filter", r#"userName eq "<guid>""#)],
                None
            )],
            "404 mode {not_found_is_404}"
        );
    }
}
