//! The tree of a document, built as its events arrive: one at a time from saphyr-parser, or
//! straight from the plain reader as it reads a line ([`super::quick`]), so that no list of
//! events stands between reading and the tree. Every document is built here, by the same
//! rules, whichever reader gave the events.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, ScalarStyle, ScanError, Span as YamlSpan, Tag};

use super::offsets::Offsets;
use super::scalar::resolve;
use super::{Entry, Limits, Node, Origin, ParseError, Value};
use crate::error::YamlError;
use crate::span::{Pos, Span};

/// A tree being built from a document's events ([`Builder::event`]).
pub(super) struct Builder<'a> {
    text: &'a str,
    offsets: Offsets,
    /// Anchored nodes with the number of nodes and of text bytes each contains.
    anchors: HashMap<usize, (Node, usize, usize)>,
    budget: Budget,
    /// Where the last event started, for errors that have no place of their own.
    last: Pos,
    stage: Stage,
    /// The collections still open, innermost last.
    open: Vec<Open>,
}

/// What the builder waits for.
enum Stage {
    StreamStart,
    Document,
    Root,
    DocumentEnd(Node),
    StreamEnd(Node),
    /// The document is whole (`None`: it has no content at all).
    Done(Option<Node>),
    /// Taken ([`Builder::finished`]).
    Gone,
}

/// What the tree may still cost (see [`Limits`]).
struct Budget {
    nodes: usize,
    /// Bytes of text in the tree so far, expansions of aliases included.
    bytes: usize,
    limits: Limits,
}

/// A collection still open: its span so far, what it holds, and what its anchor must record.
struct Open {
    start: Pos,
    /// Nodes it holds, itself included.
    count: usize,
    anchor: usize,
    /// The budget's bytes when it opened.
    bytes_before: usize,
    depth: usize,
    kind: Kind,
}

enum Kind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        // Keys seen, looked up in `entries` while the mapping is small (most of a card's are)
        // and in a set once it is not, so a huge mapping stays linear.
        seen: Seen,
        merges: Vec<Node>,
        end: usize,
        /// The key whose value comes next: its text, style and span.
        key: Option<(String, ScalarStyle, Span)>,
    },
}

/// A tag as it was written: `!!timestamp` for the core schema's, `!local`, or the verbatim URI.
fn shown_tag(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "!" => format!("!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

fn syntax(message: &str, pos: Pos) -> ParseError {
    ParseError {
        kind: YamlError::Syntax(message.into()),
        pos,
    }
}

/// A bound of [`Limits`] passed at `pos`.
fn limit(message: String, pos: Pos) -> ParseError {
    ParseError {
        kind: YamlError::Limit(message),
        pos,
    }
}

impl<'a> Builder<'a> {
    pub(super) fn new(text: &'a str, origin: Origin, limits: Limits) -> Self {
        Builder {
            text,
            offsets: Offsets::new(text, origin),
            anchors: HashMap::new(),
            budget: Budget {
                nodes: 0,
                bytes: 0,
                limits,
            },
            last: Pos::default(),
            stage: Stage::StreamStart,
            open: Vec::new(),
        }
    }

    /// Back to before the first event, to build from another reader's events.
    pub(super) fn restart(&mut self) {
        self.anchors.clear();
        self.budget.nodes = 0;
        self.budget.bytes = 0;
        self.last = Pos::default();
        self.stage = Stage::StreamStart;
        self.open.clear();
    }

    /// The document, once its last event has come.
    pub(super) fn finished(&mut self) -> Option<Option<Node>> {
        match std::mem::replace(&mut self.stage, Stage::Gone) {
            Stage::Done(root) => Some(root),
            stage => {
                self.stage = stage;
                None
            }
        }
    }

    pub(super) fn scan_error(&self, e: &ScanError) -> ParseError {
        let m = e.marker();
        let pos = self.offsets.pos(m.index(), m.line(), m.col());
        let local = pos.offset.saturating_sub(self.offsets.origin.offset);
        let message = match self.text.get(local..).and_then(|t| t.chars().next()) {
            // `@` and a backquote are reserved in YAML: a plain value cannot start with them,
            // and `owner: @acme/ml` is the usual way to meet that.
            Some(c @ ('@' | '`')) => {
                let start = self.text[..local].rfind('\n').map_or(0, |i| i + 1);
                let end = self.text[local..]
                    .find(['\n', '\r'])
                    .map_or(self.text.len(), |i| local + i);
                let (before, value) = (&self.text[start..local], self.text[local..end].trim_end());
                let quoted = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
                format!(
                    "a value starting with `{c}` must be quoted (`{c}` is reserved in YAML): write `{}{quoted}`",
                    before.trim_start()
                )
            }
            _ => format!("invalid YAML: {}", e.info()),
        };
        ParseError {
            kind: YamlError::Syntax(message),
            pos,
        }
    }

    fn unexpected(&self, wanted: &str) -> ParseError {
        syntax(&format!("invalid YAML: expected {wanted}"), self.last)
    }

    /// The error when the events end before the document does.
    pub(super) fn cut_short(&self) -> ParseError {
        syntax("unexpected end of the YAML document", self.last)
    }

    /// Takes the next event of the document.
    pub(super) fn event(&mut self, event: Event<'a>, span: YamlSpan) -> Result<(), ParseError> {
        let span = self.offsets.span(&span);
        self.last = span.start;
        if !matches!(self.stage, Stage::Root) {
            return self.outside(event, span);
        }
        enum Step {
            Node(usize),
            Close,
            Key,
            NotAKey,
        }
        let step = match self.open.last() {
            None => Step::Node(0),
            Some(top) => match (&top.kind, &event) {
                (Kind::Seq(_), Event::SequenceEnd)
                | (Kind::Map { key: None, .. }, Event::MappingEnd) => Step::Close,
                (Kind::Seq(_), _) | (Kind::Map { key: Some(_), .. }, _) => {
                    Step::Node(top.depth + 1)
                }
                (Kind::Map { .. }, Event::Scalar(..)) => Step::Key,
                (Kind::Map { .. }, _) => Step::NotAKey,
            },
        };
        match step {
            Step::Node(depth) => self.node(event, span, depth),
            Step::Close => self.close(span),
            Step::Key => self.key(event, span),
            Step::NotAKey => Err(syntax(
                "a mapping key must be a plain string, not a list or mapping",
                span.start,
            )),
        }
    }

    /// An event before or after the document's root.
    fn outside(&mut self, event: Event<'a>, span: Span) -> Result<(), ParseError> {
        self.stage = match (std::mem::replace(&mut self.stage, Stage::Gone), event) {
            (Stage::StreamStart, Event::StreamStart) => Stage::Document,
            (Stage::StreamStart, _) => return Err(self.unexpected("the start of the stream")),
            (Stage::Document, Event::StreamEnd) => Stage::Done(None),
            (Stage::Document, Event::DocumentStart(_)) => Stage::Root,
            (Stage::Document, _) => return Err(self.unexpected("a document")),
            (Stage::DocumentEnd(root), Event::DocumentEnd) => Stage::StreamEnd(root),
            (Stage::DocumentEnd(_), _) => return Err(self.unexpected("the end of the document")),
            (Stage::StreamEnd(root), Event::StreamEnd) => Stage::Done(Some(root)),
            (Stage::StreamEnd(_), _) => {
                return Err(syntax(
                    "more than one YAML document: a card holds exactly one",
                    span.start,
                ));
            }
            (Stage::Root | Stage::Done(_) | Stage::Gone, _) => {
                return Err(self.unexpected("the end of the stream"));
            }
        };
        Ok(())
    }

    /// A key of the innermost mapping: a scalar.
    fn key(&mut self, event: Event<'a>, span: Span) -> Result<(), ParseError> {
        let Event::Scalar(text, style, _, tag) = event else {
            return Err(self.unexpected("a key"));
        };
        // A key's tag is held to the same rules as a value's; and a tagged `<<` is a plain
        // key, not a merge.
        let tagged = check_tag(tag.as_deref(), span.start)?.is_some();
        let style = if tagged && text == "<<" {
            ScalarStyle::SingleQuoted
        } else {
            style
        };
        self.budget.weigh(text.len(), span.start)?;
        if let Some(Open {
            kind: Kind::Map { key, .. },
            ..
        }) = self.open.last_mut()
        {
            *key = Some((text.into_owned(), style, span));
        }
        Ok(())
    }

    /// A node that starts with `event` at `depth`: a scalar or an alias is whole at once, a
    /// collection opens.
    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<(), ParseError> {
        let bytes_before = self.budget.bytes;
        let (kind, anchor, tag) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = check_tag(tag.as_deref(), span.start)?;
                let kind = resolve(&text, style, tag.as_deref(), span.start)?;
                self.budget.count(1, span.start)?;
                self.budget.weigh(text.len(), span.start)?;
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        kind,
                    },
                    span,
                };
                return self.whole(node, 1, anchor, bytes_before);
            }
            Event::Alias(id) => {
                let Some((node, count, bytes)) = self.anchors.get(&id) else {
                    return Err(syntax("alias to an unknown anchor", span.start));
                };
                // Bounded before the copy is made.
                self.budget.count(*count, span.start)?;
                self.budget.weigh(*bytes, span.start)?;
                let (node, count) = (node.clone(), *count);
                return self.attach(node, count);
            }
            Event::SequenceStart(anchor, tag) => (Kind::Seq(Vec::new()), anchor, tag),
            Event::MappingStart(anchor, tag) => (
                Kind::Map {
                    entries: Vec::new(),
                    seen: Seen::default(),
                    merges: Vec::new(),
                    end: span.end,
                    key: None,
                },
                anchor,
                tag,
            ),
            _ => return Err(self.unexpected("a value")),
        };
        check_tag(tag.as_deref(), span.start)?;
        if depth >= self.budget.limits.max_depth {
            return Err(limit(
                format!(
                    "the document nests deeper than {} levels",
                    self.budget.limits.max_depth
                ),
                span.start,
            ));
        }
        self.budget.count(1, span.start)?;
        self.open.push(Open {
            start: span.start,
            count: 1,
            anchor,
            bytes_before,
            depth,
            kind,
        });
        Ok(())
    }

    /// Closes the innermost collection at its end event's `span`.
    fn close(&mut self, span: Span) -> Result<(), ParseError> {
        let Some(open) = self.open.pop() else {
            return Err(self.unexpected("a value"));
        };
        let node = match open.kind {
            Kind::Seq(items) => {
                let end = span.end.max(span.start.offset);
                let end = items.last().map_or(end, |i| i.span.end.max(end));
                Node {
                    value: Value::Seq(items),
                    span: Span {
                        start: open.start,
                        end,
                    },
                }
            }
            Kind::Map {
                entries,
                seen,
                merges,
                end,
                ..
            } => Node {
                value: Value::Map(merged(entries, seen, merges)?),
                span: Span {
                    start: open.start,
                    end: end.max(span.start.offset),
                },
            },
        };
        self.whole(node, open.count, open.anchor, open.bytes_before)
    }

    /// A node whole, of `count` nodes: recorded under its anchor, then placed.
    fn whole(
        &mut self,
        node: Node,
        count: usize,
        anchor: usize,
        bytes_before: usize,
    ) -> Result<(), ParseError> {
        if anchor > 0 {
            let bytes = self.budget.bytes - bytes_before;
            self.anchors.insert(anchor, (node.clone(), count, bytes));
        }
        self.attach(node, count)
    }

    /// Places a whole node of `count` nodes: the root, a list's item, or a key's value.
    fn attach(&mut self, node: Node, count: usize) -> Result<(), ParseError> {
        let Some(top) = self.open.last_mut() else {
            self.stage = Stage::DocumentEnd(node);
            return Ok(());
        };
        top.count += count;
        let (entries, seen, merges, end, key) = match &mut top.kind {
            Kind::Seq(items) => {
                items.push(node);
                return Ok(());
            }
            Kind::Map {
                entries,
                seen,
                merges,
                end,
                key,
            } => (entries, seen, merges, end, key),
        };
        let Some((key, style, key_span)) = key.take() else {
            return Err(syntax("invalid YAML: expected a key", node.span.start));
        };
        top.count += 1;
        self.budget.count(1, key_span.start)?;
        *end = (*end).max(node.span.end);
        if key == "<<" && style == ScalarStyle::Plain {
            // Readers disagree on two merge keys in one mapping (PyYAML takes the last):
            // ambiguous, like any duplicate key. Several mappings merge as a list.
            if !merges.is_empty() {
                return Err(syntax(
                    "a second merge key `<<` in one mapping: which one applies is ambiguous (merge several as a list, `<<: [*a, *b]`)",
                    key_span.start,
                ));
            }
            merges.push(node);
            return Ok(());
        }
        if !seen.insert(&key, entries) {
            let first = entries
                .iter()
                .find(|e| e.key == key)
                .map_or(0, |e| e.key_span.start.line);
            return Err(syntax(
                &format!(
                    "duplicate key `{key}` (first defined on line {first}): which one applies is ambiguous"
                ),
                key_span.start,
            ));
        }
        entries.push(Entry {
            key,
            key_span,
            value: node,
        });
        Ok(())
    }
}

/// A mapping's entries with those its merge keys bring in, its own winning.
fn merged(
    mut entries: Vec<Entry>,
    mut seen: Seen,
    merges: Vec<Node>,
) -> Result<Vec<Entry>, ParseError> {
    let not_a_mapping = |at| syntax("a merge key `<<` takes a mapping or a list of mappings", at);
    for merge in merges {
        let sources = match merge.value {
            Value::Map(_) => vec![merge],
            Value::Seq(items) => items,
            Value::Scalar { .. } => return Err(not_a_mapping(merge.span.start)),
        };
        for source in sources {
            let Value::Map(merged) = source.value else {
                return Err(not_a_mapping(source.span.start));
            };
            for entry in merged {
                if seen.insert(&entry.key, &entries) {
                    entries.push(entry);
                }
            }
        }
    }
    Ok(entries)
}

impl Budget {
    fn count(&mut self, n: usize, at: Pos) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(limit(
                format!(
                    "the document expands to more than {} nodes (an alias bomb, or far larger than a model card)",
                    self.limits.max_nodes
                ),
                at,
            ));
        }
        Ok(())
    }

    fn weigh(&mut self, n: usize, at: Pos) -> Result<(), ParseError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return Err(limit(
                format!(
                    "the document expands to more than {} MiB of text (aliases of a long text, or far larger than a model card)",
                    self.limits.max_bytes / (1024 * 1024)
                ),
                at,
            ));
        }
        Ok(())
    }
}

fn check_tag(tag: Option<&Tag>, at: Pos) -> Result<Option<String>, ParseError> {
    let Some(tag) = tag else { return Ok(None) };
    if tag.is_yaml_core_schema() {
        return match tag.suffix.as_str() {
            "str" | "int" | "float" | "bool" | "null" | "map" | "seq" => {
                Ok(Some(tag.suffix.clone()))
            }
            _ => Err(ParseError {
                kind: YamlError::Tag(format!("unsupported YAML tag `{}`", shown_tag(tag))),
                pos: at,
            }),
        };
    }
    if tag.handle == "!" && tag.suffix.is_empty() {
        return Ok(Some("str".into()));
    }
    Err(ParseError {
        kind: YamlError::Tag(format!(
            "unsupported YAML tag `{}`: a model card holds plain data, without application tags",
            shown_tag(tag)
        )),
        pos: at,
    })
}

/// The keys of a mapping being built.
#[derive(Default)]
pub(super) struct Seen(Option<HashSet<String>>);

impl Seen {
    /// Below this many entries, a key is looked for among them.
    pub(super) const SMALL: usize = 16;

    /// Whether `key` is new to the mapping whose entries so far are `entries` (each of which
    /// went through here); it is then counted as seen.
    fn insert(&mut self, key: &str, entries: &[Entry]) -> bool {
        if self.0.is_none() && entries.len() < Self::SMALL {
            return !entries.iter().any(|e| e.key == key);
        }
        let set = self
            .0
            .get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
        set.insert(key.to_string())
    }
}
