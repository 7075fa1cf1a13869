//! A YAML 1.2 (and JSON) document tree in which every node knows where it stands in its file.
//!
//! Built on `saphyr-parser`'s event stream rather than a ready-made tree so that the bounds the
//! gate needs are ours: nesting depth, the number of nodes after alias expansion (a "billion
//! laughs" card is an error, not a hang), duplicate keys (ambiguous governance is an error, never
//! "last one wins"), and tags (only the YAML core schema is understood). Plain scalars resolve by
//! the YAML 1.2 core schema; merge keys (`<<`) are honoured, explicit keys winning.
//!
//! The events come from [`Source`]: saphyr-parser's, or — for a document inside a plain subset
//! that most model cards are written in — the very same events read line by line by
//! [`quick`], at a fraction of the cost; `quick` leaves everything else, errors included, to
//! saphyr-parser.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, ScalarStyle, ScanError, Tag};

use crate::error::YamlError;
use crate::span::{Pos, Span};

mod find;
mod offsets;
mod quick;
mod scalar;
mod source;

pub use find::string_at;
pub use source::{count_events, quick_reads_as_saphyr};

use offsets::Offsets;
use scalar::resolve;
use source::Source;

/// What a scalar resolved to under the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar: its text as written (unescaped) and what it resolved to.
    Scalar {
        text: String,
        kind: ScalarKind,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// One `key: value` pair of a mapping; keys are strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    /// The value under `key`, when this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Whether the node is a null scalar (`~`, `null`, or nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(
            &self.value,
            Value::Scalar {
                kind: ScalarKind::Null,
                ..
            }
        )
    }

    /// A short description of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar { kind, .. } => match kind {
                ScalarKind::Null => "null",
                ScalarKind::Bool(_) => "a boolean",
                ScalarKind::Int(_) | ScalarKind::Float(_) => "a number",
                ScalarKind::Str => "a string",
            },
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Bounds on what a document may cost to read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of lists and mappings.
    pub max_depth: usize,
    /// Most nodes in the tree, counting every expansion of an alias.
    pub max_nodes: usize,
    /// Most bytes of text (scalars and keys) in the tree, counting every expansion of an
    /// alias: one long string aliased a few thousand times is few nodes but gigabytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 250_000,
            max_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A document that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: YamlError,
    pub pos: Pos,
}

impl ParseError {
    /// The sentence a person reads.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

/// Where the YAML text starts inside its file, so positions are reported in file coordinates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    /// The file line (1-based) of the text's first line.
    pub line: usize,
    /// The byte offset of the text in the file.
    pub offset: usize,
}

/// Parses a whole YAML file (shown as `path`, its text `source`): a syntax error becomes an
/// input error at its position, so the file's readers need not repeat that mapping.
pub fn parse_file(
    path: &str,
    source: &std::sync::Arc<str>,
) -> Result<Option<Node>, Vec<crate::error::InputError>> {
    parse(source, Origin { line: 1, offset: 0 }, Limits::default()).map_err(|e| {
        let span = Span {
            start: e.pos,
            end: e.pos.offset + 1,
        };
        vec![crate::error::InputError::at(path, source, span, e.kind)]
    })
}

/// A tag as it was written: `!!timestamp` for the core schema's, `!local`, or the verbatim URI.
fn shown_tag(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "!" => format!("!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

/// Parses one YAML (or JSON) document. `Ok(None)` for a document with no content at all.
pub fn parse(text: &str, origin: Origin, limits: Limits) -> Result<Option<Node>, ParseError> {
    let mut builder = Builder {
        text,
        source: Source::new(text),
        offsets: Offsets::new(text, origin),
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        limits,
        last: Pos::default(),
    };
    builder.document()
}

struct Builder<'a> {
    text: &'a str,
    source: Source<'a>,
    offsets: Offsets,
    /// Anchored nodes with the number of nodes and of text bytes each contains.
    anchors: HashMap<usize, (Node, usize, usize)>,
    nodes: usize,
    /// Bytes of text in the tree so far, expansions of aliases included.
    bytes: usize,
    limits: Limits,
    last: Pos,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        match self.source.next_event() {
            Some(Ok((event, span))) => {
                let span = self.offsets.span(&span);
                self.last = span.start;
                Ok((event, span))
            }
            Some(Err(e)) => Err(self.scan_error(&e)),
            None => Err(ParseError {
                kind: YamlError::Syntax("unexpected end of the YAML document".into()),
                pos: self.last,
            }),
        }
    }

    fn scan_error(&self, e: &ScanError) -> ParseError {
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

    fn document(&mut self) -> Result<Option<Node>, ParseError> {
        let (event, _) = self.next()?;
        if !matches!(event, Event::StreamStart) {
            return Err(self.unexpected("the start of the stream"));
        }
        let root = match self.next()? {
            (Event::StreamEnd, _) => return Ok(None),
            (Event::DocumentStart(_), _) => {
                let (event, span) = self.next()?;
                let (node, _) = self.node(event, span, 0)?;
                node
            }
            _ => return Err(self.unexpected("a document")),
        };
        match self.next()? {
            (Event::DocumentEnd, _) => {}
            _ => return Err(self.unexpected("the end of the document")),
        }
        match self.next()? {
            (Event::StreamEnd, _) => Ok(Some(root)),
            (_, span) => Err(ParseError {
                kind: YamlError::Syntax(
                    "more than one YAML document: a card holds exactly one".into(),
                ),
                pos: span.start,
            }),
        }
    }

    fn unexpected(&self, wanted: &str) -> ParseError {
        ParseError {
            kind: YamlError::Syntax(format!("invalid YAML: expected {wanted}")),
            pos: self.last,
        }
    }

    fn count(&mut self, n: usize, at: Pos) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(ParseError {
                kind: YamlError::Limit(format!(
                    "the document expands to more than {} nodes (an alias bomb, or far larger than a model card)",
                    self.limits.max_nodes
                )),
                pos: at,
            });
        }
        Ok(())
    }

    fn weigh(&mut self, n: usize, at: Pos) -> Result<(), ParseError> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return Err(ParseError {
                kind: YamlError::Limit(format!(
                    "the document expands to more than {} MiB of text (aliases of a long text, or far larger than a model card)",
                    self.limits.max_bytes / (1024 * 1024)
                )),
                pos: at,
            });
        }
        Ok(())
    }

    fn check_tag(&self, tag: Option<&Tag>, at: Pos) -> Result<Option<String>, ParseError> {
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

    /// Builds the node that starts with `event`; returns it with the number of nodes it holds.
    fn node(
        &mut self,
        event: Event<'a>,
        span: Span,
        depth: usize,
    ) -> Result<(Node, usize), ParseError> {
        let bytes_before = self.bytes;
        let (node, count, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = self.check_tag(tag.as_deref(), span.start)?;
                let kind = resolve(&text, style, tag.as_deref(), span.start)?;
                self.count(1, span.start)?;
                self.weigh(text.len(), span.start)?;
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        kind,
                    },
                    span,
                };
                (node, 1, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_tag(tag.as_deref(), span.start)?;
                self.enter(depth, span.start)?;
                self.count(1, span.start)?;
                let mut items = Vec::new();
                let mut count = 1;
                let end = loop {
                    let (event, item_span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break item_span.end.max(item_span.start.offset);
                    }
                    let (item, n) = self.node(event, item_span, depth + 1)?;
                    count += n;
                    items.push(item);
                };
                let end = items.last().map_or(end, |i| i.span.end.max(end));
                let node = Node {
                    value: Value::Seq(items),
                    span: Span {
                        start: span.start,
                        end,
                    },
                };
                (node, count, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                self.check_tag(tag.as_deref(), span.start)?;
                self.enter(depth, span.start)?;
                self.count(1, span.start)?;
                let (node, count) = self.mapping(span, depth)?;
                (node, count, anchor)
            }
            Event::Alias(id) => {
                let Some((_, count, bytes)) = self.anchors.get(&id) else {
                    return Err(ParseError {
                        kind: YamlError::Syntax("alias to an unknown anchor".into()),
                        pos: span.start,
                    });
                };
                let (count, bytes) = (*count, *bytes);
                // Bounded before the copy is made.
                self.count(count, span.start)?;
                self.weigh(bytes, span.start)?;
                let node = self.anchors.get(&id).map(|(n, _, _)| n.clone());
                return node.map(|n| (n, count)).ok_or_else(|| ParseError {
                    kind: YamlError::Syntax("alias to an unknown anchor".into()),
                    pos: span.start,
                });
            }
            _ => return Err(self.unexpected("a value")),
        };
        if anchor > 0 {
            let bytes = self.bytes - bytes_before;
            self.anchors.insert(anchor, (node.clone(), count, bytes));
        }
        Ok((node, count))
    }

    fn enter(&self, depth: usize, at: Pos) -> Result<(), ParseError> {
        if depth >= self.limits.max_depth {
            return Err(ParseError {
                kind: YamlError::Limit(format!(
                    "the document nests deeper than {} levels",
                    self.limits.max_depth
                )),
                pos: at,
            });
        }
        Ok(())
    }

    fn mapping(&mut self, span: Span, depth: usize) -> Result<(Node, usize), ParseError> {
        let mut entries: Vec<Entry> = Vec::new();
        // Keys seen, looked up in `entries` while the mapping is small (most of a card's are)
        // and in a set once it is not, so a huge mapping stays linear.
        let mut seen = Seen::default();
        let mut merges: Vec<Node> = Vec::new();
        let mut count = 1;
        let mut end = span.end;
        loop {
            let (event, key_span) = self.next()?;
            let key = match event {
                Event::MappingEnd => {
                    end = end.max(key_span.start.offset);
                    break;
                }
                Event::Scalar(text, style, _, tag) => {
                    // A key's tag is held to the same rules as a value's; and a tagged `<<`
                    // is a plain key, not a merge.
                    let tagged = self.check_tag(tag.as_deref(), key_span.start)?.is_some();
                    let style = if tagged && text == "<<" {
                        ScalarStyle::SingleQuoted
                    } else {
                        style
                    };
                    (text.into_owned(), style)
                }
                _ => {
                    return Err(ParseError {
                        kind: YamlError::Syntax(
                            "a mapping key must be a plain string, not a list or mapping".into(),
                        ),
                        pos: key_span.start,
                    });
                }
            };
            self.weigh(key.0.len(), key_span.start)?;
            let (event, value_span) = self.next()?;
            let (value, n) = self.node(event, value_span, depth + 1)?;
            count += n + 1;
            self.count(1, key_span.start)?;
            end = end.max(value.span.end);
            if key.0 == "<<" && key.1 == ScalarStyle::Plain {
                // Readers disagree on two merge keys in one mapping (PyYAML takes the last):
                // ambiguous, like any duplicate key. Several mappings merge as a list.
                if !merges.is_empty() {
                    return Err(ParseError {
                        kind: YamlError::Syntax(
                            "a second merge key `<<` in one mapping: which one applies is ambiguous (merge several as a list, `<<: [*a, *b]`)".into(),
                        ),
                        pos: key_span.start,
                    });
                }
                merges.push(value);
                continue;
            }
            if !seen.insert(&key.0, &entries) {
                let first = entries
                    .iter()
                    .find(|e| e.key == key.0)
                    .map_or(0, |e| e.key_span.start.line);
                return Err(ParseError {
                    kind: YamlError::Syntax(format!(
                        "duplicate key `{}` (first defined on line {first}): which one applies is ambiguous",
                        key.0
                    )),
                    pos: key_span.start,
                });
            }
            entries.push(Entry {
                key: key.0,
                key_span,
                value,
            });
        }
        for merge in merges {
            let sources = match merge.value {
                Value::Map(_) => vec![merge],
                Value::Seq(items) => items,
                Value::Scalar { .. } => {
                    return Err(ParseError {
                        kind: YamlError::Syntax(
                            "a merge key `<<` takes a mapping or a list of mappings".into(),
                        ),
                        pos: merge.span.start,
                    });
                }
            };
            for source in sources {
                let at = source.span.start;
                let Value::Map(merged) = source.value else {
                    return Err(ParseError {
                        kind: YamlError::Syntax(
                            "a merge key `<<` takes a mapping or a list of mappings".into(),
                        ),
                        pos: at,
                    });
                };
                for entry in merged {
                    if seen.insert(&entry.key, &entries) {
                        entries.push(entry);
                    }
                }
            }
        }
        let node = Node {
            value: Value::Map(entries),
            span: Span {
                start: span.start,
                end,
            },
        };
        Ok((node, count))
    }
}

/// The keys of a mapping being built (see [`Builder::mapping`]).
#[derive(Default)]
struct Seen(Option<HashSet<String>>);

impl Seen {
    /// Below this many entries, a key is looked for among them.
    const SMALL: usize = 16;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn doc(text: &str) -> Node {
        parse(text, Origin { line: 1, offset: 0 }, Limits::default())
            .unwrap()
            .unwrap()
    }

    fn err(text: &str) -> ParseError {
        parse(text, Origin { line: 1, offset: 0 }, Limits::default()).unwrap_err()
    }

    fn scalar(node: &Node) -> (&str, &ScalarKind) {
        match &node.value {
            Value::Scalar { text, kind } => (text, kind),
            _ => panic!("not a scalar"),
        }
    }

    #[test]
    fn core_schema_resolution() {
        let n = doc(
            "a: 1\nb: 2.50\nc: true\nd: ~\ne: 2.3.0\nf: '1'\ng: .nan\nh: -.inf\ni: 1e999\nj: 0x1F\nk: 2026-10-01\n",
        );
        let kinds: Vec<ScalarKind> = ["a", "b", "c", "d", "e", "f", "h", "j", "k"]
            .iter()
            .map(|k| scalar(&n.get(k).unwrap().value).1.clone())
            .collect();
        assert_eq!(
            kinds,
            vec![
                ScalarKind::Int(1),
                ScalarKind::Float(2.5),
                ScalarKind::Bool(true),
                ScalarKind::Null,
                ScalarKind::Str,
                ScalarKind::Str,
                ScalarKind::Float(f64::NEG_INFINITY),
                ScalarKind::Int(31),
                ScalarKind::Str,
            ]
        );
        assert!(matches!(scalar(&n.get("g").unwrap().value).1, ScalarKind::Float(f) if f.is_nan()));
        assert!(
            matches!(scalar(&n.get("i").unwrap().value).1, ScalarKind::Float(f) if f.is_infinite())
        );
        assert_eq!(scalar(&n.get("b").unwrap().value).0, "2.50");
    }

    #[test]
    fn positions_are_lines_and_bytes_in_the_file() {
        let text = "name: ünïcödé 名前\nowner: x\n";
        let n = parse(
            text,
            Origin {
                line: 5,
                offset: 100,
            },
            Limits::default(),
        )
        .unwrap()
        .unwrap();
        let owner = n.get("owner").unwrap();
        assert_eq!(owner.key_span.start.line, 6);
        assert_eq!(owner.key_span.start.col, 1);
        assert_eq!(
            owner.key_span.start.offset,
            100 + text.find("owner").unwrap()
        );
        assert_eq!(
            owner.value.span.start.offset,
            100 + text.find(" x").unwrap() + 1
        );
    }

    #[test]
    fn two_merge_keys_in_one_mapping_are_ambiguous() {
        let e = parse(
            "a: &a {v: 1}\nb: &b {v: 2}\nm: {<<: *a, <<: *b}\n",
            Origin { line: 1, offset: 0 },
            Limits::default(),
        )
        .unwrap_err();
        assert!(
            format!("{:?}", e.kind).contains("second merge key"),
            "{e:?}"
        );
        assert_eq!(e.pos.line, 3);
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let n = doc("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n");
        let other = &n.get("other").unwrap().value;
        assert_eq!(
            scalar(&other.get("x").unwrap().value).1,
            &ScalarKind::Int(1)
        );
        assert_eq!(
            scalar(&other.get("y").unwrap().value).1,
            &ScalarKind::Int(3)
        );
        match &n.get("list").unwrap().value.value {
            Value::Seq(items) => assert_eq!(items.len(), 2),
            _ => panic!("not a list"),
        }
    }

    #[test]
    fn duplicate_keys_are_an_error_naming_both_lines() {
        let e = err("a: 1\nb: 2\na: 3\n");
        assert_eq!(e.pos.line, 3);
        assert!(
            e.message()
                .contains("duplicate key `a` (first defined on line 1)")
        );
    }

    #[test]
    fn duplicate_keys_are_found_in_mappings_of_any_size() {
        for n in [3, Seen::SMALL - 1, Seen::SMALL, Seen::SMALL + 1, 100] {
            let mut text: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
            assert!(parse(&text, Origin { line: 1, offset: 0 }, Limits::default()).is_ok());
            text.push_str("k1: again\n");
            let e = err(&text);
            assert_eq!(e.pos.line, n + 1, "{n}");
            assert!(e.message().contains("duplicate key `k1`"), "{n}");
            // A merged key never overrides an explicit one.
            let merged = format!(
                "base: &b {{k1: merged, extra: x}}\nm:\n  <<: *b\n{}",
                (0..n).map(|i| format!("  k{i}: {i}\n")).collect::<String>()
            );
            let root = doc(&merged);
            let m = &root.get("m").unwrap().value;
            assert_eq!(scalar(&m.get("k1").unwrap().value).0, "1", "{n}");
            assert!(m.get("extra").is_some(), "{n}");
        }
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let e = err(&text);
        assert!(
            e.message().contains("more than 250000 nodes"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn a_long_text_aliased_many_times_is_bounded_by_its_bytes() {
        // 1 MiB once, then aliased 5,000 times: few nodes, 5 GiB of text if it were copied.
        let mut text = format!("a: &a \"{}\"\nb: [", "x".repeat(1024 * 1024));
        text.push_str(&vec!["*a"; 5000].join(", "));
        text.push_str("]\n");
        let e = err(&text);
        assert!(
            e.message().contains("more than 8 MiB of text"),
            "{}",
            e.message()
        );
        assert_eq!(e.pos.line, 2, "at the alias that crosses the bound");
        // The same text a few times is fine.
        let mut ok = format!("a: &a \"{}\"\nb: [", "x".repeat(1024 * 1024));
        ok.push_str(&["*a"; 5].join(", "));
        ok.push_str("]\n");
        assert!(parse(&ok, Origin { line: 1, offset: 0 }, Limits::default()).is_ok());
    }

    #[test]
    fn tags_on_keys_are_held_to_the_same_rules_and_a_tagged_merge_key_is_a_key() {
        for text in [
            "!!python/object:os.system governance: {owner: x}\n",
            "!custom governance: {owner: x}\n",
        ] {
            let e = err(text);
            assert!(
                e.message().contains("unsupported YAML tag"),
                "{text}: {}",
                e.message()
            );
        }
        let e = err("a: !!timestamp 2026-01-01\n");
        assert!(e.message().contains("`!!timestamp`"), "{}", e.message());
        let root = parse(
            "base: &b {owner: x}\nm:\n  !!str <<: *b\n",
            Origin { line: 1, offset: 0 },
            Limits::default(),
        )
        .unwrap()
        .unwrap();
        let m = &root.get("m").unwrap().value;
        assert!(m.get("<<").is_some(), "a tagged `<<` is a plain key");
        assert!(m.get("owner").is_none(), "and nothing is merged");
    }

    #[test]
    fn an_unquoted_handle_says_to_quote_it() {
        let e = err("governance:\n  owner: @acme/fraud-ml\n");
        assert_eq!(e.pos.line, 2);
        assert!(
            e.message().contains(
                "must be quoted (`@` is reserved in YAML): write `owner: \"@acme/fraud-ml\"`"
            ),
            "{}",
            e.message()
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = err(&flow);
        assert!(e.message().contains("recursion limit"), "{}", e.message());
        let block: String = (0..100)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        let e = err(&block);
        assert!(
            e.message().contains("nests deeper than 64"),
            "{}",
            e.message()
        );
        assert_eq!(e.pos.line, 65);
    }

    #[test]
    fn application_tags_are_refused() {
        let e = err("a: !!python/object:os.system ls\n");
        assert!(
            e.message().contains("unsupported YAML tag"),
            "{}",
            e.message()
        );
        let n = doc("a: !!str 123\n");
        assert_eq!(scalar(&n.get("a").unwrap().value).1, &ScalarKind::Str);
    }

    #[test]
    fn json_with_tabs_and_crlf_reads() {
        let n = doc("{\r\n\t\"a\": 1,\r\n\t\"b\": [true, null, \"x\"]\r\n}\r\n");
        assert_eq!(n.get("b").unwrap().key_span.start.line, 3);
        assert_eq!(scalar(&n.get("a").unwrap().value).1, &ScalarKind::Int(1));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = err("a: 1\nb: [1, 2\nc: 3\n");
        assert!(e.pos.line >= 2, "{e:?}");
        assert!(e.message().starts_with("invalid YAML"));
    }

    #[test]
    fn two_documents_are_refused() {
        let e = err("a: 1\n---\nb: 2\n");
        assert!(e.message().contains("more than one YAML document"));
    }
}
