//! The events of a plain block document, read line by line: what saphyr-parser's event stream
//! costs most of a card's reading for, without its general machinery (a token queue, simple-key
//! candidates, a mark kept for every character).
//!
//! This is not a second YAML parser with its own opinion. [`events`] answers only for a
//! document inside a narrow, unambiguous subset — ASCII, no tabs, block mappings of plain keys,
//! block sequences, one-line plain and quoted scalars without escapes, one-line flow sequences
//! and mappings of scalars — and there it gives exactly the events saphyr-parser gives, spans included (held
//! to saphyr by a differential property test over generated and mutated documents, by every
//! fixture, and by the `yaml` fuzz target). Anything else, and every error, is `None`: the
//! caller reads the document with saphyr-parser, so what a card may say and every error message
//! stay saphyr's. Both go through [`super::Source`], the one way this crate reads YAML.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

mod scan;

use scan::{Context, is_key_byte, is_key_start, is_plain_key, line_end, plain_end, skip_spaces};

/// Outside the subset: saphyr-parser reads the document.
#[derive(Debug)]
pub(super) struct Bail;

type Read<T> = Result<T, Bail>;

/// Longest line the reader takes: a plain key must fit saphyr's 1,024-character bound on
/// simple keys, and nothing near that bound is left to argue about.
const LONGEST_LINE: usize = 1000;

/// Deepest nesting the reader takes (the tree's own bound is lower; past it saphyr reads).
const DEEPEST: usize = 100;

/// Longest document the reader takes. Where its events are gathered ([`events`], for the id
/// scan and the tests) this bounds what they can cost: at most one event for every two bytes,
/// about 18 MB. The tree takes them as they are read, within its own bounds. Model cards are a
/// few KB; saphyr reads longer documents as a stream.
const LONGEST_TEXT: usize = 256 * 1024;

/// Where the reader's events go: the tree being built ([`super::build::Builder`]), or a list.
pub(super) trait Sink<'a> {
    /// Takes the next event; an error stops the reading.
    fn event(&mut self, event: Event<'a>, span: Span) -> Read<()>;
}

impl<'a> Sink<'a> for Vec<(Event<'a>, Span)> {
    fn event(&mut self, event: Event<'a>, span: Span) -> Read<()> {
        self.push((event, span));
        Ok(())
    }
}

impl<'a> Sink<'a> for super::build::Builder<'a> {
    fn event(&mut self, event: Event<'a>, span: Span) -> Read<()> {
        super::build::Builder::event(self, event, span).map_err(|_| Bail)
    }
}

/// Gives `sink` the events saphyr-parser gives for `text`, when the document is inside the
/// subset; `Err` as soon as it is not (or `sink` refuses an event), when `sink` has taken
/// some of them.
pub(super) fn read<'a>(text: &'a str, sink: &mut impl Sink<'a>) -> Read<()> {
    let bytes = text.as_bytes();
    if bytes.len() > LONGEST_TEXT {
        return Err(Bail);
    }
    let mut reader = Reader {
        text,
        bytes,
        sink,
        end: Marker::default(),
        unended: None,
    };
    reader.document()
}

/// The events saphyr-parser gives for `text`, when the document is inside the subset.
pub(super) fn events(text: &str) -> Option<Vec<(Event<'_>, Span)>> {
    let mut events = Vec::new();
    read(text, &mut events).ok()?;
    Some(events)
}

/// A line with content (neither blank nor only a comment).
#[derive(Debug, Clone, Copy)]
struct Line {
    /// Byte offset of its first character.
    start: usize,
    /// 1-based.
    no: usize,
    /// Spaces before its content.
    indent: usize,
    /// Byte offset of its line break, or the text's length.
    end: usize,
}

impl Line {
    fn content(&self) -> usize {
        self.start + self.indent
    }
}

/// What a line (or what follows a sequence's `- `) holds, from `at` to the line's end.
enum Shape {
    /// `key:` then the value's text from `value` (which may be the line's end).
    Key { key_end: usize, colon: usize },
    /// `-` then a space or the line's end.
    Entry,
    /// Anything else: a scalar or a flow sequence.
    Scalar,
}

struct Reader<'a, 's, S> {
    text: &'a str,
    bytes: &'a [u8],
    sink: &'s mut S,
    end: Marker,
    /// Where the text ends, when its last line has no line break.
    unended: Option<Marker>,
}

impl<'a, S: Sink<'a>> Reader<'a, '_, S> {
    fn at(&self, pos: usize, line: &Line) -> Marker {
        Marker::new(pos, line.no, pos - line.start)
    }

    fn push_empty(&mut self, event: Event<'a>, mark: Marker) -> Read<()> {
        self.sink.event(event, Span::empty(mark))
    }

    fn byte(&self, pos: usize) -> u8 {
        self.bytes.get(pos).copied().unwrap_or(b'\n')
    }

    /// The next line with content at or after byte `from` (the start of line `no`). Every
    /// byte of the text passes through here once, and must be printable ASCII or a line break.
    fn content_line(&mut self, mut from: usize, mut no: usize) -> Read<Option<Line>> {
        let bytes = self.bytes;
        while from < bytes.len() {
            let end = line_end(bytes, from)?;
            if end - from > LONGEST_LINE {
                return Err(Bail);
            }
            let indent = bytes[from..end]
                .iter()
                .position(|&b| b != b' ')
                .unwrap_or(end - from);
            if from + indent < end && bytes[from + indent] != b'#' {
                let text = &bytes[from..end];
                if indent == 0 && (text.starts_with(b"---") || text.starts_with(b"...")) {
                    return Err(Bail);
                }
                return Ok(Some(Line {
                    start: from,
                    no,
                    indent,
                    end,
                }));
            }
            if end == bytes.len() {
                // The last line, without a line break: saphyr closes the blocks deeper than
                // where it ends before it ends the line.
                self.unended = Some(Marker::new(end, no, end - from));
            }
            from = end + 1;
            no += 1;
        }
        // Saphyr's stream ends after the last character, at the start of the line after the
        // last (a last line without its line break is ended as if it had one).
        self.end = Marker::new(bytes.len(), no, 0);
        Ok(None)
    }

    /// The content line after `line`.
    fn after(&mut self, line: &Line) -> Read<Option<Line>> {
        if line.end == self.bytes.len() {
            // The last line, without a line break (see `content_line`).
            self.unended = Some(self.at(line.end, line));
        }
        self.content_line(line.end + 1, line.no + 1)
    }

    /// Whether `line` is a block sequence's entry: `-` then a space or its end.
    fn is_entry(&self, line: &Line) -> bool {
        let at = line.content();
        self.bytes[at] == b'-' && matches!(self.byte(at + 1), b' ' | b'\n')
    }

    /// Where the block in `column` ends before `next`: at its first character, or at the end
    /// of the text.
    fn next_mark(&self, next: Option<&Line>, column: usize) -> Marker {
        match (next, self.unended) {
            (Some(l), _) => self.at(l.content(), l),
            (None, Some(last)) if column > last.col() => last,
            (None, _) => self.end,
        }
    }

    fn document(&mut self) -> Read<()> {
        let Some(first) = self.content_line(0, 1)? else {
            return Err(Bail);
        };
        self.push_empty(Event::StreamStart, Marker::new(0, 1, 0))?;
        self.push_empty(
            Event::DocumentStart(false),
            self.at(first.content(), &first),
        )?;
        let next = self.block(first, first.content(), 0)?;
        if next.is_some() {
            return Err(Bail);
        }
        self.push_empty(Event::DocumentEnd, self.end)?;
        self.push_empty(Event::StreamEnd, self.end)?;
        Ok(())
    }

    /// A block collection whose first line is `line`, its content from `at`: a mapping or a
    /// sequence. Returns the content line after it.
    fn block(&mut self, line: Line, at: usize, depth: usize) -> Read<Option<Line>> {
        match self.shape(&line, at)? {
            Shape::Key { .. } => self.mapping(line, at, depth),
            Shape::Entry => self.sequence(line, false, depth),
            Shape::Scalar => Err(Bail),
        }
    }

    /// What the text of `line` from `at` holds.
    fn shape(&self, line: &Line, at: usize) -> Read<Shape> {
        let first = self.byte(at);
        if first == b'-' && matches!(self.byte(at + 1), b' ' | b'\n') {
            return Ok(Shape::Entry);
        }
        if matches!(first, b'"' | b'\'' | b'[' | b'{') {
            // A quoted or flow key is not taken: what follows it must be a comment at most.
            return Ok(Shape::Scalar);
        }
        // Most lines are `key: ...` with a plain key: its bytes, then `: ` or `:` at the
        // line's end, are told in one pass. Any other line is read as below.
        let key_end = self.bytes[at..line.end]
            .iter()
            .position(|&b| !is_key_byte(b))
            .map_or(line.end, |p| at + p);
        if key_end == line.end {
            // No `:` and no `#`: a scalar.
            return Ok(Shape::Scalar);
        }
        if self.bytes[key_end] == b':' && matches!(self.byte(key_end + 1), b' ' | b'\n') {
            // Every byte before the `:` is one a key may hold: only its first is left to tell.
            return self.key(at, key_end, is_key_start(first));
        }
        // A key: `:` followed by a space or the line's end, before any comment.
        let mut from = at;
        while let Some(p) = self.bytes[from..line.end]
            .iter()
            .position(|&b| b == b':' || b == b'#')
        {
            let i = from + p;
            if self.bytes[i] == b':' {
                if matches!(self.byte(i + 1), b' ' | b'\n') {
                    return self.key(at, i, is_plain_key(&self.bytes[at..i]));
                }
            } else if i > at && self.bytes[i - 1] == b' ' {
                break;
            }
            from = i + 1;
        }
        Ok(Shape::Scalar)
    }

    /// A line whose key starts at `at` and ends before the `:` at `colon` (and the spaces
    /// before it): a key when the reader takes it (`plain`, see [`is_plain_key`]).
    fn key(&self, at: usize, colon: usize, plain: bool) -> Read<Shape> {
        let key_end = self.bytes[at..colon]
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(at, |p| at + p + 1);
        if plain && key_end > at {
            Ok(Shape::Key { key_end, colon })
        } else {
            Err(Bail)
        }
    }

    /// A block mapping whose first key stands on `line` at `at`; its keys stand in that column.
    fn mapping(&mut self, first: Line, at: usize, depth: usize) -> Read<Option<Line>> {
        if depth > DEEPEST {
            return Err(Bail);
        }
        let column = at - first.start;
        self.push_empty(Event::MappingStart(0, None), self.at(at, &first))?;
        let (mut line, mut at) = (first, at);
        loop {
            let Shape::Key { key_end, colon } = self.shape(&line, at)? else {
                return Err(Bail);
            };
            self.push_plain(&line, at, key_end)?;
            let value = skip_spaces(self.bytes, colon + 1, line.end);
            let next = if value == line.end || self.bytes[value] == b'#' {
                // The value is on the lines below, or empty.
                let below = self.after(&line)?;
                match below {
                    Some(b) if b.indent > column => self.block(b, b.content(), depth + 1)?,
                    Some(b) if b.indent == column && self.is_entry(&b) => {
                        self.sequence(b, true, depth + 1)?
                    }
                    _ => {
                        let mark = self.at(colon, &line);
                        self.push_scalar(Cow::Borrowed(""), ScalarStyle::Plain, mark, mark)?;
                        below
                    }
                }
            } else {
                self.inline(&line, value)?;
                self.after(&line)?
            };
            match next {
                Some(n) if n.indent == column => {
                    (line, at) = (n, n.content());
                }
                Some(n) if n.indent > column => return Err(Bail),
                _ => {
                    self.push_empty(Event::MappingEnd, self.next_mark(next.as_ref(), column))?;
                    return Ok(next);
                }
            }
        }
    }

    /// A block sequence whose first `-` stands on `first`; `indentless` when it is a mapping's
    /// value in the mapping's own column.
    fn sequence(&mut self, first: Line, indentless: bool, depth: usize) -> Read<Option<Line>> {
        if depth > DEEPEST {
            return Err(Bail);
        }
        let column = first.indent;
        let mut line = first;
        let mut started = false;
        loop {
            let dash = line.content();
            // Saphyr's entry token stands after the `-` and the spaces that follow it.
            let mut entry = skip_spaces(self.bytes, dash + 1, line.end);
            if self.byte(entry) == b'#' {
                // A comment after `- `: the entry's token stands at the line's end.
                entry = line.end;
            }
            if !started {
                let mark = if indentless { entry } else { dash };
                self.push_empty(Event::SequenceStart(0, None), self.at(mark, &line))?;
                started = true;
            }
            let next = if entry == line.end {
                let below = self.after(&line)?;
                match below {
                    Some(b) if b.indent > column => self.block(b, b.content(), depth + 1)?,
                    _ => {
                        let mark = self.at(entry, &line);
                        self.push_scalar(Cow::Borrowed(""), ScalarStyle::Plain, mark, mark)?;
                        below
                    }
                }
            } else {
                match self.shape(&line, entry)? {
                    Shape::Key { .. } => self.mapping(line, entry, depth + 1)?,
                    Shape::Entry => return Err(Bail),
                    Shape::Scalar => {
                        self.inline(&line, entry)?;
                        self.after(&line)?
                    }
                }
            };
            match next {
                Some(n) if n.indent == column && self.is_entry(&n) => {
                    line = n;
                }
                Some(n) if n.indent > column || (n.indent == column && !indentless) => {
                    return Err(Bail);
                }
                _ => {
                    self.push_empty(Event::SequenceEnd, self.next_mark(next.as_ref(), column))?;
                    return Ok(next);
                }
            }
        }
    }

    /// The plain scalar `from..to` of `line`, as written.
    fn push_plain(&mut self, line: &Line, from: usize, to: usize) -> Read<()> {
        let (start, end) = (self.at(from, line), self.at(to, line));
        let text = Cow::Borrowed(&self.text[from..to]);
        self.push_scalar(text, ScalarStyle::Plain, start, end)
    }

    fn push_scalar(
        &mut self,
        text: Cow<'a, str>,
        style: ScalarStyle,
        from: Marker,
        to: Marker,
    ) -> Read<()> {
        self.sink
            .event(Event::Scalar(text, style, 0, None), Span::new(from, to))
    }

    /// A value that starts at `at` and ends on its line: a scalar or a flow collection, then
    /// nothing but spaces and a comment.
    fn inline(&mut self, line: &Line, at: usize) -> Read<()> {
        let end = match self.bytes[at] {
            b'[' | b'{' => self.flow(line, at)?,
            b'"' | b'\'' => self.quoted(line, at, Context::Block)?,
            _ => {
                let end = plain_end(self.bytes, at, line.end, Context::Block)?;
                self.push_plain(line, at, end)?;
                end
            }
        };
        let rest = skip_spaces(self.bytes, end, line.end);
        if rest == line.end || (rest > end && self.bytes[rest] == b'#') {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Where saphyr's token that ends before `end` ends: past the spaces after it, and past a
    /// comment too where `context` is a block.
    fn token_end(&self, line: &Line, end: usize, context: Context) -> Marker {
        let mut to = skip_spaces(self.bytes, end, line.end);
        if context == Context::Block && to > end && self.byte(to) == b'#' {
            to = line.end;
        }
        self.at(to, line)
    }

    /// A quoted scalar closed on its line, without escapes; returns where its closing quote
    /// ends.
    fn quoted(&mut self, line: &Line, at: usize, context: Context) -> Read<usize> {
        let quote = self.bytes[at];
        let mut i = at + 1;
        let mut doubled = false;
        loop {
            if i >= line.end {
                return Err(Bail);
            }
            match self.bytes[i] {
                b'\\' if quote == b'"' => return Err(Bail),
                b'\'' if quote == b'\'' && self.byte(i + 1) == b'\'' => {
                    doubled = true;
                    i += 2;
                    continue;
                }
                b if b == quote => break,
                _ => {}
            }
            i += 1;
        }
        let inner = &self.text[at + 1..i];
        let (text, style) = if quote == b'"' {
            (Cow::Borrowed(inner), ScalarStyle::DoubleQuoted)
        } else if doubled {
            (
                Cow::Owned(inner.replace("''", "'")),
                ScalarStyle::SingleQuoted,
            )
        } else {
            (Cow::Borrowed(inner), ScalarStyle::SingleQuoted)
        };
        let (from, to) = (self.at(at, line), self.token_end(line, i + 1, context));
        self.push_scalar(text, style, from, to)?;
        Ok(i + 1)
    }

    /// A flow sequence (`[`) or mapping (`{`) of scalars closed on its line, mapping keys plain
    /// and each followed by `: `; returns where it ends.
    fn flow(&mut self, line: &Line, at: usize) -> Read<usize> {
        let (context, close, start, end) = match self.bytes[at] {
            b'[' => (
                Context::FlowSeq,
                b']',
                Event::SequenceStart(0, None),
                Event::SequenceEnd,
            ),
            _ => (
                Context::FlowMap,
                b'}',
                Event::MappingStart(0, None),
                Event::MappingEnd,
            ),
        };
        let mut i = skip_spaces(self.bytes, at + 1, line.end);
        self.sink
            .event(start, Span::new(self.at(at, line), self.at(i, line)))?;
        if self.byte(i) != close {
            loop {
                if context == Context::FlowMap {
                    let key_end = self.bytes[i..line.end]
                        .iter()
                        .position(|&b| b == b':')
                        .map_or(line.end, |p| i + p);
                    if key_end == i
                        || self.byte(key_end + 1) != b' '
                        || !is_plain_key(&self.bytes[i..key_end])
                        || self.bytes[key_end - 1] == b' '
                    {
                        return Err(Bail);
                    }
                    self.push_plain(line, i, key_end)?;
                    i = skip_spaces(self.bytes, key_end + 1, line.end);
                }
                i = match self.byte(i) {
                    b'"' | b'\'' => self.quoted(line, i, context)?,
                    _ => {
                        let end = plain_end(self.bytes, i, line.end, context)?;
                        self.push_plain(line, i, end)?;
                        end
                    }
                };
                i = skip_spaces(self.bytes, i, line.end);
                match self.byte(i) {
                    b if b == close => break,
                    b',' => {
                        i = skip_spaces(self.bytes, i + 1, line.end);
                        if self.byte(i) == close {
                            return Err(Bail);
                        }
                    }
                    _ => return Err(Bail),
                }
            }
        }
        let (from, to) = (
            self.at(i, line),
            self.token_end(line, i + 1, Context::Block),
        );
        self.sink.event(end, Span::new(from, to))?;
        Ok(i + 1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::quick_reads_as_saphyr;
    use super::events;

    /// A small deterministic generator (xorshift64*): the same documents on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n as u64).unwrap()
        }
        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// Values the reader takes.
    const PLAIN_VALUES: &[&str] = &[
        "{metric: precision, threshold: 0.5, direction: at_least}",
        "{}",
        "{ }",
        "{ b: c ,d: \"e\" }",
        "{a: 'x'}",
        "{a:  b}",
        "x",
        "hello world",
        "1.3.2",
        "2026-03-15",
        "0.807",
        "-1",
        "-x",
        "~",
        "null",
        "true",
        "a:b",
        "a#b",
        "http://x.y/z?q=1",
        "it's",
        "b, c",
        "b]",
        "(a)",
        "+1",
        ".5",
        "$x",
        "=",
        "\"q\"",
        "'q'",
        "'it''s'",
        "\"x: y\"",
        "'#'",
        "\"\"",
        "''",
        "[a, b]",
        "[ ]",
        "[]",
        "['x', \"y\"]",
        "[ a , b ]",
        "[-1, .5, x y]",
        "apache-2.0",
        "acme/corpus-19",
        "\"@acme/team-17\"",
        "ml-oncall@acme.example",
        "a  b",
        "a ...",
        "\"it's\"",
    ];

    /// Values at and past the subset's edges: what saphyr reads (or rejects) otherwise.
    const EDGE_VALUES: &[&str] = &[
        "{b: }",
        "{b}",
        "{\"b\": c}",
        "{b:c}",
        "{b: c,}",
        "{b: [c]}",
        "{b : c}",
        "{a: b, a: c}",
        "{a: b} x",
        "{a: b]",
        "[a}",
        "{a: b c: d}",
        "{a: -}",
        "{-a: b}",
        "{a: b #c}",
        "{a: b}#c",
        "-",
        "- x",
        "a: b",
        "a:",
        "a #b",
        "[a,]",
        "[a, [b]]",
        "[a: b]",
        "[a #c]",
        "\"a\\\"b\"",
        "{}",
        "{a: b}",
        "&a x",
        "*a",
        "!t x",
        "!!str x",
        "|",
        ">",
        "@x",
        "`x",
        "%x",
        "? x",
        ":x",
        "?x",
        "\"open",
        "'",
        "...",
        "---",
        "x\ty",
        "\u{e9}t\u{e9}",
        "[a, b] x",
        "\"q\" x",
        "'q'#c",
        "[a,b]#c",
        "x:",
        ",x",
        "]x",
        "#",
        "[",
        "a\r",
        "-.5",
        "-  y",
        "x: y: z",
        "[\"a\\\"\"]",
        "['a''b']",
        "[a, 'b' c]",
        "[a] ",
        "&",
        "x #",
    ];

    const PLAIN_KEYS: &[&str] = &[
        "a",
        "b",
        "key",
        "model-index",
        "risk_tier",
        "a b",
        "a.b",
        "_x",
        "1",
        "x/y",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
    ];

    const EDGE_KEYS: &[&str] = &[
        "-a", "\"q\"", "'q'", "a:b", "? a", "a#", "<<", "a  ", "&x a", "!t a", "[a]", "{a}",
        "a #b", "@a", ".a", "a\t", "~", "*a",
    ];

    struct Doc<'r> {
        rng: &'r mut Rng,
        edgy: bool,
        step: usize,
        out: String,
    }

    impl Doc<'_> {
        fn key(&mut self) -> &'static str {
            if self.edgy && self.rng.chance(8) {
                self.rng.pick(EDGE_KEYS)
            } else {
                self.rng.pick(PLAIN_KEYS)
            }
        }

        fn value(&mut self) -> &'static str {
            if self.edgy && self.rng.chance(15) {
                self.rng.pick(EDGE_VALUES)
            } else {
                self.rng.pick(PLAIN_VALUES)
            }
        }

        /// The end of a line: a comment, spaces, blank and comment lines after it.
        fn end_line(&mut self) {
            if self.rng.chance(10) {
                self.out.push_str(if self.rng.chance(50) {
                    " # note"
                } else {
                    "   "
                });
            }
            self.out.push('\n');
            if self.rng.chance(8) {
                self.out.push('\n');
            }
            if self.rng.chance(6) {
                let indent = self.rng.below(6);
                self.out.push_str(&" ".repeat(indent));
                self.out.push_str("# comment: - x\n");
            }
        }

        /// A mapping in column `indent`; when `inline`, its first key is already placed.
        fn mapping(&mut self, indent: usize, depth: usize, mut inline: bool) {
            let entries = 1 + self.rng.below(4);
            let mut used = Vec::new();
            for _ in 0..entries {
                if !inline {
                    self.out.push_str(&" ".repeat(indent));
                }
                inline = false;
                let mut key = self.key();
                while used.contains(&key) && !self.edgy {
                    key = self.key();
                }
                used.push(key);
                self.out.push_str(key);
                self.out.push(':');
                self.below(indent, depth, true);
            }
        }

        /// What follows `key:` or `-`: a value on the line, or a collection on the lines below.
        fn below(&mut self, indent: usize, depth: usize, in_mapping: bool) {
            let roll = self.rng.below(100);
            if depth < 4 && roll < 20 {
                self.end_line();
                self.mapping(indent + self.step, depth + 1, false);
            } else if depth < 4 && roll < 40 {
                self.end_line();
                let indentless = in_mapping && self.rng.chance(50);
                self.sequence(
                    if indentless {
                        indent
                    } else {
                        indent + self.step
                    },
                    depth + 1,
                );
            } else if roll < 45 {
                self.end_line();
            } else {
                self.out.push(' ');
                let value = self.value();
                self.out.push_str(value);
                self.end_line();
            }
        }

        fn sequence(&mut self, indent: usize, depth: usize) {
            let items = 1 + self.rng.below(4);
            for _ in 0..items {
                self.out.push_str(&" ".repeat(indent));
                self.out.push('-');
                if depth < 4 && self.rng.chance(25) {
                    let gap = 1 + self.rng.below(3);
                    self.out.push_str(&" ".repeat(gap));
                    self.mapping(indent + 1 + gap, depth + 1, true);
                } else {
                    self.below(indent, depth, false);
                }
            }
        }
    }

    fn document(rng: &mut Rng, edgy: bool) -> String {
        let step = 1 + rng.below(4);
        let mut doc = Doc {
            rng,
            edgy,
            step,
            out: String::new(),
        };
        if doc.rng.chance(15) {
            doc.out.push_str("# lead\n\n");
        }
        let indent = if doc.rng.chance(10) { 2 } else { 0 };
        if doc.rng.chance(15) {
            doc.sequence(indent, 0);
        } else {
            doc.mapping(indent, 0, false);
        }
        if doc.rng.chance(15) {
            doc.out.push_str("# tail");
        } else if doc.rng.chance(15) {
            while doc.out.ends_with('\n') {
                doc.out.pop();
            }
        }
        doc.out
    }

    /// One edit where YAML is most sensitive: an indicator, a space, a break, a tab.
    fn mutate(rng: &mut Rng, text: &mut String) {
        const INSERTS: &[&str] = &[
            " ", "-", ":", "#", "[", "]", "{", "}", ",", "'", "\"", "\n", "\t", "!", "&", "*", "?",
            "|", ">", "%", "@", "`", "~", "\\", "\u{e9}", ": ", "- ", " #", "\r", "---\n", "  ",
        ];
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match rng.below(3) {
            0 => text.insert_str(at, rng.pick(INSERTS)),
            1 if at < text.len() => {
                text.remove(at);
            }
            _ => {
                // A line's indentation one space more or less.
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if rng.chance(50) {
                    text.insert(start, ' ');
                } else if text[start..].starts_with(' ') {
                    text.remove(start);
                }
            }
        }
    }

    #[test]
    fn generated_documents_read_as_saphyr_reads_them() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut plain, mut taken) = (0, 0);
        for _ in 0..3_000 {
            let text = document(&mut rng, false);
            plain += 1;
            taken += usize::from(quick_reads_as_saphyr(&text));
        }
        // The reader is for these: it must take nearly all of them, or it is never used.
        assert!(
            taken * 100 >= plain * 95,
            "took {taken} of {plain} plain documents"
        );
    }

    #[test]
    fn documents_at_the_edges_and_mutated_read_as_saphyr_reads_them_or_not_at_all() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut tried, mut taken) = (0, 0);
        for _ in 0..4_000 {
            let mut text = document(&mut rng, true);
            for _ in 0..4 {
                tried += 1;
                taken += usize::from(quick_reads_as_saphyr(&text));
                mutate(&mut rng, &mut text);
            }
        }
        // Both sides of the edge are exercised.
        assert!(
            taken * 10 > tried && taken * 10 < tried * 9,
            "took {taken} of {tried}"
        );
    }

    /// The tree the reader's events build as they are read, or the error, is the tree or error
    /// saphyr-parser's events build, under the default bounds and under small ones — also
    /// where the builder refuses the document part way (a duplicate key, a bound), and where
    /// the reader leaves the document to saphyr part way.
    #[test]
    fn the_tree_built_as_the_reader_reads_is_saphyrs() {
        use crate::yaml::{Limits, built_as_saphyr_builds};
        let small = Limits {
            max_depth: 3,
            max_nodes: 25,
            max_bytes: 60,
        };
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        let (mut tried, mut refused) = (0, 0);
        for i in 0..3_000 {
            let mut text = document(&mut rng, i % 2 == 0);
            for _ in 0..3 {
                for limits in [Limits::default(), small] {
                    let built = built_as_saphyr_builds(&text, limits);
                    tried += 1;
                    refused += usize::from(built.is_err());
                }
                mutate(&mut rng, &mut text);
            }
        }
        assert!(
            refused * 10 > tried && refused * 10 < tried * 9,
            "{refused} of {tried}"
        );
        // A float that is not a number is the same tree both ways, though not equal to itself.
        for text in ["a: .nan\n", "a: [.NaN, .NAN]\n", "a: {b: .nan}\n"] {
            let tree = built_as_saphyr_builds(text, Limits::default());
            assert!(format!("{tree:?}").contains("NaN"), "{text:?}");
        }
    }

    #[test]
    fn what_the_reader_leaves_to_saphyr() {
        for text in [
            "",
            "# only a comment\n",
            "a: b\n---\nc: d\n",
            "%YAML 1.2\n---\na: b\n",
            "a: |\n  text\n",
            "a: &x b\nc: *x\n",
            "a: !!str b\n",
            "a: {b: [c]}\n",
            "a: hello\n  world\n",
            "a: \"two\n  lines\"\n",
            "a: \"esc\\n\"\n",
            "\"a\": b\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: caf\u{e9}\n",
            "- - x\n",
            "just a scalar\n",
            "[a, b]\n",
            // Past the longest text it takes: saphyr streams it, and the tree's bounds stop it.
            "-\n".repeat(200_000).as_str(),
        ] {
            assert!(events(text).is_none(), "{text:?} is read");
        }
    }

    #[test]
    fn a_card_is_read_with_saphyrs_spans() {
        let text = "a: b\nc:\n  - x\n  - y\nd:\n- p: 1\n  q: [a, \"b\", 'c']\n- 2\ne:\nf: ~   # c\n\ng:\n  h: i\n";
        assert!(quick_reads_as_saphyr(text));
        let events = events(text).unwrap();
        // The indentless sequence starts where its first item does (after `- `), the flow
        // sequence's start spans its `[`, an empty value stands at its `:`.
        let shown: Vec<String> = events
            .iter()
            .map(|(e, s)| format!("{e:?}@{}..{}", s.start.index(), s.end.index()))
            .collect();
        assert!(
            shown.contains(&"SequenceStart(0, None)@25..25".to_string()),
            "{shown:?}"
        );
        assert!(
            shown.contains(&"SequenceStart(0, None)@35..36".to_string()),
            "{shown:?}"
        );
        assert!(
            shown.contains(&"Scalar(\"\", Plain, 0, None)@54..54".to_string()),
            "{shown:?}"
        );
    }
}
