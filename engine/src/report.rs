//! What a check found: per model a decision and its findings, plus what could not be evaluated.
//! Renderers read a [`Report`]; they never evaluate.

use std::sync::Arc;

use crate::card::Card;
use crate::date::Instant;
use crate::error::InputError;
use crate::evidence::Evidence;
use crate::pack::{Gate, Severity};
use crate::span::Span;
use crate::waivers::Waiver;

/// A commit id (or any id) shortened for display to its first 12 characters — by characters,
/// never splitting one, since a record or an event may hold anything.
pub fn short(id: &str) -> &str {
    match id.char_indices().nth(12) {
        Some((at, _)) => &id[..at],
        None => id,
    }
}

/// `n` and the noun for it: `1 model`, `3 models`, `0 policies`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The lifecycle transition being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Release,
    Deploy,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Release => "release",
            Action::Deploy => "deploy",
        }
    }
}

/// A verdict, for one model or for the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    /// Every gate passed (warnings may be present).
    Allowed,
    /// A gate of severity `error` fired.
    Blocked,
    /// Something could not be read or evaluated: never an allowance.
    Error,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Blocked => "blocked",
            Decision::Error => "error",
        }
    }
}

/// A place in a card.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Relative to the repository root.
    pub path: String,
    pub span: Span,
}

impl Location {
    pub fn line(&self) -> usize {
        self.span.start.line
    }

    pub fn column(&self) -> usize {
        self.span.start.col
    }
}

/// A further place a finding concerns, with what stands there.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// The id of the finding given when no permit of the pack applies to the request.
pub const NOT_PERMITTED: &str = "not-permitted";

/// The id of the finding given when a change removed a model's card (or made it no longer a
/// card) while the model's folder still holds files.
pub const CARD_REMOVED: &str = "card-removed";

/// One gate that fired on one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub gate: String,
    pub controls: Vec<String>,
    pub severity: Severity,
    pub title: String,
    /// What is wrong on this card, in one sentence (about every field the gate judges).
    pub message: String,
    /// What stands at the primary location (about the first field only).
    pub label: String,
    pub help: Option<String>,
    pub location: Location,
    pub related: Vec<Related>,
    /// The policy that judged it: pack file and line.
    pub policy: Option<(String, usize)>,
    /// The valid waiver that makes this finding non-blocking.
    pub waived: Option<Waiver>,
    /// A waiver that matched but has expired (and so does not apply).
    pub expired_waiver: Option<Waiver>,
}

impl Finding {
    /// The finding of `gate` on `card`: it points at the gate's first `@field` as the card
    /// has it (or at the deepest part of it that exists), and says what stands there. A field
    /// that names evidence (`review.…`, `git.…`, `branch`) is described from the evidence,
    /// saying why it is unknown when it is, and points at the card as a whole.
    pub fn new(gate: &Gate, card: &Card, evidence: &Evidence) -> Finding {
        let mut located = gate.fields.iter().map(|f| {
            if Evidence::is_evidence_field(f) {
                crate::card::Located {
                    span: card.anchor,
                    state: evidence.describe_for(f, &card.model_id),
                    related: Vec::new(),
                }
            } else {
                card.locate(f)
            }
        });
        let (span, mut states, mut related) = match located.next() {
            Some(first) => (first.span, vec![first.state], first.related),
            None => (card.anchor, Vec::new(), Vec::new()),
        };
        for (field, other) in gate.fields.iter().skip(1).zip(located) {
            if let Some(state) = &other.state
                && !Evidence::is_evidence_field(field)
            {
                related.push((other.span, state.clone()));
            }
            states.push(other.state);
        }
        let label = states.first().cloned().flatten();
        let states: Vec<String> = states.into_iter().flatten().collect();
        let message = if states.is_empty() {
            gate.title.clone()
        } else {
            states.join("; ")
        };
        let label = label.unwrap_or_else(|| message.clone());
        Finding {
            gate: gate.id.clone(),
            controls: gate.controls.clone(),
            severity: gate.severity,
            title: gate.title.clone(),
            message,
            label,
            help: gate.help.clone(),
            location: Location {
                path: card.path.clone(),
                span,
            },
            related: related
                .into_iter()
                .filter(|(s, _)| *s != span)
                .map(|(span, message)| Related { span, message })
                .collect(),
            policy: Some((gate.file.clone(), gate.line)),
            waived: None,
            expired_waiver: None,
        }
    }

    /// The finding when no permit of the pack applies: Cedar denies by default.
    pub fn not_permitted(card: &Card, action: Action) -> Finding {
        let message = format!(
            "no `permit` policy of the pack applies to `{}` of this model, so it is denied by default",
            action.as_str()
        );
        Finding {
            gate: NOT_PERMITTED.into(),
            controls: Vec::new(),
            severity: Severity::Error,
            title: "No policy permits this action".into(),
            label: message.clone(),
            message,
            help: Some("add or widen a `permit` policy for this action in the policy pack".into()),
            location: Location {
                path: card.path.clone(),
                span: card.anchor,
            },
            related: Vec::new(),
            policy: None,
            waived: None,
            expired_waiver: None,
        }
    }
}

/// The verdict on one model.
#[derive(Debug, Clone)]
pub struct ModelReport {
    pub id: String,
    pub path: String,
    pub decision: Decision,
    /// Sorted by line, then gate id.
    pub findings: Vec<Finding>,
    /// The card's text, for renderers that quote it.
    pub source: Arc<str>,
}

impl ModelReport {
    /// Findings of this severity that are not waived.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity && f.waived.is_none())
            .count()
    }

    /// Waived findings.
    pub fn waived(&self) -> usize {
        self.findings.iter().filter(|f| f.waived.is_some()).count()
    }
}

impl Finding {
    /// The finding on a card that the change removed, or made no longer a card, while its
    /// folder still holds tracked files: the model would otherwise leave the gate unjudged.
    /// `source` is the card as it was; the finding points at its first line.
    pub fn card_removed(path: &str, anchor: Span, message: String) -> Finding {
        Finding {
            gate: CARD_REMOVED.into(),
            controls: Vec::new(),
            severity: Severity::Error,
            title: "A model card was removed while the model's files remain".into(),
            label: message.clone(),
            message,
            help: Some(
                "restore the card with its `governance` block; to retire the model, remove its whole folder (then it is listed as removed)"
                    .into(),
            ),
            location: Location {
                path: path.to_string(),
                span: anchor,
            },
            related: Vec::new(),
            policy: None,
            waived: None,
            expired_waiver: None,
        }
    }
}

/// Something the run says about itself that does not change the verdict: configuration read
/// from the change itself, a model whose id changed, a waiver that matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    /// The file and line it is about, if any.
    pub path: Option<String>,
    pub line: Option<usize>,
}

/// A ref resolved without ambiguity: as given, in full, and its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUsed {
    pub given: String,
    pub full: Option<String>,
    pub commit: String,
}

/// A model that was found but not checked (or whose card went with its folder), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub id: String,
    pub path: String,
    pub reason: String,
}

/// What `--changed-since` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSummary {
    /// The ref as given, and the merge base it resolved to.
    pub base: String,
    /// The full ref and commit the base resolved to.
    pub base_ref: RefUsed,
    pub merge_base: String,
    pub files: usize,
    /// The change touches the policy pack: every model is checked.
    pub policies_changed: bool,
}

/// What evidence the verdict had, or why it had none of a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceNote {
    /// `git`, `github-event` or `reviews`.
    pub kind: &'static str,
    pub available: bool,
    /// What it said, or why it is unavailable.
    pub detail: String,
}

impl EvidenceNote {
    /// One note per kind of evidence.
    pub fn all(evidence: &Evidence) -> Vec<EvidenceNote> {
        let git = match &evidence.git {
            Ok(g) => EvidenceNote {
                kind: "git",
                available: true,
                detail: format!(
                    "HEAD {}{}{}",
                    crate::report::short(&g.commit),
                    g.branch
                        .as_ref()
                        .map(|b| format!(" on {b}"))
                        .unwrap_or_else(|| " (detached)".into()),
                    if g.tags.is_empty() {
                        String::new()
                    } else {
                        format!(", tags {}", g.tags.join(", "))
                    }
                ),
            },
            Err(why) => EvidenceNote {
                kind: "git",
                available: false,
                detail: why.clone(),
            },
        };
        let event = match &evidence.event {
            Some(e) => EvidenceNote {
                kind: "github-event",
                available: true,
                detail: match &e.pull_request {
                    Some(pr) => format!("{} #{} into {}", e.name, pr.number, pr.base_ref),
                    None => e.name.clone(),
                },
            },
            None => EvidenceNote {
                kind: "github-event",
                available: false,
                detail: "not running in GitHub Actions (no GITHUB_EVENT_PATH)".into(),
            },
        };
        let reviews = match &evidence.review {
            Ok(r) => EvidenceNote {
                kind: "reviews",
                available: true,
                detail: format!(
                    "pull request #{}: approved by {}",
                    r.pr_number,
                    if r.approvers.is_empty() {
                        "nobody".to_string()
                    } else {
                        r.approvers.join(", ")
                    }
                ),
            },
            Err(why) => EvidenceNote {
                kind: "reviews",
                available: false,
                detail: why.clone(),
            },
        };
        vec![git, event, reviews]
    }
}

/// A gate as outputs describe it (SARIF rules, JUnit test cases): from the pack's annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub help: Option<String>,
    pub controls: Vec<String>,
    pub severity: Severity,
}

impl Rule {
    pub fn of(gate: &Gate) -> Rule {
        Rule {
            id: gate.id.clone(),
            title: gate.title.clone(),
            help: gate.help.clone(),
            controls: gate.controls.clone(),
            severity: gate.severity,
        }
    }
}

/// The request a report answers.
#[derive(Debug, Clone)]
pub struct Judged {
    pub action: Action,
    pub environment: Option<String>,
    pub now: Instant,
    /// `embedded`, the policy directory, or `REF:dir`.
    pub policies: String,
}

/// The result of one `aimsgate check`.
#[derive(Debug, Clone)]
pub struct Report {
    pub decision: Decision,
    pub action: Action,
    pub environment: Option<String>,
    pub now: Instant,
    /// `embedded`, the policy directory, or `REF:dir`.
    pub policies: String,
    /// Sorted by path.
    pub models: Vec<ModelReport>,
    /// Models found but not checked (`--changed-since`), sorted by path.
    pub skipped: Vec<Skipped>,
    /// Models whose card the change removed with its folder (`--changed-since`), sorted by
    /// path: listed, not judged.
    pub removed: Vec<Skipped>,
    /// The protected ref governance configuration was read from, if any.
    pub protected: Option<RefUsed>,
    /// What the run says about itself beside the verdict.
    pub warnings: Vec<Warning>,
    /// Where the cards can be read at the commit judged (`https://github.com/o/r/blob/SHA`),
    /// for outputs that link a finding to its line; `None` when the repository or the commit
    /// is unknown.
    pub blob_url: Option<String>,
    /// What `--changed-since` found.
    pub change: Option<ChangeSummary>,
    /// What evidence the verdict had.
    pub evidence: Vec<EvidenceNote>,
    /// The pack's gates, sorted by id.
    pub rules: Vec<Rule>,
    /// Waivers that matched no finding.
    pub stale_waivers: Vec<Waiver>,
    /// What could not be read or evaluated.
    pub errors: Vec<InputError>,
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
        let decision = crate::verdict::overall(
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
            stale_waivers: Vec::new(),
            errors,
        }
    }

    /// Models with this decision.
    pub fn count(&self, decision: Decision) -> usize {
        self.models
            .iter()
            .filter(|m| m.decision == decision)
            .count()
    }
}
