//! The profile options an admin sets on Entra's provisioning job (README's profile option
//! table), parsed from `--option key=value` and scenario `options:`.

use std::collections::BTreeMap;

use super::matching::{self, GROUP_MATCHING, USER_MATCHING};
use super::{Clears, Dialect, Entra, ManagerRemoval, ManagerShape};
use crate::profile::{JobSettings, ProfileError};

/// Options a scenario or `--option` may set.
pub const OPTIONS: &[&str] = &[
    "patch_dialect",
    "manager",
    "quarantine_min_events",
    "accidental_deletion_threshold",
    "skip_out_of_scope_deletions",
    "retry_after",
    "member_batch",
    "cleared_attributes",
    "manager_removal",
    "post_active",
    "patch_booleans",
    "matching",
    "group_matching",
    "parallel_exports",
    "rate",
];

/// The most `parallel_exports` accepted. [I] Microsoft states no figure (E-67); the bound
/// keeps a typo from opening hundreds of connections.
const MAX_PARALLEL_EXPORTS: usize = 32;

fn number(key: &str, value: &str) -> Result<u64, ProfileError> {
    value.parse().map_err(|_| ProfileError::BadOption {
        key: key.to_string(),
        value: value.to_string(),
        expected: "a whole number",
    })
}

/// A request rate: a positive number of requests per second (`25`, `0.5`).
fn rate(key: &str, value: &str) -> Result<f64, ProfileError> {
    match value.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(ProfileError::BadOption {
            key: key.to_string(),
            value: value.to_string(),
            expected: "a positive number of requests per second, such as `25`",
        }),
    }
}

/// The value of `options[key]` among `choices`.
fn choice<T: Copy>(
    key: &str,
    value: &str,
    choices: &[(&str, T)],
    expected: &'static str,
) -> Result<T, ProfileError> {
    choices
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, t)| *t)
        .ok_or_else(|| ProfileError::BadOption {
            key: key.to_string(),
            value: value.to_string(),
            expected,
        })
}

impl Entra {
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Self, ProfileError> {
        let mut entra = Entra {
            dialect: Dialect::Default,
            manager: ManagerShape::String,
            job: JobSettings {
                // "404 returned rather than 200" on a filter is a global failure (E-65).
                filter_404_quarantines: true,
                ..JobSettings::default()
            },
            clears: Clears::Remove,
            manager_removal: ManagerRemoval::Remove,
            post_active_string: false,
            patch_string_booleans: None,
            matching: vec!["userName"],
            group_matching: vec!["displayName"],
            parallel_exports: 1,
        };
        for (key, value) in options {
            match key.as_str() {
                "patch_dialect" => {
                    entra.dialect = match value.as_str() {
                        "default" | "AzureAdScimPatch2017" => Dialect::Default,
                        "aadOptscim062020" | "AzureAdScimPatch062020" => Dialect::Scim062020,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`default` or `aadOptscim062020`",
                            })
                        }
                    }
                }
                "manager" => {
                    entra.manager = match value.as_str() {
                        "string" => ManagerShape::String,
                        "object" => ManagerShape::Object,
                        "ref-list" => ManagerShape::RefList,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`string`, `object` or `ref-list`",
                            })
                        }
                    }
                }
                "cleared_attributes" => {
                    entra.clears = choice(
                        key,
                        value,
                        &[("remove", Clears::Remove), ("nothing", Clears::Nothing)],
                        "`remove` or `nothing`",
                    )?
                }
                "manager_removal" => {
                    entra.manager_removal = choice(
                        key,
                        value,
                        &[
                            ("remove", ManagerRemoval::Remove),
                            ("replace-empty", ManagerRemoval::ReplaceEmpty),
                        ],
                        "`remove` or `replace-empty`",
                    )?
                }
                "post_active" => {
                    entra.post_active_string = choice(
                        key,
                        value,
                        &[("boolean", false), ("string", true)],
                        "`boolean` or `string`",
                    )?
                }
                "patch_booleans" => {
                    entra.patch_string_booleans = Some(choice(
                        key,
                        value,
                        &[("string", true), ("boolean", false)],
                        "`string` or `boolean`",
                    )?)
                }
                "matching" => {
                    entra.matching = matching::parse(
                        key,
                        value,
                        USER_MATCHING,
                        "comma-separated matching attributes in precedence order, each once, among `userName`, `externalId`, `emails[type eq \"work\"].value`",
                    )?
                }
                "group_matching" => {
                    entra.group_matching = matching::parse(
                        key,
                        value,
                        GROUP_MATCHING,
                        "comma-separated matching attributes in precedence order, each once, among `displayName`, `externalId`",
                    )?
                }
                "parallel_exports" => {
                    entra.parallel_exports = match number(key, value) {
                        Ok(n) if (1..=MAX_PARALLEL_EXPORTS as u64).contains(&n) => n as usize,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "a whole number from 1 to 32",
                            })
                        }
                    }
                }
                "rate" => entra.job.rate = Some(rate(key, value)?),
                "quarantine_min_events" => entra.job.quarantine_min_events = number(key, value)?,
                "accidental_deletion_threshold" => {
                    entra.job.deletion_threshold = Some(number(key, value)?)
                }
                "member_batch" => entra.job.member_batch = number(key, value)?.max(1) as usize,
                "skip_out_of_scope_deletions" => {
                    entra.job.skip_out_of_scope_deletions = match value.as_str() {
                        "true" | "True" => true,
                        "false" | "False" => false,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`true` or `false`",
                            })
                        }
                    }
                }
                "retry_after" => {
                    entra.job.honor_retry_after = match value.as_str() {
                        "honor" => true,
                        "escrow" => false,
                        _ => {
                            return Err(ProfileError::BadOption {
                                key: key.clone(),
                                value: value.clone(),
                                expected: "`escrow` (retry in a later cycle) or `honor`",
                            })
                        }
                    }
                }
                _ => {
                    return Err(ProfileError::UnknownOption {
                        profile: "entra",
                        key: key.clone(),
                        known: OPTIONS.join(", "),
                    })
                }
            }
        }
        Ok(entra)
    }
}
