//! Who a card says it is, without all of it: the identity of a card a run does not judge
//! (`--changed-since`), read from the event stream when that is certain, and the id a card had
//! at a git ref, read as leniently as can be.

use std::path::Path;
use std::sync::Arc;

use super::ids::IdIndex;
use super::{Format, Keys, find_line_separator, folder_name, invalid_id, parse, text_of, yaml_of};
use crate::error::InputError;
use crate::span::Span;
use crate::yaml::{self, Limits, Value};

/// Who a card says it is and where it stands: what a run needs of a card it does not judge.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    pub anchor: Span,
    pub model_id: String,
}

/// The identity of the card file `file` (shown as `path`) from its bytes: its
/// `governance.id` read without the rest of the card when that is certain to be what reading
/// it whole gives ([`yaml::string_at`]), or remembered by `ids` from an earlier read of the
/// same text, else the card read whole. Errors and files that are
/// not cards as in [`from_bytes`]; a card whose identity is read alone is not looked at for
/// the errors in the rest of it.
pub fn identity_of(
    bytes: Vec<u8>,
    file: &Path,
    path: &str,
    explicit: bool,
    keys: &Keys,
    ids: &IdIndex,
) -> Result<Result<Identity, Vec<u8>>, Vec<InputError>> {
    // The text is kept no longer than this read: a run that skips thousands of cards holds
    // none of them.
    let text = match text_of(bytes, file, path, explicit)? {
        Ok(text) => text,
        Err(bytes) => return Ok(Err(bytes)),
    };
    let format = Format::of(file);
    if let Some((model_id, anchor)) = ids.declared(&text, format, || declared_id(&text, format)) {
        return Ok(Ok(Identity {
            path: path.to_string(),
            anchor,
            model_id,
        }));
    }
    let fallback_id = folder_name(file);
    let source: Arc<str> = Arc::from(text);
    Ok(
        match parse(
            path,
            Arc::clone(&source),
            format,
            explicit,
            &fallback_id,
            keys,
        )? {
            Some(card) => Ok(Identity {
                path: card.path,
                anchor: card.anchor,
                model_id: card.model_id,
            }),
            None => Err(source.as_bytes().to_vec()),
        },
    )
}

/// A valid `governance.id` the card certainly declares, and the card's anchor; `None` when
/// only reading the card whole can tell.
fn declared_id(source: &str, format: Format) -> Option<(String, Span)> {
    if source.contains('\0') {
        return None;
    }
    let (yaml_text, origin, anchor) = yaml_of(source, format).ok()??;
    if find_line_separator(yaml_text).is_some() {
        return None;
    }
    let (id, _) = yaml::string_at(yaml_text, origin, &["governance", "id"])?;
    let id = id.trim();
    (!id.is_empty() && invalid_id(id).is_none()).then(|| (id.to_string(), anchor))
}

/// The model id and anchor of a card's text as it stands in git (at a protected ref or a merge
/// base), found as leniently as can be: a card that does not parse there (an older version
/// may not meet today's rules) still has the id its `governance.id` or its folder gives it.
/// `None` when the text is not a card.
pub fn identify(
    path: &str,
    source: &Arc<str>,
    format: Format,
    fallback_id: &str,
    keys: &Keys,
) -> Option<(String, Span)> {
    match parse(path, Arc::clone(source), format, false, fallback_id, keys) {
        Ok(Some(card)) => return Some((card.model_id, card.anchor)),
        Ok(None) => return None,
        Err(_) => {}
    }
    let (yaml_text, origin, anchor) = match yaml_of(source, format) {
        Ok(Some(found)) => found,
        Ok(None) => return None,
        Err(unclosed) => ("", yaml::Origin::default(), unclosed.open),
    };
    let id = yaml::parse(yaml_text, origin, Limits::default())
        .ok()
        .flatten()
        .and_then(|root| {
            let id = root.get("governance")?.value.get("id")?;
            match &id.value.value {
                Value::Scalar { text, .. } if !text.trim().is_empty() => {
                    Some(text.trim().to_string())
                }
                _ => None,
            }
        });
    // A front matter that does not parse may be a card's: it counts as one.
    Some((id.unwrap_or_else(|| fallback_id.to_string()), anchor))
}
