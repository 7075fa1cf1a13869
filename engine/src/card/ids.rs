//! The ids of the cards a `--changed-since` run does not judge, remembered by their content.
//!
//! A run that judges only what a change touched still reads every other card for the id it
//! declares (a changed card claiming another model's id must be caught, and `skipped[]` names
//! each model). Reading an id means running the YAML parser over the front matter up to
//! `governance.id`; the index keeps the outcome by the SHA-256 of the card's text and format,
//! so a later run reads an unchanged card's bytes and hashes them instead of parsing them. It
//! is content-addressed: a card whose text changed in any byte is read anew, so what the index
//! gives is what reading would give. Only ids read with certainty are kept (see
//! `identity::declared_id`); a card whose id only reading it whole can tell is read whole.
//!
//! It lives in the repository's git directory (`aimsgate/ids`), where a change cannot put it,
//! and holds the version of aimsgate that read the ids: another version's index is read as
//! none, so a reading fixed in a later release is never answered by an older one. It is kept
//! on a developer's machine only: under CI (`CI` set, as GitHub Actions, GitLab and the others
//! set it) it is neither read nor written — a CI job's clone is fresh, so it would save nothing,
//! and a workspace a runner reuses is where a file planted by an earlier job would outlive it
//! (actions/checkout cleans the work tree, not `.git/`). A missing, unreadable, oversized or
//! malformed index is as good as an empty one: it only costs time. It is written whole to a
//! file of its own and renamed into place, so two runs at once leave one whole index, and a
//! crash halfway leaves the old one.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::Format;
use crate::span::{Pos, Span};

/// The first line of an index: what it is, the version of its format, and the version of
/// aimsgate that read the ids.
const HEADER: &str = concat!("aimsgate card ids 1 ", env!("CARGO_PKG_VERSION"));
/// An index larger than this is not read (a repository of 100,000 cards writes ~12 MiB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

type Key = [u8; 32];

/// A card's declared id and the span of its `governance` anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub anchor: Span,
}

/// The index of one run: what it was given, and what the run read or found. The default
/// index remembers nothing: every card is read.
#[derive(Debug, Default)]
pub struct IdIndex {
    /// Whether ids are remembered at all.
    on: bool,
    /// Where it is kept; `None` when only in memory.
    file: Option<PathBuf>,
    known: HashMap<Key, Entry>,
    /// Every entry this run looked up or read: what the next index holds.
    seen: Mutex<HashMap<Key, Entry>>,
}

fn key(source: &str, format: Format) -> Key {
    let mut h = Sha256::new();
    h.update([match format {
        Format::Markdown => b'm',
        Format::Yaml => b'y',
        Format::Json => b'j',
    }]);
    h.update(source.as_bytes());
    h.finalize().into()
}

impl IdIndex {
    /// Whether an index is kept at all: not under CI.
    pub fn kept() -> bool {
        !std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
    }

    /// The index kept at `file`, read if it is there and whole (when [`IdIndex::kept`]).
    pub fn open(file: PathBuf) -> IdIndex {
        let known = read(&file).unwrap_or_default();
        IdIndex {
            on: true,
            file: Some(file),
            known,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// An index kept in memory only, for one run.
    pub fn memory() -> IdIndex {
        IdIndex {
            on: true,
            ..IdIndex::default()
        }
    }

    /// The declared id of the card text `source`, from the index or from `read` (whose
    /// outcome is kept when it is certain).
    pub fn declared(
        &self,
        source: &str,
        format: Format,
        read: impl FnOnce() -> Option<(String, Span)>,
    ) -> Option<(String, Span)> {
        if !self.on {
            return read();
        }
        let k = key(source, format);
        let remembered = || self.seen.lock().ok()?.get(&k).cloned();
        let entry = match self.known.get(&k).cloned().or_else(remembered) {
            Some(e) => e,
            None => {
                // Read outside the lock: the cards are read on every core.
                let (id, anchor) = read()?;
                Entry { id, anchor }
            }
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(k, entry.clone());
        }
        Some((entry.id, entry.anchor))
    }

    /// Writes the index of what this run saw, when it differs from what it was given. A
    /// failure to write is not the run's: the next run reads the cards again.
    pub fn save(self) {
        let Some(file) = self.file else { return };
        let Ok(seen) = self.seen.into_inner() else {
            return;
        };
        if seen.is_empty() || seen == self.known {
            return;
        }
        let _ = write(&file, &seen);
    }
}

fn read(file: &Path) -> Option<HashMap<Key, Entry>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never wait on a FIFO put where the index goes.
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let f = options.open(file).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let mut text = String::new();
    f.take(MAX_BYTES).read_to_string(&mut text).ok()?;
    parse(&text)
}

/// The entries of an index's text; `None` unless it is whole: its header, entries, and a last
/// line with the SHA-256 of all before it (a file cut short by a crash is no index).
fn parse(text: &str) -> Option<HashMap<Key, Entry>> {
    let body = text.strip_suffix('\n')?;
    let (body, sum) = body.rsplit_once('\n')?;
    let body = &text[..=body.len()];
    if sum.strip_prefix("sha256 ")? != crate::chars::hex(&Sha256::digest(body.as_bytes())) {
        return None;
    }
    let mut lines = body.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut out = HashMap::new();
    for line in lines {
        let mut fields = line.splitn(6, ' ');
        let hex = fields.next()?.as_bytes();
        let digit = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        let mut k = [0u8; 32];
        if hex.len() != 64 {
            return None;
        }
        for (i, byte) in k.iter_mut().enumerate() {
            *byte = digit(hex[2 * i])? << 4 | digit(hex[2 * i + 1])?;
        }
        let mut num = || fields.next()?.parse::<usize>().ok();
        let (line, col, offset, end) = (num()?, num()?, num()?, num()?);
        let id = fields.next()?;
        if super::invalid_id(id).is_some() || end < offset {
            return None;
        }
        let anchor = Span {
            start: Pos { line, col, offset },
            end,
        };
        let entry = Entry {
            id: id.to_string(),
            anchor,
        };
        // A key twice is not an index this code wrote.
        if out.insert(k, entry).is_some() {
            return None;
        }
    }
    Some(out)
}

fn format(entries: &HashMap<Key, Entry>) -> String {
    let mut lines: Vec<String> = entries
        .iter()
        .map(|(k, e)| {
            let s = e.anchor.start;
            format!(
                "{} {} {} {} {} {}",
                crate::chars::hex(k),
                s.line,
                s.col,
                s.offset,
                e.anchor.end,
                e.id
            )
        })
        .collect();
    lines.sort();
    let mut out = String::with_capacity(HEADER.len() + 1 + lines.len() * 100);
    out.push_str(HEADER);
    out.push('\n');
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    let sum = crate::chars::hex(&Sha256::digest(out.as_bytes()));
    out.push_str("sha256 ");
    out.push_str(&sum);
    out.push('\n');
    out
}

/// Writes the index to a file of its own beside `file`, then renames it into place.
fn write(file: &Path, entries: &HashMap<Key, Entry>) -> std::io::Result<()> {
    let dir = file
        .parent()
        .ok_or_else(|| std::io::Error::other("no folder"))?;
    std::fs::create_dir_all(dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let text = format(entries);
    if text.len() as u64 > MAX_BYTES {
        // The next run would not read it.
        return Ok(());
    }
    forget_stale(dir);
    let temp = dir.join(format!(".ids.{}.{nanos}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Not synced: a file cut short by a crash fails its checksum and is read as no index.
    let result = options
        .open(&temp)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    let result = result.and_then(|()| std::fs::rename(&temp, file));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Removes what a run that crashed between writing the index and renaming it left: its file
/// of its own, an hour old or more.
fn forget_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let hour = std::time::Duration::from_secs(3600);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= hour);
        if name.starts_with(".ids.") && name.ends_with(".tmp") && old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn span(line: usize, offset: usize, end: usize) -> Span {
        Span {
            start: Pos {
                line,
                col: 1,
                offset,
            },
            end,
        }
    }

    #[test]
    fn an_index_is_read_back_as_written_and_only_whole() {
        let mut entries = HashMap::new();
        entries.insert(
            key("a", Format::Markdown),
            Entry {
                id: "team/model-a".into(),
                anchor: span(2, 4, 14),
            },
        );
        entries.insert(
            key("a", Format::Yaml),
            Entry {
                id: "b".into(),
                anchor: span(1, 0, 10),
            },
        );
        let text = format(&entries);
        assert_eq!(parse(&text), Some(entries));
        // A text and format are told apart.
        assert_ne!(key("a", Format::Markdown), key("a", Format::Yaml));
        // Anything that is not every line an entry is no index.
        assert_eq!(parse(""), None);
        assert_eq!(parse("aimsgate card ids 0\n"), None);
        for cut in [1, 8, 70, 100] {
            let torn = &text[..text.len() - cut];
            assert_eq!(parse(torn), None, "{torn}");
        }
        // Cut at the end of an entry, or an id cut short: the checksum tells.
        let entries_only = &text[..text.rfind("sha256 ").unwrap()];
        assert_eq!(parse(entries_only), None);
        let shorter = text.replace("team/model-a", "team/model");
        assert_eq!(parse(&shorter), None);
        let resealed = |t: &str| {
            let body = &t[..t.rfind("sha256 ").unwrap()];
            format!(
                "{body}sha256 {}\n",
                crate::chars::hex(&Sha256::digest(body.as_bytes()))
            )
        };
        assert_eq!(
            parse(&resealed(&text)),
            parse(&text),
            "resealing is sealing"
        );
        // What is sealed is still checked line by line.
        let bad_id = resealed(&text.replace("team/model-a", "team model a"));
        assert_eq!(parse(&bad_id), None);
        let bad_hex = resealed(&text.replacen(' ', "x ", 1));
        assert_eq!(parse(&bad_hex), None);
        // Another version's index, even sealed, is none.
        let other = resealed(&text.replacen(env!("CARGO_PKG_VERSION"), "0.0.0-other", 1));
        assert_eq!(parse(&other), None);
        // A key twice, or written other than in lower-case hex, is not an index this wrote.
        let first = text.lines().nth(1).unwrap();
        let twice = resealed(&text.replacen(first, &format!("{first}\n{first}"), 1));
        assert_eq!(parse(&twice), None);
        let upper = resealed(&text.replacen(&first[..64], &first[..64].to_uppercase(), 1));
        assert_eq!(parse(&upper), None);
    }

    #[test]
    fn a_hit_is_what_reading_gave_and_a_miss_reads() {
        let dir = std::env::temp_dir().join(format!("aimsgate-ids-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("aimsgate").join("ids");
        let first = IdIndex::open(file.clone());
        let got = first.declared("text", Format::Markdown, || {
            Some(("m".into(), span(3, 20, 30)))
        });
        assert_eq!(got, Some(("m".into(), span(3, 20, 30))));
        // Uncertain reads are not kept.
        assert_eq!(first.declared("other", Format::Markdown, || None), None);
        first.save();
        let second = IdIndex::open(file.clone());
        assert_eq!(second.known.len(), 1);
        let mut read = false;
        let hit = second.declared("text", Format::Markdown, || {
            read = true;
            None
        });
        assert_eq!(hit, Some(("m".into(), span(3, 20, 30))));
        assert!(!read, "a remembered text is not read again");
        // Another text is read.
        let mut read = false;
        second.declared("text ", Format::Markdown, || {
            read = true;
            None
        });
        assert!(read);
        // A directory, a link to a device, a file over the bound: no index, at once.
        std::fs::remove_file(&file).unwrap();
        std::fs::create_dir(&file).unwrap();
        assert!(IdIndex::open(file.clone()).known.is_empty());
        std::fs::remove_dir(&file).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
            assert!(IdIndex::open(file.clone()).known.is_empty());
            std::fs::remove_file(&file).unwrap();
        }
        let big = std::fs::File::create(&file).unwrap();
        big.set_len(MAX_BYTES + 1).unwrap();
        assert!(IdIndex::open(file.clone()).known.is_empty());
        // And the next save puts a whole index in place of any of them, removing what a run
        // that crashed an hour ago left, and only that.
        let stale = dir.join("aimsgate").join(".ids.1.2.tmp");
        let fresh = dir.join("aimsgate").join(".ids.3.4.tmp");
        std::fs::write(&fresh, "").unwrap();
        let old = std::fs::File::create(&stale).unwrap();
        let two_hours = std::time::Duration::from_secs(7200);
        old.set_modified(std::time::SystemTime::now() - two_hours)
            .unwrap();
        let third = IdIndex::open(file.clone());
        third.declared("text", Format::Markdown, || {
            Some(("m".into(), span(3, 20, 30)))
        });
        third.save();
        assert_eq!(IdIndex::open(file.clone()).known.len(), 1);
        assert!(!stale.exists() && fresh.exists());
        std::fs::write(&file, "").unwrap();
        // A FIFO where the index goes is not waited on.
        #[cfg(unix)]
        {
            std::fs::remove_file(&file).unwrap();
            let made = std::process::Command::new("mkfifo").arg(&file).status();
            assert!(made.unwrap().success());
            assert!(IdIndex::open(file.clone()).known.is_empty());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
