//! What a check found: per model a decision and its findings, plus what could not be evaluated.
//! A leaf: plain data that names no card, pack or evidence type, so renderers depend on it
//! alone. Findings are made in [`crate::finding`]; renderers read a [`Report`] and never
//! evaluate.

use std::sync::Arc;

use crate::date::Instant;
use crate::error::InputError;
use crate::span::Span;

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

/// Whether a gate's finding blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Blocks the release or deployment.
    Error,
    /// Reported, never blocks.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What the configuration sets a gate to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Off,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        }
    }
}

/// A gate the configuration re-levelled, as the report and the record name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relevelled {
    pub gate: String,
    /// The gate's Annex A controls.
    pub controls: Vec<String>,
    /// The severity the pack gives it.
    pub default: Severity,
    pub level: Level,
    pub reason: Option<String>,
    /// The configuration file that sets it (`origin/main:.aimsgate/config.yaml`).
    pub by: String,
}

/// One waiver, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    /// The waivers file and the line of this entry.
    pub path: String,
    pub line: usize,
    pub span: Span,
    pub gate: String,
    pub model: String,
    pub reason: String,
    pub approved_by: String,
    pub approved_on: Option<Instant>,
    /// The last day the waiver holds (UTC).
    pub expires: Instant,
    pub reference: Option<String>,
}

/// The id of the finding given when no permit of the pack applies to the request.
pub const NOT_PERMITTED: &str = "not-permitted";

/// The id of the finding given for a model file that no card covers.
pub const UNGOVERNED_ARTIFACT: &str = "ungoverned-artifact";

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

/// A gate as outputs describe it (SARIF rules, JUnit test cases): from the pack's annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub help: Option<String>,
    pub controls: Vec<String>,
    pub severity: Severity,
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
    /// Gates the governance configuration re-levelled, sorted by id.
    pub relevelled: Vec<Relevelled>,
    /// Model files no card covers (`ungoverned-artifact`), sorted by path.
    pub ungoverned: Vec<Finding>,
    /// What could not be read or evaluated.
    pub errors: Vec<InputError>,
}

impl Report {
    /// Models with this decision.
    pub fn count(&self, decision: Decision) -> usize {
        self.models
            .iter()
            .filter(|m| m.decision == decision)
            .count()
    }
}
