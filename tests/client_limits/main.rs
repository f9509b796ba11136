//! The client against small broken servers on 127.0.0.1: whatever they answer, a run stays
//! bounded (no endless body, no redirect followed) and the token never leaves the process.

mod bodies;
mod passwords;
mod redirects;
mod tokens;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scim_harness::client::{ClientError, ScimClient, Secret, DEFAULT_MAX_BODY};
use scim_harness::profile::{ScimRequest, Verb};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "client-limits-token-5c1e";

type Answer =
    Arc<dyn Fn(String, TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A server that reads each request head (and body) and hands it to `answer` with the socket.
struct Server {
    base: String,
    /// Connections accepted, whether or not a request arrived on them.
    connections: Arc<AtomicUsize>,
    /// Bytes `answer` reported writing.
    written: Arc<AtomicUsize>,
}

async fn serve(answer: Answer) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                if let Some(head) = read_request(&mut stream).await {
                    answer(head, stream).await;
                }
            });
        }
    });
    Server {
        base: format!("http://{addr}/scim/v2"),
        connections,
        written: Arc::new(AtomicUsize::new(0)),
    }
}

/// The request head; the body (per Content-Length) is read and dropped.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut have = buf.len() - end;
    while have < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Some(head)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn client(base: &str) -> ScimClient {
    ScimClient::new(base, Some(Secret::new(TOKEN)), Duration::from_secs(30)).expect("client")
}

fn answer_with(f: impl Fn(String) -> Vec<u8> + Send + Sync + 'static) -> Answer {
    let f = Arc::new(f);
    Arc::new(move |head, mut stream| {
        let bytes = f(head);
        Box::pin(async move {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        })
    })
}

fn response(status: &str, headers: &[(&str, String)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}
