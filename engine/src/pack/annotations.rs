//! A policy's annotations, and the [`Gate`] they make: its id, severity, controls, fields and
//! the words a finding is drawn with.

use crate::card::FieldPath;
use crate::error::PackError;

use super::{Gate, Severity};

pub(super) fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A policy's annotations, read once.
pub(super) struct Annotations<'a>(pub(super) Vec<(&'a str, &'a str)>);

impl<'a> Annotations<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

pub(super) fn gate(
    id: &str,
    notes: &Annotations,
    policy_text: &str,
    file: &str,
    line: usize,
) -> Result<Gate, PackError> {
    let severity = match notes.get("severity") {
        None | Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        Some(other) => {
            return Err(PackError::Annotation(format!(
                "`@severity(\"{other}\")` on gate `{id}`: write \"error\" or \"warning\""
            )));
        }
    };
    let list = |key: &str| -> Vec<String> {
        notes
            .get(key)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let fields = list("field")
        .iter()
        .map(|f| {
            FieldPath::parse(f)
                .map_err(|e| PackError::Annotation(format!("`@field` on gate `{id}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let text = |key: &str| {
        notes
            .get(key)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(Gate {
        id: id.to_string(),
        controls: list("control"),
        title: text("title").unwrap_or_else(|| id.to_string()),
        help: text("help"),
        severity,
        fields,
        applies: text("applies"),
        example: text("example"),
        file: file.to_string(),
        line,
        text: policy_text.to_string(),
        off: false,
    })
}
