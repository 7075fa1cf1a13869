//! Waivers: time-bound, approved exceptions to a gate for some models (nonconformity handling,
//! ISO/IEC 42001 clause 10.2). A valid waiver turns its finding into *waived* — shown in every
//! output, never blocking. An expired waiver does not apply, and the finding says so. A waiver
//! without a reason or an expiry, approved by the model's own owner, longer than the maximum
//! duration, or naming a gate the pack does not have, is an error at its line. A waiver that
//! matches no finding is reported as stale.
//!
//! ```yaml
//! max_duration_days: 90          # optional; 90 by default
//! waivers:
//!   - gate: bias-tests-passed
//!     model: fraud-*              # a model id, or a glob (`*`, `?`)
//!     reason: "Retraining scheduled; every score above 0.5 is reviewed by hand meanwhile"
//!     approved_by: "@acme/ciso"
//!     approved_on: 2026-11-01    # optional; the duration is counted from it (else from --now)
//!     expires: 2026-12-15        # the waiver holds through this day (UTC)
//!     reference: RISK-2026-77    # optional: the nonconformity record
//! ```

use std::sync::Arc;

use crate::date::Instant;
use crate::error::{InputError, WaiverError};
use crate::pack::Pack;
use crate::span::Span;
use crate::yaml::{self, Node, ScalarKind, Value};

const DEFAULT_MAX_DAYS: i64 = 90;
const DAY_MS: i64 = 86_400_000;

pub(crate) use crate::report::Waiver;

impl Waiver {
    /// Whether the waiver still holds at `now`: through the whole of its `expires` day.
    pub fn holds_at(&self, now: Instant) -> bool {
        now.millis() < self.expires.millis() + DAY_MS
    }

    /// Whether `id` matches the waiver's model pattern.
    pub fn matches(&self, gate: &str, id: &str) -> bool {
        self.gate == gate && glob_matches(&self.model, id)
    }

    /// Whether the waiver applies to `gate` for a model of this identity: by its id on the
    /// protected ref when it had one, and by exact id (never a glob) for a model the protected
    /// ref does not have yet.
    pub fn covers(&self, gate: &str, identity: &Identity<'_>) -> bool {
        match identity {
            Identity::Known(id) => self.matches(gate, id),
            Identity::Renamed { was, now } => self.matches(gate, was) && self.matches(gate, now),
            Identity::New(id) => {
                self.gate == gate && self.model == *id && !self.model.contains(['*', '?'])
            }
            Identity::Unknown => false,
        }
    }
}

/// Whom a model is, for waivers: the identity the protected branch granted exceptions to.
/// A model's id is self-declared, so a change that edits `governance.id` to match another
/// model's waiver must not inherit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// The id the card has, the same on the protected ref (at the same path), or its id when
    /// nothing is protected.
    Known(&'a str),
    /// The card at this path had another id on the protected ref: a waiver must cover both
    /// (the identity it was granted to, and the one now claimed), so neither a rename into a
    /// waived family nor another model moved into a waived model's place inherits it.
    Renamed { was: &'a str, now: &'a str },
    /// The card is not on the protected ref: a new model, matched by its exact id only.
    New(&'a str),
    /// Its identity on the protected ref could not be read: no waiver applies.
    Unknown,
}

/// The waivers of a file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Waivers {
    pub waivers: Vec<Waiver>,
    source: Option<Arc<str>>,
}

/// `*` matches any run of characters, `?` any one character: globset's glob, where `/` is an
/// ordinary character (a model id may hold one). Patterns hold only model-id characters, `*`
/// and `?` (checked when the file is read), so no other glob syntax ever applies. Compiled once
/// per pattern and thread.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<globset::GlobMatcher>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        if compiled.len() >= 1024 {
            compiled.clear();
        }
        compiled
            .entry(pattern.to_string())
            .or_insert_with(|| {
                globset::GlobBuilder::new(pattern)
                    .literal_separator(false)
                    .backslash_escape(false)
                    .build()
                    .ok()
                    .map(|g| g.compile_matcher())
            })
            .as_ref()
            .is_some_and(|m| m.is_match(text))
    })
}

/// Why a waiver's `model` is not a model id or a glob of one, if it is not.
fn invalid_pattern(pattern: &str) -> Option<char> {
    pattern
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '*' | '?')))
}

fn scalar(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar { text, kind } if !matches!(kind, ScalarKind::Null) => {
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        }
        _ => None,
    }
}

impl Waivers {
    /// Reads and checks a waivers file (shown as `path`) against the pack and `now`.
    pub(crate) fn parse(
        path: &str,
        text: &str,
        pack: &Pack,
        now: Instant,
    ) -> Result<Waivers, Vec<InputError>> {
        let source: Arc<str> = Arc::from(text);
        let at = |span: Span, m: String| InputError::at(path, &source, span, WaiverError::Field(m));
        let root = yaml::parse_file(path, &source)?;
        let Some(root) = root else {
            return Ok(Waivers {
                waivers: Vec::new(),
                source: Some(source),
            });
        };
        let mut errors = Vec::new();
        let max_days = match root.get("max_duration_days") {
            None => DEFAULT_MAX_DAYS,
            Some(e) => match &e.value.value {
                Value::Scalar {
                    kind: ScalarKind::Int(n),
                    ..
                } if *n > 0 => *n,
                _ => {
                    errors.push(at(
                        e.value.span,
                        "`max_duration_days` must be a positive whole number of days".into(),
                    ));
                    DEFAULT_MAX_DAYS
                }
            },
        };
        let items = match root.get("waivers").map(|e| &e.value) {
            None => &[][..],
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => &items[..],
            Some(other) => {
                errors.push(at(other.span, "`waivers` must be a list".into()));
                &[][..]
            }
        };
        let mut waivers = Vec::new();
        for item in items {
            let span = item.span;
            if !matches!(item.value, Value::Map(_)) {
                errors.push(at(
                    span,
                    "a waiver is a mapping with gate, model, reason, approved_by and expires"
                        .into(),
                ));
                continue;
            }
            let field = |k: &str| item.get(k).and_then(|e| scalar(&e.value));
            let missing: Vec<&str> = ["gate", "model", "reason", "approved_by", "expires"]
                .into_iter()
                .filter(|k| field(k).is_none())
                .collect();
            if !missing.is_empty() {
                errors.push(at(
                    span,
                    format!("this waiver has no `{}`: a waiver needs a gate, a model, a reason, an approver and an expiry", missing.join("`, `")),
                ));
                continue;
            }
            let date = |k: &str| -> Result<Option<Instant>, InputError> {
                match item.get(k) {
                    None => Ok(None),
                    Some(e) => scalar(&e.value)
                        .map(|t| {
                            Instant::parse(&t)
                                .map_err(|why| at(e.value.span, format!("`{k}`: {why}")))
                        })
                        .transpose(),
                }
            };
            let (expires, approved_on) = match (date("expires"), date("approved_on")) {
                (Ok(Some(x)), Ok(a)) => (x, a),
                (Err(e), _) | (_, Err(e)) => {
                    errors.push(e);
                    continue;
                }
                (Ok(None), _) => continue,
            };
            let gate = field("gate").unwrap_or_default();
            if pack.gate(&gate).is_none() {
                let span = item.get("gate").map_or(span, |e| e.value.span);
                errors.push(InputError::at(
                    path,
                    &source,
                    span,
                    WaiverError::Scope(format!("the policy pack has no gate `{gate}`")),
                ));
                continue;
            }
            let model = field("model").unwrap_or_default();
            if let Some(c) = invalid_pattern(&model) {
                let span = item.get("model").map_or(span, |e| e.value.span);
                errors.push(at(
                    span,
                    format!(
                        "`model` is a model id or a glob of one (`*`, `?`): `{}` is not allowed in it",
                        crate::card::keys::escape(&c.to_string())
                    ),
                ));
                continue;
            }
            let from = approved_on.unwrap_or(now);
            let days = (expires.millis() - from.millis()) / DAY_MS;
            if days > max_days {
                let span = item.get("expires").map_or(span, |e| e.value.span);
                errors.push(
                    at(span, format!("this waiver runs {days} days, longer than the maximum of {max_days}"))
                        .with_help("waive for a shorter time and renew it after a review, or raise `max_duration_days` in the waivers file"),
                );
                continue;
            }
            waivers.push(Waiver {
                path: path.to_string(),
                line: span.start.line,
                span,
                gate,
                model,
                reason: field("reason").unwrap_or_default(),
                approved_by: field("approved_by").unwrap_or_default(),
                approved_on,
                expires,
                reference: field("reference"),
            });
        }
        if errors.is_empty() {
            Ok(Waivers {
                waivers,
                source: Some(source),
            })
        } else {
            Err(errors)
        }
    }

    /// What the waivers say of the findings of model `model` (the gates that fired on it, in
    /// order): per finding, the valid waiver that covers it (one wins over an expired one,
    /// whatever their order in the file) or else an expired one; the waivers used; and an
    /// error for a waiver approved by the model's own owner (an exception needs someone
    /// else's approval). Nothing is changed: the caller applies them.
    pub(crate) fn matches(
        &self,
        model: &str,
        gates: &[&str],
        owner: Option<&str>,
        identity: &Identity<'_>,
        now: Instant,
    ) -> Matches<'_> {
        let mut matches = Matches::default();
        for gate in gates {
            let mut valid = None;
            let mut expired = None;
            for (i, w) in self.waivers.iter().enumerate() {
                if !w.covers(gate, identity) {
                    continue;
                }
                if !matches.used.contains(&i) {
                    matches.used.push(i);
                }
                if owner.is_some_and(|o| o.eq_ignore_ascii_case(&w.approved_by)) {
                    if let Some(source) = &self.source {
                        matches.errors.push(InputError::at(
                            &w.path,
                            source,
                            w.span,
                            WaiverError::Approval(format!(
                                "this waiver of `{}` for `{model}` is approved by the model's own owner ({}): an exception needs someone else's approval",
                                w.gate, w.approved_by
                            )),
                        ));
                    }
                    continue;
                }
                if w.holds_at(now) {
                    valid.get_or_insert(w);
                } else {
                    expired.get_or_insert(w);
                }
            }
            matches.per_finding.push(match (valid, expired) {
                (Some(w), _) => Matched::Valid(w),
                (None, Some(w)) => Matched::Expired(w),
                (None, None) => Matched::Nothing,
            });
        }
        matches
    }
}

/// What the waivers say of one finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Matched<'w> {
    /// A valid waiver covers it: it does not block.
    Valid(&'w Waiver),
    /// Only a waiver that has expired covers it: it blocks as before, and says so.
    Expired(&'w Waiver),
    Nothing,
}

/// What the waivers say of one model's findings.
#[derive(Debug, Default)]
pub(crate) struct Matches<'w> {
    /// One per finding, in order.
    pub per_finding: Vec<Matched<'w>>,
    /// Indices of the waivers that covered a finding (for stale-waiver reporting).
    pub used: Vec<usize>,
    /// Waivers that cannot be honoured (approved by the model's own owner).
    pub errors: Vec<InputError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let glob = glob_matches;
        assert!(glob("fraud-*", "fraud-detector"));
        assert!(glob("*", "x"));
        assert!(glob("m?", "m1"));
        assert!(!glob("m?", "m12"));
        assert!(!glob("fraud", "fraud-detector"));
        assert!(glob("*-detector", "fraud-detector"));
        assert!(
            glob("acme/*", "acme/nlp/summarizer"),
            "`/` is an ordinary character"
        );
        assert!(!glob("acme/?", "acme/nlp"));
        assert_eq!(invalid_pattern("fraud-[ab]"), Some('['));
        assert_eq!(invalid_pattern("legacy-*"), None);
    }
}
