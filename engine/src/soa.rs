//! The Statement of Applicability: every ISO/IEC 42001:2023 Annex A control, the gates that
//! implement it (from their `@control`), and the organisation's own decision from an optional
//! `soa.yaml` (applicable or not, and why). A control neither covered by a gate nor justified
//! is a gap. Drawn as Markdown, CSV or JSON by [`crate::render::soa`].
//!
//! ```yaml
//! controls:
//!   A.2.2:
//!     applicable: true
//!     justification: "AI policy POL-7, approved by the board on 2026-03-01"
//!   A.10.3:
//!     applicable: false
//!     justification: "No third-party AI suppliers"
//! ```

use std::sync::Arc;

use serde::Serialize;

use crate::annex_a;
use crate::error::{InputError, SoaError};
use crate::pack::Pack;
use crate::span::Span;
use crate::yaml::{self, ScalarKind, Value};

/// The default statement file, relative to the repository root.
pub const DEFAULT_PATH: &str = ".aimsgate/soa.yaml";

/// The organisation's decision on one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub applicable: bool,
    pub justification: String,
}

/// One row of the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub control: &'static str,
    pub title: &'static str,
    /// Gates of the pack whose `@control` names this control (and that are not off).
    pub gates: Vec<String>,
    /// Gates of this control the configuration re-levelled; those turned off cover nothing.
    pub relevelled: Vec<RelevelledGate>,
    pub decision: Option<Decision>,
    /// `covered`, `justified`, `excluded` or `gap`.
    pub status: &'static str,
}

impl Decision {
    /// Whether the justification is still the template's placeholder (`TODO`, `TODO: …`):
    /// then the control is a gap until someone writes it.
    pub fn is_todo(&self) -> bool {
        let j = self.justification.trim();
        j.get(..4)
            .is_some_and(|head| head.eq_ignore_ascii_case("todo"))
            && !j[4..].starts_with(|c: char| c.is_alphanumeric())
    }
}

/// A gate the configuration re-levelled, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelevelledGate {
    pub gate: String,
    /// `error`, `warning` or `off`.
    pub level: &'static str,
    pub reason: Option<String>,
    /// The configuration file that re-levelled it.
    pub by: String,
}

/// Reads a `soa.yaml` (shown as `path`): control id → decision.
pub fn read_decisions(path: &str, text: &str) -> Result<Vec<(String, Decision)>, Vec<InputError>> {
    let source: Arc<str> = Arc::from(text);
    let at = |span: Span, m: String| InputError::at(path, &source, span, SoaError::Entry(m));
    let root = yaml::parse_file(path, &source)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let Some(root) = root else { return Ok(out) };
    let Some(controls) = root.get("controls") else {
        return Ok(out);
    };
    let Value::Map(entries) = &controls.value.value else {
        return Err(vec![at(
            controls.value.span,
            "`controls` must map control ids to decisions".into(),
        )]);
    };
    for e in entries {
        if !annex_a::is_control(&e.key) {
            errors.push(at(
                e.key_span,
                format!(
                    "`{}` is not an ISO/IEC 42001 Annex A control (A.2.2 … A.10.4)",
                    e.key
                ),
            ));
            continue;
        }
        let applicable = match e.value.get("applicable").map(|a| &a.value.value) {
            Some(Value::Scalar {
                kind: ScalarKind::Bool(b),
                ..
            }) => *b,
            _ => {
                errors.push(at(
                    e.key_span,
                    format!(
                        "`{}` needs `applicable: true` or `applicable: false`",
                        e.key
                    ),
                ));
                continue;
            }
        };
        let justification = match e.value.get("justification").map(|j| &j.value.value) {
            Some(Value::Scalar {
                text,
                kind: ScalarKind::Str,
            }) if !text.trim().is_empty() => text.trim().to_string(),
            _ => {
                errors.push(at(
                    e.key_span,
                    format!("`{}` needs a `justification`: an auditor asks why", e.key),
                ));
                continue;
            }
        };
        out.push((
            e.key.clone(),
            Decision {
                applicable,
                justification,
            },
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The statement: all 38 controls, in the standard's order.
pub fn statement(pack: &Pack, decisions: &[(String, Decision)]) -> Vec<Row> {
    annex_a::CONTROLS
        .iter()
        .map(|(control, title)| {
            let of_control = || {
                pack.gates
                    .iter()
                    .filter(|g| g.controls.iter().any(|c| c == control))
            };
            let gates: Vec<String> = of_control()
                .filter(|g| !g.off)
                .map(|g| g.id.clone())
                .collect();
            // Every re-levelled gate is named; one turned off covers nothing, so a control
            // whose gates are all off is a gap, with the reason.
            let relevelled: Vec<RelevelledGate> = pack
                .relevelled
                .iter()
                .filter(|r| of_control().any(|g| g.id == r.gate))
                .map(|r| RelevelledGate {
                    gate: r.gate.clone(),
                    level: r.level.as_str(),
                    reason: r.reason.clone(),
                    by: r.by.clone(),
                })
                .collect();
            let decision = decisions
                .iter()
                .find(|(c, _)| c == control)
                .map(|(_, d)| d.clone());
            // A justification still `TODO` explains nothing: a gap until it is written.
            let status = match (&decision, gates.is_empty()) {
                (Some(d), _) if !d.applicable && d.is_todo() => "gap",
                (Some(d), _) if !d.applicable => "excluded",
                (_, false) => "covered",
                (Some(d), true) if d.is_todo() => "gap",
                (Some(_), true) => "justified",
                (None, true) => "gap",
            };
            Row {
                control,
                title,
                gates,
                relevelled,
                decision,
                status,
            }
        })
        .collect()
}
