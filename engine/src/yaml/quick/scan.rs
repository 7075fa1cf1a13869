//! The plain reader's scans of a line's bytes: where it ends, where a plain scalar ends,
//! which bytes a key may hold.

use super::{Bail, Read};

/// Whether a plain key this reader takes may hold `b`: letters, digits, `_ - . /` and spaces.
pub(super) fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b' ')
}

/// Whether `key` is a key this reader takes: letters, digits, `_ - . /` and inner spaces,
/// starting with a letter, a digit or `_`.
pub(super) fn is_plain_key(key: &[u8]) -> bool {
    key.first().copied().is_some_and(is_key_start) && key.iter().all(|&b| is_key_byte(b))
}

/// Whether a plain key this reader takes may start with `b`: a letter, a digit or `_`.
pub(super) fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where the line starting at `from` ends: its line break, or the end of the text. Every
/// byte before it must be printable ASCII (a tab, a carriage return, any other control
/// character or a non-ASCII byte is outside the subset). Eight bytes are told at a time.
pub(super) fn line_end(bytes: &[u8], from: usize) -> Read<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut end = from;
    while let Some(Ok(word)) = bytes.get(end..end + 8).map(<[u8; 8]>::try_from) {
        let w = u64::from_le_bytes(word);
        // A byte below a space (the line break among them) sets its high bit in `below`, a
        // byte above `~` in `above`. Borrows and carries run only upwards from such a byte,
        // so the lowest bit set is the first byte that is one.
        let below = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let above = (w.wrapping_add(ONES) | w) & HIGH;
        let special = below | above;
        if special != 0 {
            end += (special.trailing_zeros() / 8) as usize;
            return if bytes[end] == b'\n' {
                Ok(end)
            } else {
                Err(Bail)
            };
        }
        end += 8;
    }
    while end < bytes.len() {
        match bytes[end] {
            b'\n' => return Ok(end),
            b' '..=b'~' => end += 1,
            _ => return Err(Bail),
        }
    }
    Ok(end)
}

pub(super) fn skip_spaces(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && bytes[i] == b' ' {
        i += 1;
    }
    i
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Context {
    Block,
    FlowSeq,
    FlowMap,
}

/// Where a one-line plain scalar starting at `at` ends (its trailing spaces left out), when
/// it is one this reader takes.
pub(super) fn plain_end(bytes: &[u8], at: usize, line_end: usize, context: Context) -> Read<usize> {
    if at >= line_end {
        return Err(Bail);
    }
    let first = bytes[at];
    let starts = first.is_ascii_alphanumeric()
        || matches!(first, b'_' | b'.' | b'/' | b'(' | b'~' | b'+' | b'$' | b'=')
        || (first == b'-'
            && bytes
                .get(at + 1)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.'));
    if !starts {
        return Err(Bail);
    }
    let mut i = at;
    let mut last = at;
    while i < line_end {
        let b = bytes[i];
        match (context, b) {
            (_, b'#') if bytes[i - 1] == b' ' => break,
            (_, b':') if matches!(bytes.get(i + 1), None | Some(b' ' | b'\n')) => {
                return Err(Bail);
            }
            (Context::FlowSeq | Context::FlowMap, b'-')
                if matches!(bytes.get(i + 1), Some(b',' | b'[' | b']' | b'{' | b'}')) =>
            {
                // Saphyr rejects a `-` before a flow indicator inside a flow collection.
                return Err(Bail);
            }
            (Context::FlowSeq, b',' | b']') | (Context::FlowMap, b',' | b'}') => break,
            (
                Context::FlowSeq | Context::FlowMap,
                b'[' | b']' | b'{' | b'}' | b':' | b'#' | b'"' | b'\'',
            ) => {
                return Err(Bail);
            }
            _ => {}
        }
        if b != b' ' {
            last = i + 1;
        }
        i += 1;
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::line_end;

    #[test]
    fn a_line_ends_where_a_byte_at_a_time_says() {
        fn by_byte(bytes: &[u8], from: usize) -> Option<usize> {
            let mut end = from;
            while end < bytes.len() {
                match bytes[end] {
                    b'\n' => return Some(end),
                    b' '..=b'~' => end += 1,
                    _ => return None,
                }
            }
            Some(end)
        }
        // Every byte at every place of lines shorter and longer than a word, from every
        // start, alone and before a second byte of every kind.
        let seconds = [b'\n', b'\t', b'~', 0x7f, 0xff, b'a'];
        let mut tried = 0;
        for len in 0..19 {
            for at in 0..len {
                for b in 0..=255u8 {
                    for &second in &seconds {
                        let mut bytes = vec![b'x'; len];
                        bytes[at] = b;
                        if at + 1 < len {
                            bytes[len - 1] = second;
                        }
                        for from in 0..=at.min(3) {
                            let got = line_end(&bytes, from).ok();
                            assert_eq!(got, by_byte(&bytes, from), "{bytes:?} from {from}");
                            tried += 1;
                        }
                    }
                }
            }
        }
        assert!(tried > 100_000);
    }
}
