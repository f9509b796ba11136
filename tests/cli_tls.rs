//! `--cacert`, `--insecure`, `--cert`/`--key`, `--proxy` and `--connect-timeout` as a vendor
//! uses them: the built-in server behind a TLS terminator started here (on 127.0.0.1, with a CA
//! made here), the binary run against it, exit codes and the one-sentence TLS diagnoses.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use scim_harness::server::{self, RunningServer, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::{self, pki_types};

const TOKEN: &str = "tls-test-token-5c1e0b";
const SCENARIO: &str = "scenarios/entra/test-connection-succeeds.yaml";
const UNKNOWN_CA: &str = "the server's certificate is not signed by a CA scim-harness trusts";

struct Ca {
    cert: Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().expect("key");
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        let cert = p.self_signed(&key).expect("CA");
        Ca { cert, key }
    }

    /// A leaf for `names`, for a server or a client.
    fn issue(&self, names: &[&str], purpose: ExtendedKeyUsagePurpose, expired: bool) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut p = CertificateParams::new(names).expect("params");
        p.extended_key_usages = vec![purpose];
        if expired {
            p.not_before = rcgen::date_time_ymd(2001, 1, 1);
            p.not_after = rcgen::date_time_ymd(2002, 1, 1);
        }
        let cert = p.signed_by(&key, &self.cert, &self.key).expect("leaf");
        Leaf { cert, key }
    }
}

struct Leaf {
    cert: Certificate,
    key: KeyPair,
}

impl Leaf {
    fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}-key.pem"));
        std::fs::write(&cert, self.cert.pem()).expect("write cert");
        std::fs::write(&key, self.key.serialize_pem()).expect("write key");
        (cert, key)
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The built-in SCIM server, and a TLS terminator on 127.0.0.1 in front of it presenting
/// `leaf`; with `client_ca`, it requires a client certificate signed by that CA.
struct HttpsTarget {
    _server: RunningServer,
    url: String,
}

async fn https_target(leaf: &Leaf, client_ca: Option<&Ca>) -> HttpsTarget {
    let server = server::start(ServerConfig {
        tokens: vec![TOKEN.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts");
    let plain = server.addr();
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.cert.der().clone()).expect("client CA");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                roots.into(),
                provider(),
            )
            .build()
            .expect("verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    let key = pki_types::PrivateKeyDer::Pkcs8(leaf.key.serialize_der().into());
    let config = builder
        .with_single_cert(vec![leaf.cert.der().clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let tls_port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is what some tests want: it ends this connection only.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut backend) = TcpStream::connect(plain).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut backend).await;
                }
            });
        }
    });
    let url = server.base_url().replacen(
        &format!("http://{plain}"),
        &format!("https://127.0.0.1:{tls_port}"),
        1,
    );
    assert!(url.starts_with("https://"), "{url}");
    HttpsTarget {
        _server: server,
        url,
    }
}

async fn harness(args: Vec<String>, envs: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .env_remove("SCIM_BASE_URL")
            .env("SCIM_TOKEN", TOKEN)
            .env("CI", "true")
            .env("NO_COLOR", "1");
        for var in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().expect("the binary runs")
    })
    .await
    .expect("join")
}

fn run_args(url: &str, flags: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["run".into(), SCENARIO.into(), "--target".into(), url.into()];
    v.extend(flags.iter().map(|s| s.to_string()));
    v
}

fn with_file(mut v: Vec<String>, flag: &str, path: &Path) -> Vec<String> {
    v.push(flag.into());
    v.push(path.display().to_string());
    v
}

fn text(o: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_is_trusted_with_cacert_refused_without_and_skipped_with_insecure() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = Ca::new("vendor test CA");
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.cert.pem()).expect("write CA");
    let leaf = ca.issue(
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
        false,
    );
    let target = https_target(&leaf, None).await;

    let out = harness(
        with_file(run_args(&target.url, &[]), "--cacert", &ca_pem),
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("--insecure"), "{}", text(&out));

    let out = harness(run_args(&target.url, &[]), vec![]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains(&format!("{UNKNOWN_CA} (the built-in Mozilla roots); pass --cacert FILE with your CA, or --insecure to skip verification (not for production)")),
        "{all}"
    );
    assert!(
        !all.contains("UnknownIssuer"),
        "rustls' enum name leaked: {all}"
    );

    let out = harness(run_args(&target.url, &["--insecure"]), vec![]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("warning: --insecure").count(),
        1,
        "warned once: {all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_name_and_an_expired_certificate_are_each_told_in_one_sentence() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = Ca::new("vendor test CA");
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.cert.pem()).expect("write CA");
    let cases = [
        (
            ca.issue(
                &["scim.other.test"],
                ExtendedKeyUsagePurpose::ServerAuth,
                false,
            ),
            "the server's certificate is not issued for the host name in --target",
        ),
        (
            ca.issue(&["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, true),
            "the server's certificate has expired; renew it on the server",
        ),
    ];
    for (leaf, sentence) in cases {
        let target = https_target(&leaf, None).await;
        let out = harness(
            with_file(run_args(&target.url, &[]), "--cacert", &ca_pem),
            vec![],
        )
        .await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(3), "{all}");
        assert!(all.contains(sentence), "{sentence}: {all}");
        // `--insecure` accepts either.
        let out = harness(run_args(&target.url, &["--insecure"]), vec![]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_requiring_a_client_certificate_is_answered_with_cert_and_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = Ca::new("vendor test CA");
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.cert.pem()).expect("write CA");
    let clients = Ca::new("vendor client CA");
    let leaf = ca.issue(&["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, false);
    let target = https_target(&leaf, Some(&clients)).await;
    let base = with_file(run_args(&target.url, &[]), "--cacert", &ca_pem);

    let out = harness(base.clone(), vec![]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("requires a client certificate: pass --cert FILE and --key FILE"),
        "{all}"
    );

    let (cert, key) = clients
        .issue(&["idp.test"], ExtendedKeyUsagePurpose::ClientAuth, false)
        .write(dir.path(), "client");
    let out = harness(
        with_file(with_file(base.clone(), "--cert", &cert), "--key", &key),
        vec![],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // One file with both, as curl accepts.
    let both = dir.path().join("client-both.pem");
    let joined = format!(
        "{}\n{}",
        std::fs::read_to_string(&cert).expect("cert"),
        std::fs::read_to_string(&key).expect("key")
    );
    std::fs::write(&both, joined).expect("write");
    let out = harness(with_file(base.clone(), "--cert", &both), vec![]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A certificate from a CA the server does not trust is refused, and said so.
    let (cert, key) = ca
        .issue(&["idp.test"], ExtendedKeyUsagePurpose::ClientAuth, false)
        .write(dir.path(), "stranger");
    let out = harness(
        with_file(with_file(base, "--cert", &cert), "--key", &key),
        vec![],
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("the server does not trust the client certificate given with --cert"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_certificate_files_are_usage_errors_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("tmp");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let ca = Ca::new("c");
    let (cert, _key) = ca
        .issue(&["idp.test"], ExtendedKeyUsagePurpose::ClientAuth, false)
        .write(dir.path(), "client");
    let missing = dir.path().join("missing.pem");
    // Nothing listens here: a usage error must come before any connection is tried.
    let url = "https://127.0.0.1:9/scim/v2";
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            with_file(run_args(url, &[]), "--cacert", &missing),
            "error: failed to read --cacert",
        ),
        (
            with_file(run_args(url, &[]), "--cacert", &garbage),
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
        ),
        (
            with_file(run_args(url, &[]), "--cert", &cert),
            "failed to load the client certificate",
        ),
        (
            with_file(
                with_file(run_args(url, &[]), "--cert", &cert),
                "--key",
                &garbage,
            ),
            "failed to load the client certificate",
        ),
        (
            run_args(url, &["--proxy", "::not a url::"]),
            "failed to use --proxy",
        ),
    ];
    for (args, message) in cases {
        let out = harness(args.clone(), vec![]).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains(message), "{args:?}: {all}");
        assert!(!all.contains("failed to connect"), "{args:?}: {all}");
    }
}

/// A forward proxy on 127.0.0.1 that records each CONNECT and tunnels it.
async fn connect_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(vec![]));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(tcp);
                let mut first = String::new();
                if client.read_line(&mut first).await.is_err() {
                    return;
                }
                loop {
                    let mut line = String::new();
                    match client.read_line(&mut line).await {
                        Ok(n) if n > 0 && line != "\r\n" => continue,
                        _ => break,
                    }
                }
                log.lock().expect("log").push(first.trim().to_string());
                let Some(host) = first
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split(' ').next())
                else {
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(host).await else {
                    return;
                };
                let mut client = client.into_inner();
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_go_through_proxy_or_https_proxy_and_no_proxy_bypasses_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = Ca::new("vendor test CA");
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.cert.pem()).expect("write CA");
    let leaf = ca.issue(&["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, false);
    let target = https_target(&leaf, None).await;
    let authority = target
        .url
        .trim_start_matches("https://")
        .split('/')
        .next()
        .expect("authority")
        .to_string();
    let base = with_file(run_args(&target.url, &[]), "--cacert", &ca_pem);

    let (addr, seen) = connect_proxy().await;
    let proxy = format!("http://{addr}");
    let mut flagged = base.clone();
    flagged.extend(["--proxy".to_string(), proxy.clone()]);
    let out = harness(flagged, vec![]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let tunnels = std::mem::take(&mut *seen.lock().expect("log"));
    assert!(!tunnels.is_empty(), "--proxy was not used");
    assert!(
        tunnels
            .iter()
            .all(|t| t == &format!("CONNECT {authority} HTTP/1.1")),
        "{tunnels:?}"
    );

    let out = harness(base.clone(), vec![("HTTPS_PROXY", proxy.clone())]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !std::mem::take(&mut *seen.lock().expect("log")).is_empty(),
        "HTTPS_PROXY was not honoured"
    );

    let out = harness(
        base,
        vec![("HTTPS_PROXY", proxy), ("NO_PROXY", "127.0.0.1".into())],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        seen.lock().expect("log").is_empty(),
        "NO_PROXY was not honoured"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_timeout_bounds_a_handshake_that_never_comes() {
    // Accepts TCP and then says nothing: the TLS handshake never completes.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let url = format!("https://{addr}/scim/v2");
    let started = std::time::Instant::now();
    let out = harness(
        run_args(&url, &["--timeout", "60", "--connect-timeout", "1"]),
        vec![],
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("no connection (TLS handshake included) within 1 s (--connect-timeout)"),
        "{all}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the 60 s request timeout applied, not --connect-timeout: {all}"
    );
}

/// The protocol suite builds its own clients (one per token its auth checks send): all of
/// them must trust `--cacert`, or the auth checks would fail on TLS instead of on the 401.
#[tokio::test(flavor = "multi_thread")]
async fn the_protocol_suite_and_its_auth_checks_reach_an_https_target_with_cacert() {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = Ca::new("vendor test CA");
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.cert.pem()).expect("write CA");
    let leaf = ca.issue(&["127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, false);
    let target = https_target(&leaf, None).await;
    let args = vec![
        "run".to_string(),
        "--suite".into(),
        "protocol".into(),
        "--target".into(),
        target.url.clone(),
        "--cacert".into(),
        ca_pem.display().to_string(),
    ];
    let out = harness(args, vec![]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("PASS protocol protocol-auth.wrong-token-is-401"),
        "{all}"
    );
    assert!(all.contains(" passed, 0 failed"), "{all}");

    let out = harness(args_without_cacert(&target.url), vec![]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(all.contains(UNKNOWN_CA), "{all}");
}

fn args_without_cacert(url: &str) -> Vec<String> {
    ["run", "--suite", "protocol", "--target", url]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_server_behind_an_https_url_is_named_as_such() {
    let server = server::start(ServerConfig {
        tokens: vec![TOKEN.into()],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts");
    let url = server.base_url().replacen("http://", "https://", 1);
    let out = harness(run_args(&url, &[]), vec![]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains(
            "the server did not answer in TLS; is the target http:// rather than https://"
        ),
        "{all}"
    );
}
