//! Scans of text for a few ASCII bytes, eight bytes at a time: where the next line break, or
//! the next byte that may open a run, stands.

/// Where the first byte of `set` at or after `from` stands in `bytes`.
#[inline]
pub(crate) fn first_of<const N: usize>(bytes: &[u8], from: usize, set: [u8; N]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `w` equal to `b` is a zero byte of `w ^ b…b`, whose high bit `zero` sets;
    // borrows run only upwards from a zero byte, so the lowest bit set is the first match.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut at = from;
    while let Some(Ok(word)) = bytes.get(at..at + 8).map(<[u8; 8]>::try_from) {
        let w = u64::from_le_bytes(word);
        let hits = set
            .iter()
            .fold(0, |hits, b| hits | zero(w ^ (ONES * u64::from(*b))));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = bytes.get(at..)?;
    rest.iter().position(|b| set.contains(b)).map(|j| at + j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_is_found_at_every_place_eight_at_a_time_or_not() {
        let set = [b'<', b'{', b'*'];
        for len in 0..40 {
            for at in 0..=len {
                for byte in [
                    b'<', b'{', b'*', b'\n', b'a', b'=', b'|', b'+', 0x80, 0xff, 0,
                ] {
                    let mut bytes = vec![b'x'; len];
                    if at < len {
                        bytes[at] = byte;
                    }
                    for from in 0..=len + 1 {
                        let want = (from..len).find(|i| set.contains(&bytes[*i]));
                        assert_eq!(first_of(&bytes, from, set), want, "{bytes:?} from {from}");
                        let want = (from..len).find(|i| bytes[*i] == b'\n');
                        assert_eq!(first_of(&bytes, from, [b'\n']), want, "{bytes:?}");
                    }
                }
            }
        }
    }
}
