//! Judges the exchanges a long cycle spills on a thread of its own, off the request path.
//!
//! A cycle runs one request at a time for most IdPs (Entra's and Okta's single worker): while
//! the server answers, the harness waits, and while the harness judges, the server waits.
//! Judged in the client's `record`, every 256th request waited for the judging of the 255
//! before it; on a thread of its own that work runs while the next requests are in flight, on
//! the core the waiting leaves idle. Findings come out as the inline judge found them: one
//! thread takes the batches in the order they were spilled and keeps each key once, first
//! seen first.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use super::cause::{judge_into, keep_once};
use crate::check::finding::Finding;
use crate::client::{Exchange, ScimClient};
use crate::profile::Strictness;

/// Batches waiting for the judge before a spill waits for it: memory stays bounded (each
/// batch is at most `SPILL_AFTER` exchanges) even if the judge falls behind.
const QUEUE: usize = 4;

/// The judge of one cycle's spilled exchanges; `finish` gives its findings.
pub(super) struct SpillJudge(Arc<Mutex<Judge>>);

#[derive(Default)]
struct Judge {
    /// Started on the first spill: most cycles never make enough exchanges to spill.
    queue: Option<SyncSender<Vec<Exchange>>>,
    thread: Option<JoinHandle<Vec<Finding>>>,
    /// What was judged here because the thread could not be started or had stopped.
    inline: Vec<Finding>,
}

impl SpillJudge {
    /// Sets `client` to spill into a new judge.
    pub(super) fn start(client: &ScimClient, strictness: &Strictness) -> SpillJudge {
        let judge: Arc<Mutex<Judge>> = Arc::default();
        let sink = judge.clone();
        let strictness = strictness.clone();
        client.spill_to(Some(Box::new(move |batch| {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(batch, &strictness);
        })));
        SpillJudge(judge)
    }

    /// Stops `client` spilling and waits for the judge: the findings of every spilled
    /// exchange, in the order they were first found.
    pub(super) fn finish(self, client: &ScimClient) -> Vec<Finding> {
        client.spill_to(None);
        let mut judge = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Dropping the queue ends the thread's loop once it has judged what is queued.
        judge.queue = None;
        let mut found = match judge.thread.take().map(JoinHandle::join) {
            Some(Ok(found)) => found,
            // A panic in the judge is a bug: it ends the run as it would have inline.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Vec::new(),
        };
        for f in std::mem::take(&mut judge.inline) {
            keep_once(&mut found, f);
        }
        found
    }
}

impl Judge {
    fn take(&mut self, batch: Vec<Exchange>, strictness: &Strictness) {
        if self.queue.is_none() && self.thread.is_none() {
            self.start(strictness);
        }
        let batch = match &self.queue {
            Some(queue) => match queue.send(batch) {
                Ok(()) => return,
                Err(back) => back.0,
            },
            None => batch,
        };
        judge_into(&mut self.inline, strictness, &batch);
    }

    fn start(&mut self, strictness: &Strictness) {
        let (queue, batches) = sync_channel::<Vec<Exchange>>(QUEUE);
        let strictness = strictness.clone();
        let thread = std::thread::Builder::new()
            .name("scim-harness-judge".into())
            .spawn(move || {
                let mut found = Vec::new();
                for batch in batches {
                    judge_into(&mut found, &strictness, &batch);
                }
                found
            });
        // Without a thread the batches are judged where they are spilled, as before.
        if let Ok(thread) = thread {
            self.queue = Some(queue);
            self.thread = Some(thread);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::scim::Verb;
    use std::time::Duration;

    fn answered(path: &str, status: u16) -> Exchange {
        Exchange {
            method: Verb::Get,
            url: format!("http://h{path}"),
            path: path.into(),
            authorization: None,
            request_body: None,
            status: Some(status),
            response_cut: false,
            response_body: Some(serde_json::json!({"detail": "x"}).into()),
            content_type: Some("application/scim+json".into()),
            error: None,
            failure: None,
            duration_ms: 0,
            duration_us: 0,
        }
    }

    fn strictness() -> Strictness {
        crate::profile::entra::Entra::from_options(&Default::default())
            .expect("entra")
            .strictness()
    }

    /// Batches taken by the judge reach its thread in order; its findings are the
    /// inline judge's, each key once, first seen first.
    #[test]
    fn spilled_batches_give_the_inline_judges_findings_in_order() {
        let client =
            ScimClient::new("http://127.0.0.1:9", None, Duration::from_secs(1)).expect("client");
        let strictness = strictness();
        let batches = [
            vec![answered("/Users/1", 500), answered("/Users/2", 200)],
            vec![answered("/Users/3", 503), answered("/Users/4", 500)],
            vec![answered("/Groups/5", 429)],
        ];
        let mut inline = Vec::new();
        for batch in &batches {
            judge_into(&mut inline, &strictness, batch);
        }
        assert_eq!(
            inline.len(),
            3,
            "500, 503 and 429 are three keys: {inline:?}"
        );

        let judge = SpillJudge::start(&client, &strictness);
        for batch in batches {
            judge.0.lock().expect("judge").take(batch, &strictness);
        }
        assert!(
            judge.0.lock().expect("judge").thread.is_some(),
            "the first spill starts the thread"
        );
        let found = judge.finish(&client);
        let keys = |f: &[Finding]| f.iter().map(|f| f.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&found), keys(&inline));
    }

    /// A cycle that never spills starts no thread and finds nothing.
    #[test]
    fn a_cycle_without_spills_starts_no_thread() {
        let client =
            ScimClient::new("http://127.0.0.1:9", None, Duration::from_secs(1)).expect("client");
        let judge = SpillJudge::start(&client, &strictness());
        assert!(judge.0.lock().expect("judge").thread.is_none());
        assert!(judge.finish(&client).is_empty());
    }
}
