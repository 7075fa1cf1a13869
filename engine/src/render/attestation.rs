//! What `aimsgate verify-attestation` shows: what was verified and whether it allows this
//! deployment, for a person or (JSON) for a script.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::attest::verify::{Verified, request};
use crate::error::InputError;

/// The human account of a verified statement.
pub fn human(envelope: &str, v: &Verified, out: &mut dyn Write) -> io::Result<()> {
    let p = &v.statement.predicate;
    writeln!(
        out,
        "verified  {envelope}: signed by the {} key {}",
        v.algorithm, v.keyid
    )?;
    if let Some(d) = &p.aimsgate {
        writeln!(out, "  model     {} ({})", d.model, d.card)?;
        writeln!(
            out,
            "  judged    {} at {}: {}",
            request(&d.action, d.environment.as_deref()),
            p.time_verified,
            p.verification_result
        )?;
    }
    let digest = p.policy.digest.get("sha256").map_or("-", String::as_str);
    writeln!(out, "  policy    sha256:{digest} ({})", p.policy.uri)?;
    writeln!(out, "  subjects  {}", v.statement.subject.len())?;
    for a in &v.artifacts {
        match &a.subject {
            Some(s) => writeln!(out, "  artifact  {} = {s}", a.path)?,
            None => writeln!(out, "  artifact  {} matches no subject", a.path)?,
        }
    }
    for r in &v.refusals {
        writeln!(out, "refused: {r}")?;
    }
    if v.allows() {
        writeln!(out, "allowed: the attestation allows this deployment")?;
    }
    Ok(())
}

/// The JSON account: `verified`, `allowed`, what the statement says, the artifacts matched and
/// the refusals; or, when it could not be verified, the errors.
pub fn json(
    envelope: &str,
    verified: Result<&Verified, &InputError>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = match verified {
        Err(e) => json!({
            "envelope": envelope,
            "verified": false,
            "allowed": false,
            "errors": [{ "code": e.code(), "message": e.message(), "path": e.path }],
        }),
        Ok(v) => {
            let p = &v.statement.predicate;
            let d = p.aimsgate.as_ref();
            json!({
                "envelope": envelope,
                "verified": true,
                "allowed": v.allows(),
                "key": { "algorithm": v.algorithm, "keyid": v.keyid },
                "model": d.map(|d| d.model.clone()),
                "card": d.map(|d| d.card.clone()),
                "result": p.verification_result,
                "time_verified": p.time_verified,
                "action": d.map(|d| d.action.clone()),
                "environment": d.and_then(|d| d.environment.clone()),
                "policy": { "uri": p.policy.uri, "digest": p.policy.digest },
                "subjects": v.statement.subject.len(),
                "artifacts": v.artifacts.iter().map(|a| json!({
                    "path": a.path, "sha256": a.sha256, "subject": a.subject,
                })).collect::<Vec<Value>>(),
                "refusals": v.refusals,
            })
        }
    };
    let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}
