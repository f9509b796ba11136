//! How the client reaches a real target: the CA it trusts (`--cacert`), the certificate it
//! shows (`--cert`/`--key`), a proxy (`--proxy`, else HTTPS_PROXY/HTTP_PROXY/NO_PROXY), the
//! connect timeout, and whether it checks certificates at all (`--insecure`). Files are read
//! and checked once, before anything is sent, so a wrong path is a usage error, never a
//! failure of the first request. It also turns a failed handshake into one sentence an admin
//! can act on. It never decides what is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The transport options as given on the command line: paths, not yet read.
#[derive(Debug, Clone, Default)]
pub struct TransportSettings {
    /// Accept any server certificate (`--insecure`).
    pub insecure: bool,
    /// PEM file of CA certificates trusted besides the built-in roots (`--cacert`).
    pub cacert: Option<PathBuf>,
    /// PEM client certificate for mTLS (`--cert`); the key may be in the same file.
    pub cert: Option<PathBuf>,
    /// PEM private key of `cert` (`--key`).
    pub key: Option<PathBuf>,
    /// Proxy for every request (`--proxy`); without it the standard variables apply.
    pub proxy: Option<String>,
    /// Limit on establishing a connection, TLS included (`--connect-timeout`).
    pub connect_timeout: Option<Duration>,
}

/// The transport options, read and checked: what every client of a run is built with.
/// Shared, since every client of a run (one per scenario run, the suite's) clones it.
#[derive(Clone, Default)]
pub struct Transport(std::sync::Arc<Loaded>);

#[derive(Default)]
struct Loaded {
    insecure: bool,
    roots: Vec<reqwest::Certificate>,
    identity: Option<reqwest::Identity>,
    proxy: Option<reqwest::Proxy>,
    connect_timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("failed to read {option} {path}: {source}")]
    Read {
        option: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error(
        "failed to load --cacert {path}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it"
    )]
    NoCertificate { path: String },
    #[error("failed to load --cacert {path}: {reason}")]
    BadCertificate { path: String, reason: String },
    #[error("failed to load the client certificate {path}: {reason}; --cert takes a PEM certificate and --key its PEM private key (or one file with both)")]
    BadIdentity { path: String, reason: String },
    #[error("failed to use --proxy {url}: {reason}")]
    BadProxy { url: String, reason: String },
    #[error("failed to set up TLS with --cacert/--cert/--key: {0}")]
    Rejected(String),
}

fn read(option: &'static str, path: &Path) -> Result<Vec<u8>, TransportError> {
    std::fs::read(path).map_err(|source| TransportError::Read {
        option,
        path: path.display().to_string(),
        source,
    })
}

impl TransportSettings {
    /// Reads and checks every file, and builds a trial client so that a certificate the TLS
    /// library refuses (a key that does not match, an unsupported key type) is reported here.
    pub fn load(&self) -> Result<Transport, TransportError> {
        let mut roots = vec![];
        if let Some(path) = &self.cacert {
            let shown = path.display().to_string();
            let pem = read("--cacert", path)?;
            roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                TransportError::BadCertificate {
                    path: shown.clone(),
                    reason: super::error::root_cause(&e),
                }
            })?;
            if roots.is_empty() {
                return Err(TransportError::NoCertificate { path: shown });
            }
        }
        let identity = match &self.cert {
            None => None,
            Some(cert) => {
                let mut pem = read("--cert", cert)?;
                if let Some(key) = &self.key {
                    pem.push(b'\n');
                    pem.extend(read("--key", key)?);
                }
                Some(reqwest::Identity::from_pem(&pem).map_err(|e| {
                    TransportError::BadIdentity {
                        path: cert.display().to_string(),
                        reason: super::error::root_cause(&e),
                    }
                })?)
            }
        };
        let proxy = match &self.proxy {
            None => None,
            Some(url) => Some(
                reqwest::Proxy::all(url.as_str())
                    .map_err(|e| TransportError::BadProxy {
                        url: super::scrub_userinfo(url),
                        reason: super::error::root_cause(&e),
                    })?
                    // As curl does: NO_PROXY still names the hosts reached directly.
                    .no_proxy(reqwest::NoProxy::from_env()),
            ),
        };
        let transport = Transport(std::sync::Arc::new(Loaded {
            insecure: self.insecure,
            roots,
            identity,
            proxy,
            connect_timeout: self.connect_timeout,
        }));
        transport
            .apply(reqwest::Client::builder())
            .build()
            .map_err(|e| TransportError::Rejected(super::error::root_cause(&e)))?;
        Ok(transport)
    }
}

impl Transport {
    /// True when certificates are not checked: the CLI warns once.
    pub fn is_insecure(&self) -> bool {
        self.0.insecure
    }

    /// The `--connect-timeout`, if given: a connection not made within it is told as such.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.0.connect_timeout
    }

    /// Puts these options on a client being built. Without `--proxy`, reqwest's own
    /// environment proxy (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) stays in force, as
    /// it does for every HTTP tool an admin uses; `--proxy` replaces it.
    pub(super) fn apply(&self, mut b: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        for root in &self.0.roots {
            b = b.add_root_certificate(root.clone());
        }
        if let Some(identity) = &self.0.identity {
            b = b.identity(identity.clone());
        }
        if let Some(proxy) = &self.0.proxy {
            b = b.no_proxy().proxy(proxy.clone());
        }
        if let Some(t) = self.0.connect_timeout {
            b = b.connect_timeout(t);
        }
        if self.0.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        b
    }
}

/// One sentence on a failed TLS handshake, naming the fix, or `None` when `e` is not one.
/// The handshake error is a `rustls::Error` inside an `io::Error` (itself inside another)
/// in reqwest's chain; `io::Error::source` skips over what it wraps, so `get_ref` is used.
pub(super) fn explain(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(sentence(tls));
        }
        cur = match err.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => err.source(),
            },
            None => err.source(),
        };
    }
    None
}

fn sentence(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let skip = "or --insecure to skip verification (not for production)";
    match e {
        E::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => format!(
                "the server's certificate is not signed by a CA scim-harness trusts (the built-in Mozilla roots); pass --cacert FILE with your CA, {skip}"
            ),
            C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                "the server's certificate is not issued for the host name in --target; use a name the certificate names, fix the certificate, {skip}"
            ),
            C::Expired | C::ExpiredContext { .. } => {
                format!("the server's certificate has expired; renew it on the server, {skip}")
            }
            C::NotValidYet | C::NotValidYetContext { .. } => format!(
                "the server's certificate is not valid yet (check this machine's clock and the server's); fix it, {skip}"
            ),
            C::Revoked => {
                format!("the server's certificate is revoked; replace it on the server, {skip}")
            }
            other => format!(
                "the server's certificate was refused ({other:?}); fix it on the server, pass --cacert FILE, {skip}"
            ),
        },
        E::AlertReceived(A::CertificateRequired)
        | E::AlertReceived(A::HandshakeFailure)
        | E::AlertReceived(A::BadCertificate) => {
            "the server refused the TLS handshake, most likely because it requires a client certificate: pass --cert FILE and --key FILE with one it trusts".to_string()
        }
        E::AlertReceived(A::UnknownCA) | E::AlertReceived(A::CertificateUnknown) => {
            "the server does not trust the client certificate given with --cert; use one signed by a CA the server trusts".to_string()
        }
        E::AlertReceived(A::ProtocolVersion) | E::PeerIncompatible(_) => {
            "the server and scim-harness share no TLS version or cipher suite (scim-harness speaks TLS 1.2 and 1.3)".to_string()
        }
        E::InvalidMessage(_) => {
            "the server did not answer in TLS; is the target http:// rather than https://, or the port wrong?".to_string()
        }
        other => format!("the TLS handshake failed: {other}"),
    }
}
