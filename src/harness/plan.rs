//! Turning a builder into a run list, with every check `scim-harness run` makes before it
//! sends anything: profile names, scenario files, the known-failures file and its entries,
//! the tenant URL, each profile built with its merged options (a refused option is an error
//! placed at its line), a named profile that cannot replay a step, filter, shard, and zero
//! runs selected.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::error::{rendered, HarnessError};
use super::{options, select, Config, Harness, HarnessBuilder, Target};
use crate::check::snapshot;
use crate::client::{Redactor, Secret, TenantUrl};
use crate::engine::runner::RunSettings;
use crate::profile::{self, Profile};
use crate::scenario::{self, model::Scenario};

/// Where a dry run without a target shows its requests going.
const DRY_RUN_BASE: &str = "http://target.invalid/scim/v2";

/// Every name is a profile (or `all`).
pub fn check_profile_names(names: &[String]) -> Result<(), HarnessError> {
    match names
        .iter()
        .find(|p| *p != "all" && !profile::NAMES.contains(&p.as_str()))
    {
        Some(p) => Err(HarnessError::UnknownProfile {
            name: p.clone(),
            known: profile::NAMES.join(", "),
        }),
        None => Ok(()),
    }
}

pub(super) fn build(b: HarnessBuilder) -> Result<Harness, HarnessError> {
    check_profile_names(&b.profiles)?;
    let scenarios = load(&b.paths, &b.texts, b.scenarios)?;
    let known = match &b.known_failures {
        None => vec![],
        Some(path) => scenario::known::load(path)?,
    };
    let target = match &b.target {
        None if b.dry_run => Target::DryRun {
            shown_base: DRY_RUN_BASE.into(),
        },
        None => Target::Builtin,
        Some((url, token)) => match TenantUrl::parse(url) {
            Ok(url) if b.dry_run => Target::DryRun {
                shown_base: url.base,
            },
            Ok(_) if token.is_some() && b.client_credentials.is_some() => {
                return Err(HarnessError::Setting(
                    "a token and client credentials: the IdP authenticates one way, give one"
                        .into(),
                ))
            }
            Ok(url) => Target::External {
                url,
                token: token.clone().map(Secret::new),
                transport: b.transport.clone().unwrap_or_default(),
                oauth: b.client_credentials.clone(),
            },
            Err(e) => return Err(HarnessError::Setting(e.to_string())),
        },
    };
    if b.client_credentials.is_some() && !matches!(target, Target::External { .. }) {
        return Err(HarnessError::Setting(
            "client credentials are for a target the run sends to (--target, not --dry-run): the built-in server takes its own token"
                .into(),
        ));
    }
    let target_given = b.target.as_ref().map(|(url, _)| url.clone());
    let given: BTreeMap<String, String> = b.options.iter().cloned().collect();

    // Build every profile up front: a bad option is a usage error before anything is sent.
    let flagged = options::entra_flagged(target_given.as_deref());
    let mut runs: Vec<(usize, Box<dyn Profile>)> = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        for name in profiles_for(s, &b.profiles) {
            let merged = options::merged(name, s, flagged, &given);
            match profile::by_name(name, &merged) {
                // Without a `profiles:` list a scenario runs under every profile that can
                // replay all of its steps.
                Ok(p) if !s.steps.iter().all(|st| p.supports(&st.value)) => {
                    // A profile the scenario names explicitly must replay every step.
                    if s.profiles.is_some() {
                        let step = s.steps.iter().find(|st| !p.supports(&st.value));
                        return Err(HarnessError::Unsupported(format!(
                            "error: {}:{}: profile {name} cannot replay step `{}`; remove {name} from `profiles:`",
                            s.file.display(),
                            step.map_or(0, |st| st.span.line),
                            step.map_or("?", |st| st.value.keyword())
                        )));
                    }
                }
                Ok(p) => runs.push((i, p)),
                Err(e) => return Err(HarnessError::Option(options::error(s, name, &given, &e))),
            }
        }
    }

    // No suite on a dry run: its checks would write to the stand-in only.
    let mut checks = b.checks.filter(|_| !b.dry_run);
    // Every known-failures entry names a loaded scenario and a real profile (a typo masks
    // nothing and would go unnoticed); checked before sharding, since shards share the file.
    if let Some(path) = &b.known_failures {
        let mut loaded: Vec<String> = scenarios.iter().map(|s| s.name.clone()).collect();
        loaded.extend(
            checks
                .iter()
                .flatten()
                .map(|c| format!("{}{}", crate::protocol::SCENARIO_PREFIX, c.name)),
        );
        let mut profiles = profile::NAMES.to_vec();
        profiles.push(crate::protocol::PROFILE);
        scenario::known::check_entries(&known, path, &loaded, &profiles)
            .map_err(|e| HarnessError::Scenario(rendered(e.render())))?;
    }
    // Filter by scenario name, checks as `protocol-<check>`; before sharding, so the shards
    // split what is selected.
    runs.retain(|(i, _)| select::keeps(&b.filters, &scenarios[*i].name));
    if let Some(list) = &mut checks {
        list.retain(|c| {
            select::keeps(
                &b.filters,
                &format!("{}{}", crate::protocol::SCENARIO_PREFIX, c.name),
            )
        });
    }
    // A shard: scenario runs first, then the protocol checks, dealt round-robin.
    let shard = match b.shard {
        Some((index, count)) => Some(
            format!("{index}/{count}")
                .parse::<select::Shard>()
                .map_err(|e| HarnessError::Setting(format!("shard: {e}")))?,
        ),
        None => None,
    };
    if let Some(shard) = shard {
        let all = runs.len();
        let mut position = 0..;
        runs.retain(|_| position.next().is_some_and(|p| shard.keeps(p)));
        let mut position = all..;
        if let Some(list) = &mut checks {
            list.retain(|_| position.next().is_some_and(|p| shard.keeps(p)));
        }
    }
    let suite_runs = checks.as_ref().is_some_and(|c| !c.is_empty());
    if runs.is_empty() && !suite_runs {
        // Zero runs selected is a mistake (a wrong path, profile or shard), never a pass.
        return Err(HarnessError::NothingSelected(format!(
            "{} scenario files, profiles {}, shard {}, filter {}",
            scenarios.len(),
            match b.profiles.is_empty() {
                true => "all".to_string(),
                false => b.profiles.join(","),
            },
            shard.map_or("none".to_string(), |s| format!("{}/{}", s.index, s.count)),
            match b.filters.is_empty() {
                true => "none".to_string(),
                false => b.filters.join(","),
            }
        )));
    }
    // One redactor for the whole run: every client adds its token (and rotated ones) to it,
    // so console, reports and a panic message are scrubbed of all of them.
    let next_token = b.next_token.map(Secret::new);
    let redactor = match &target {
        Target::External { token, oauth, .. } => Redactor::from_secrets(
            token
                .iter()
                .chain(next_token.iter())
                .chain(oauth.iter().map(|c| &c.client_secret)),
        ),
        Target::Builtin | Target::DryRun { .. } => Redactor::new(),
    };
    let settings = RunSettings {
        prefix: b.prefix.unwrap_or_else(random_prefix),
        next_token,
        snapshot_dir: b.snapshot_dir.unwrap_or_else(|| PathBuf::from("snapshots")),
        full_snapshots: b.full_snapshots,
        // A dry run's stand-in is not the target: its directory must never become a snapshot.
        snapshot_mode: match b.dry_run {
            true => snapshot::Mode::ReadOnly,
            false => b.snapshot_mode.unwrap_or(snapshot::Mode::ReadOnly),
        },
        progress: b.progress,
    };
    let config = Config {
        timeout: b.timeout.unwrap_or(Duration::from_secs(30)),
        scenario_timeout: b.scenario_timeout.unwrap_or(Duration::from_secs(300)),
        check_timeout: b.check_timeout.unwrap_or(Duration::from_secs(120)),
        max_body: b.max_body_bytes.unwrap_or(4 * 1024 * 1024),
        keep: b.keep,
        transcript: b.transcript,
        fail_fast: b.fail_fast,
        // A dry run prints each request as it goes: one run at a time keeps them readable.
        jobs: match b.dry_run {
            true => 1,
            false => b.jobs.unwrap_or(1).max(1),
        },
        deadline: b.deadline,
        signals: b.signals,
        observer: b.observer,
    };
    Ok(Harness {
        scenarios,
        runs,
        checks,
        known,
        target,
        target_given,
        settings,
        options: given,
        config,
        redactor,
    })
}

/// Parses every scenario file, text and given scenario; all parse errors are reported
/// together, and two scenarios may not share a name.
fn load(
    paths: &[PathBuf],
    texts: &[(PathBuf, String)],
    given: Vec<Scenario>,
) -> Result<Vec<Scenario>, HarnessError> {
    // A path not on disk (`entra/`, `scenarios/okta/x.yaml`) names built-in scenarios, as
    // on the command line: a vendor's `cargo test` needs no copy of this repository.
    let files = match paths.is_empty() {
        true => vec![],
        false => scenario::discover_with_builtin(paths)?,
    };
    scenario::load_all(&files, texts, given).map_err(|text| HarnessError::Scenario(rendered(text)))
}

/// The profiles a scenario runs under: its own list (or all), narrowed by `wanted`.
pub fn profiles_for(s: &Scenario, wanted: &[String]) -> Vec<&'static str> {
    profile::NAMES
        .iter()
        .copied()
        .filter(|p| {
            s.profiles
                .as_ref()
                .is_none_or(|list| list.iter().any(|x| x == p))
        })
        .filter(|p| wanted.is_empty() || wanted.iter().any(|w| w == p || w == "all"))
        .collect()
}

/// The profiles a run would use for a scenario by default: listed ones, or every one that
/// replays all its steps.
pub fn runs_under(s: &Scenario) -> Vec<&'static str> {
    profiles_for(s, &[])
        .into_iter()
        .filter(|name| {
            let options = options::for_profile(
                name,
                s.options
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.value.as_str())),
            );
            profile::by_name(name, &options).is_ok_and(|p| {
                s.profiles.is_some() || s.steps.iter().all(|st| p.supports(&st.value))
            })
        })
        .collect()
}

fn random_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("sh{}-", &id[..6])
}

#[cfg(test)]
mod tests {
    use crate::harness::{Harness, HarnessError};

    const ENTRA_ONLY: &str = "name: t\ndescription: d\nsymptom: s\nprofiles: [entra]\noptions:\n  member_batch: lots\nsteps:\n  - sync: initial\n";
    const EVERY_PROFILE: &str =
        "name: all-of-them\ndescription: d\nsymptom: s\nsteps:\n  - sync: initial\n";

    fn refused(b: crate::harness::HarnessBuilder) -> HarnessError {
        match b.build() {
            Ok(h) => panic!("built {} runs; expected a refusal", h.runs()),
            Err(e) => e,
        }
    }

    #[test]
    fn a_scenario_option_a_profile_refuses_is_placed_at_its_line() {
        let e = refused(Harness::builder().scenario_text("option.yaml", ENTRA_ONLY));
        let text = e.to_string();
        assert!(matches!(e, HarnessError::Option(_)), "{e:?}");
        assert!(text.contains("option.yaml:6:17"), "{text}");
        assert!(
            text.contains("invalid value `lots` for option `member_batch`"),
            "{text}"
        );
        assert!(
            !text.ends_with('\n'),
            "the printer adds the newline: {text:?}"
        );
        assert!(e.is_usage());
    }

    #[test]
    fn a_caller_option_wins_over_the_scenario_and_is_named_as_given() {
        let e = refused(
            Harness::builder()
                .scenario_text("option.yaml", ENTRA_ONLY)
                .option("entra.member_batch", "many"),
        );
        assert!(
            e.to_string()
                .starts_with("error: --option entra.member_batch: invalid value `many`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_profile_is_refused_before_any_scenario_is_read() {
        let e = refused(
            Harness::builder()
                .scenarios("no/such/folder")
                .profiles(["entra", "octa"]),
        );
        assert!(
            e.to_string()
                .starts_with("error: unknown profile `octa`; known profiles: entra, "),
            "{e}"
        );
    }

    #[test]
    fn a_filter_or_shard_that_leaves_nothing_is_an_error_not_a_pass() {
        let e = refused(
            Harness::builder()
                .scenario_text("a.yaml", EVERY_PROFILE)
                .profiles(["okta"])
                .filter("entra-*"),
        );
        assert_eq!(
            e.to_string(),
            "error: no scenario runs selected: 1 scenario files, profiles okta, shard none, filter entra-*"
        );
        let e = refused(
            Harness::builder()
                .scenario_text("a.yaml", EVERY_PROFILE)
                .shard(3, 2),
        );
        assert!(e.to_string().contains("shard: expected I/N"), "{e}");
    }

    #[test]
    fn shards_split_the_runs_between_them_and_filters_narrow_first() -> Result<(), String> {
        let built = |i| {
            Harness::builder()
                .scenario_text("a.yaml", EVERY_PROFILE)
                .shard(i, 2)
                .build()
                .map(|h| h.runs())
                .map_err(|e| e.to_string())
        };
        let every = Harness::builder()
            .scenario_text("a.yaml", EVERY_PROFILE)
            .build()
            .map(|h| h.runs())
            .map_err(|e| e.to_string());
        let (one, two, all) = (built(1), built(2), every);
        assert_eq!(
            Ok(one.clone()? + two.clone()?),
            all.clone(),
            "{one:?} {two:?}"
        );
        assert!(all? > 2);
        let narrowed = Harness::builder()
            .scenario_text("a.yaml", EVERY_PROFILE)
            .filter("all-of-*")
            .profiles(["okta", "entra"])
            .build()
            .map(|h| h.runs())
            .map_err(|e| e.to_string());
        assert_eq!(narrowed, Ok(2));
        Ok(())
    }

    #[test]
    fn entra_reads_its_dialect_from_the_tenant_url() {
        let h = Harness::builder()
            .scenario_text("a.yaml", EVERY_PROFILE)
            .profiles(["entra", "okta"])
            .target("https://scim.example.com/scim/v2?aadOptscim062020", None)
            .build();
        let line = h
            .map(|h| h.profiles_line())
            .unwrap_or_else(|e| e.to_string());
        assert_eq!(
            line,
            "profiles: entra (patch_dialect=aadOptscim062020 from the tenant URL), okta (defaults); a scenario's own options apply to it alone"
        );
    }

    #[test]
    fn two_scenarios_of_one_name_are_refused() {
        let e = refused(
            Harness::builder()
                .scenario_text("a.yaml", EVERY_PROFILE)
                .scenario_text("b.yaml", EVERY_PROFILE),
        );
        assert!(matches!(e, HarnessError::Scenario(_)), "{e:?}");
        assert!(e.to_string().contains("all-of-them"), "{e}");
    }
}
