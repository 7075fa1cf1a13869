//! Plain scalars resolved by the YAML 1.2 core schema (`true`, `~`, `0x1F`, `.inf`, …), and
//! tagged scalars held to the tag they carry.

use saphyr_parser::ScalarStyle;

use super::{ParseError, ScalarKind};
use crate::error::YamlError;
use crate::span::Pos;

/// Resolves a scalar to its core-schema type. Quoted and block scalars are always strings.
pub(super) fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    at: Pos,
) -> Result<ScalarKind, ParseError> {
    let resolved = if style == ScalarStyle::Plain {
        resolve_plain(text)
    } else {
        ScalarKind::Str
    };
    let Some(tag) = tag else { return Ok(resolved) };
    let fits = match tag {
        "str" => return Ok(ScalarKind::Str),
        "null" => matches!(resolved, ScalarKind::Null),
        "bool" => matches!(resolved, ScalarKind::Bool(_)),
        "int" => matches!(resolved, ScalarKind::Int(_)),
        "float" => {
            if let ScalarKind::Int(i) = resolved {
                return Ok(ScalarKind::Float(i as f64));
            }
            matches!(resolved, ScalarKind::Float(_))
        }
        _ => false,
    };
    if fits {
        Ok(resolved)
    } else {
        Err(ParseError {
            kind: YamlError::Syntax(format!("`{text}` is not a valid `!!{tag}`")),
            pos: at,
        })
    }
}

/// The YAML 1.2 core schema (section 10.3.2) for plain scalars.
pub(super) fn resolve_plain(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "true" | "True" | "TRUE" => return ScalarKind::Bool(true),
        "false" | "False" | "FALSE" => return ScalarKind::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return ScalarKind::Float(f64::NAN),
        _ => {}
    }
    let (sign, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return ScalarKind::Float(sign * f64::INFINITY);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return i64::from_str_radix(oct, 8).map_or(ScalarKind::Str, ScalarKind::Int);
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return i64::from_str_radix(hex, 16).map_or(ScalarKind::Str, ScalarKind::Int);
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => ScalarKind::Int(i),
            Err(_) => text
                .parse::<f64>()
                .map_or(ScalarKind::Str, ScalarKind::Float),
        };
    }
    if is_core_float(unsigned) {
        return text
            .parse::<f64>()
            .map_or(ScalarKind::Str, ScalarKind::Float);
    }
    ScalarKind::Str
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`, without the sign.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac = digits(&mut i);
        if int == 0 && frac == 0 {
            return false;
        }
    } else if int == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}
