//! What a failed step says: its root cause (the first exchange that broke the IdP's
//! expectation, as `check::judge` found it), or the failed check itself as a finding.

use super::spill_judge::SpillJudge;
use super::*;

impl<'a> Run<'a> {
    pub(super) fn failure(&self, message: impl Into<String>) -> StepFailure {
        StepFailure {
            step: self.step,
            line: self.line,
            keyword: self.keyword,
            message: message.into(),
            expected: None,
            actual: None,
            exchange: None,
            code: None,
            cause: None,
        }
    }

    /// Judges the exchanges the engine made since the last call, as the profile's IdP reads
    /// them, and keeps each new cause once. Read-backs of `check` are taken away before
    /// they reach here (they are the harness's, not the IdP's).
    pub(super) fn judge_exchanges(&mut self) -> Option<Exchange> {
        let exchanges = self.client.take_exchanges();
        judge_into(&mut self.findings, &self.strictness, &exchanges);
        exchanges.into_iter().last()
    }

    /// Judges the exchanges of a long cycle as the client spills them, so they are not all
    /// held until the cycle ends; `take_spilled` folds the findings in afterwards, ahead of
    /// the ones `judge_exchanges` finds in what the client still keeps.
    pub(super) fn judge_as_spilled(&self) -> SpillJudge {
        SpillJudge::start(self.client, &self.strictness)
    }

    pub(super) fn take_spilled(&mut self, judged: SpillJudge) {
        for f in judged.finish(self.client) {
            keep_once(&mut self.findings, f);
        }
    }

    /// The root cause of a failure: the first finding that breaks what the IdP expects,
    /// a lasting fault before a transient one.
    pub(super) fn root_cause(&self) -> Option<&Finding> {
        let weighty = |f: &&Finding| f.severity >= Severity::Cause;
        self.findings
            .iter()
            .filter(weighty)
            .find(|f| f.code != Code::Transient)
            .or_else(|| self.findings.iter().find(weighty))
    }

    /// Gives a failure its root cause: an earlier finding that explains it, or else the
    /// failed check itself as a finding of its own (then it stays this run's: its key names
    /// the scenario).
    pub(super) fn attribute(&mut self, mut f: StepFailure) -> StepFailure {
        if f.cause.is_some() {
            return f;
        }
        if let Some(cause) = self.root_cause() {
            f.cause = Some(cause.clone());
            return f;
        }
        let code = f.code.unwrap_or(Code::State);
        let own = Finding::new(code, Severity::Error, f.message.clone())
            .keyed(format!("{}|{}", self.scenario.name, f.message))
            .consequence(format!(
                "the scenario fails at {}:{} step {} `{}`",
                self.scenario.file.display(),
                f.line,
                f.step,
                f.keyword
            ));
        let own = match &f.exchange {
            Some(x) => own.at(x),
            None => own,
        };
        self.findings.push(own.clone());
        f.cause = Some(own);
        f
    }

    pub(super) fn mismatch(&self, m: Mismatch, code: Code) -> Stop {
        let mut f = self.failure(m.message);
        f.code = Some(code);
        if let Some((e, a)) = m.diff {
            f.expected = Some(e);
            f.actual = Some(a);
        }
        if m.refused {
            // The run's token is refused: the target cannot be used (exit 3), whatever check
            // happened to meet it first.
            f.code = Some(Code::Credentials);
            return Stop::Target(f);
        }
        Stop::Failed(f)
    }
}

/// Judges `exchanges` as the IdP of `strictness` reads them, keeping each new finding once.
pub(super) fn judge_into(
    found: &mut Vec<Finding>,
    strictness: &Strictness,
    exchanges: &[Exchange],
) {
    for x in exchanges {
        for f in judge::exchange(strictness, x) {
            keep_once(found, f);
        }
    }
}

/// Keeps `f` unless a finding with its key is kept already: one root cause, one finding.
pub(super) fn keep_once(found: &mut Vec<Finding>, f: Finding) {
    if !found.iter().any(|g| g.key == f.key) {
        found.push(f);
    }
}
