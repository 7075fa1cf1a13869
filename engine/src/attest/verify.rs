//! `aimsgate verify-attestation`: the deploy step's question — does this signed statement allow
//! deploying these files, here, now? — answered without the repository, GitHub or the pack.
//! What cannot be verified (the envelope, the signature, the statement's form) is an error;
//! what verifies but does not allow this deployment is a refusal with its reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::dsse::{self, Envelope};
use super::keys::VerifyingKey;
use super::{STATEMENT_TYPE, Statement, VSA_TYPE, levels};
use crate::date::Instant;
use crate::error::AttestError;

/// The most bytes an envelope file may hold.
pub const MAX_ENVELOPE_BYTES: u64 = 16 << 20;

const MS_PER_DAY: i64 = 86_400_000;

/// What the deployment is, that the attestation must allow.
#[derive(Debug, Clone)]
pub struct Expected {
    pub action: String,
    pub environment: Option<String>,
    pub now: Instant,
    pub max_age_days: Option<u32>,
    /// `sha256:HEX`.
    pub policy_digest: Option<String>,
}

/// A file being deployed, matched against the statement's subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// As given (a file, or a file under a folder given).
    pub path: String,
    pub sha256: String,
    /// The subject with that digest, when there is one.
    pub subject: Option<String>,
}

/// A verified statement and what it says of this deployment.
#[derive(Debug, Clone)]
pub struct Verified {
    pub statement: Statement,
    pub keyid: String,
    pub algorithm: &'static str,
    pub artifacts: Vec<Artifact>,
    /// Why the statement does not allow this deployment; empty when it does.
    pub refusals: Vec<String>,
}

impl Verified {
    pub fn allows(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// The one envelope of a `.intoto.jsonl` file (blank lines aside).
pub fn read_envelope(text: &str) -> Result<Envelope, AttestError> {
    // The unsigned statement written beside the envelope is a likely mistake: say so.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && value.get("_type").is_some()
    {
        return Err(AttestError::Envelope(
            "this is an unsigned statement (`<model-id>.statement.json`); verify the signed envelope beside it, `<model-id>.intoto.jsonl`".into(),
        ));
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (n, line) = lines
        .next()
        .ok_or_else(|| AttestError::Envelope("the file holds no envelope".into()))?;
    if let Some((m, _)) = lines.next() {
        return Err(AttestError::Envelope(format!(
            "line {}: a second envelope; verify one model's attestation at a time",
            m + 1
        )));
    }
    serde_json::from_str(line)
        .map_err(|e| AttestError::Envelope(format!("line {}: not a DSSE envelope ({e})", n + 1)))
}

/// Verifies `envelope` with `key` and judges the statement against `expected` and the files
/// `artifacts` (each a file, or a folder whose every file is deployed).
pub fn verify(
    envelope: &Envelope,
    key: &VerifyingKey,
    expected: &Expected,
    artifacts: &[PathBuf],
) -> Result<Verified, AttestError> {
    let payload = dsse::open(envelope, key)?;
    let statement = statement(&payload)?;
    let p = &statement.predicate;
    let Some(decided) = &p.aimsgate else {
        return Err(AttestError::Statement(format!(
            "the statement carries no `aimsgate` decision: it was not made by aimsgate check {}",
            crate::setting::name(crate::setting::Setting::Attest)
        )));
    };
    if p.verified_levels != levels(&decided.action, decided.environment.as_deref()) {
        return Err(AttestError::Statement(
            "the statement's verifiedLevels disagree with the action and environment it names"
                .into(),
        ));
    }
    let verified = Instant::parse(&p.time_verified)
        .map_err(|e| AttestError::Statement(format!("timeVerified: {e}")))?;
    let mut refusals = Vec::new();
    match p.verification_result.as_str() {
        "PASSED" => {}
        "FAILED" => {
            let gates: Vec<String> = decided
                .findings
                .iter()
                .filter(|f| f.severity == "error" && !f.waived)
                .map(|f| format!("`{}`", f.gate))
                .collect();
            refusals.push(format!(
                "the statement says FAILED: model `{}` was {} for {}{}",
                decided.model,
                decided.decision,
                request(&decided.action, decided.environment.as_deref()),
                if gates.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", gates.join(", "))
                }
            ));
        }
        other => {
            return Err(AttestError::Statement(format!(
                "verificationResult is `{other}`, neither PASSED nor FAILED"
            )));
        }
    }
    if decided.action != expected.action || decided.environment != expected.environment {
        refusals.push(format!(
            "the statement judged {}, not {}",
            request(&decided.action, decided.environment.as_deref()),
            request(&expected.action, expected.environment.as_deref())
        ));
    }
    let age = expected.now.millis() - verified.millis();
    if age < 0 {
        refusals.push(format!(
            "the statement is dated {}, after the time of this check ({})",
            p.time_verified,
            expected.now.to_cedar()
        ));
    } else if let Some(days) = expected.max_age_days
        && age > i64::from(days) * MS_PER_DAY
    {
        refusals.push(format!(
            "the statement is {} old ({}), more than the {} allowed",
            crate::report::counted(
                usize::try_from(age / MS_PER_DAY).unwrap_or(usize::MAX),
                "day",
                "days"
            ),
            p.time_verified,
            crate::report::counted(days as usize, "day", "days")
        ));
    }
    for w in &decided.waivers {
        let expires = Instant::parse(&w.expires)
            .map_err(|e| AttestError::Statement(format!("a waiver's expiry: {e}")))?;
        // A waiver holds through its last day.
        if expected.now.millis() >= expires.millis() + MS_PER_DAY {
            refusals.push(format!(
                "the decision relied on a waiver of `{}` (approved by {}) that expired on {}",
                w.gate, w.approved_by, w.expires
            ));
        }
    }
    let attested = p.policy.digest.get("sha256").map(|h| format!("sha256:{h}"));
    if let Some(want) = &expected.policy_digest
        && attested.as_deref() != Some(want.to_ascii_lowercase().as_str())
    {
        refusals.push(format!(
            "the policy pack was {}, not {want}",
            attested.as_deref().unwrap_or("not named")
        ));
    }
    let subjects: BTreeSet<(&str, &str)> = statement
        .subject
        .iter()
        .filter_map(|s| {
            s.digest
                .get("sha256")
                .map(|d| (d.as_str(), s.name.as_str()))
        })
        .collect();
    let mut matched = Vec::new();
    if artifacts.is_empty() {
        refusals.push(
            "no file to deploy was named: a statement allows files, and none was checked".into(),
        );
    }
    for given in artifacts {
        let digests = artifact_digests(given)?;
        if digests.is_empty() {
            refusals.push(format!(
                "{}: no file under it, so nothing it holds was checked",
                given.display()
            ));
        }
        for (path, sha256) in digests {
            let subject = subjects
                .iter()
                .find(|(d, _)| *d == sha256)
                .map(|(_, name)| (*name).to_string());
            if subject.is_none() {
                refusals.push(format!(
                    "{path}: its sha256 {sha256} is not among the statement's subjects"
                ));
            }
            matched.push(Artifact {
                path,
                sha256,
                subject,
            });
        }
    }
    Ok(Verified {
        keyid: key.keyid(),
        algorithm: key.algorithm().as_str(),
        statement,
        artifacts: matched,
        refusals,
    })
}

/// `deploy to production`, `release`.
pub fn request(action: &str, environment: Option<&str>) -> String {
    match environment {
        Some(env) => format!("{action} to {env}"),
        None => action.to_string(),
    }
}

/// The statement in a verified payload, held to the in-toto Statement v1 and VSA v1 rules.
fn statement(payload: &[u8]) -> Result<Statement, AttestError> {
    let value: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| AttestError::Statement(format!("the payload is not JSON ({e})")))?;
    let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
    if field("_type") != Some(STATEMENT_TYPE) {
        return Err(AttestError::Statement(format!(
            "the payload's _type is not `{STATEMENT_TYPE}`"
        )));
    }
    if field("predicateType") != Some(VSA_TYPE) {
        return Err(AttestError::Statement(format!(
            "the predicate type is not `{VSA_TYPE}`"
        )));
    }
    let statement: Statement = serde_json::from_value(value).map_err(|e| {
        AttestError::Statement(format!(
            "the statement does not have the VSA v1 fields ({e})"
        ))
    })?;
    if statement.subject.is_empty()
        || statement
            .subject
            .iter()
            .any(|s| s.digest.is_empty() || s.name.is_empty())
    {
        return Err(AttestError::Statement(
            "every subject needs a name and a digest, and there must be one".into(),
        ));
    }
    if statement
        .predicate
        .verified_levels
        .iter()
        .any(|l| l.starts_with("SLSA_"))
    {
        return Err(AttestError::Statement(
            "aimsgate names no SLSA level; a `SLSA_…` verifiedLevel is not its".into(),
        ));
    }
    Ok(statement)
}

/// `(path, sha256)` of the file `given`, or of every file under it if it is a folder: the
/// sha256 of the bytes, a link to a file followed to it (a link to a folder is an error, never
/// walked).
fn artifact_digests(given: &Path) -> Result<Vec<(String, String)>, AttestError> {
    let meta = std::fs::symlink_metadata(given)
        .map_err(|e| AttestError::Subject(format!("{}: cannot be read: {e}", given.display())))?;
    let mut out = Vec::new();
    if !meta.is_dir() {
        let shown = given.display().to_string();
        out.push((shown.clone(), super::subjects::file_digest(given, &shown)?));
        return Ok(out);
    }
    let mut stack = vec![given.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            AttestError::Subject(format!("{}: cannot be listed: {e}", dir.display()))
        })?;
        for entry in entries {
            let path = entry
                .map_err(|e| AttestError::Subject(format!("{}: {e}", dir.display())))?
                .path();
            let kind = std::fs::symlink_metadata(&path).map_err(|e| {
                AttestError::Subject(format!("{}: cannot be read: {e}", path.display()))
            })?;
            if kind.is_dir() {
                stack.push(path);
            } else {
                let shown = path.display().to_string();
                out.push((shown.clone(), super::subjects::file_digest(&path, &shown)?));
            }
        }
    }
    out.sort();
    Ok(out)
}
