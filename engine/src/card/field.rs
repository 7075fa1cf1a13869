//! Key paths into a card (`governance.bias_tests.results[failing]`): what a gate's `@field`
//! names, and where a finding points once the path is resolved against the card.

use std::fmt;

use super::body::Section;
use crate::error::PackError;

/// Items of a list that the reader singles out, for gates about "any item that …", and the
/// template sections of a card's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// `governance.bias_tests.results[failing]`: results outside their threshold.
    Failing,
    /// `governance.data.sources[without_provenance]`: sources whose provenance is blank.
    WithoutProvenance,
    /// `governance.data.sources[without_purpose]`, `[without_acquisition]`,
    /// `[without_quality_checks]`, `[without_preparation]`: sources lacking what they say.
    WithoutPurpose,
    WithoutAcquisition,
    WithoutQualityChecks,
    WithoutPreparation,
    /// `datasets[undocumented]`: Hugging Face dataset ids no source is.
    Undocumented,
    /// `base_model[unassessed]`: base models no assessed supplier provides.
    Unassessed,
    /// `governance.suppliers[without_responsibilities]`.
    WithoutResponsibilities,
    /// `governance.acceptance_criteria[unmet]`.
    Unmet,
    /// `model-index[without_criteria]`: reported metrics no acceptance criterion covers.
    WithoutCriteria,
    /// `body[training_details]`: a template section of the Markdown body.
    Section(Section),
}

/// Each list selector, the list it selects from, and its name.
const SELECTORS: &[(Selector, &str, &str)] = &[
    (
        Selector::Failing,
        "governance.bias_tests.results",
        "failing",
    ),
    (
        Selector::WithoutProvenance,
        "governance.data.sources",
        "without_provenance",
    ),
    (
        Selector::WithoutPurpose,
        "governance.data.sources",
        "without_purpose",
    ),
    (
        Selector::WithoutAcquisition,
        "governance.data.sources",
        "without_acquisition",
    ),
    (
        Selector::WithoutQualityChecks,
        "governance.data.sources",
        "without_quality_checks",
    ),
    (
        Selector::WithoutPreparation,
        "governance.data.sources",
        "without_preparation",
    ),
    (Selector::Undocumented, "datasets", "undocumented"),
    (Selector::Unassessed, "base_model", "unassessed"),
    (
        Selector::WithoutResponsibilities,
        "governance.suppliers",
        "without_responsibilities",
    ),
    (Selector::Unmet, "governance.acceptance_criteria", "unmet"),
    (Selector::WithoutCriteria, "model-index", "without_criteria"),
];

impl Selector {
    fn name(self) -> &'static str {
        match self {
            Selector::Section(s) => s.name(),
            sel => SELECTORS
                .iter()
                .find(|(x, _, _)| *x == sel)
                .map_or("", |(_, _, n)| n),
        }
    }

    /// The path of what it selects from.
    fn list(self) -> &'static str {
        match self {
            Selector::Section(_) => "body",
            sel => SELECTORS
                .iter()
                .find(|(x, _, _)| *x == sel)
                .map_or("", |(_, l, _)| l),
        }
    }

    fn named(name: &str) -> Option<Selector> {
        SELECTORS
            .iter()
            .find(|(_, _, n)| *n == name)
            .map(|(s, _, _)| *s)
            .or_else(|| Section::named(name).map(Selector::Section))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
    Select(Selector),
}

/// A parsed key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath {
    segments: Vec<Segment>,
}

impl FieldPath {
    /// Parses `a.b[0].c` or `a.b[failing]`. Keys are letters, digits, `_` and `-`.
    pub fn parse(text: &str) -> Result<FieldPath, PackError> {
        let bad =
            |why: &str| PackError::Annotation(format!("`{text}` is not a card field path: {why}"));
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                return Err(bad("expected a key of letters, digits, `_` or `-`"));
            }
            segments.push(Segment::Key(key.to_string()));
            while let Some(inner) = rest.strip_prefix('[') {
                let Some(close) = inner.find(']') else {
                    return Err(bad("unclosed `[`"));
                };
                let index = &inner[..close];
                segments.push(match Selector::named(index) {
                    Some(sel) => Segment::Select(sel),
                    None => Segment::Index(index.parse().map_err(|_| {
                        bad("an index is a number, a selector (`failing`, `without_provenance`, …) or a template section (`training_details`, …)")
                    })?),
                });
                rest = &inner[close + 1..];
            }
            if !rest.is_empty() {
                return Err(bad("unexpected text after `]`"));
            }
        }
        let path = FieldPath { segments };
        match path.misplaced_selector() {
            Some(why) => Err(bad(&why)),
            None => Ok(path),
        }
    }

    /// Selectors stand only after the list they select from: why this one does not.
    fn misplaced_selector(&self) -> Option<String> {
        for (i, seg) in self.segments.iter().enumerate() {
            if let Segment::Select(sel) = seg {
                let wanted = sel.list();
                let before = FieldPath {
                    segments: self.segments[..i].to_vec(),
                };
                if before.to_string() != wanted {
                    return Some(format!("`[{}]` selects from `{wanted}` only", sel.name()));
                }
            }
        }
        None
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The path up to (and including) segment `n`.
    pub fn prefix(&self, n: usize) -> FieldPath {
        FieldPath {
            segments: self.segments[..n.min(self.segments.len())].to_vec(),
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Select(s) => write!(f, "[{}]", s.name())?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips() {
        for p in [
            "governance.owner",
            "model-index",
            "governance.bias_tests.results[failing]",
            "governance.data.sources[2].provenance",
            "body[training_details]",
            "datasets[undocumented]",
        ] {
            assert_eq!(FieldPath::parse(p).unwrap().to_string(), p);
        }
    }

    #[test]
    fn refuses_malformed_paths() {
        for p in [
            "",
            "a..b",
            "a[",
            "a[x]",
            "a]b",
            "governance.owner[failing]",
            "a b",
            "governance.body[evaluation]",
            "body[failing]",
        ] {
            assert!(FieldPath::parse(p).is_err(), "{p} parsed");
        }
    }
}
