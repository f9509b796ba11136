//! Entra's two PATCH dialects (E-24–E-26, E-53) and what differs between them, as data.

/// Entra's two PATCH dialects (§1.4). The flag is `aadOptscim062020` in the tenant URL's query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Capitalised ops, string booleans, one path per attribute.
    Default,
    /// `aadOptscim062020`: lowercase ops, JSON booleans, one path-less replace with dotted and
    /// URN keys, `members[value eq]` removal.
    Scim062020,
}

/// What differs between the dialects, as data.
pub(super) struct DialectTable {
    pub add: &'static str,
    pub replace: &'static str,
    pub string_booleans: bool,
    /// Combine plain replaces into one path-less replace with dotted keys.
    pub pathless_replace: bool,
}

impl Dialect {
    pub(super) fn table(self) -> DialectTable {
        match self {
            Dialect::Default => DialectTable {
                add: "Add",
                replace: "Replace",
                string_booleans: true,
                pathless_replace: false,
            },
            Dialect::Scim062020 => DialectTable {
                add: "add",
                replace: "replace",
                string_booleans: false,
                pathless_replace: true,
            },
        }
    }

    /// The spellings of the flag that turn the RFC-like dialect on in the tenant URL's
    /// query: `aadOptscim062020` as the compatibility page's text and field reports spell it,
    /// `AzureAdScimPatch062020` as its screenshot was reported to show it (§9.3).
    pub const FLAGS: [&'static str; 2] = ["aadOptscim062020", "AzureAdScimPatch062020"];

    /// Whether a tenant URL's query names one of `FLAGS` (case-insensitively).
    pub fn flagged_in(url: &crate::client::TenantUrl) -> bool {
        Dialect::FLAGS.iter().any(|f| url.has_flag(f))
    }

    pub fn option_value(self) -> &'static str {
        match self {
            Dialect::Default => "default",
            Dialect::Scim062020 => "aadOptscim062020",
        }
    }
}
