//! `aimsgate test`: unit tests for a policy pack. A test file (YAML) holds cases; each gives a
//! card, the request and the evidence, and the expected decision and exact set of gate ids.
//!
//! ```yaml
//! cases:
//!   - name: a high-risk release needs an approved impact assessment
//!     card:                          # the card's front matter, inline (or `card_file: path`,
//!       governance:                  # relative to the test file, or `card_text: |` verbatim)
//!         owner: "@acme/ml"
//!         risk_tier: high
//!     action: release                # release (default) or deploy
//!     environment: production        # optional
//!     now: 2026-11-20                # optional; default 2026-01-01
//!     git: { branch: main, tags: [v1.2.3], head_on_default_branch: true,
//!            policy_files_changed: false }  # optional
//!     default_branch: main           # optional
//!     review: { pr_author: bob, commit_author: bob, approvers: [jane] }  # optional
//!     expect:
//!       decision: blocked            # allowed | blocked | error
//!       gates: [impact-assessment-approved, human-oversight-defined]
//!       at: { impact-assessment-approved: 12 }   # optional: the line a gate's finding is on
//!       error_at: 4                  # optional: the line of the first input error
//! ```
//!
//! Git and review evidence that a case does not state is unavailable, as on a laptop.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::card;
use crate::date::Instant;
use crate::error::{EvidenceError, InputError, TestError};
use crate::evaluate::{Evaluator, RequestSpec};
use crate::evidence::git::{ChangeSet, GitFacts, Person};
use crate::evidence::{Evidence, EvidenceKey, Reviews};
use crate::pack::Pack;
use crate::report::{Action, Decision};
use crate::span::Span;
use crate::yaml::{self, Node, ScalarKind, Value};

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// `file:line`.
    pub location: String,
    pub name: String,
    /// What differed; empty when the case passed.
    pub differences: Vec<String>,
}

fn text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar { text, kind } if !matches!(kind, ScalarKind::Null) => {
            Some(text.trim().to_string())
        }
        _ => None,
    }
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(text).collect(),
        Some(_) => node.and_then(text).into_iter().collect(),
        None => Vec::new(),
    }
}

struct File<'a> {
    keys: &'a card::Keys,
    path: &'a str,
    dir: &'a Path,
    source: &'a Arc<str>,
}

impl File<'_> {
    fn error(&self, span: Span, m: String) -> InputError {
        InputError::at(self.path, self.source, span, TestError::Case(m))
    }

    fn field<'n>(&self, case: &'n Node, key: &str) -> Option<&'n Node> {
        case.get(key).map(|e| &e.value).filter(|v| !v.is_null())
    }

    /// An explicit card is always a card; `None` would be a reader bug, reported as such.
    fn present(&self, card: Option<card::Card>, span: Span) -> Result<card::Card, Vec<InputError>> {
        card.ok_or_else(|| {
            vec![self.error(span, "internal: the card was not read as a card".into())]
        })
    }

    fn card(&self, case: &Node, name: &str) -> Result<card::Card, Vec<InputError>> {
        let id = name.to_string();
        if let Some(node) = self.field(case, "card") {
            if !matches!(node.value, Value::Map(_)) {
                return Err(vec![self.error(
                    node.span,
                    "`card` is the card's front matter, a mapping".into(),
                )]);
            }
            return card::from_node(self.path, self.source, node.clone(), "model", self.keys);
        }
        if let Some(node) = self.field(case, "card_text") {
            let body = text(node).unwrap_or_default();
            return card::parse(
                self.path,
                Arc::from(body),
                card::Format::Yaml,
                true,
                "model",
                self.keys,
            )
            .and_then(|c| self.present(c, node.span));
        }
        if let Some(node) = self.field(case, "card_file") {
            let rel = text(node).unwrap_or_default();
            let file: PathBuf = self.dir.join(&rel);
            return card::load(&file, &rel, true, self.keys)
                .and_then(|c| self.present(c, node.span));
        }
        Err(vec![self.error(
            case.span,
            format!("case `{id}` has no `card`, `card_text` or `card_file`"),
        )])
    }

    fn evidence(&self, case: &Node) -> Result<Evidence, InputError> {
        let mut evidence = Evidence::unavailable("the test case states no git evidence");
        evidence.review = Err(EvidenceError::Unavailable(
            "the test case states no review evidence".into(),
        ));
        if let Some(git) = self.field(case, EvidenceKey::Git.name()) {
            let person = Person {
                name: "Commit Author".into(),
                email: "author@example.com".into(),
            };
            let changed = self.field(git, "policy_files_changed").map(|n| {
                matches!(
                    n.value,
                    Value::Scalar {
                        kind: ScalarKind::Bool(true),
                        ..
                    }
                )
            });
            let flag = |key: &str| {
                self.field(git, key).map(|n| {
                    matches!(
                        n.value,
                        Value::Scalar {
                            kind: ScalarKind::Bool(true),
                            ..
                        }
                    )
                })
            };
            evidence.tag_reachable = match flag("head_on_default_branch") {
                Some(on) => Ok(Some(on)),
                None => Err(EvidenceError::Unavailable(
                    "the test case does not say whether HEAD is on the default branch".into(),
                )),
            };
            evidence.git = Ok(GitFacts {
                root: PathBuf::from("."),
                commit: "0".repeat(40),
                author: person.clone(),
                committer: person,
                time: Instant::from_unix_seconds(0)
                    .ok_or_else(|| self.error(git.span, "bad time".into()))?,
                signed: false,
                trailers: Vec::new(),
                branch: self.field(git, "branch").and_then(text),
                tags: strings(self.field(git, "tags")),
                origin_head: None,
                origin_url: None,
            });
            if let Some(changed) = changed {
                evidence.change = Some(ChangeSet {
                    base: "main".into(),
                    base_ref: crate::evidence::git::Resolved {
                        given: "main".into(),
                        full: Some("refs/heads/main".into()),
                        commit: "0".repeat(40),
                    },
                    merge_base: "0".repeat(40),
                    files: BTreeSet::new(),
                    submodules: BTreeSet::new(),
                    before: Vec::new(),
                    moved: Vec::new(),
                    untracked: None,
                });
                evidence.policies_changed = changed;
            }
        }
        evidence.default_branch = self
            .field(case, EvidenceKey::DefaultBranch.name())
            .and_then(text);
        if let Some(review) = self.field(case, EvidenceKey::Review.name()) {
            evidence.review = Ok(Reviews {
                pr_number: 1,
                pr_author: self
                    .field(review, "pr_author")
                    .and_then(text)
                    .unwrap_or_else(|| "author".into()),
                approvers: strings(self.field(review, "approvers")),
                stale_approvers: Vec::new(),
                changes_requested: Vec::new(),
                commit_author: self.field(review, "commit_author").and_then(text),
            });
        }
        Ok(evidence)
    }

    fn request(&self, case: &Node) -> Result<RequestSpec, InputError> {
        let action = match self.field(case, "action").and_then(text).as_deref() {
            None | Some("release") => Action::Release,
            Some("deploy") => Action::Deploy,
            Some(other) => {
                let span = self.field(case, "action").map_or(case.span, |n| n.span);
                return Err(self.error(
                    span,
                    format!("`action` is `{other}`: write release or deploy"),
                ));
            }
        };
        let now = match self.field(case, "now") {
            None => {
                Instant::parse("2026-01-01").map_err(|e| self.error(case.span, e.to_string()))?
            }
            Some(n) => Instant::parse(&text(n).unwrap_or_default())
                .map_err(|e| self.error(n.span, format!("`now`: {e}")))?,
        };
        Ok(RequestSpec {
            action,
            environment: self.field(case, "environment").and_then(text),
            now,
            actor: "aimsgate-test".into(),
        })
    }
}

/// The evidence a case's keys state (`git`, `default_branch`, `review`), read from a YAML
/// mapping: the one evidence builder of policy tests, fixtures and property tests.
pub fn evidence_of(text: &str) -> Result<Evidence, Vec<InputError>> {
    let source: Arc<str> = Arc::from(text);
    let keys = card::Keys::engine();
    let file = File {
        keys: &keys,
        path: "evidence",
        dir: Path::new("."),
        source: &source,
    };
    let root = yaml::parse_file("evidence", &source)?.ok_or_else(|| {
        vec![InputError::new(
            Some("evidence"),
            TestError::Case("the evidence is empty".into()),
        )]
    })?;
    file.evidence(&root).map_err(|e| vec![e])
}

/// Runs the cases of one test file (shown as `path`, read from `dir`).
pub fn run_file(
    pack: &Pack,
    path: &str,
    dir: &Path,
    content: &str,
) -> Result<Vec<CaseResult>, Vec<InputError>> {
    let source: Arc<str> = Arc::from(content);
    let file = File {
        keys: &pack.card_keys,
        path,
        dir,
        source: &source,
    };
    let root = yaml::parse_file(path, &source)?;
    let cases = match root.as_ref().and_then(|r| r.get("cases")).map(|e| &e.value) {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items.clone(),
        _ => {
            return Err(vec![InputError::new(
                Some(path),
                TestError::Case("a test file holds a `cases` list".into()),
            )]);
        }
    };
    let mut results = Vec::new();
    for case in &cases {
        let line = case.span.start.line;
        let name = file
            .field(case, "name")
            .or_else(|| file.field(case, "card_file"))
            .and_then(text)
            .unwrap_or_else(|| format!("case at line {line}"));
        let expect = file
            .field(case, "expect")
            .ok_or_else(|| vec![file.error(case.span, format!("case `{name}` has no `expect`"))])?;
        let want_decision = file.field(expect, "decision").and_then(text);
        if !matches!(
            want_decision.as_deref(),
            Some("allowed" | "blocked" | "error")
        ) {
            return Err(vec![file.error(
                expect.span,
                format!("case `{name}`: `expect.decision` is allowed, blocked or error"),
            )]);
        }
        let want_gates: BTreeSet<String> =
            strings(file.field(expect, "gates")).into_iter().collect();
        let request = file.request(case).map_err(|e| vec![e])?;
        let evidence = file.evidence(case).map_err(|e| vec![e])?;
        let (decision, findings, errors) = match file.card(case, &name) {
            // A card that cannot be read is the decision `error`, which a case may expect.
            Err(errors) => (Decision::Error, Vec::new(), errors),
            Ok(card) => match Evaluator::new(pack, &request, &evidence) {
                Err(e) => return Err(vec![*e]),
                Ok(evaluator) => {
                    let (model, errors) = evaluator.evaluate(&card);
                    let decision = crate::verdict::decide(&model.findings, !errors.is_empty());
                    (decision, model.findings, errors)
                }
            },
        };
        let gates: BTreeSet<String> = findings.iter().map(|f| f.gate.clone()).collect();
        let mut differences = Vec::new();
        if want_decision.as_deref() != Some(decision.as_str()) {
            differences.push(format!(
                "decision: expected {}, got {}",
                want_decision.unwrap_or_default(),
                decision.as_str()
            ));
        }
        let missing: Vec<&String> = want_gates.difference(&gates).collect();
        let unexpected: Vec<&String> = gates.difference(&want_gates).collect();
        if !missing.is_empty() {
            differences.push(format!("expected but did not fire: {}", join(&missing)));
        }
        if !unexpected.is_empty() {
            differences.push(format!("fired but not expected: {}", join(&unexpected)));
        }
        // `at: {gate: line}`: where each named gate's finding points.
        if let Some(Node {
            value: Value::Map(entries),
            ..
        }) = file.field(expect, "at")
        {
            for e in entries {
                let want = text(&e.value).unwrap_or_default();
                let got: Vec<String> = findings
                    .iter()
                    .filter(|f| f.gate == e.key)
                    .map(|f| f.location.line().to_string())
                    .collect();
                if !got.contains(&want) {
                    differences.push(format!(
                        "`{}` expected at line {want}, found at {}",
                        e.key,
                        if got.is_empty() {
                            "no line".to_string()
                        } else {
                            got.join(", ")
                        }
                    ));
                }
            }
        }
        // `error_at: line`: where the first input error points.
        if let Some(want) = file.field(expect, "error_at").and_then(text) {
            let got = errors.first().and_then(InputError::line);
            if got.map(|l| l.to_string()).as_deref() != Some(want.as_str()) {
                differences.push(format!(
                    "the first error expected at line {want}, found at {}",
                    got.map_or("no line".to_string(), |l| l.to_string())
                ));
            }
        }
        results.push(CaseResult {
            location: format!("{path}:{line}"),
            name,
            differences,
        });
    }
    Ok(results)
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
