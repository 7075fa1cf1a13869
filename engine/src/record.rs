//! The audit trail: one decision record per check, as a JSON line appended to a file
//! (`--record FILE`: appended under an exclusive lock, never rewritten, so many runs at once
//! each keep their record) and/or attached to the commit as a git note under
//! `refs/notes/aimsgate` (`--record-git-note`, moved by compare-and-swap). `aimsgate log`
//! reads them back, reporting a torn or malformed line as a warning. When recording was asked
//! and fails, the check fails.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::date::Instant;
use crate::error::RecordError;
use crate::evidence::Evidence;
use crate::output_file;
use crate::pack::Pack;
use crate::report::Report;
use crate::setting::{self, Setting};

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
    /// Model files no card covers (`ungoverned-artifact`), by path; empty in records written
    /// before the field existed.
    #[serde(default)]
    pub ungoverned: Vec<String>,
    /// Gates the configuration re-levelled (a gate turned off among them); empty in records
    /// written before the field existed.
    #[serde(default)]
    pub relevelled: Vec<RelevelRecord>,
}

/// A gate the configuration re-levelled, in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelevelRecord {
    pub gate: String,
    /// `error`, `warning` or `off`.
    pub level: String,
    /// The severity the pack gives it.
    pub default: String,
    pub reason: Option<String>,
    /// The configuration file that sets it.
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub name: String,
    pub pr_number: Option<u64>,
    pub head_sha: Option<String>,
    pub head_ref: Option<String>,
    /// The repository the head branch is in: another than the event's for a fork.
    #[serde(default)]
    pub head_repo: Option<String>,
    pub base_sha: Option<String>,
    pub base_ref: Option<String>,
    /// The event's repository.
    #[serde(default)]
    pub repository: Option<String>,
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

pub(crate) use crate::chars::hex;

/// SHA-256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of the pack as it judged: its files' names and texts, in order, then each gate the
/// configuration re-levelled (none: the digest of the files alone). A gate turned off changes
/// the digest, so a deployment that pins the digest (`verify-attestation --policy-digest`)
/// refuses what a weakened configuration passed.
pub fn pack_sha256(pack: &Pack) -> String {
    let mut h = Sha256::new();
    for f in &pack.files {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
        h.update([0]);
    }
    for r in &pack.relevelled {
        for part in [
            "relevel",
            &r.gate,
            r.level.as_str(),
            r.reason.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
    }
    hex(&h.finalize())
}

/// The decision record of a report.
pub fn of(report: &Report, pack: Option<&Pack>, evidence: &Evidence, actor: &str) -> Record {
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
            head_sha: e.sha.clone(),
            head_ref: pr.map(|p| p.head_ref.clone()),
            head_repo: pr.and_then(|p| p.head_repo.clone()),
            base_sha: pr.and_then(|p| p.base_sha.clone()),
            base_ref: pr.map(|p| p.base_ref.clone()),
            repository: e.repository.clone(),
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
            origin: report.policies.clone(),
            // Empty when the pack could not be loaded.
            sha256: pack.map(pack_sha256).unwrap_or_default(),
        },
        decision: report.decision.as_str().to_string(),
        models: report.models.iter().map(model_record).collect(),
        errors: report.errors.iter().map(ToString::to_string).collect(),
        ungoverned: report
            .ungoverned
            .iter()
            .map(|f| f.location.path.clone())
            .collect(),
        relevelled: report
            .relevelled
            .iter()
            .map(|r| RelevelRecord {
                gate: r.gate.clone(),
                level: r.level.as_str().to_string(),
                default: r.default.as_str().to_string(),
                reason: r.reason.clone(),
                by: r.by.clone(),
            })
            .collect(),
    }
}

/// The record of one model's verdict.
pub fn model_record(m: &crate::report::ModelReport) -> ModelRecord {
    ModelRecord {
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
    }
}

impl Record {
    /// The record as one JSON line (no line break inside).
    pub fn line(&self) -> Result<String, RecordError> {
        serde_json::to_string(self)
            .map_err(|e| RecordError::Write(format!("cannot serialise the record: {e}")))
    }
}

/// Appends `line` to `file`: opened for appending (created if missing; never through a link,
/// nor through a folder that links outside `root`, never a FIFO or device), under an exclusive lock, written in one call and synced. Existing
/// content is never read or rewritten — but for its last byte: when a crash left a torn line,
/// the record starts on a line of its own. Many runs at once each add their line.
pub fn append(file: &Path, line: &str, root: &Path) -> Result<(), RecordError> {
    let shown = file.display();
    let mut f = output_file::open(file, output_file::Mode::Append, root)
        .map_err(|e| RecordError::Write(format!("cannot write {shown}: {e}")))?;
    f.lock()
        .map_err(|e| RecordError::Write(format!("cannot lock {shown}: {e}")))?;
    let written = (|| -> std::io::Result<()> {
        let len = f.metadata()?.len();
        let mut last = [b'\n'];
        if len > 0 {
            f.seek(SeekFrom::Start(len - 1))?;
            f.read_exact(&mut last)?;
        }
        let mut bytes = Vec::with_capacity(line.len() + 2);
        if last[0] != b'\n' {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        f.write_all(&bytes)?;
        f.sync_all()
    })();
    let unlocked = f.unlock();
    written.map_err(|e| RecordError::Write(format!("cannot write {shown}: {e}")))?;
    unlocked.map_err(|e| RecordError::Write(format!("cannot unlock {shown}: {e}")))
}

/// How long concurrent runs may take turns at the notes ref before one gives up.
const NOTE_PATIENCE: Duration = Duration::from_secs(20);

/// Appends `line` to the note of `commit` under [`NOTES_REF`] in the repository at `dir`, by
/// compare-and-swap: the notes commit is made on the ref's current tip, and the ref moves only
/// if it still points there; otherwise the note is made again on the new tip, with a growing,
/// jittered back-off, for a bounded time. Many runs at once each add their line.
pub fn note(dir: &Path, commit: &str, line: &str) -> Result<(), RecordError> {
    let repo = git2::Repository::discover(dir)
        .map_err(|e| RecordError::Note(format!("not inside a git repository ({})", e.message())))?;
    let oid = git2::Oid::from_str(commit).map_err(|e| {
        RecordError::Note(format!("`{commit}` is not a commit id ({})", e.message()))
    })?;
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("aimsgate", "aimsgate@localhost"))
        .map_err(|e| RecordError::Note(format!("cannot sign the note ({})", e.message())))?;
    let started = std::time::Instant::now();
    let mut attempt: u32 = 0;
    loop {
        match note_once(&repo, oid, line, &sig) {
            Ok(()) => return Ok(()),
            Err(e) if contended(&e) && started.elapsed() < NOTE_PATIENCE => {
                attempt += 1;
                // 10 ms doubling to 640 ms, with jitter from the clock so that runs that
                // collided do not collide again in step.
                let base = 5u64 << attempt.min(7);
                let jitter = u64::from(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos()),
                ) % base;
                std::thread::sleep(Duration::from_millis(base + jitter));
            }
            Err(e) => {
                return Err(RecordError::Note(format!(
                    "cannot write the git note ({}){}",
                    e.message(),
                    if contended(&e) {
                        format!(" after {attempt} attempts in {:?}", started.elapsed())
                    } else {
                        String::new()
                    }
                )));
            }
        }
    }
}

/// Whether a failure means another writer moved or held the notes ref first.
fn contended(e: &git2::Error) -> bool {
    matches!(
        e.code(),
        git2::ErrorCode::Modified | git2::ErrorCode::Locked | git2::ErrorCode::Exists
    )
}

/// One try: the note of `commit` with `line` appended, as a notes commit on the ref's tip,
/// and the ref moved from that tip to it (or created, if there was none).
fn note_once(
    repo: &git2::Repository,
    commit: git2::Oid,
    line: &str,
    sig: &git2::Signature<'_>,
) -> Result<(), git2::Error> {
    let tip = match repo.find_reference(NOTES_REF) {
        Ok(r) => Some(r.peel_to_commit()?),
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(e),
    };
    let tree = tip.as_ref().map(git2::Commit::tree).transpose()?;
    // Where the note of `commit` stands in the notes tree: flat, or fanned out by git.
    let hex = commit.to_string();
    let places = [
        hex.clone(),
        format!("{}/{}", &hex[..2], &hex[2..]),
        format!("{}/{}/{}", &hex[..2], &hex[2..4], &hex[4..]),
    ];
    let existing = tree.as_ref().and_then(|t| {
        places
            .iter()
            .find_map(|p| t.get_path(Path::new(p)).ok().map(|e| (p.clone(), e.id())))
    });
    let mut content = match &existing {
        Some((_, blob)) => repo.find_blob(*blob)?.content().to_vec(),
        None => Vec::new(),
    };
    if !content.is_empty() && !content.ends_with(b"\n") {
        content.push(b'\n');
    }
    content.extend_from_slice(line.as_bytes());
    content.push(b'\n');
    let blob = repo.blob(&content)?;
    let place = existing.map_or(hex, |(p, _)| p);
    let mut update = git2::build::TreeUpdateBuilder::new();
    update.upsert(place.as_str(), blob, git2::FileMode::Blob);
    let base = match tree {
        Some(t) => t,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    let new_tree = repo.find_tree(update.create_updated(repo, &base)?)?;
    let parents: Vec<&git2::Commit<'_>> = tip.iter().collect();
    let notes_commit = repo.commit(
        None,
        sig,
        sig,
        &format!(
            "Notes added by 'aimsgate check {}'",
            setting::name(Setting::RecordGitNote)
        ),
        &new_tree,
        &parents,
    )?;
    match &tip {
        Some(tip) => repo.reference_matching(
            NOTES_REF,
            notes_commit,
            true,
            tip.id(),
            "aimsgate: decision record",
        )?,
        None => repo.reference(NOTES_REF, notes_commit, false, "aimsgate: decision record")?,
    };
    Ok(())
}

/// What reading records gave: the records, and a warning for each line that is not one (a
/// torn line a crash left, or one that was edited), naming where it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    pub records: Vec<Record>,
    pub warnings: Vec<String>,
}

/// Warnings kept about lines that are not records; the rest are counted.
const MAX_WARNINGS: usize = 20;

impl Records {
    /// Reads line `n` (1-based) of `place` (a note, or a records file).
    fn line(&mut self, place: &str, n: usize, line: &str, more: &mut usize) {
        if line.trim().is_empty() {
            return;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => self.records.push(r),
            Err(_) if self.warnings.len() >= MAX_WARNINGS => *more += 1,
            Err(e) => self
                .warnings
                .push(format!("{place}:{n}: not a decision record, skipped ({e})")),
        }
    }

    /// Says how many more lines of `place` were not records.
    fn more(&mut self, place: &str, more: usize) {
        if more > 0 {
            self.warnings.push(format!(
                "{place}: {more} more lines are not decision records, skipped"
            ));
        }
    }

    fn sorted(mut self) -> Records {
        self.records
            .sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at));
        self
    }
}

/// Every record in a records file (`--record FILE`), oldest first; a line that is not a record
/// is a warning. Read as a regular file only.
pub fn read_file(file: &Path) -> Result<Records, RecordError> {
    let shown = file.display().to_string();
    let meta = std::fs::metadata(file)
        .map_err(|e| RecordError::Read(format!("cannot read {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(RecordError::Read(format!(
            "cannot read {shown}: it is not a regular file"
        )));
    }
    let f = std::fs::File::open(file)
        .map_err(|e| RecordError::Read(format!("cannot read {shown}: {e}")))?;
    let mut read = Records::default();
    let mut more = 0;
    // A line at a time: a large file of records is read without holding it whole.
    for (i, line) in std::io::BufRead::split(std::io::BufReader::new(f), b'\n').enumerate() {
        let line = line.map_err(|e| RecordError::Read(format!("cannot read {shown}: {e}")))?;
        read.line(&shown, i + 1, &String::from_utf8_lossy(&line), &mut more);
    }
    read.more(&shown, more);
    Ok(read.sorted())
}

/// Every record in the notes of the repository at `dir`, oldest first; a line that is not a
/// record is a warning.
pub fn read_notes(dir: &Path) -> Result<Records, RecordError> {
    let repo = git2::Repository::discover(dir)
        .map_err(|e| RecordError::Read(format!("not inside a git repository ({})", e.message())))?;
    let notes = match repo.notes(Some(NOTES_REF)) {
        Ok(n) => n,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Records::default()),
        Err(e) => {
            return Err(RecordError::Read(format!(
                "cannot read {NOTES_REF} ({})",
                e.message()
            )));
        }
    };
    let mut read = Records::default();
    for item in notes {
        let (_, annotated) =
            item.map_err(|e| RecordError::Read(format!("cannot read a note ({})", e.message())))?;
        let note = repo.find_note(Some(NOTES_REF), annotated).map_err(|e| {
            RecordError::Read(format!(
                "cannot read the note of {annotated} ({})",
                e.message()
            ))
        })?;
        let place = format!("the note of {annotated}");
        let mut more = 0;
        for (i, line) in String::from_utf8_lossy(note.message_bytes())
            .lines()
            .enumerate()
        {
            read.line(&place, i + 1, line, &mut more);
        }
        read.more(&place, more);
    }
    Ok(read.sorted())
}
