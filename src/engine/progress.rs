//! How far a cycle has come, as events: units of work done of the cycle's total and the
//! requests sent so far. The engine only emits them; a listener (the CLI's progress bar, a
//! benchmark) decides whether and how to show them. Nothing here draws or waits.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One step forward of a cycle. A unit of work is a user (or user purge), a group (or group
/// purge), and a group's memberships: a group counts twice because Entra writes memberships
/// in a pass of their own after every group exists (§1.7), and on a large directory that
/// pass is as long as the group pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub cycle_id: u32,
    pub done: u64,
    pub total: u64,
    /// Logical requests that reached the target in this cycle so far (retries within the
    /// cycle not counted; one that never left, no connection or no token, not either): the
    /// same count as the cycle report's.
    pub requests: u64,
}

/// Where progress events go: called once per unit of work, from the task that ran it.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(Progress) + Send + Sync>);

impl ProgressSink {
    pub fn new(listener: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        ProgressSink(Arc::new(listener))
    }

    fn emit(&self, p: Progress) {
        (self.0)(p)
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// The engine's counters for the cycle under way. Atomics, because a worker pool's user
/// passes (PF-19) finish on `&Engine` concurrently.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    sink: Option<ProgressSink>,
    cycle_id: AtomicU64,
    done: AtomicU64,
    total: AtomicU64,
    requests: AtomicU64,
}

impl Tracker {
    pub(super) fn set_sink(&mut self, sink: Option<ProgressSink>) {
        self.sink = sink;
    }

    /// A new cycle: counters start from zero, before its probe is sent.
    pub(super) fn begin(&self, cycle_id: u32) {
        self.cycle_id.store(u64::from(cycle_id), Ordering::Relaxed);
        self.total.store(0, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.requests.store(0, Ordering::Relaxed);
    }

    /// The cycle's units of work, once it knows which objects it takes.
    pub(super) fn plan(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub(super) fn sent(&self, n: u64) {
        self.requests.fetch_add(n, Ordering::Relaxed);
    }

    /// `n` units of work finished; the listener hears about it at once (nothing for none).
    pub(super) fn done(&self, n: u64) {
        if n == 0 {
            return;
        }
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(sink) = &self.sink {
            sink.emit(Progress {
                cycle_id: self.cycle_id.load(Ordering::Relaxed) as u32,
                done,
                total: self.total.load(Ordering::Relaxed),
                requests: self.requests.load(Ordering::Relaxed),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::client::{ScimClient, Secret};
    use crate::engine::{Created, Engine};
    use crate::idp::Tenant;
    use crate::scenario::model::{AttrValue, SyncKind, UserAttr};
    use crate::server::{self, ServerConfig};

    fn user(t: &mut Tenant, r: &str) {
        let upn = format!("{r}@contoso.com");
        let attrs = BTreeMap::from([
            (UserAttr::UserPrincipalName, AttrValue::Text(upn.clone())),
            (UserAttr::Mail, AttrValue::Text(upn)),
        ]);
        t.create_user(r, attrs).expect("a new user");
        t.assign(r).expect("an assignable user");
    }

    /// One event per unit of work, in order, each with the cycle's total; the last one
    /// carries every request the cycle's report counts. A cycle with nothing to do emits none.
    #[tokio::test]
    async fn a_cycle_emits_one_event_per_unit_of_work() {
        let running = server::start(ServerConfig {
            tokens: vec!["t".into()],
            ..ServerConfig::default()
        })
        .await
        .expect("the built-in server starts");
        let client = ScimClient::new(
            running.base_url(),
            Some(Secret::new("t")),
            Duration::from_secs(10),
        )
        .expect("a client");
        let profile = crate::profile::by_name("entra", &BTreeMap::new()).expect("entra");
        let mut tenant = Tenant::new();
        for r in ["ana", "ben", "cy"] {
            user(&mut tenant, r);
        }
        tenant
            .create_group("ops", "Ops", &["ana".into(), "ben".into()])
            .expect("a new group");
        tenant.assign("ops").expect("an assignable group");

        let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
        let seen = events.clone();
        let mut engine = Engine::new(&*profile, &client, "p-".into(), Created::default());
        engine.set_progress(Some(ProgressSink::new(move |p| {
            seen.lock().unwrap_or_else(|e| e.into_inner()).push(p)
        })));
        let report = engine
            .cycle(&tenant, SyncKind::Initial)
            .await
            .expect("the cycle runs");
        let got = std::mem::take(&mut *events.lock().unwrap_or_else(|e| e.into_inner()));
        // Three users, one group, the group's memberships.
        assert_eq!(
            got.iter().map(|p| (p.done, p.total)).collect::<Vec<_>>(),
            (1..=5).map(|d| (d, 5)).collect::<Vec<_>>()
        );
        assert!(got.iter().all(|p| p.cycle_id == report.cycle_id));
        assert!(got.windows(2).all(|w| w[0].requests <= w[1].requests));
        assert_eq!(
            got.last().map(|p| p.requests),
            Some(report.total_requests())
        );
        assert!(report.total_requests() > 5, "{:?}", report.requests);

        engine
            .cycle(&tenant, SyncKind::Incremental)
            .await
            .expect("the second cycle runs");
        assert!(events.lock().unwrap_or_else(|e| e.into_inner()).is_empty());
        running.stop().await;
    }

    /// A target that answers the connection probe and then stops listening: every later
    /// request fails to connect, never reaches it, and is not counted, in progress as in the
    /// report.
    #[tokio::test]
    async fn requests_that_never_reach_the_target_are_not_counted() {
        let probe_answer = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#;
        let (server, answered) =
            crate::client::test_server::answering(vec![(200, probe_answer.into())]).await;
        let base = format!("{server}/scim");
        let client = ScimClient::new(&base, Some(Secret::new("t")), Duration::from_secs(5))
            .expect("a client");
        let profile = crate::profile::by_name("entra", &BTreeMap::new()).expect("entra");
        let mut tenant = Tenant::new();
        for r in ["ana", "ben"] {
            user(&mut tenant, r);
        }
        let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
        let seen = events.clone();
        let mut engine = Engine::new(&*profile, &client, "p-".into(), Created::default());
        engine.set_progress(Some(ProgressSink::new(move |p| {
            seen.lock().unwrap_or_else(|e| e.into_inner()).push(p)
        })));
        let cycle = engine.cycle(&tenant, SyncKind::Initial).await;
        answered.await.expect("the probe was answered");
        let got = std::mem::take(&mut *events.lock().unwrap_or_else(|e| e.into_inner()));
        assert_eq!(
            got.iter().map(|p| (p.done, p.requests)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 1)],
            "only the probe reached the target; cycle: {:?}",
            cycle.as_ref().map(|r| &r.requests)
        );
        let report = cycle.expect("a cycle whose requests could not connect still ends");
        assert_eq!(report.total_requests(), 1, "{:?}", report.requests);
    }
}
