//! A YAML 1.2 (and JSON) document tree in which every node knows where it stands in its file.
//!
//! Built on `saphyr-parser`'s event stream rather than a ready-made tree so that the bounds the
//! gate needs are ours: nesting depth, the number of nodes after alias expansion (a "billion
//! laughs" card is an error, not a hang), duplicate keys (ambiguous governance is an error, never
//! "last one wins"), and tags (only the YAML core schema is understood). Plain scalars resolve by
//! the YAML 1.2 core schema; merge keys (`<<`) are honoured, explicit keys winning.
//!
//! The events come from saphyr-parser, or — for a document inside a plain subset that most
//! model cards are written in — the very same events read line by line by [`quick`], at a
//! fraction of the cost, and given to the tree ([`build`]) as each is read; `quick` leaves
//! everything else, errors included, to saphyr-parser, which then reads the document from its
//! start.

use saphyr_parser::Parser;

use crate::error::YamlError;
use crate::span::{Pos, Span};

mod build;
mod find;
mod offsets;
mod quick;
mod scalar;
mod source;

pub use find::string_at;
pub use source::{count_events, quick_reads_as_saphyr};

use build::Builder;
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

/// Parses one YAML (or JSON) document. `Ok(None)` for a document with no content at all.
pub fn parse(text: &str, origin: Origin, limits: Limits) -> Result<Option<Node>, ParseError> {
    let mut builder = Builder::new(text, origin, limits);
    // The plain reader builds the tree as it reads; when the document leaves its subset, or
    // the tree is refused, saphyr-parser reads it from the start, so what is read and every
    // error are saphyr's.
    if quick::read(text, &mut builder).is_ok()
        && let Some(root) = builder.finished()
    {
        return Ok(root);
    }
    builder.restart();
    by_saphyr(text, builder)
}

/// Asserts that the tree [`parse`] builds of `text` under `limits` as the plain reader reads
/// it, or the error, is the one saphyr-parser's events build; panics naming the document
/// where it is not. For the `yaml` fuzz target and the tests.
#[doc(hidden)]
pub fn built_as_saphyr_builds(text: &str, limits: Limits) -> Result<Option<Node>, ParseError> {
    let origin = Origin {
        line: 3,
        offset: 10,
    };
    let built = parse(text, origin, limits);
    let saphyr = by_saphyr(text, Builder::new(text, origin, limits));
    // Trees that differ are compared again as written out: a `.nan` is never equal to itself
    // as a float, yet it is the same tree.
    if built != saphyr {
        assert_eq!(
            format!("{built:?}"),
            format!("{saphyr:?}"),
            "{text:?}: the tree as read, then saphyr-parser's"
        );
    }
    built
}

/// The tree of `text` as `builder` (which has taken no event yet) builds it from
/// saphyr-parser's events.
fn by_saphyr<'a>(text: &'a str, mut builder: Builder<'a>) -> Result<Option<Node>, ParseError> {
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            Some(Ok((event, span))) => builder.event(event, span)?,
            Some(Err(e)) => return Err(builder.scan_error(&e)),
            None => return Err(builder.cut_short()),
        }
        if let Some(root) = builder.finished() {
            return Ok(root);
        }
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
        for n in [
            3,
            build::Seen::SMALL - 1,
            build::Seen::SMALL,
            build::Seen::SMALL + 1,
            100,
        ] {
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
