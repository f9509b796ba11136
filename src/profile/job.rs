//! How an IdP's provisioning job lives, apart from what its requests look like: how strictly
//! it reads answers (`Strictness`), what it does about transient faults (`TransientRetry`),
//! and the job settings the engine runs by (`JobSettings`, burst concurrency).

use super::ProfileError;

/// How strictly an IdP reads one kind of answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The IdP fails on it: a finding that fails the scenario.
    Strict,
    /// The IdP copes: a warning.
    Tolerant,
}

/// What an IdP is strict about, each line citing its evidence in the profile that sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strictness {
    /// The IdP as findings name it: `Entra`.
    pub idp: &'static str,
    /// A create answered other than `201 Created`.
    pub create_201: Level,
    /// A PUT answered without the resource (204, empty or non-JSON 200).
    pub put_returns_resource: Level,
    /// An answer whose `Content-Type` is not `application/scim+json`.
    pub content_type: Level,
    /// A query answered with a malformed ListResponse: the schema, integer
    /// `totalResults`, `Resources` an array.
    pub list_shape: Level,
    /// A ListResponse without integer `itemsPerPage` and `startIndex` (RFC 7644 §3.4.2
    /// requires them only for paged results; Okta checks them on every list, O-2).
    pub list_paging: Level,
    /// A DELETE answered 404.
    pub delete_404: Level,
    /// Whether a 404 to a matching query means "no such user" (Okta, O-6).
    pub match_404_is_empty: bool,
    /// What the IdP does with a rejected request (4xx), in one sentence.
    pub on_rejected: &'static str,
    /// What the IdP does with a transient fault (5xx, 429, timeout).
    pub on_transient: &'static str,
}

impl Strictness {
    pub fn tolerant(idp: &'static str) -> Self {
        Strictness {
            idp,
            create_201: Level::Tolerant,
            put_returns_resource: Level::Tolerant,
            content_type: Level::Tolerant,
            list_shape: Level::Tolerant,
            list_paging: Level::Tolerant,
            delete_404: Level::Tolerant,
            match_404_is_empty: false,
            on_rejected: "the IdP logs the failure and tries the object again on its next run [I]",
            on_transient: "the IdP logs the failure and tries the object again on its next run [I]",
        }
    }
}

/// What an IdP does about transient faults, as data (idp-behavior.md §1.8, §2.7, §3, §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransientRetry {
    /// The IdP as its admins name it, for log reasons and warnings (`Entra`, `Okta`).
    pub idp: &'static str,
    /// Attempts of the connection probe, the first included, before the cycle fails.
    pub probe_attempts: u32,
    /// What becomes of an object whose request failed.
    pub pushes: PushRetry,
    /// What the IdP does when the probe fails for good, for the cycle error.
    pub probe_failure: &'static str,
}

/// What becomes of an object whose request met a transient fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushRetry {
    /// Escrowed and retried in later cycles, as often as the cadence says.
    Escrow(Cadence),
    /// An admin task is raised and nothing is retried until an admin does (Okta, O-37).
    AdminTask,
}

impl PushRetry {
    /// The escrow's cadence; an IdP that raises admin tasks escrows nothing, so any will do.
    pub fn cadence(self) -> Cadence {
        match self {
            PushRetry::Escrow(cadence) => cadence,
            PushRetry::AdminTask => Cadence::Doubling,
        }
    }
}

/// How soon an escrowed object is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// The next cycle, then every 2nd, 4th, 8th and 16th (Entra's escrow, §1.8).
    Doubling,
    /// Every next cycle: PingFederate's channel Timeout leaves a record "for the next cycle
    /// to try again" (PF-20, `pf-channel`); its other faults are retried alike \[I\].
    EveryCycle,
}

impl TransientRetry {
    /// The table, by profile name. Entra and Okta would both try a failed probe again
    /// later (Entra at the next cycle, Okta when the admin tests again): the harness tries
    /// it three times, waiting in between \[I\]. Ping documents only PingFederate's per-record
    /// timeout (retried next cycle, §3); its other faults and all of PingOne's are escrowed
    /// the same way \[I\].
    pub fn of(profile: &str) -> TransientRetry {
        let (idp, pushes, probe_failure) = match profile {
            "entra" => (
                "Entra",
                PushRetry::Escrow(Cadence::Doubling),
                "Entra quarantines the job (EncounteredQuarantineException) and provisions nothing until the probe passes",
            ),
            "okta" => (
                "Okta",
                PushRetry::AdminTask,
                "Okta refuses to save the provisioning settings (Test API Credentials fails), so nothing is pushed",
            ),
            "pingfederate" => (
                "PingFederate",
                PushRetry::Escrow(Cadence::EveryCycle),
                "PingFederate's SCIM channel cannot connect and provisions nothing",
            ),
            "pingone" => (
                "PingOne",
                PushRetry::Escrow(Cadence::Doubling),
                "PingOne's provisioning connection fails its test and provisions nothing",
            ),
            _ => (
                "the IdP",
                PushRetry::Escrow(Cadence::Doubling),
                "the IdP provisions nothing until the probe passes",
            ),
        };
        TransientRetry {
            idp,
            probe_attempts: 3,
            pushes,
            probe_failure,
        }
    }
}

/// Settings of the IdP's provisioning job that change how the engine behaves, not what a
/// request looks like. Defaults are Entra's documented values (idp-behavior.md §1.8),
/// but for `filter_404_quarantines`, which Entra alone turns on.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSettings {
    /// Failure-proportion quarantine is evaluated once this many events were seen (5,000).
    pub quarantine_min_events: u64,
    /// Quarantine when more than this share of events failed (40 %).
    pub quarantine_failure_ratio: f64,
    /// Accidental-deletion prevention: hold every disable and delete of a cycle that would
    /// exceed this many (`None`: off, Entra's default).
    pub deletion_threshold: Option<u64>,
    /// `SkipOutOfScopeDeletions`: users leaving the scope are not disabled.
    pub skip_out_of_scope_deletions: bool,
    /// Wait for `Retry-After` and retry within the cycle instead of escrowing (§9.7).
    pub honor_retry_after: bool,
    /// Members per group PATCH.
    pub member_batch: usize,
    /// Per-record timeout: a record whose requests together take longer than this fails as
    /// `Timeout` and is retried next cycle (PingFederate's channel Timeout, §3, PF-20;
    /// `engine/deadline.rs`). `None`: the client's timeout, per request.
    pub record_timeout: Option<std::time::Duration>,
    /// A 404 to a filter query quarantines the job at once and stops the cycle (Entra's
    /// global failure, E-65). Off by default: only Entra documents a quarantine for it.
    pub filter_404_quarantines: bool,
    /// Whether writes reach the target. Off: a preview (CyberArk's "Preview mode", CA-10):
    /// reads (probes, matching, reads before an update) are sent, every write is computed,
    /// logged with the request it would have sent, and withheld.
    pub commits_writes: bool,
    /// Requests per second across the whole job, held by the harness (option `rate`, E-67);
    /// `None`: as fast as the workers go.
    pub rate: Option<f64>,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            quarantine_min_events: 5000,
            quarantine_failure_ratio: 0.4,
            deletion_threshold: None,
            skip_out_of_scope_deletions: false,
            honor_retry_after: false,
            member_batch: 100,
            record_timeout: None,
            filter_404_quarantines: false,
            commits_writes: true,
            rate: None,
        }
    }
}

/// The most `event_concurrency` an event-driven profile accepts. \[I\] Neither Okta nor PingOne
/// documents a figure (idp-behavior.md O-38, P1-15); the bound keeps a typo from opening
/// hundreds of connections.
pub const MAX_EVENT_CONCURRENCY: usize = 32;

/// Option `event_concurrency` of an event-driven IdP (Okta, PingOne): how many of the events
/// of one burst — the changes one scenario step makes before the next sync point — are pushed
/// at once, 1 to `MAX_EVENT_CONCURRENCY`.
pub(crate) fn event_concurrency(key: &str, value: &str) -> Result<usize, ProfileError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_EVENT_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(ProfileError::BadOption {
            key: key.to_string(),
            value: value.to_string(),
            expected: "a whole number from 1 to 32",
        }),
    }
}
