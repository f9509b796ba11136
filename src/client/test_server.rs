//! A server on 127.0.0.1 for the crate's own tests: it answers each connection's one request
//! with the next of its answers, `connection: close`, and stops listening after the last,
//! so a later request finds no one there. It reads a request's head only (the tests that use
//! it send GETs), and gives back what it read, for a test that checks what was sent.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// `http://127.0.0.1:<port>`, and the task serving `answers` (status, JSON body) in turn,
/// which ends with the request heads it read, one per answer given.
pub(crate) async fn answering(answers: Vec<(u16, String)>) -> (String, JoinHandle<Vec<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let served = tokio::spawn(async move {
        let mut heads = Vec::new();
        for (status, body) in answers {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            let mut buf = vec![0; 8192];
            let mut read = 0;
            while read < buf.len() && !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf[read..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
            }
            heads.push(String::from_utf8_lossy(&buf[..read]).into_owned());
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/scim+json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(answer.as_bytes()).await;
        }
        heads
    });
    (base, served)
}
