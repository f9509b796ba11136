//! Where requests go: the tenant URL as an admin types it, and each request's URL made from
//! the base parsed once.

/// The tenant URL as an admin types it: base URL plus Entra's behaviour flags in the query
/// (`https://host/scim/v2?aadOptscim062020`). The query is never part of request paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl {
    pub base: String,
    pub flags: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UrlError {
    #[error("invalid target URL `{0}`: expected http://host[:port]/path")]
    Invalid(String),
}

impl TenantUrl {
    pub fn parse(text: &str) -> Result<TenantUrl, UrlError> {
        let parsed = reqwest::Url::parse(text).map_err(|_| UrlError::Invalid(text.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(UrlError::Invalid(text.to_string()));
        }
        let flags = parsed
            .query()
            .map(|q| {
                q.split('&')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.split('=').next().unwrap_or(s).to_string())
                    .collect()
            })
            .unwrap_or_default();
        let mut base = parsed.clone();
        base.set_query(None);
        base.set_fragment(None);
        let base = base.as_str().trim_end_matches('/').to_string();
        Ok(TenantUrl { base, flags })
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
}

/// The URL for `path` (a request path with its query): `base` with that path and query set,
/// so the host is not parsed, IDNA-checked and validated again for every request (url's
/// parser was a few per cent of a 100,000-user cycle). `None` — parse the whole text
/// instead — for a path this shortcut might read differently: a fragment, a backslash, a
/// dot segment (plain or percent-encoded), or no leading slash.
pub(super) fn request_url(base: &reqwest::Url, path: &str) -> Option<reqwest::Url> {
    let (p, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let odd = !p.starts_with('/')
        || path.contains(['#', '\\'])
        || p.split('/').any(|seg| seg == "." || seg == "..")
        || encodes_a_dot(p);
    if odd {
        return None;
    }
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let mut full = String::with_capacity(prefix.len() + p.len());
    full.push_str(prefix);
    full.push_str(p);
    url.set_path(&full);
    url.set_query(query);
    Some(url)
}

/// Whether `p` holds `%2e` or `%2E` (a dot, which may make a dot segment): found from each
/// `%`, without a lower-cased copy of the path per request.
fn encodes_a_dot(p: &str) -> bool {
    let bytes = p.as_bytes();
    memchr::memchr_iter(b'%', bytes).any(|i| {
        bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.eq_ignore_ascii_case(b"2e"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ScimClient;
    use std::time::Duration;

    #[test]
    fn tenant_url_separates_flags_from_the_base() {
        let t = TenantUrl::parse("https://host.example/scim/v2/?aadOptscim062020").expect("parses");
        assert_eq!(t.base, "https://host.example/scim/v2");
        assert!(t.has_flag("aadOptscim062020"));
        let t = TenantUrl::parse("http://127.0.0.1:8080/scim").expect("parses");
        assert_eq!(
            (t.base.as_str(), t.flags.len()),
            ("http://127.0.0.1:8080/scim", 0)
        );
        assert!(TenantUrl::parse("ftp://x").is_err());
        assert!(TenantUrl::parse("not a url").is_err());
    }

    #[test]
    fn a_request_url_is_the_one_the_whole_text_parses_to() {
        for base in [
            "http://127.0.0.1:8080/scim/v2",
            "https://example.com/scim/v2/",
            "http://user:pw@host.example:9/",
            "http://localhost",
        ] {
            let client = ScimClient::new(base, None, Duration::from_secs(1)).expect("client");
            for path in [
                "/Users",
                "/Users?filter=userName+eq+%22u1%40bench.test%22",
                "/Users?filter=userName eq \"a b\"&count=100&startIndex=1",
                "/Groups/7d4c5b2e-0000-4000-8000-000000000001",
                "/Users?attributes=id,userName&excludedAttributes=members",
                "/Users/%C3%A9t%C3%A9",
                "/Users/été?x=ü",
                "/ServiceProviderConfig",
            ] {
                let whole = reqwest::Url::parse(&format!("{}{path}", client.base)).expect("parses");
                assert_eq!(
                    client.base_url.as_ref().and_then(|b| request_url(b, path)),
                    Some(whole),
                    "{base} + {path}"
                );
            }
            for odd in [
                "/Users/../Groups",
                "/Users#x",
                "Users",
                "/Users/%2e%2e/x",
                "/Users/%2E./x",
                "/Users/.%2E",
                "/a\\b",
            ] {
                assert_eq!(
                    client.base_url.as_ref().and_then(|b| request_url(b, odd)),
                    None,
                    "{odd}"
                );
            }
        }
    }
}
