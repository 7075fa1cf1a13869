//! Where a finding points on a card: the value a gate's `@field` names as the card has it, or
//! the deepest part of the path that exists, and a sentence about what stands there.

use super::body::Section;
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
    /// Whether `state` only tells the value that stands there (`` `x` is `1.0` ``), rather
    /// than what is wrong (missing, blank, empty, the items a selector picked).
    pub informational: bool,
}

impl Card {
    /// Resolves a key path against the card. Never fails: a path that leads nowhere points at
    /// the deepest part of it that exists, or at the card's anchor.
    pub fn locate(&self, field: &FieldPath) -> Located {
        let missing = |span: Span, upto: usize| Located {
            span,
            state: Some(format!("`{}` is missing", field.prefix(upto + 1))),
            related: Vec::new(),
            informational: false,
        };
        if let [
            Segment::Key(body),
            Segment::Select(Selector::Section(section)),
        ] = field.segments()
            && body == "body"
        {
            return self.locate_section(*section);
        }
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
                    // No `datasets` or `base_model`: none of them is undocumented.
                    None if matches!(
                        field.segments().get(i + 1),
                        Some(Segment::Select(
                            Selector::Undocumented | Selector::Unassessed
                        ))
                    ) =>
                    {
                        return Located {
                            span: at,
                            state: None,
                            related: Vec::new(),
                            informational: false,
                        };
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
                            informational: false,
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
                        informational: true,
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
            informational: false,
        }
    }

    /// The items a selector picks from `list`, each with the span to point at and a description.
    fn select(&self, sel: Selector, list: &Node) -> Vec<(Span, String)> {
        let items: &[Node] = match &list.value {
            Value::Seq(items) => items,
            // A Hugging Face key may hold one value rather than a list of them.
            Value::Scalar { .. } => std::slice::from_ref(list),
            Value::Map(_) => return Vec::new(),
        };
        let pick = |item: &Node, keys: &[&str]| {
            keys.iter()
                .find_map(|k| item.get(k))
                .map_or_else(|| self.line_of(item.span), |e| e.value.span)
        };
        let g = &self.governance;
        let sources = g.data.as_ref().map_or(&[][..], |d| &d.sources[..]);
        // Sources, suppliers and criteria correspond one to one with their list's items: the
        // reader refuses a card with an item that is not a mapping, or a malformed criterion.
        let source_lacks =
            |lacks: fn(&super::governance::DataSource) -> bool, key: &str, what: &str| {
                sources
                    .iter()
                    .zip(items)
                    .enumerate()
                    .filter(|(_, (s, _))| lacks(s))
                    .map(|(i, (s, item))| {
                        let span = match item.get(key) {
                            Some(e) => e.key_span,
                            None => pick(item, &["name"]),
                        };
                        (span, format!("source `{}` {what}", s.label(i)))
                    })
                    .collect()
            };
        let named = |ids: Vec<String>, what: &str| {
            items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::Scalar { text, .. } if ids.iter().any(|id| id == text.trim()) => {
                        Some((item.span, format!("`{}` {what}", text.trim())))
                    }
                    _ => None,
                })
                .collect()
        };
        match sel {
            Selector::Failing => {
                let results = g.bias_tests.as_ref().map_or(&[][..], |b| &b.results[..]);
                results
                    .iter()
                    .zip(items)
                    .filter(|(r, _)| !r.passed())
                    .map(|(r, item)| (pick(item, &["value", "metric"]), r.describe()))
                    .collect()
            }
            Selector::WithoutProvenance => {
                source_lacks(|s| s.provenance.is_none(), "provenance", "has no provenance")
            }
            Selector::WithoutPurpose => source_lacks(
                |s| s.purpose.is_none(),
                "purpose",
                "does not say what it is used for (`purpose`)",
            ),
            Selector::WithoutAcquisition => source_lacks(
                |s| !s.acquisition_documented(),
                "acquisition",
                "does not say how it was acquired (`acquisition`) and under what licence or consent (`terms`)",
            ),
            Selector::WithoutQualityChecks => source_lacks(
                |s| s.quality_checks.is_empty(),
                "quality_checks",
                "lists no `quality_checks`",
            ),
            Selector::WithoutPreparation => source_lacks(
                |s| s.preparation.is_empty(),
                "preparation",
                "lists no `preparation` steps",
            ),
            Selector::Undocumented => named(
                self.undocumented_datasets(),
                "is not a source under `governance.data.sources` (by `name` or `dataset`)",
            ),
            Selector::Unassessed => named(
                self.unassessed_base_models(),
                "is provided by no supplier with an `assessment` and `assessed_on` under `governance.suppliers`",
            ),
            Selector::WithoutResponsibilities => g
                .suppliers
                .iter()
                .zip(items)
                .enumerate()
                .filter(|(_, (s, _))| s.responsibilities.is_none())
                .map(|(i, (s, item))| {
                    (
                        pick(item, &["responsibilities", "name"]),
                        format!("supplier `{}` does not say who is responsible for what (`responsibilities`)", s.label(i)),
                    )
                })
                .collect(),
            Selector::Unmet => g
                .acceptance_criteria
                .iter()
                .zip(items)
                .filter_map(|(c, item)| {
                    c.unmet(&self.hub.metrics).map(|(failing, why)| {
                        // The reported value that fails it, or the criterion no result reports.
                        let span = failing
                            .and_then(|m| m.value_span)
                            .unwrap_or_else(|| pick(item, &["metric"]));
                        (span, why)
                    })
                })
                .collect(),
            Selector::WithoutCriteria => self
                .hub
                .metrics
                .iter()
                .filter(|m| !g.acceptance_criteria.iter().any(|c| c.covers(m)))
                .map(|m| {
                    (
                        self.line_of(m.span),
                        format!("`{}` has no acceptance criterion", m.label()),
                    )
                })
                .collect(),
            Selector::Section(_) => Vec::new(),
        }
    }

    /// Where a template section stands: a Markdown card's heading (or the card, when its body
    /// has none); a YAML or JSON card's `governance.documentation` entry (or the nearest block
    /// on the way to it).
    fn locate_section(&self, section: Section) -> Located {
        let written = self.documents(section);
        let at = |span: Span, state: Option<String>| Located {
            span,
            state,
            related: Vec::new(),
            informational: false,
        };
        if self.format != super::Format::Markdown {
            let name = section.name();
            let governance = self.root.as_ref().and_then(|r| r.get("governance"));
            let docs = governance.and_then(|g| g.value.get("documentation"));
            return match docs.and_then(|d| d.value.get(name)) {
                Some(_) if written => at(self.anchor, None),
                Some(entry) => {
                    let blank = matches!(&entry.value.value, Value::Scalar { text, .. } if text.trim().is_empty())
                        || entry.value.is_null();
                    at(
                        entry.key_span,
                        Some(if blank {
                            format!("`governance.documentation.{name}` is blank")
                        } else {
                            format!(
                                "`governance.documentation.{name}` says nothing beyond placeholders (`TBD`, `[More Information Needed]`)"
                            )
                        }),
                    )
                }
                None => at(
                    docs.or(governance).map_or(self.anchor, |e| e.key_span),
                    Some(format!("`governance.documentation.{name}` is missing")),
                ),
            };
        }
        let headings: Vec<&super::body::Found> = self
            .sections
            .iter()
            .filter(|f| f.section == section)
            .collect();
        match headings.split_first() {
            Some((first, rest)) => Located {
                span: first.heading,
                state: (!written).then(|| {
                    format!(
                        "this `{}` section holds nothing beyond placeholders (`[More Information Needed]`, `TBD`, template comments)",
                        section.heading()
                    )
                }),
                related: rest
                    .iter()
                    .filter(|_| !written)
                    .map(|f| (f.heading, "placeholders only here too".to_string()))
                    .collect(),
                informational: false,
            },
            None => at(
                self.anchor,
                Some(format!(
                    "the card's body has no `{}` section (a heading such as {})",
                    section.heading(),
                    section.examples()
                )),
            ),
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
