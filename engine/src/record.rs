//! The audit trail: one decision record per check, as a JSON line appended to a file
//! (`--record FILE`, written atomically: the file is rewritten beside itself and renamed into
//! place, so a crash leaves the old file or the new one, never a torn line) and/or attached to
//! the commit as a git note under `refs/notes/aimsgate` (`--record-git-note`). `aimsgate log`
//! reads the notes back. When recording was asked and fails, the check fails.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::date::Instant;
use crate::evidence::Evidence;
use crate::pack::Pack;
use crate::report::Report;

/// The notes ref the records are kept under.
pub const NOTES_REF: &str = "refs/notes/aimsgate";

/// The version of the record's shape. Fields are only ever added within a version (a reader
/// of version 1 ignores fields it does not know; records written before a field existed read
/// as if it were empty).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub schema_version: u32,
    /// When the record was made (the clock, not `--now`).
    pub recorded_at: String,
    /// The instant the gates judged ages from (`--now`).
    pub now: String,
    /// The commit judged (HEAD: on a pull request, the test merge commit).
    pub commit: Option<String>,
    /// The branch the judged change is on: a pull request's head branch, else the checked-out
    /// branch, else the branch a push or manual run names.
    pub branch: Option<String>,
    pub actor: String,
    pub action: String,
    pub environment: Option<String>,
    /// The GitHub event that ran the check.
    #[serde(default)]
    pub event: Option<EventRecord>,
    /// The ref governance configuration was read from.
    #[serde(default)]
    pub protected_ref: Option<RefRecord>,
    /// What `--changed-since` compared with.
    #[serde(default)]
    pub changed_since: Option<ChangeRecord>,
    pub policies: PolicyRecord,
    pub decision: String,
    pub models: Vec<ModelRecord>,
    /// Models found but not checked, and models the change removed: what was not judged.
    #[serde(default)]
    pub skipped: Vec<ScopeRecord>,
    #[serde(default)]
    pub removed: Vec<ScopeRecord>,
    /// What could not be read or evaluated.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub name: String,
    pub pr_number: Option<u64>,
    pub head_sha: Option<String>,
    pub head_ref: Option<String>,
    pub base_sha: Option<String>,
    pub base_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefRecord {
    pub given: String,
    #[serde(rename = "ref")]
    pub full: Option<String>,
    pub commit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub base: String,
    #[serde(rename = "ref")]
    pub full: Option<String>,
    pub commit: String,
    pub merge_base: String,
    pub files: usize,
    pub policy_files_changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRecord {
    pub id: String,
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub origin: String,
    /// SHA-256 over the pack's files (name, NUL, text, NUL; in order).
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub id: String,
    pub path: String,
    pub card_sha256: String,
    pub decision: String,
    pub findings: Vec<FindingRecord>,
    pub waivers_applied: Vec<WaiverRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub gate: String,
    pub severity: String,
    pub line: usize,
    pub waived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRecord {
    pub gate: String,
    pub path: String,
    pub line: usize,
    pub approved_by: String,
    pub expires: String,
    pub reference: Option<String>,
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of the pack: its files' names and texts, in order.
pub fn pack_sha256(pack: &Pack) -> String {
    let mut h = Sha256::new();
    for f in &pack.files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// The decision record of a report.
pub fn of(report: &Report, pack: &Pack, evidence: &Evidence, actor: &str) -> Record {
    let git = evidence.git.as_ref().ok();
    let event = evidence.event.as_ref();
    let pr = event.and_then(|e| e.pull_request.as_ref());
    let scope = |items: &[crate::report::Skipped]| {
        items
            .iter()
            .map(|s| ScopeRecord {
                id: s.id.clone(),
                path: s.path.clone(),
                reason: s.reason.clone(),
            })
            .collect()
    };
    Record {
        schema_version: SCHEMA_VERSION,
        recorded_at: Instant::now().to_cedar(),
        now: report.now.to_cedar(),
        commit: git.map(|g| g.commit.clone()),
        branch: pr
            .map(|p| p.head_ref.clone())
            .or_else(|| git.and_then(|g| g.branch.clone()))
            .or_else(|| event.and_then(|e| e.branch.clone())),
        actor: actor.to_string(),
        action: report.action.as_str().to_string(),
        environment: report.environment.clone(),
        event: event.map(|e| EventRecord {
            name: e.name.clone(),
            pr_number: pr.map(|p| p.number),
            head_sha: pr
                .and_then(|p| p.head_sha.clone())
                .or_else(|| e.sha.clone()),
            head_ref: pr.map(|p| p.head_ref.clone()),
            base_sha: pr.and_then(|p| p.base_sha.clone()),
            base_ref: pr.map(|p| p.base_ref.clone()),
        }),
        protected_ref: report.protected.as_ref().map(|r| RefRecord {
            given: r.given.clone(),
            full: r.full.clone(),
            commit: r.commit.clone(),
        }),
        changed_since: report.change.as_ref().map(|c| ChangeRecord {
            base: c.base.clone(),
            full: c.base_ref.full.clone(),
            commit: c.base_ref.commit.clone(),
            merge_base: c.merge_base.clone(),
            files: c.files,
            policy_files_changed: c.policies_changed,
        }),
        skipped: scope(&report.skipped),
        removed: scope(&report.removed),
        policies: PolicyRecord {
            origin: pack.origin.clone(),
            sha256: pack_sha256(pack),
        },
        decision: report.decision.as_str().to_string(),
        models: report
            .models
            .iter()
            .map(|m| ModelRecord {
                id: m.id.clone(),
                path: m.path.clone(),
                card_sha256: sha256(m.source.as_bytes()),
                decision: m.decision.as_str().to_string(),
                findings: m
                    .findings
                    .iter()
                    .map(|f| FindingRecord {
                        gate: f.gate.clone(),
                        severity: f.severity.as_str().to_string(),
                        line: f.location.line(),
                        waived: f.waived.is_some(),
                    })
                    .collect(),
                waivers_applied: m
                    .findings
                    .iter()
                    .filter_map(|f| f.waived.as_ref())
                    .map(|w| WaiverRecord {
                        gate: w.gate.clone(),
                        path: w.path.clone(),
                        line: w.line,
                        approved_by: w.approved_by.clone(),
                        expires: w.expires.to_string(),
                        reference: w.reference.clone(),
                    })
                    .collect(),
            })
            .collect(),
        errors: report.errors.iter().map(ToString::to_string).collect(),
    }
}

impl Record {
    /// The record as one JSON line (no line break inside).
    pub fn line(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|e| format!("cannot serialise the record: {e}"))
    }
}

/// Appends `line` to `file` atomically: the old content and the line are written to a temporary
/// file beside it, flushed to disk, and renamed over it.
pub fn append(file: &Path, line: &str) -> Result<(), String> {
    let shown = file.display();
    let mut content = match std::fs::read(file) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    if !content.is_empty() && !content.ends_with(b"\n") {
        content.push(b'\n');
    }
    content.extend_from_slice(line.as_bytes());
    content.push(b'\n');
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.aimsgate-{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(&content)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, file)) {
        let _ = std::fs::remove_file(&temp);
        return Err(format!("cannot write {shown}: {e}"));
    }
    Ok(())
}

/// Appends `line` to the note of `commit` under [`NOTES_REF`] in the repository at `dir`.
pub fn note(dir: &Path, commit: &str, line: &str) -> Result<(), String> {
    let repo = git2::Repository::discover(dir)
        .map_err(|e| format!("not inside a git repository ({})", e.message()))?;
    let oid = git2::Oid::from_str(commit)
        .map_err(|e| format!("`{commit}` is not a commit id ({})", e.message()))?;
    let existing = repo
        .find_note(Some(NOTES_REF), oid)
        .ok()
        .and_then(|n| n.message().map(str::to_string))
        .unwrap_or_default();
    let mut content = existing;
    if !content.is_empty() && !content.ends_with('\n') {
        content.push('\n');
    }
    content.push_str(line);
    content.push('\n');
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("aimsgate", "aimsgate@localhost"))
        .map_err(|e| format!("cannot sign the note ({})", e.message()))?;
    repo.note(&sig, &sig, Some(NOTES_REF), oid, &content, true)
        .map_err(|e| format!("cannot write the git note ({})", e.message()))?;
    Ok(())
}

/// Every record in the notes of the repository at `dir`, oldest first.
pub fn read_notes(dir: &Path) -> Result<Vec<Record>, String> {
    let repo = git2::Repository::discover(dir)
        .map_err(|e| format!("not inside a git repository ({})", e.message()))?;
    let notes = match repo.notes(Some(NOTES_REF)) {
        Ok(n) => n,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {NOTES_REF} ({})", e.message())),
    };
    let mut records = Vec::new();
    for item in notes {
        let (_, annotated) = item.map_err(|e| format!("cannot read a note ({})", e.message()))?;
        let note = repo
            .find_note(Some(NOTES_REF), annotated)
            .map_err(|e| format!("cannot read the note of {annotated} ({})", e.message()))?;
        for (i, line) in note.message().unwrap_or_default().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(line).map_err(|e| {
                format!(
                    "the note of {annotated}, line {}: not a decision record ({e})",
                    i + 1
                )
            })?;
            records.push(record);
        }
    }
    records.sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at));
    Ok(records)
}
