//! Positions in file coordinates: the parser counts characters within the YAML text, a
//! finding needs bytes, lines and columns of the file the text sits in.

use saphyr_parser::Span as YamlSpan;

use super::Origin;
use crate::span::{Pos, Span};

/// Turns the parser's character positions into file positions.
pub(super) struct Offsets {
    pub(super) origin: Origin,
    /// Byte offset of each character, when the text is not ASCII (then they differ).
    table: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    pub(super) fn new(text: &str, origin: Origin) -> Self {
        let table = (!text.is_ascii()).then(|| {
            let mut t: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            t.push(text.len());
            t
        });
        Offsets {
            origin,
            table,
            len: text.len(),
        }
    }

    pub(super) fn byte(&self, char_index: usize) -> usize {
        let local = match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        };
        self.origin.offset + local
    }

    pub(super) fn pos(&self, index: usize, line: usize, col: usize) -> Pos {
        Pos {
            line: self.origin.line + line.saturating_sub(1),
            col: col + 1,
            offset: self.byte(index),
        }
    }

    pub(super) fn span(&self, span: &YamlSpan) -> Span {
        let start = self.pos(span.start.index(), span.start.line(), span.start.col());
        Span {
            start,
            end: self.byte(span.end.index()).max(start.offset),
        }
    }
}
