//! Gates re-levelled by the governance configuration (`gates:` in `.aimsgate/config.yaml`): a
//! gate's findings made blocking (`error`) or advisory (`warning`), or the gate turned `off`
//! with the reason an auditor will ask for. A re-levelled gate is never silent: the report,
//! the decision record and the Statement of Applicability name it, with its reason.
//!
//! ```yaml
//! gates:
//!   model-card-sections: warning          # while the cards catch up
//!   monitoring-plan:
//!     level: off
//!     reason: "batch scoring only; monitored under the data platform's SLA (OPS-12)"
//! ```
//!
//! The configuration is governance configuration: read from the protected ref, and a change
//! to it is a policy change. Policy tests judge the pack as written, not as re-levelled.

use std::sync::Arc;

use crate::card::keys::escape;
use crate::error::{ConfigError, InputError};
use crate::pack::Pack;
use crate::report::Severity;
use crate::span::Span;
use crate::yaml::{Node, ScalarKind, Value};

pub use crate::report::{Level, Relevelled};

fn level(text: &str) -> Option<Level> {
    match text {
        "error" => Some(Level::Error),
        "warning" => Some(Level::Warning),
        "off" => Some(Level::Off),
        _ => None,
    }
}

/// One gate's level as the configuration sets it, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateLevel {
    pub gate: String,
    pub level: Level,
    pub reason: Option<String>,
    /// The gate's key in the configuration.
    pub span: Span,
}

/// What a re-levelled gate means for the run, in a sentence.
pub fn describe(r: &Relevelled) -> String {
    let controls = if r.controls.is_empty() {
        String::new()
    } else {
        format!(" ({})", r.controls.join(", "))
    };
    let reason = r
        .reason
        .as_deref()
        .map(|why| format!(" ({why})"))
        .unwrap_or_default();
    match r.level {
        Level::Off => format!(
            "gate `{}`{controls} is turned off by {}{reason}: its findings are not reported",
            r.gate, r.by
        ),
        level => format!(
            "gate `{}`{controls} is re-levelled from {} to {} by {}{reason}",
            r.gate,
            r.default.as_str(),
            level.as_str(),
            r.by
        ),
    }
}

/// Reads the `gates` setting: a mapping of gate ids to `error`, `warning` or `off`, or to
/// `{level, reason}`; an `off` needs a reason. `at` makes an error at a node.
pub(crate) fn parse(
    node: &Node,
    at: &dyn Fn(Span, String) -> InputError,
) -> Result<Vec<GateLevel>, Vec<InputError>> {
    let Value::Map(entries) = &node.value else {
        return Err(vec![at(
            node.span,
            "`gates` is a mapping of gate ids to `error`, `warning` or `off`".into(),
        )]);
    };
    let mut levels = Vec::new();
    let mut errors = Vec::new();
    let string = |n: &Node| match &n.value {
        Value::Scalar {
            text,
            kind: ScalarKind::Str,
        } if !text.trim().is_empty() => Some(text.trim().to_string()),
        _ => None,
    };
    let level_of = |n: &Node| {
        string(n).and_then(|t| level(&t)).ok_or_else(|| {
            at(
                n.span,
                "a gate's level is `error`, `warning` or `off`".into(),
            )
        })
    };
    for e in entries {
        let parsed = match &e.value.value {
            Value::Map(fields) => {
                let mut level = None;
                let mut reason = None;
                let mut bad = None;
                for f in fields {
                    match f.key.as_str() {
                        "level" => level = Some(level_of(&f.value)),
                        "reason" => match string(&f.value) {
                            Some(r)
                                if !r.chars().any(|c| {
                                    c.is_control()
                                        || crate::chars::invisible(c)
                                        || matches!(c, '\u{2028}' | '\u{2029}')
                                }) =>
                            {
                                reason = Some(r)
                            }
                            _ => {
                                bad =
                                    Some(at(f.value.span, "a `reason` is one line of text".into()))
                            }
                        },
                        other => {
                            bad = Some(at(
                                f.key_span,
                                format!(
                                    "`{}` is not a setting of a gate (known: `level`, `reason`)",
                                    escape(other)
                                ),
                            ));
                        }
                    }
                }
                match (bad, level) {
                    (Some(e), _) => Err(e),
                    (None, None) => Err(at(
                        e.key_span,
                        format!("gate `{}` needs a `level`", escape(&e.key)),
                    )),
                    (None, Some(level)) => level.map(|l| (l, reason)),
                }
            }
            _ => level_of(&e.value).map(|l| (l, None)),
        };
        match parsed {
            Ok((Level::Off, None)) => errors.push(at(
                e.key_span,
                format!(
                    "gate `{0}` is turned off without a reason: write `{0}: {{level: off, reason: \"…\"}}`, since an auditor asks why a control's gate is off",
                    escape(&e.key)
                ),
            )),
            Ok((level, reason)) => levels.push(GateLevel {
                gate: e.key.clone(),
                level,
                reason,
                span: e.key_span,
            }),
            Err(err) => errors.push(err),
        }
    }
    if errors.is_empty() {
        Ok(levels)
    } else {
        Err(errors)
    }
}

/// Re-levels the gates of `pack` as `levels` (read from the configuration `shown`, whose text
/// is `source`) say. A gate the pack does not have is an error at its line.
pub fn apply(
    pack: &mut Pack,
    levels: &[GateLevel],
    shown: &str,
    source: &Arc<str>,
) -> Result<(), Vec<InputError>> {
    let mut errors = Vec::new();
    for l in levels {
        let Some(gate) = pack.gates.iter_mut().find(|g| g.id == l.gate) else {
            let near = pack.gates_near(&l.gate);
            let near = if near.is_empty() {
                String::new()
            } else {
                format!(" (did you mean `{}`?)", near.join("` or `"))
            };
            errors.push(InputError::at(
                shown,
                source,
                l.span,
                ConfigError::Value(format!(
                    "`{}` is not a gate of the policy pack ({}){near}",
                    escape(&l.gate),
                    pack.origin
                )),
            ));
            continue;
        };
        pack.relevelled.push(Relevelled {
            gate: gate.id.clone(),
            controls: gate.controls.clone(),
            default: gate.severity,
            level: l.level,
            reason: l.reason.clone(),
            by: shown.to_string(),
        });
        match l.level {
            Level::Error => gate.severity = Severity::Error,
            Level::Warning => gate.severity = Severity::Warning,
            Level::Off => gate.off = true,
        }
    }
    pack.relevelled.sort_by(|a, b| a.gate.cmp(&b.gate));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
