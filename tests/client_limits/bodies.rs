//! Response bodies: an endless body cut at the cap, Content-Length over it, large error pages.

use super::*;

/// Streams 64 KiB chunks until the client hangs up, with no length announced.
async fn endless(written: Arc<AtomicUsize>) -> Server {
    let counter = written.clone();
    let mut server = serve(Arc::new(move |_head, mut stream| {
        let counter = counter.clone();
        Box::pin(async move {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nConnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b'a'; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {
                counter.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        })
    }))
    .await;
    server.written = written;
    server
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_default_cap() {
    let server = endless(Arc::new(AtomicUsize::new(0))).await;
    let client = client(&server.base);
    let started = Instant::now();
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("an endless body is an error");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err,
        ClientError::BodyTooLarge {
            method: "GET",
            url: format!("{}/Users", server.base),
            limit: DEFAULT_MAX_BODY,
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the server sent more than 4194304 bytes in answer to GET {}/Users",
            server.base
        )
    );
    // The client stopped reading: the server could not push much beyond the cap plus
    // what socket buffers hold.
    let written = server.written.load(Ordering::SeqCst);
    assert!(
        written < 64 * 1024 * 1024,
        "the server wrote {written} bytes"
    );
    let exchanges = client.take_exchanges();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].status, Some(200));
    assert_eq!(
        exchanges[0].error.as_deref(),
        Some(err.to_string().as_str())
    );
    assert_eq!(exchanges[0].response_body, None);
}

#[tokio::test]
async fn the_cap_is_configurable() {
    let server = endless(Arc::new(AtomicUsize::new(0))).await;
    let client = client(&server.base).max_body(100_000);
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("over the cap");
    assert!(
        matches!(err, ClientError::BodyTooLarge { limit: 100_000, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_body_under_the_cap_is_read_whole() {
    let body = json!({"Resources": [], "totalResults": 0}).to_string();
    let server = serve(answer_with(move |_| {
        response(
            "200 OK",
            &[("Content-Type", "application/scim+json".into())],
            &body,
        )
    }))
    .await;
    let client = client(&server.base).max_body(1_000);
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert_eq!(
        r.body.as_deref(),
        Some(&json!({"Resources": [], "totalResults": 0}))
    );
}

/// A body under the cap that arrives in pieces, written apart with no length announced, is
/// joined in order: the client keeps the pieces and joins them once the body ends.
#[tokio::test]
async fn a_body_in_many_chunks_under_the_cap_is_joined_in_order() {
    let names: Vec<String> = (0..5)
        .map(|i| format!("{i}{}", "x".repeat(20_000)))
        .collect();
    let text = json!({"names": names}).to_string();
    let pieces: Vec<String> = text
        .as_bytes()
        .chunks(16 * 1024)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let server = serve(Arc::new(move |_head, mut stream| {
        let pieces = pieces.clone();
        Box::pin(async move {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            for piece in pieces {
                let _ = stream.write_all(piece.as_bytes()).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let _ = stream.shutdown().await;
        })
    }))
    .await;
    let client = client(&server.base).max_body(200_000);
    let r = client
        .send(&ScimRequest::get("/Users/1"))
        .await
        .expect("answer");
    assert_eq!(r.body.as_deref(), Some(&json!({"names": names})));
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_refused_without_reading() {
    // Announces 50 MB, sends none of it, and holds the connection: reading would hang.
    let server = serve(Arc::new(|_head, mut stream| {
        Box::pin(async move {
            let head = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: 52428800\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        })
    }))
    .await;
    let client = client(&server.base);
    let started = Instant::now();
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("too large");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered after {:?}: the body was waited for",
        started.elapsed()
    );
    assert!(
        matches!(err, ClientError::BodyTooLarge { limit, .. } if limit == DEFAULT_MAX_BODY),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_large_error_page_is_recorded_as_its_start_and_size() {
    let page = format!("<html>{}</html>", "x".repeat(1_000_000));
    let size = page.len();
    let server = serve(answer_with(move |_| {
        response("500 Internal Server Error", &[], &page)
    }))
    .await;
    let client = client(&server.base);
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert_eq!(
        r.text.len(),
        size,
        "the response itself is whole, under the cap"
    );
    let exchanges = client.take_exchanges();
    let Some(serde_json::Value::String(kept)) = exchanges[0].response_body.as_deref() else {
        panic!(
            "recorded as text: {:?}",
            exchanges[0].response_body.as_ref().map(|_| ())
        );
    };
    assert!(kept.len() < 3 * 1024, "{} bytes recorded", kept.len());
    assert!(
        kept.ends_with(&format!("… ({size} bytes in all)")),
        "{kept:.80}"
    );
}
