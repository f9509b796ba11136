//! `scim-harness serve`: the reference server as a standalone process, for vendors who want
//! to poke it with curl or point another client at it.

use std::net::SocketAddr;

use clap::Args;

use super::ExitCode;
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
        value_delimiter = ','
    )]
    pub tokens: Vec<String>,
    /// Path prefix of the SCIM endpoints.
    #[arg(long, default_value = "/scim/v2", value_name = "PATH")]
    pub base: String,
}

pub async fn run(args: ServeArgs) -> ExitCode {
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
