//! How a gate that fired on a card becomes a [`Finding`]: where it points (the gate's first
//! `@field` as the card has it), what it says stands there, and the findings the engine gives
//! of itself (no permit applies, a card removed).

use crate::card::Card;
use crate::evidence::{Evidence, EvidenceKey};
use crate::pack::Gate;
use crate::report::{
    Action, CARD_REMOVED, Finding, Location, NOT_PERMITTED, Related, Severity, UNGOVERNED_ARTIFACT,
};
use crate::span::Span;

/// The most further places a finding points at: a card with thousands of sources without
/// provenance, or of placeholder headings, is one finding, not thousands of labels to draw.
pub(crate) const MAX_RELATED: usize = 10;

/// `related` cut to [`MAX_RELATED`], the last place kept saying how many more there are.
fn bounded(mut related: Vec<Related>) -> Vec<Related> {
    if related.len() > MAX_RELATED {
        let more = related.len() - MAX_RELATED;
        related.truncate(MAX_RELATED);
        if let Some(last) = related.last_mut() {
            last.message = format!("{} (and {more} more like it)", last.message);
        }
    }
    related
}

impl Finding {
    /// The finding of `gate` on `card`: it points at the gate's first `@field` as the card
    /// has it (or at the deepest part of it that exists), and says what stands there. A field
    /// that names evidence (`review.…`, `git.…`, `branch`) is described from the evidence,
    /// saying why it is unknown when it is, and points at the card as a whole.
    pub fn new(gate: &Gate, card: &Card, evidence: &Evidence) -> Finding {
        let mut located: Vec<(&crate::card::FieldPath, crate::card::Located)> = gate
            .fields
            .iter()
            .map(|f| {
                let at = if EvidenceKey::of(f).is_some() {
                    crate::card::Located {
                        span: card.anchor,
                        state: evidence.describe_for(f, &card.model_id),
                        related: Vec::new(),
                        informational: false,
                    }
                } else {
                    card.locate(f)
                };
                (f, at)
            })
            .collect();
        // When the first field has nothing wrong to say (a list none of whose items is singled
        // out, a value that is there), the first card field that does is where the finding
        // points: `governance.compute.inference` is missing, not `training` is `8 GPUs`.
        let wrong = |(f, l): &(&crate::card::FieldPath, crate::card::Located)| {
            l.state.is_some() && !l.informational && EvidenceKey::of(f).is_none()
        };
        if located.first().is_some_and(|(f, l)| {
            EvidenceKey::of(f).is_none() && (l.state.is_none() || l.informational)
        }) && let Some(i) = located.iter().position(wrong)
        {
            let chosen = located.remove(i);
            located.insert(0, chosen);
        }
        // When something is wrong, the finding says what, and not what values stand beside it.
        let any_wrong = located.iter().any(wrong);
        let mut located = located.into_iter();
        let (span, mut states, mut related) = match located.next() {
            Some((_, first)) => (first.span, vec![first.state], first.related),
            None => (card.anchor, Vec::new(), Vec::new()),
        };
        for (field, other) in located {
            if any_wrong && other.informational {
                continue;
            }
            if let Some(state) = &other.state
                && EvidenceKey::of(field).is_none()
            {
                related.push((other.span, state.clone()));
            }
            states.push(other.state);
        }
        let label = states.first().cloned().flatten();
        // Two fields may say the same of one missing block (`governance.compute` is missing).
        let mut said: Vec<String> = Vec::new();
        for state in states.into_iter().flatten() {
            if !said.contains(&state) {
                said.push(state);
            }
        }
        let states = said;
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
            related: bounded(
                related
                    .into_iter()
                    .filter(|(s, _)| *s != span)
                    .map(|(span, message)| Related { span, message })
                    .collect(),
            ),
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

impl Finding {
    /// The finding on a model file that no card covers: the inventory would miss a model.
    pub fn ungoverned(file: &crate::artifacts::ModelFile, severity: Severity) -> Finding {
        let message = format!(
            "`{}` is a model file ({}{}) that no model card covers",
            file.path,
            file.kind,
            if file.lfs { ", a Git LFS pointer" } else { "" }
        );
        Finding {
            gate: UNGOVERNED_ARTIFACT.into(),
            controls: vec!["A.4.2".into()],
            severity,
            title: "A model file no model card covers".into(),
            label: message.clone(),
            message,
            help: Some(
                "add a model card in its folder (`aimsgate init <folder>/model-card.yaml`), or move the file under the folder of the card that governs it: a card covers the files under its folder"
                    .into(),
            ),
            // The file as a whole: its first line, as locations count from 1.
            location: Location {
                path: file.path.clone(),
                span: Span {
                    start: crate::span::Pos {
                        line: 1,
                        col: 1,
                        offset: 0,
                    },
                    end: 0,
                },
            },
            related: Vec::new(),
            policy: None,
            waived: None,
            expired_waiver: None,
        }
    }

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
