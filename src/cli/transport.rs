//! The HTTP options a tester expects of any HTTP tool (`--insecure`, `--cacert`,
//! `--cert`/`--key`, `--proxy`, `--connect-timeout`), read once before anything is sent:
//! a file that cannot be used is a usage error (exit 2), and `--insecure` warns once.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::ExitCode;
use crate::client::{Transport, TransportSettings};

#[derive(Debug, Args)]
pub struct TransportArgs {
    /// Do not check --target's certificate (self-signed test servers; not for production).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// PEM file of CA certificates to trust for --target, besides the built-in roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// PEM client certificate for servers that require mutual TLS (the key may be in it).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// PEM private key of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Proxy for every request to --target (http:// or https:// URL); without it
    /// HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY apply. NO_PROXY applies with it too.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Limit on connecting to --target, TLS handshake included (default: --timeout only).
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
}

impl TransportArgs {
    /// Reads the files and checks them; prints the `--insecure` warning (once per run).
    pub fn load(&self) -> Result<Transport, ExitCode> {
        let transport = TransportSettings {
            insecure: self.insecure,
            cacert: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            proxy: self.proxy.clone(),
            connect_timeout: self.connect_timeout.map(|s| Duration::from_secs(s.max(1))),
        }
        .load()
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::Usage
        })?;
        if transport.is_insecure() {
            eprintln!("warning: --insecure: the target's certificate is not checked; anyone between here and the target can read the token and the directory");
        }
        Ok(transport)
    }
}
