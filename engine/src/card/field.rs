//! Key paths into a card (`governance.bias_tests.results[failing]`): what a gate's `@field`
//! names, and where a finding points once the path is resolved against the card.

use std::fmt;

use crate::error::PackError;

/// Items of a list that the reader singles out, for gates about "any item that …".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// `governance.bias_tests.results[failing]`: results outside their threshold.
    Failing,
    /// `governance.data.sources[without_provenance]`: sources whose provenance is blank.
    WithoutProvenance,
}

impl Selector {
    fn name(self) -> &'static str {
        match self {
            Selector::Failing => "failing",
            Selector::WithoutProvenance => "without_provenance",
        }
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
                segments.push(match index {
                    "failing" => Segment::Select(Selector::Failing),
                    "without_provenance" => Segment::Select(Selector::WithoutProvenance),
                    n => Segment::Index(n.parse().map_err(|_| {
                        bad("an index is a number, `failing` or `without_provenance`")
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
                let wanted = match sel {
                    Selector::Failing => "governance.bias_tests.results",
                    Selector::WithoutProvenance => "governance.data.sources",
                };
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
        ] {
            assert!(FieldPath::parse(p).is_err(), "{p} parsed");
        }
    }
}
