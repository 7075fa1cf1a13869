//! Where something stands in a file: a position (line, column, byte offset) and a span. Shared
//! by the readers that find places (the YAML reader, the card, the waivers) and everything that
//! points at them (findings, errors, renderers), so none of those depends on another for it.

/// A position in a file: 1-based line and column (in characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    pub offset: usize,
}

/// Where a node stands: its start, and the byte offset just past its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Pos,
    pub end: usize,
}

impl Span {
    /// The byte length of the span (at least one byte, so an underline is always visible).
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start.offset).max(1)
    }

    /// Whether the span covers no byte of text.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start.offset
    }
}
