//! Release tags: the version a tag at HEAD gives a model (`v1.2.3` for every model,
//! `<id>/v1.2.3` or `<id>-v1.2.3` for one), and tags that disagree.

use std::collections::BTreeSet;

use crate::error::EvidenceError;

/// The version a release tag gives model `id`: `v1.2.3` (every model), `<id>/v1.2.3` or
/// `<id>-v1.2.3` (that model; these win over a bare tag). Two tags that give the model
/// different versions are ambiguous: `Err` names them.
pub fn tag_version(tags: &[String], id: &str) -> Result<Option<String>, EvidenceError> {
    let version = |t: &str| -> Option<String> {
        let v = t.strip_prefix('v')?;
        let mut parts = v.split(['-', '+']).next()?.split('.');
        let numeric = parts
            .next()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        numeric.then(|| v.to_string())
    };
    let specific: BTreeSet<(String, &String)> = tags
        .iter()
        .filter_map(|t| {
            let rest = t
                .strip_prefix(id)
                .and_then(|r| r.strip_prefix('/').or_else(|| r.strip_prefix('-')))?;
            version(rest).map(|v| (v, t))
        })
        .collect();
    let bare: BTreeSet<(String, &String)> = tags
        .iter()
        .filter_map(|t| version(t).map(|v| (v, t)))
        .collect();
    let chosen = if specific.is_empty() { bare } else { specific };
    let versions: BTreeSet<&String> = chosen.iter().map(|(v, _)| v).collect();
    match versions.len() {
        0 => Ok(None),
        1 => Ok(versions.into_iter().next().cloned()),
        _ => Err(EvidenceError::Ref(format!(
            "the release tags at HEAD give model `{id}` different versions: {}",
            chosen
                .iter()
                .map(|(_, t)| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn release_tags_in_three_forms() {
        assert_eq!(
            tag_version(&tags(&["v1.2.3"]), "fraud").unwrap().as_deref(),
            Some("1.2.3")
        );
        assert_eq!(
            tag_version(&tags(&["v1.0.0", "fraud/v2.0.0"]), "fraud")
                .unwrap()
                .as_deref(),
            Some("2.0.0")
        );
        assert_eq!(
            tag_version(&tags(&["fraud-v2.1.0-rc.1"]), "fraud")
                .unwrap()
                .as_deref(),
            Some("2.1.0-rc.1")
        );
        assert_eq!(
            tag_version(&tags(&["other/v9.0.0"]), "fraud").unwrap(),
            None
        );
        assert_eq!(
            tag_version(&tags(&["release", "vnext", "v1.x"]), "fraud").unwrap(),
            None
        );
        let e = tag_version(&tags(&["fraud/v1.0.0", "fraud-v1.1.0"]), "fraud").unwrap_err();
        assert!(
            matches!(&e, EvidenceError::Ref(m) if m.contains("`fraud-v1.1.0`") && m.contains("`fraud/v1.0.0`")),
            "{e}"
        );
    }
}
