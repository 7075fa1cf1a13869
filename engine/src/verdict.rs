//! The one rule that decides a verdict. A finding blocks when its gate's severity is `error`
//! and no valid waiver covers it; a model is in error when anything about it could not be read
//! or evaluated, else blocked when a finding blocks, else allowed; a run is in error when
//! anything could not be evaluated or nothing was judged at all, else it is its worst model's.
//! Check, the policy tests, the fuzz harness and the property tests all ask here, and a
//! [`Report`] is only built here, with its decision.

use crate::error::InputError;
use crate::report::{
    ChangeSummary, Decision, Finding, Judged, ModelReport, Report, Severity, Skipped,
};

/// Whether a finding blocks: an error that no valid waiver covers.
pub fn blocks(f: &Finding) -> bool {
    f.severity == Severity::Error && f.waived.is_none()
}

/// The verdict on one model: `errors` when something about it could not be read or evaluated
/// (that wins), else blocked when a finding blocks, else allowed.
pub fn decide(findings: &[Finding], errors: bool) -> Decision {
    if errors {
        Decision::Error
    } else if findings.iter().any(blocks) {
        Decision::Blocked
    } else {
        Decision::Allowed
    }
}

/// The verdict on a run: error when anything could not be evaluated, or when no model was
/// judged, skipped or removed (nothing judged is never an allowance); else the worst model's.
pub fn overall(
    models: impl IntoIterator<Item = Decision>,
    errors: bool,
    anything: bool,
) -> Decision {
    if errors || !anything {
        return Decision::Error;
    }
    models.into_iter().max().unwrap_or(Decision::Allowed)
}

impl Report {
    /// Builds the report and its overall decision: error if anything could not be evaluated,
    /// otherwise blocked if any model is, otherwise allowed. With no model checked, skipped or
    /// removed, nothing was judged: that is an error too.
    pub fn new(
        judged: Judged,
        models: Vec<ModelReport>,
        skipped: Vec<Skipped>,
        change: Option<ChangeSummary>,
        errors: Vec<InputError>,
    ) -> Report {
        Report::with_removed(judged, models, skipped, Vec::new(), change, errors)
    }

    /// [`Report::new`], with the models the change removed.
    pub fn with_removed(
        judged: Judged,
        mut models: Vec<ModelReport>,
        mut skipped: Vec<Skipped>,
        mut removed: Vec<Skipped>,
        change: Option<ChangeSummary>,
        errors: Vec<InputError>,
    ) -> Report {
        models.sort_by(|a, b| a.path.cmp(&b.path));
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        removed.sort_by(|a, b| a.path.cmp(&b.path));
        let anything = !(models.is_empty() && skipped.is_empty() && removed.is_empty());
        let decision = overall(
            models.iter().map(|m| m.decision),
            !errors.is_empty(),
            anything,
        );
        Report {
            decision,
            action: judged.action,
            environment: judged.environment,
            now: judged.now,
            policies: judged.policies,
            models,
            skipped,
            removed,
            protected: None,
            warnings: Vec::new(),
            blob_url: None,
            change,
            evidence: Vec::new(),
            rules: Vec::new(),
            relevelled: Vec::new(),
            stale_waivers: Vec::new(),
            ungoverned: Vec::new(),
            errors,
        }
    }

    /// Adds the findings on model files no card covers; one that blocks blocks the run.
    pub fn add_ungoverned(&mut self, findings: Vec<Finding>) {
        self.decision = self.decision.max(decide(&findings, false));
        self.ungoverned = findings;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_win_then_blocking_findings() {
        assert_eq!(decide(&[], true), Decision::Error);
        assert_eq!(decide(&[], false), Decision::Allowed);
        assert_eq!(
            overall([Decision::Allowed, Decision::Blocked], false, true),
            Decision::Blocked
        );
        assert_eq!(overall([Decision::Allowed], true, true), Decision::Error);
        assert_eq!(overall([], false, false), Decision::Error);
        assert_eq!(overall([], false, true), Decision::Allowed);
    }
}
