//! The one table of evidence keys: the names under which evidence enters the Cedar request (the
//! context's attributes; `tag_version` on the card's entity), and by which a gate's `@field`
//! names evidence rather than a card field, so that its finding is told from the evidence.

use crate::card::{FieldPath, Segment};

/// A kind of evidence a gate can read and a finding can describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKey {
    /// `git`: HEAD, its author and committer, tags, trailers, what the change touched.
    Git,
    /// `branch`: the branch a release happens from.
    Branch,
    /// `default_branch`: the repository's default branch.
    DefaultBranch,
    /// `github`: the GitHub event the run is part of.
    Github,
    /// `review`: the pull request's reviews.
    Review,
    /// `tag_version`: the version the release tags at HEAD give the model (on its entity).
    TagVersion,
}

impl EvidenceKey {
    /// Every key, in the order the request lists them.
    pub const ALL: [EvidenceKey; 6] = [
        EvidenceKey::Git,
        EvidenceKey::Branch,
        EvidenceKey::DefaultBranch,
        EvidenceKey::Github,
        EvidenceKey::Review,
        EvidenceKey::TagVersion,
    ];

    /// The attribute's name, in the schema and in a gate's `@field`.
    pub fn name(self) -> &'static str {
        match self {
            EvidenceKey::Git => "git",
            EvidenceKey::Branch => "branch",
            EvidenceKey::DefaultBranch => "default_branch",
            EvidenceKey::Github => "github",
            EvidenceKey::Review => "review",
            EvidenceKey::TagVersion => "tag_version",
        }
    }

    /// The evidence a gate field names, or `None` for a card field.
    pub fn of(field: &FieldPath) -> Option<EvidenceKey> {
        match field.segments().first() {
            Some(Segment::Key(k)) => EvidenceKey::ALL.into_iter().find(|e| e.name() == k),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The attributes the embedded schema declares on a record or entity type.
    fn declared(type_path: &[&str]) -> Vec<String> {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../embedded_schema.json")).unwrap();
        let mut node = &doc["schema"]["Aims"];
        for step in type_path {
            node = &node[step];
        }
        node["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn every_key_is_declared_where_the_request_puts_it() {
        let context = declared(&["commonTypes", "RequestContext"]);
        let model = declared(&["entityTypes", "Model", "shape"]);
        for key in EvidenceKey::ALL {
            let place = if key == EvidenceKey::TagVersion {
                &model
            } else {
                &context
            };
            assert!(
                place.iter().any(|a| a == key.name()),
                "{key:?} not declared"
            );
        }
        // And every context attribute that is evidence has its key: all but the run's own.
        for attribute in &context {
            assert!(
                ["now", "environment"].contains(&attribute.as_str())
                    || EvidenceKey::ALL.iter().any(|k| k.name() == attribute),
                "context attribute `{attribute}` has no evidence key"
            );
        }
    }
}
