//! Characters that show nothing. Card text, records and events may hold them; the card reader
//! refuses them in keys and the renderers escape them, so what a reviewer reads is what is
//! there.

/// Whether a character shows nothing: zero-width and formatting characters, soft hyphens,
/// bidirectional controls, variation selectors, the byte-order mark.
pub(crate) fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E007F}')
}

/// A repository-relative path as a URI reference: every byte but the unreserved characters and
/// `/` percent-encoded, so a folder named `a#b` or `x?y` or `%2F..` stays the path it is.
pub(crate) fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Bytes (a digest) in lower-case hex.
pub(crate) fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(digest.len() * 2);
    for b in digest {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Whether `a` and `b` are at most `n` edits apart (Levenshtein, in characters). The
/// difference in length and half the summed difference of their characters' counts (an edit
/// changes at most two counts, by one each) bound the distance from below and settle most
/// pairs without the distance's table.
pub(crate) fn within_edits(a: &str, b: &str, n: usize) -> bool {
    if a.chars().count().abs_diff(b.chars().count()) > n {
        return false;
    }
    // One count per ASCII character, one for all others (merging counts keeps a lower bound).
    let mut counts = [0i32; 129];
    let bucket = |c: char| usize::try_from(u32::from(c)).map_or(128, |i| i.min(128));
    for c in a.chars() {
        counts[bucket(c)] += 1;
    }
    for c in b.chars() {
        counts[bucket(c)] -= 1;
    }
    let apart: u32 = counts.iter().map(|c| c.unsigned_abs()).sum();
    usize::try_from(apart.div_ceil(2)).is_ok_and(|bound| bound <= n)
        && strsim::levenshtein(a, b) <= n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds never turn away a pair the distance admits, nor admit one it does not.
    #[test]
    fn within_edits_is_the_distance_bounded() {
        let words = [
            "",
            "a",
            "abc",
            "kitten",
            "sitting",
            "governance",
            "goverance",
            "governnace",
            "gouvernance",
            "governanse",
            "governance_",
            "Governance",
            "language",
            "datasets",
            "base_model",
            "model-index",
            "library_name",
            "pipeline_tag",
            "risk_tier",
            "risktier",
            "tier_risk",
            "owner",
            "ownr",
            "onwer",
            "intended_use",
            "intended_uses",
            "gövernance",
            "gоvernance",
            "ßcafé",
            "cafés",
            "日本語",
            "日本",
        ];
        let mut admitted = 0;
        for a in words {
            for b in words {
                for n in 0..4 {
                    let expected = strsim::levenshtein(a, b) <= n;
                    assert_eq!(within_edits(a, b, n), expected, "{a:?} {b:?} {n}");
                    admitted += usize::from(expected && a != b);
                }
            }
        }
        assert!(admitted > 20, "{admitted}");
        assert!(!within_edits("kitten", "sitting", 2) && within_edits("kitten", "sitting", 3));
    }
}
