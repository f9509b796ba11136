//! The client against small broken servers on 127.0.0.1: whatever they answer, a run stays
//! bounded (no endless body, no redirect followed) and the token never leaves the process.

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

/// The record shares the request's body; one naming a password gets a redacted copy of
/// its own, and the request keeps what it sent.
#[tokio::test]
async fn a_request_body_is_recorded_shared_and_a_password_only_in_a_redacted_copy() {
    let server = serve(answer_with(|_| {
        response(
            "201 Created",
            &[("Content-Type", "application/scim+json".into())],
            r#"{"id":"u-1"}"#,
        )
    }))
    .await;
    let client = client(&server.base);
    let plain = ScimRequest::with_body(Verb::Post, "/Users", json!({"userName": "bob"}));
    let secret = ScimRequest::with_body(
        Verb::Post,
        "/Users",
        json!({"userName": "alice", "password": "Secret-1"}),
    );
    for req in [&plain, &secret] {
        assert_eq!(client.send(req).await.expect("answer").status, 201);
    }
    let exchanges = client.take_exchanges();
    let (Some(sent), Some(kept)) = (&plain.body, &exchanges[0].request_body) else {
        panic!("both bodies are there");
    };
    assert!(Arc::ptr_eq(sent, kept), "a clean body is not copied");
    let kept = exchanges[1].request_body.as_deref().expect("recorded");
    assert_eq!(kept["password"], json!("[REDACTED]"));
    assert_eq!(kept["userName"], json!("alice"));
    let sent = secret.body.as_deref().expect("sent");
    assert_eq!(
        sent["password"],
        json!("Secret-1"),
        "the request is not redacted"
    );
}

/// A server that answers 401 echoing the Authorization header it got.
async fn echoing(json_body: bool) -> Server {
    serve(answer_with(move |head| {
        let auth = header(&head, "authorization").unwrap_or("").to_string();
        if json_body {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "401",
                "detail": format!("token not accepted: {auth}"),
                auth.clone(): "echoed as a key too",
            });
            response(
                "401 Unauthorized",
                &[("Content-Type", "application/scim+json".into())],
                &body.to_string(),
            )
        } else {
            response(
                "401 Unauthorized",
                &[],
                &format!("<h1>denied</h1> you sent {auth}"),
            )
        }
    }))
    .await
}

#[tokio::test]
async fn a_token_echoed_in_json_is_replaced_before_anyone_sees_it() {
    let server = echoing(true).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let transcript = dir.path().join("transcript.jsonl");
    let client = client(&server.base)
        .transcript(&transcript, "echo", "entra")
        .expect("transcript");
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert_eq!(r.status, 401);
    assert!(!r.text().contains(TOKEN), "{}", r.text());
    assert!(r.text().contains("Bearer [REDACTED]"), "{}", r.text());
    let body = r.body.expect("JSON body");
    assert_eq!(
        body["detail"],
        json!("token not accepted: Bearer [REDACTED]")
    );
    assert_eq!(body["Bearer [REDACTED]"], json!("echoed as a key too"));
    assert!(!body.to_string().contains(TOKEN));

    let recorded = serde_json::to_string(&client.take_exchanges()).expect("serializable");
    assert!(
        recorded.contains("[REDACTED]") && !recorded.contains(TOKEN),
        "{recorded}"
    );
    let written = std::fs::read_to_string(&transcript).expect("transcript written");
    assert!(
        written.contains("token not accepted: Bearer [REDACTED]"),
        "{written}"
    );
    assert!(!written.contains(TOKEN), "{written}");
}

#[tokio::test]
async fn a_token_echoed_in_text_is_replaced_before_anyone_sees_it() {
    let server = echoing(false).await;
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let sink = seen.clone();
    let client = client(&server.base).observe(Box::new(move |x| {
        if let Ok(mut s) = sink.lock() {
            s.push_str(&serde_json::to_string(x).unwrap_or_default());
        }
    }));
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert_eq!(r.text, "<h1>denied</h1> you sent Bearer [REDACTED]");
    assert_eq!(r.body, None);
    let observed = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        observed.contains("you sent Bearer [REDACTED]"),
        "{observed}"
    );
    assert!(!observed.contains(TOKEN), "{observed}");
}

#[tokio::test]
async fn a_rotated_token_is_replaced_too() {
    let server = echoing(true).await;
    let client = client(&server.base);
    let redactor = client.redactor();
    let rotated = "rotated-token-91ab";
    client.set_token(Secret::new(rotated));
    let r = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect("answer");
    assert!(!r.text().contains(rotated), "{}", r.text());
    assert_eq!(
        redactor.scrub(&format!("{TOKEN} {rotated}")),
        "[REDACTED] [REDACTED]"
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

#[tokio::test]
async fn a_password_in_the_target_url_never_shows() {
    // A port nothing listens on: the connect error names the URL.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let base = format!("http://admin:url-password-77@127.0.0.1:{port}/scim/v2");
    let client = ScimClient::new(&base, None, Duration::from_secs(5)).expect("client");
    let err = client
        .send(&ScimRequest::get("/Users"))
        .await
        .expect_err("nothing listens");
    let message = err.to_string();
    assert!(!message.contains("url-password-77"), "{message}");
    assert!(message.contains("http://[REDACTED]@127.0.0.1"), "{message}");
    let recorded = serde_json::to_string(&client.take_exchanges()).expect("serializable");
    assert!(!recorded.contains("url-password-77"), "{recorded}");
    assert!(client.redactor().scrub("x url-password-77 y") == "x [REDACTED] y");
}

/// The bug as a user met it: a target that echoes the token in its error `detail` made the
/// run print the token, then refuse to write its reports and exit 4.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_against_a_target_echoing_the_token_writes_clean_reports() {
    let server = serve(answer_with(|head| {
        if head.starts_with("GET ") {
            let list = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []});
            return response(
                "200 OK",
                &[("Content-Type", "application/scim+json".into())],
                &list.to_string(),
            );
        }
        let auth = header(&head, "authorization").unwrap_or("").to_string();
        let error = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "400", "detail": format!("cannot create with {auth}")});
        response(
            "400 Bad Request",
            &[("Content-Type", "application/scim+json".into())],
            &error.to_string(),
        )
    }))
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let reports: Vec<std::path::PathBuf> = ["r.json", "r.xml", "log.jsonl", "transcript.jsonl"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "scenarios/entra/initial-sync-five-users.yaml",
            "--target",
        ])
        .arg(&server.base)
        .args(["--token", TOKEN, "--json"])
        .arg(&reports[0])
        .arg("--junit")
        .arg(&reports[1])
        .arg("--log")
        .arg(&reports[2])
        .arg("--transcript")
        .arg(&reports[3])
        .env_remove("SCIM_TOKEN")
        .env("CI", "true")
        .env("NO_COLOR", "1");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the server is wrong, not us: {stdout}{stderr}"
    );
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{stdout}{stderr}"
    );
    for p in &reports {
        let text = std::fs::read_to_string(p).expect("report written");
        assert!(!text.contains(TOKEN), "token in {}", p.display());
    }
    // The echo reached the reports (where it used to make the run refuse to write them).
    let log = std::fs::read_to_string(&reports[2]).expect("log");
    assert!(
        log.contains("cannot create with Bearer [REDACTED]"),
        "{log}"
    );
    let transcript = std::fs::read_to_string(&reports[3]).expect("transcript");
    assert!(
        transcript.contains("cannot create with Bearer [REDACTED]"),
        "{transcript}"
    );
}
