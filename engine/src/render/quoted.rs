//! The text of a file as the human output quotes it: control characters made harmless, and its
//! spans read from a few lines above them on. miette reads a span by walking the text from its
//! first byte, a byte at a time, to the span and past it; a run that draws thousands of
//! findings would walk each card once per label. [`Quoted`] hands miette the text from the
//! start of the first context line it will show, and puts back what that cut off (line
//! numbers and offsets), so what is drawn is what miette draws from the whole text.

use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A file's text as it is quoted: every control character but the line feed and the tab — a
/// bare carriage return above all, which a CI log reader takes for a line break — becomes a
/// space of the same byte length, so spans still point where they did and no quoted line can
/// start a line of its own (nor move a terminal's cursor).
#[derive(Debug, Clone)]
pub(super) struct Quoted(Arc<str>);

impl Quoted {
    pub(super) fn new(source: &Arc<str>) -> Quoted {
        let bytes = source.as_bytes();
        let unsafe_at = |i: usize| {
            let b = bytes[i];
            (b < 0x20
                && b != b'\n'
                && b != b'\t'
                && !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')))
                || b == 0x7F
        };
        // Most texts hold no control character but line feeds and tabs: told in one pass
        // over whole blocks (which the compiler vectorises) before any byte is looked at alone.
        let suspect = |b: u8| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7F;
        let clean = bytes
            .chunks(64)
            .all(|block| !block.iter().fold(false, |any, b| any | suspect(*b)));
        if clean || !(0..bytes.len()).any(unsafe_at) {
            return Quoted(Arc::clone(source));
        }
        let cleaned: String = source
            .char_indices()
            .map(|(i, c)| if c.is_ascii() && unsafe_at(i) { ' ' } else { c })
            .collect();
        Quoted(Arc::from(cleaned))
    }
}

impl SourceCode for Quoted {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let bytes = self.0.as_bytes();
        if span.is_empty() {
            // miette reads an empty span as ending the byte before it: read from the start.
            return <[u8] as SourceCode>::read_span(
                bytes,
                span,
                context_lines_before,
                context_lines_after,
            );
        }
        // The start of the line `context_lines_before` lines above the span's, or the text's
        // start. The quoted text has no bare carriage return, so its line starts are the bytes
        // after a line feed, as miette counts them.
        let mut window = 0;
        let mut cut = span.offset().min(bytes.len());
        for _ in 0..=context_lines_before {
            match bytes[..cut].iter().rposition(|b| *b == b'\n') {
                Some(i) => {
                    cut = i;
                    window = i + 1;
                }
                None => {
                    window = 0;
                    break;
                }
            }
        }
        let lines_before = bytes[..window].iter().filter(|b| **b == b'\n').count();
        let inner = SourceSpan::new((span.offset() - window).into(), span.len());
        let read = <[u8] as SourceCode>::read_span(
            &bytes[window..],
            &inner,
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(MietteSpanContents::new(
            read.data(),
            SourceSpan::new((read.span().offset() + window).into(), read.span().len()),
            read.line() + lines_before,
            read.column(),
            read.line_count() + lines_before,
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    type Read = (usize, usize, usize, usize, usize, usize);

    fn read(
        source: &dyn SourceCode,
        span: SourceSpan,
        before: usize,
        after: usize,
    ) -> Option<Read> {
        let c = source.read_span(&span, before, after).ok()?;
        Some((
            c.data().as_ptr() as usize,
            c.data().len(),
            c.span().offset(),
            c.span().len(),
            c.line() * 1_000_000 + c.column(),
            c.line_count(),
        ))
    }

    /// Every span of every fixture card (and of texts built to be awkward), read with every
    /// context miette asks for, is what miette reads from the whole text: the same bytes, the
    /// same lines and columns.
    #[test]
    fn a_span_read_from_its_window_is_the_span_read_from_the_whole_text() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cards");
        let mut texts: Vec<String> = vec![
            String::new(),
            "one line, no end".into(),
            "\n\n\n".into(),
            "a\r\nb\r\n\r\nc\r\n".into(),
            "é\nü ñ\n\u{1F917} x\n".into(),
            "a\rb\nc\u{7}d\n\u{7F}\n".into(),
        ];
        for entry in std::fs::read_dir(&root).unwrap() {
            let dir = entry.unwrap().path();
            for file in std::fs::read_dir(&dir).into_iter().flatten() {
                if let Ok(text) = std::fs::read_to_string(file.unwrap().path()) {
                    texts.push(text);
                }
            }
        }
        assert!(
            texts.len() > 40,
            "the fixture cards were read: {}",
            texts.len()
        );
        let mut compared = 0;
        for text in &texts {
            let quoted = Quoted::new(&Arc::from(text.as_str()));
            let whole: &[u8] = quoted.0.as_bytes();
            let n = whole.len();
            let step = (n / 50).max(1);
            // Spans inside the text, as findings' are (miette itself panics past its end).
            for offset in (0..=n).step_by(step).chain([n, n.saturating_sub(1)]) {
                for len in [0, 1, 3, 40].into_iter().filter(|l| offset + l <= n) {
                    for (before, after) in [(0, 0), (1, 1), (2, 3), (0, 2)] {
                        let span = SourceSpan::new(offset.into(), len);
                        let ours = read(&quoted, span, before, after);
                        let miettes = read(&whole, span, before, after);
                        assert_eq!(
                            ours, miettes,
                            "offset {offset} len {len} context {before}/{after} of {text:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 10_000, "{compared}");
    }

    #[test]
    fn control_characters_are_quoted_as_spaces_of_their_length() {
        let quoted = Quoted::new(&Arc::from("a\rb\r\nc\u{1b}[2J\u{7F}é\t"));
        assert_eq!(&*quoted.0, "a b\r\nc [2J é\t");
        let clean: Arc<str> = Arc::from("plain\r\ntext\n");
        assert!(Arc::ptr_eq(&Quoted::new(&clean).0, &clean));
    }
}
