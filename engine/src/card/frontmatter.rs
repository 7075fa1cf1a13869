//! Finds the YAML front matter of a Markdown model card, as Hugging Face writes it.
//!
//! An optional byte-order mark, any number of blank lines, a `---` line, the YAML, and the first
//! following line that is exactly `---` (trailing white space and CR allowed) closes it.

use crate::span::{Pos, Span};

/// Where the front matter stands in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontMatter {
    /// The opening `---` line.
    pub open: Span,
    /// Byte range of the YAML between the delimiters.
    pub yaml_start: usize,
    pub yaml_end: usize,
    /// File line (1-based) of the YAML's first line.
    pub yaml_line: usize,
}

/// A front matter that opens and never closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    pub open: Span,
}

/// Lines of `text` as (byte start, byte end without the line break, 1-based number).
fn lines(text: &str, from: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut start = from;
    let mut number = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        number += 1;
        let rest = &text[start..];
        let (len, next) = match rest.find('\n') {
            Some(i) => (i, start + i + 1),
            None => (rest.len(), text.len()),
        };
        let mut end = start + len;
        if text[start..end].ends_with('\r') {
            end -= 1;
        }
        let line = (start, end, number);
        start = next;
        Some(line)
    })
}

/// Finds the front matter; `Ok(None)` when the file has none.
pub fn find(text: &str) -> Result<Option<FrontMatter>, Unclosed> {
    let from = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut it = lines(text, from);
    let open = loop {
        match it.next() {
            None => return Ok(None),
            Some((s, e, _)) if text[s..e].trim().is_empty() => continue,
            Some((s, e, n)) if text[s..e].trim() == "---" => {
                let col = text[s..e].len() - text[s..e].trim_start().len();
                break Span {
                    start: Pos {
                        line: n,
                        col: col + 1,
                        offset: s + col,
                    },
                    end: s + col + 3,
                };
            }
            Some(_) => return Ok(None),
        }
    };
    let mut yaml_start = None;
    for (s, e, n) in it {
        let first = *yaml_start.get_or_insert((s, n));
        if text[s..e].trim_end() == "---" {
            return Ok(Some(FrontMatter {
                open,
                yaml_start: first.0,
                yaml_end: s,
                yaml_line: first.1,
            }));
        }
    }
    Err(Unclosed { open })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn yaml(text: &str) -> (&str, usize) {
        let fm = find(text).unwrap().unwrap();
        (&text[fm.yaml_start..fm.yaml_end], fm.yaml_line)
    }

    #[test]
    fn plain_front_matter() {
        assert_eq!(yaml("---\na: 1\n---\n# Title\n"), ("a: 1\n", 2));
    }

    #[test]
    fn bom_crlf_and_leading_blank_lines() {
        let text = "\u{feff}\r\n  \r\n---\r\na: 1\r\nb: 2\r\n---  \r\nbody\r\n";
        assert_eq!(yaml(text), ("a: 1\r\nb: 2\r\n", 4));
        assert_eq!(find(text).unwrap().unwrap().open.start.line, 3);
    }

    #[test]
    fn the_first_closing_line_ends_it() {
        assert_eq!(
            yaml("---\na: |\n  ---\n---\nb\n---\n"),
            ("a: |\n  ---\n", 2)
        );
    }

    #[test]
    fn empty_front_matter() {
        assert_eq!(yaml("---\n---\n"), ("", 2));
    }

    #[test]
    fn no_front_matter() {
        assert_eq!(find("# Title\n---\na: 1\n---\n").unwrap(), None);
        assert_eq!(find("").unwrap(), None);
    }

    #[test]
    fn unclosed_front_matter() {
        let e = find("\n---\na: 1\n").unwrap_err();
        assert_eq!(e.open.start.line, 2);
    }
}
