//! Test Connection: the user filter on a new random value each time.

use super::*;

#[tokio::test]
async fn test_connection_is_the_user_filter_on_a_random_value() {
    let conn = Connection::start(&[]).await;
    let engine = conn.engine();
    let mut report = CycleReport::default();
    for _ in 0..2 {
        engine
            .test_connection(&mut report)
            .await
            .expect("an empty ListResponse passes");
    }
    let probe = sent("GET", USERS, &[("filter", r#"username Eq "<guid>""#)], None);
    assert_eq!(conn.target.take().await, vec![probe.clone(), probe]);
    let raw = conn.target.raw_queries().await;
    let values: Vec<&str> = raw
        .iter()
        .map(|q| {
            q.as_deref()
                .and_then(|q| q.strip_prefix("filter=username+Eq+%22"))
                .and_then(|q| q.strip_suffix("%22"))
                .expect("filter=username+Eq+%22<guid>%22")
        })
        .collect();
    assert_ne!(values[0], values[1], "every probe uses a new value");
}
