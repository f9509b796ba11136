//! OAuth 2 client credentials for --target (PF-2): what a PingFederate channel set to
//! "OAuth 2 client credentials" is given. The secret is read like the token: never printed,
//! best passed in the environment.

use clap::Args;

use crate::client::{ClientCredentials, Secret};

#[derive(Debug, Args)]
pub struct OAuthArgs {
    /// Authenticate to --target with OAuth 2 client credentials from this token endpoint
    /// instead of --token, as a PingFederate channel can (PF-2); profiles that cannot are
    /// skipped. Needs --oauth-client-id and --oauth-client-secret.
    #[arg(
        long,
        value_name = "URL",
        requires_all = ["oauth_client_id", "oauth_client_secret", "target"],
        conflicts_with = "token"
    )]
    pub oauth_token_url: Option<String>,
    /// Client id for --oauth-token-url.
    #[arg(long, value_name = "ID", requires = "oauth_token_url")]
    pub oauth_client_id: Option<String>,
    /// Client secret for --oauth-token-url (never printed). Prefer SCIM_OAUTH_CLIENT_SECRET.
    #[arg(
        long,
        env = "SCIM_OAUTH_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub oauth_client_secret: Option<String>,
    /// Scope to ask --oauth-token-url for (sent as `scope`).
    #[arg(long, value_name = "SCOPE", requires = "oauth_token_url")]
    pub oauth_scope: Option<String>,
}

impl OAuthArgs {
    /// The credentials, when --oauth-token-url is given (clap has checked the rest is there).
    pub fn credentials(&self) -> Option<ClientCredentials> {
        Some(ClientCredentials {
            token_url: self.oauth_token_url.clone()?,
            client_id: self.oauth_client_id.clone()?,
            client_secret: Secret::new(self.oauth_client_secret.clone()?),
            scope: self.oauth_scope.clone(),
        })
    }
}
