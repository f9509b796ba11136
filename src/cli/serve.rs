//! `scim-harness serve`: the reference server as a standalone process, for vendors who want
//! to poke it with curl or point another client (an IdP, `scim-harness run --target`) at it
//! and watch, in its access log, what each one sends.

use std::net::SocketAddr;

use clap::Args;

use super::ExitCode;
use crate::server::access_log::{AccessLog, Sink};
use crate::server::{self, ServerConfig};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Accepted bearer token; repeat to accept several at once (token rotation).
    /// Without one, a random token is generated and printed.
    #[arg(
        long = "token",
        value_name = "TOKEN",
        env = "SCIM_TOKEN",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub tokens: Vec<String>,
    /// Path prefix of the SCIM endpoints.
    #[arg(long, default_value = "/scim/v2", value_name = "PATH")]
    pub base: String,
    /// Where the access log goes: one line per request (method, path with query, status,
    /// duration in ms). Headers, and so the bearer token, are never printed.
    #[arg(long, value_enum, default_value_t = LogTo::Stderr, value_name = "WHERE")]
    pub access_log: LogTo,
    /// Also log request and response bodies, each cut at 2 KiB, passwords masked.
    #[arg(long)]
    pub log_bodies: bool,
}

/// `--access-log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogTo {
    Stdout,
    Stderr,
    Off,
}

impl ServeArgs {
    fn access_log(&self) -> Option<AccessLog> {
        let sink = match self.access_log {
            LogTo::Stdout => Sink::Stdout,
            LogTo::Stderr => Sink::Stderr,
            LogTo::Off => return None,
        };
        Some(AccessLog {
            sink,
            bodies: self.log_bodies,
        })
    }
}

pub async fn run(args: ServeArgs) -> ExitCode {
    let access_log = args.access_log();
    let generated = args.tokens.is_empty();
    let tokens = if generated {
        vec![uuid::Uuid::new_v4().simple().to_string()]
    } else {
        args.tokens
    };
    let shown_token = if generated {
        tokens[0].clone()
    } else {
        "<your token>".to_string()
    };
    let count = tokens.len();
    let running = match server::start(ServerConfig {
        listen: args.listen,
        base_path: args.base,
        tokens,
        access_log,
    })
    .await
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::Target;
        }
    };
    let base = running.base_url().to_string();
    say!("scim-harness reference SCIM server listening");
    say!("  base URL : {base}");
    if generated {
        // The user asked for no token, so the one we made up must be shown to be usable.
        say!("  token    : {shown_token}   (generated; pass --token to choose one)");
    } else {
        say!("  token    : {count} token(s) from --token / SCIM_TOKEN (not echoed)");
    }
    say!("  try      : curl -H 'Authorization: Bearer {shown_token}' {base}/ServiceProviderConfig");
    if let Some(log) = access_log {
        let to = match log.sink {
            Sink::Stdout => "stdout",
            Sink::Stderr => "stderr",
        };
        let bodies = if log.bodies { ", with bodies" } else { "" };
        say!("  log      : one line per request on {to}{bodies}");
    }
    say!("Ctrl-C to stop.");
    match tokio::signal::ctrl_c().await {
        Ok(()) => {
            running.stop().await;
            ExitCode::Ok
        }
        Err(e) => {
            eprintln!("error: failed to wait for Ctrl-C: {e}");
            running.stop().await;
            ExitCode::Internal
        }
    }
}
