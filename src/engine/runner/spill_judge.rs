//! Judges the exchanges a long cycle spills, one at a time as the client records them.
//!
//! A cycle of 100,000 users makes hundreds of thousands of exchanges; held until the cycle
//! ends they would take gigabytes, so the client hands each one but the newest to this judge
//! as the next is recorded (`SPILL_AFTER`), and the judge keeps only its findings. It
//! judges where the client records, on the cycle's own thread. It ran on a thread of its
//! own until 2026-12-03, taking batches of 256 so that judging stayed off the path between
//! two requests; but every exchange was then freed on the other core, and the allocator
//! gave the cycle's thread those blocks back cold. Judged here, the harness took 130–148 µs
//! of CPU a request against 158–244 with the thread (20,000 users, Entra and Okta, three
//! alternated bench runs each). Findings come out as the inline judge finds them: each key
//! once, first seen first.

use std::sync::{Arc, Mutex, PoisonError};

use super::cause::judge_into;
use crate::check::finding::Finding;
use crate::client::ScimClient;
use crate::profile::Strictness;

/// The judge of one cycle's spilled exchanges; `finish` gives its findings.
pub(super) struct SpillJudge(Arc<Mutex<Vec<Finding>>>);

impl SpillJudge {
    /// Sets `client` to spill into a new judge.
    pub(super) fn start(client: &ScimClient, strictness: &Strictness) -> SpillJudge {
        let found: Arc<Mutex<Vec<Finding>>> = Arc::default();
        let sink = found.clone();
        let strictness = strictness.clone();
        client.spill_to(Some(Box::new(move |batch| {
            let mut found = sink.lock().unwrap_or_else(PoisonError::into_inner);
            judge_into(&mut found, &strictness, batch);
        })));
        SpillJudge(found)
    }

    /// Stops `client` spilling: the findings of every spilled exchange, in the order they
    /// were first found.
    pub(super) fn finish(self, client: &ScimClient) -> Vec<Finding> {
        client.spill_to(None);
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::scim::ScimRequest;
    use std::time::Duration;

    fn strictness() -> Strictness {
        crate::profile::entra::Entra::from_options(&Default::default())
            .expect("entra")
            .strictness()
    }

    /// A server on 127.0.0.1 that answers its connections with `statuses` in turn.
    async fn answering(statuses: &[u16]) -> String {
        let answers = statuses
            .iter()
            .map(|s| (*s, r#"{"detail":"x"}"#.to_string()));
        crate::client::test_server::answering(answers.collect())
            .await
            .0
    }

    /// Every exchange but the newest reaches the judge as the next is recorded, one at a
    /// time: its findings are the ones judging them all at once gives, each key once, first
    /// seen first, and the client keeps only the newest exchange.
    #[tokio::test]
    async fn each_exchange_but_the_newest_is_judged_as_the_next_is_recorded() {
        let statuses = vec![500, 200, 503, 500, 429, 200];
        let base = answering(&statuses).await;
        let client = ScimClient::new(&base, None, Duration::from_secs(5)).expect("client");
        let strictness = strictness();
        let judge = SpillJudge::start(&client, &strictness);
        for (n, status) in statuses.iter().enumerate() {
            let answer = client
                .send(&ScimRequest::get(format!("/Users/{n}")))
                .await
                .expect("answered");
            assert_eq!(answer.status, *status);
        }
        let found = judge.finish(&client);
        let kept = client.take_exchanges();
        assert_eq!(
            kept.iter().map(|x| x.path.as_str()).collect::<Vec<_>>(),
            ["/Users/5"],
            "only the newest is kept"
        );

        // The same answers judged at once, as a cycle without spills is.
        let base = answering(&statuses).await;
        let whole = ScimClient::new(&base, None, Duration::from_secs(5)).expect("client");
        for n in 0..statuses.len() - 1 {
            whole
                .send(&ScimRequest::get(format!("/Users/{n}")))
                .await
                .expect("answered");
        }
        let mut at_once = Vec::new();
        judge_into(&mut at_once, &strictness, &whole.take_exchanges());
        let keys = |f: &[Finding]| f.iter().map(|f| f.key.clone()).collect::<Vec<_>>();
        assert_eq!(
            at_once.len(),
            3,
            "500, 503 and 429 are three keys: {at_once:?}"
        );
        assert_eq!(keys(&found), keys(&at_once));
    }

    /// A spill set while the client keeps several exchanges takes them all, oldest first,
    /// with the first one recorded after it: only the newest stays.
    #[tokio::test]
    async fn a_spill_set_late_takes_every_kept_exchange_but_the_newest_in_order() {
        let base = answering(&[200, 200, 200, 200]).await;
        let client = ScimClient::new(&base, None, Duration::from_secs(5)).expect("client");
        for n in 0..3 {
            client
                .send(&ScimRequest::get(format!("/Users/{n}")))
                .await
                .expect("answered");
        }
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = seen.clone();
        client.spill_to(Some(Box::new(move |spilled| {
            let mut seen = sink.lock().unwrap_or_else(PoisonError::into_inner);
            seen.extend(spilled.iter().map(|x| x.path.clone()));
        })));
        client
            .send(&ScimRequest::get("/Users/3"))
            .await
            .expect("answered");
        client.spill_to(None);
        assert_eq!(
            *seen.lock().unwrap_or_else(PoisonError::into_inner),
            ["/Users/0", "/Users/1", "/Users/2"]
        );
        let kept = client.take_exchanges();
        assert_eq!(
            kept.iter().map(|x| x.path.as_str()).collect::<Vec<_>>(),
            ["/Users/3"]
        );
    }

    /// A cycle that never spills finds nothing, and its exchange stays with the client.
    #[tokio::test]
    async fn a_cycle_without_spills_finds_nothing_and_keeps_its_exchange() {
        let base = answering(&[500]).await;
        let client = ScimClient::new(&base, None, Duration::from_secs(5)).expect("client");
        let judge = SpillJudge::start(&client, &strictness());
        client
            .send(&ScimRequest::get("/Users/1"))
            .await
            .expect("answered");
        assert!(judge.finish(&client).is_empty());
        assert_eq!(client.take_exchanges().len(), 1);
    }
}
