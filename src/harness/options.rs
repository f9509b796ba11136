//! How a profile's options are merged, where a refused one is placed, and how the options
//! every run got are told: the tenant URL's flags (Entra reads `aadOptscim062020` from its
//! query, §1.1), then a scenario's own `options:`, then the caller's (`--option`), later
//! ones winning. `okta.integration` goes to okta only, `patch_dialect` to every profile.

use std::collections::BTreeMap;

use crate::client::TenantUrl;
use crate::profile::{self, ProfileError};
use crate::scenario::{self, model::Scenario};

/// The options one profile gets: `okta.integration` goes to okta only (prefix stripped),
/// `patch_dialect` to every profile — which must then know it.
pub fn for_profile<'a>(
    profile: &str,
    options: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    options
        .filter_map(|(key, value)| match key.split_once('.') {
            Some((p, k)) if profile::NAMES.contains(&p) => {
                (p == profile).then(|| (k.to_string(), value.to_string()))
            }
            _ => Some((key.to_string(), value.to_string())),
        })
        .collect()
}

/// Whether the tenant URL carries Entra's `aadOptscim062020` flag.
pub(super) fn entra_flagged(target: Option<&str>) -> bool {
    target
        .and_then(|t| TenantUrl::parse(t).ok())
        .is_some_and(|u| crate::profile::entra::Dialect::flagged_in(&u))
}

/// Per profile, the options every run of it got: the caller's (a `profile.` prefix narrows
/// one to that profile) and, for Entra, the flag in the tenant URL. What reports list.
pub(super) fn every_run<'a>(
    names: impl IntoIterator<Item = &'a str>,
    target: Option<&str>,
    given: &BTreeMap<String, String>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let flagged = entra_flagged(target);
    names
        .into_iter()
        .map(|name| {
            let mut options = BTreeMap::new();
            if name == "entra" && flagged {
                options.insert("patch_dialect".to_string(), "aadOptscim062020".to_string());
            }
            options.extend(for_profile(
                name,
                given.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
            (name.to_string(), options)
        })
        .collect()
}

/// The options of one scenario's run under one profile: tenant URL, scenario, caller.
pub(super) fn merged(
    name: &str,
    s: &Scenario,
    flagged: bool,
    given: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut options: BTreeMap<String, String> = BTreeMap::new();
    // Entra reads its behaviour flags from the tenant URL's query (§1.1).
    if name == "entra" && flagged {
        options.insert("patch_dialect".into(), "aadOptscim062020".into());
    }
    options.extend(for_profile(
        name,
        s.options
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str())),
    ));
    options.extend(for_profile(
        name,
        given.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ));
    options
}

/// `profiles: entra (patch_dialect=aadOptscim062020 from the tenant URL), okta (defaults);
/// a scenario's own options apply to it alone`.
pub(super) fn header<'a>(
    names: impl Iterator<Item = &'a str>,
    target: Option<&str>,
    given: &BTreeMap<String, String>,
) -> String {
    let mut names: Vec<&str> = names.collect();
    names.sort();
    names.dedup();
    let flagged = entra_flagged(target);
    let shown: Vec<String> = names
        .iter()
        .map(|name| {
            let mut options: Vec<String> =
                for_profile(name, given.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
            if *name == "entra" && flagged && !given.contains_key("patch_dialect") {
                options.push("patch_dialect=aadOptscim062020 from the tenant URL".into());
            }
            if options.is_empty() {
                format!("{name} (defaults)")
            } else {
                format!("{name} ({})", options.join(", "))
            }
        })
        .collect();
    format!(
        "profiles: {}; a scenario's own options apply to it alone",
        shown.join(", ")
    )
}

/// A profile's refusal of an option, placed where the option was written: the scenario's
/// `options:` line (file:line:column, as scenario-file errors are) or `--option`.
pub(super) fn error(
    s: &Scenario,
    profile: &str,
    given: &BTreeMap<String, String>,
    e: &ProfileError,
) -> String {
    let key = match e {
        ProfileError::UnknownOption { key, .. } | ProfileError::BadOption { key, .. } => {
            key.as_str()
        }
        ProfileError::UnknownProfile(_) => "",
    };
    let names = |k: &str| k == key || k == format!("{profile}.{key}");
    if let Some(written) = given.keys().find(|k| names(k)) {
        return format!("error: --option {written}: {e}");
    }
    match s.options.iter().find(|(k, _)| names(k)) {
        Some((written, value)) => super::error::rendered(
            scenario::ScenarioError::at_span(
                scenario::ErrorKind::InvalidValue,
                &s.file,
                value.span,
                format!("options.{written}"),
                e.to_string(),
            )
            .render(),
        ),
        None => format!("error: {}: {e}", s.file.display()),
    }
}
