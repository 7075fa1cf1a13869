//! Signed decisions a deployment can verify: per model judged, an in-toto Statement v1 whose
//! predicate is a SLSA Verification Summary Attestation (VSA v1) — "aimsgate checked these
//! files against this policy pack, with this result" — optionally signed into a DSSE envelope,
//! and the check of such an envelope at deploy time ([`verify`]).
//!
//! What aimsgate says beyond the VSA's fields (the model, its findings and the waivers it
//! relied on, the decision record's digest) is under the predicate's `aimsgate` key, which
//! other consumers ignore by the in-toto parsing rules.

pub mod dsse;
pub mod keys;
pub mod subjects;
pub mod verify;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::{FindingRecord, WaiverRecord};
use crate::report::{Decision, ModelReport, Report};
pub use subjects::Subject;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of a SLSA Verification Summary Attestation v1.
pub const VSA_TYPE: &str = "https://slsa.dev/verification_summary/v1";
/// The verifier's id (a TypeURI).
pub const VERIFIER_ID: &str = "https://aimsgate.dev/verifier/v1";
/// The bytes hashed for one model's subjects unless told otherwise: 8 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 8 << 30;

/// An in-toto Statement v1 with a VSA v1 predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Vsa,
}

/// The VSA v1 predicate, every field as the specification names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vsa {
    pub verifier: Verifier,
    #[serde(rename = "timeVerified")]
    pub time_verified: String,
    #[serde(rename = "resourceUri")]
    pub resource_uri: String,
    pub policy: ResourceDescriptor,
    #[serde(rename = "verificationResult")]
    pub verification_result: String,
    #[serde(rename = "verifiedLevels")]
    pub verified_levels: Vec<String>,
    /// aimsgate's own account of the decision; absent from a statement aimsgate did not make.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aimsgate: Option<Decided>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    pub id: String,
    pub version: BTreeMap<String, String>,
}

/// A resource and its digests (the VSA's `policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDescriptor {
    pub uri: String,
    pub digest: BTreeMap<String, String>,
}

/// What aimsgate decided about the model, beyond the VSA's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub model: String,
    /// The card, relative to the repository root.
    pub card: String,
    /// `allowed`, `blocked` or `error`.
    pub decision: String,
    pub action: String,
    pub environment: Option<String>,
    /// Every finding, waived or not.
    pub findings: Vec<FindingRecord>,
    /// The waivers the decision relied on, with the last day each holds.
    pub waivers: Vec<WaiverRecord>,
    /// SHA-256 of the run's decision record (its JSON line).
    pub record_sha256: String,
}

/// `verifiedLevels` for a request: custom values (never `SLSA_…`) naming the action and the
/// environment judged.
pub fn levels(action: &str, environment: Option<&str>) -> Vec<String> {
    let mut out = vec![format!("AIMSGATE_ACTION_{}", action.to_ascii_uppercase())];
    if let Some(env) = environment {
        out.push(format!("AIMSGATE_ENVIRONMENT_{env}"));
    }
    out
}

/// Where the judged model stands, as a URI: the repository at the commit (`git+…@commit`)
/// with the model's folder as the fragment, or a `file:` URI outside git.
#[derive(Debug, Clone)]
pub struct Resource {
    /// `https://github.com/owner/name`, or `file:///path/to/repo`.
    pub repository: String,
    pub commit: Option<String>,
}

impl Resource {
    /// A repository on a GitHub server (`https://github.com`, `owner/name`).
    pub fn on_server(server: &str, name: &str, commit: Option<String>) -> Resource {
        Resource {
            repository: format!("{}/{name}", server.trim_end_matches('/')),
            commit,
        }
    }

    /// A repository (or folder) on this machine.
    pub fn local(root: &std::path::Path, commit: Option<String>) -> Resource {
        Resource {
            repository: format!(
                "file://{}",
                crate::chars::uri_path(root.to_string_lossy().trim_end_matches('/'))
            ),
            commit,
        }
    }

    fn uri(&self, folder: &str) -> String {
        let folder = crate::chars::uri_path(folder);
        match &self.commit {
            Some(c) => format!("git+{}@{c}#{folder}", self.repository),
            None if folder.is_empty() => self.repository.clone(),
            None => format!("{}/{folder}", self.repository.trim_end_matches('/')),
        }
    }
}

/// The file name an attestation of model `id` takes in the attestations' folder, before its
/// suffix: the id with each `/` written `%2F` (never a folder, and never the name of another
/// model's file, since `%` is not a character of ids).
pub fn file_stem(id: &str) -> String {
    id.replace('/', "%2F")
}

/// The folder a model's card stands in, relative to the repository root (`""` for the root).
pub fn folder_of(card: &str) -> &str {
    card.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The statement for `model` of `report`, whose subjects are `subjects`.
pub fn statement(
    report: &Report,
    model: &ModelReport,
    subjects: Vec<Subject>,
    resource: &Resource,
    pack_sha256: &str,
    record_sha256: &str,
) -> Statement {
    let findings = crate::record::model_record(model);
    let policy_uri = if report.policies == "embedded" {
        format!(
            "https://aimsgate.dev/policies/embedded@{}",
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!(
            "{}#{}",
            resource.repository,
            crate::chars::uri_path(&report.policies)
        )
    };
    Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        subject: subjects,
        predicate_type: VSA_TYPE.to_string(),
        predicate: Vsa {
            verifier: Verifier {
                id: VERIFIER_ID.to_string(),
                version: BTreeMap::from([(
                    "aimsgate".to_string(),
                    env!("CARGO_PKG_VERSION").to_string(),
                )]),
            },
            time_verified: report.now.to_cedar(),
            resource_uri: resource.uri(folder_of(&model.path)),
            policy: ResourceDescriptor {
                uri: policy_uri,
                digest: BTreeMap::from([("sha256".to_string(), pack_sha256.to_string())]),
            },
            verification_result: if model.decision == Decision::Allowed {
                "PASSED"
            } else {
                "FAILED"
            }
            .to_string(),
            verified_levels: levels(report.action.as_str(), report.environment.as_deref()),
            aimsgate: Some(Decided {
                model: model.id.clone(),
                card: model.path.clone(),
                decision: model.decision.as_str().to_string(),
                action: report.action.as_str().to_string(),
                environment: report.environment.clone(),
                findings: findings.findings,
                waivers: findings.waivers_applied,
                record_sha256: record_sha256.to_string(),
            }),
        },
    }
}
