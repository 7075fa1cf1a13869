//! Where a finding points on a card: the value a gate's `@field` names as the card has it, or
//! the deepest part of the path that exists, and a sentence about what stands there.

use super::{Card, FieldPath, Segment, Selector};
use crate::span::Span;
use crate::yaml::{self, Node, Value};

/// Where a key path points in a card, and what stands there.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The primary place: the value, or the deepest key that exists on the way to it.
    pub span: Span,
    /// What stands there, as a sentence about the field (`` `governance.owner` is missing ``);
    /// `None` when the field is present and there is nothing more specific to say.
    pub state: Option<String>,
    /// Further places (the other items a selector picked).
    pub related: Vec<(Span, String)>,
}

impl Card {
    /// Resolves a key path against the card. Never fails: a path that leads nowhere points at
    /// the deepest part of it that exists, or at the card's anchor.
    pub fn locate(&self, field: &FieldPath) -> Located {
        let missing = |span: Span, upto: usize| Located {
            span,
            state: Some(format!("`{}` is missing", field.prefix(upto + 1))),
            related: Vec::new(),
        };
        let Some(mut node) = self.root.as_ref() else {
            return missing(self.anchor, 0);
        };
        let mut at = self.anchor;
        for (i, seg) in field.segments().iter().enumerate() {
            match seg {
                Segment::Key(k) => match node.get(k) {
                    Some(entry) => {
                        at = entry.key_span;
                        node = &entry.value;
                    }
                    None => return missing(at, i),
                },
                Segment::Index(n) => match &node.value {
                    Value::Seq(items) if *n < items.len() => {
                        node = &items[*n];
                        at = self.line_of(node.span);
                    }
                    _ => return missing(at, i),
                },
                Segment::Select(sel) => {
                    let items = self.select(*sel, node);
                    if let Some(((first, text), rest)) = items.split_first() {
                        return Located {
                            span: *first,
                            state: Some(format!("`{}`: {text}", field.prefix(i))),
                            related: rest.to_vec(),
                        };
                    }
                    // Nothing selected: say what the list itself is.
                    return self.describe(&field.prefix(i), node, at);
                }
            }
        }
        self.describe(field, node, at)
    }

    fn describe(&self, field: &FieldPath, node: &Node, key: Span) -> Located {
        let state = match &node.value {
            Value::Scalar { text, kind } => {
                if matches!(kind, yaml::ScalarKind::Null) || text.trim().is_empty() {
                    Some(format!("`{field}` is blank"))
                } else {
                    let shown: String = text.trim().chars().take(80).collect();
                    return Located {
                        span: node.span,
                        state: Some(format!("`{field}` is `{shown}`")),
                        related: Vec::new(),
                    };
                }
            }
            Value::Seq(items) if items.is_empty() => Some(format!("`{field}` is empty")),
            Value::Map(entries) if entries.is_empty() => Some(format!("`{field}` is empty")),
            _ => None,
        };
        Located {
            span: key,
            state,
            related: Vec::new(),
        }
    }

    /// The items a selector picks from `list`, each with the span to point at and a description.
    fn select(&self, sel: Selector, list: &Node) -> Vec<(Span, String)> {
        let Value::Seq(items) = &list.value else {
            return Vec::new();
        };
        let pick = |item: &Node, keys: &[&str]| {
            keys.iter()
                .find_map(|k| item.get(k))
                .map_or_else(|| self.line_of(item.span), |e| e.value.span)
        };
        match sel {
            Selector::Failing => {
                let results = self
                    .governance
                    .bias_tests
                    .as_ref()
                    .map_or(&[][..], |b| &b.results[..]);
                // Results and list items correspond one to one: the reader refuses a card
                // with a malformed result, so every item became a result.
                results
                    .iter()
                    .zip(items)
                    .filter(|(r, _)| !r.passed())
                    .map(|(r, item)| (pick(item, &["value", "metric"]), r.describe()))
                    .collect()
            }
            Selector::WithoutProvenance => {
                let sources = self
                    .governance
                    .data
                    .as_ref()
                    .map_or(&[][..], |d| &d.sources[..]);
                sources
                    .iter()
                    .zip(items)
                    .enumerate()
                    .filter(|(_, (s, _))| s.provenance.is_none())
                    .map(|(i, (s, item))| {
                        let span = match item.get("provenance") {
                            Some(e) => e.key_span,
                            None => pick(item, &["name"]),
                        };
                        (span, format!("source `{}` has no provenance", s.label(i)))
                    })
                    .collect()
            }
        }
    }

    /// A span cut to the end of its first line, so an underline stays on one line.
    fn line_of(&self, span: Span) -> Span {
        let rest = &self.source[span.start.offset.min(self.source.len())..];
        let len = rest.find(['\n', '\r']).unwrap_or(rest.len());
        Span {
            start: span.start,
            end: span.start.offset + len.min(span.len()),
        }
    }
}
