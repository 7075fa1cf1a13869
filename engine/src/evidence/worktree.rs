//! Git's status of the work tree, read as `git status` reads it: from the index.
//!
//! libgit2's status walks the whole work tree, reading every folder and `stat`ing every file
//! in path order to line it up with the index: in a repository of 10,000 model folders that
//! was most of a `--changed-since` run. This reads it from the index instead. Each file the
//! index tracks is `stat`ed, and one whose stat data are the index's, changed before the
//! index was written (not "racily clean"), is unchanged: the test libgit2 makes, no looser
//! (every field it compares, the change time and nanoseconds included). Every other file — stat data that
//! differ, racily clean, a submodule, a conflict, an entry marked assume-unchanged,
//! skip-worktree or intent-to-add, a file that is gone — is asked of libgit2 by its path
//! (`git_status_file`), so what is said of it is libgit2's, and one libgit2 cannot answer for
//! counts as changed. The untracked files come from one walk of the folders (no file
//! `stat`ed: see [`crate::discover::untracked_files`]), the staged changes from a diff of
//! HEAD's tree with the index. A work tree where many files must be asked (all of them
//! touched since the index was written), or many untracked paths asked about git's ignore
//! rules one by one, is left to libgit2's status whole.

use std::collections::{BTreeMap, HashSet};

use git2::{Delta, DiffOptions, Repository, Status, StatusOptions, Tree};

use crate::error::EvidenceError;

/// Why the work tree's status cannot be read.
fn cannot(why: &str) -> EvidenceError {
    EvidenceError::Git(format!("cannot read the work tree's status ({why})"))
}

/// A path (relative to the work tree) and git's status of it.
pub(super) type Entry = (String, Status);

/// What differs from HEAD, and the untracked files as listed (not UTF-8 ones too) when they
/// were: a run that judges the cards of a change finds the untracked ones among them.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Found {
    pub entries: Vec<Entry>,
    pub untracked: Option<Vec<Vec<u8>>>,
}

/// A file's status that says it was changed or deleted (in the work tree or the index): what
/// it was in HEAD's tree is what it was before.
pub(super) const CHANGED: Status = Status::WT_DELETED
    .union(Status::WT_MODIFIED)
    .union(Status::WT_TYPECHANGE)
    .union(Status::WT_RENAMED)
    .union(Status::INDEX_DELETED)
    .union(Status::INDEX_MODIFIED);

/// Beyond this many files to ask libgit2 about one by one, its status of the whole work tree
/// is cheaper.
const ASK_AT_MOST: usize = 256;

/// The status of every path of `repo`'s work tree and index that differs from `head` (HEAD's
/// tree), untracked files included, ignored ones not: what `git status --untracked-files=all`
/// lists.
pub(super) fn status(repo: &Repository, head: &Tree<'_>) -> Result<Found, EvidenceError> {
    #[cfg(unix)]
    if let Some(found) = from_index(repo, head)? {
        return Ok(found);
    }
    Ok(Found {
        entries: whole(repo)?,
        untracked: None,
    })
}

/// libgit2's status of the whole work tree.
fn whole(repo: &Repository) -> Result<Vec<Entry>, EvidenceError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo
        .statuses(Some(&mut opts))
        .map_err(|e| cannot(e.message()))?;
    Ok(statuses
        .iter()
        .filter_map(|e| Some((e.path()?.to_string(), e.status())))
        .collect())
}

/// The status read from the index; `None` when libgit2's whole status is the better way.
#[cfg(unix)]
fn from_index(repo: &Repository, head: &Tree<'_>) -> Result<Option<Found>, EvidenceError> {
    use std::os::unix::fs::MetadataExt;

    let git = |e: git2::Error| cannot(e.message());
    let Some(work) = repo.workdir() else {
        return Ok(None);
    };
    // When the index was written, taken before it is read: a file changed at or after this
    // time may be "racily clean" (changed within the same tick as the index was written).
    let Ok(written) = std::fs::metadata(repo.path().join("index")) else {
        return Ok(None);
    };
    let written = (written.mtime(), written.mtime_nsec());
    let mut index = repo.index().map_err(git)?;
    index.read(false).map_err(git)?;

    let mut found: BTreeMap<Vec<u8>, Status> = BTreeMap::new();
    let mut add = |path: &[u8], s: Status| {
        *found.entry(path.to_vec()).or_insert(Status::CURRENT) |= s;
    };
    let mut opts = DiffOptions::new();
    opts.include_typechange(true);
    let staged = repo
        .diff_tree_to_index(Some(head), Some(&index), Some(&mut opts))
        .map_err(git)?;
    for delta in staged.deltas() {
        let s = match delta.status() {
            Delta::Added | Delta::Copied => Status::INDEX_NEW,
            Delta::Deleted => Status::INDEX_DELETED,
            Delta::Typechange => Status::INDEX_TYPECHANGE,
            Delta::Renamed => Status::INDEX_RENAMED,
            Delta::Conflicted => Status::CONFLICTED,
            _ => Status::INDEX_MODIFIED,
        };
        if let Some(path) = delta
            .new_file()
            .path_bytes()
            .or(delta.old_file().path_bytes())
        {
            add(path, s);
        }
    }

    let mut ask = Vec::new();
    let mut folders = HashSet::new();
    for entry in index.iter() {
        if entry.flags & STAGE_MASK != 0 {
            add(&entry.path, Status::CONFLICTED);
        } else if !(in_folders(work, &entry.path, &mut folders) && unchanged(work, &entry, written))
        {
            if ask.len() == ASK_AT_MOST {
                return Ok(None);
            }
            ask.push(entry.path);
        }
    }
    for path in ask {
        // What libgit2 cannot say of a file (a file become a folder is "ambiguous" to it)
        // counts as a change.
        let s = repo
            .status_file(&crate::discover::path_of(&path))
            .unwrap_or(Status::WT_MODIFIED);
        if s != Status::CURRENT {
            add(&path, s);
        }
    }
    let Some(untracked) =
        crate::discover::untracked_files(repo).map_err(|e| cannot(&e.message()))?
    else {
        return Ok(None);
    };
    for path in &untracked {
        add(path, Status::WT_NEW);
    }
    // Paths that are not UTF-8 are passed over, as libgit2's status list passes them over.
    let entries = found
        .into_iter()
        .filter(|(_, s)| *s != Status::CURRENT)
        .filter_map(|(p, s)| Some((String::from_utf8(p).ok()?, s)))
        .collect();
    Ok(Some(Found {
        entries,
        untracked: Some(untracked),
    }))
}

/// Whether every folder on the way to the file at `path` (relative to `work`) is a folder,
/// not a link to one: git's status walks folders, and a file beneath a link is not the file
/// the index tracks (`stat` would follow the link). `real` remembers the folders found so.
#[cfg(unix)]
fn in_folders(work: &std::path::Path, path: &[u8], real: &mut HashSet<Vec<u8>>) -> bool {
    let mut at = 0;
    while let Some(slash) = path[at..].iter().position(|b| *b == b'/') {
        at += slash;
        let folder = &path[..at];
        if !real.contains(folder) {
            let is_folder = std::fs::symlink_metadata(work.join(crate::discover::path_of(folder)))
                .is_ok_and(|m| m.file_type().is_dir());
            if !is_folder {
                return false;
            }
            real.insert(folder.to_vec());
        }
        at += 1;
    }
    true
}

/// The stage bits of an index entry's flags: not zero for a side of a conflict.
const STAGE_MASK: u16 = 0x3000;
/// "Assume unchanged" (`git update-index --assume-unchanged`).
const ASSUME_VALID: u16 = 0x8000;

/// Whether the file of `entry` is certainly what the index holds: a regular file or link of
/// the index's mode whose stat data are all the index's, last changed before the index was
/// `written`. `false` says only that libgit2 must be asked.
#[cfg(unix)]
fn unchanged(work: &std::path::Path, entry: &git2::IndexEntry, written: (i64, i64)) -> bool {
    use std::os::unix::fs::MetadataExt;

    if entry.flags & ASSUME_VALID != 0 || entry.flags_extended != 0 {
        return false;
    }
    let Ok(meta) = std::fs::symlink_metadata(work.join(crate::discover::path_of(&entry.path)))
    else {
        return false;
    };
    let kind = meta.file_type();
    let mode = if kind.is_symlink() {
        0o120_000
    } else if kind.is_file() && meta.mode() & 0o100 != 0 {
        0o100_755
    } else if kind.is_file() {
        0o100_644
    } else {
        return false;
    };
    let time = |t: &git2::IndexTime| (i64::from(t.seconds()), i64::from(t.nanoseconds()));
    let changed = (meta.mtime(), meta.mtime_nsec());
    mode == entry.mode
        && meta.size() == u64::from(entry.file_size)
        && changed == time(&entry.mtime)
        && (meta.ctime(), meta.ctime_nsec()) == time(&entry.ctime)
        // The index keeps the low 32 bits of the inode number. (Not the device's: libgit2
        // writes the device a file stands for, none for a regular file.)
        && meta.ino() & 0xFFFF_FFFF == u64::from(entry.ino)
        && meta.uid() == entry.uid
        && meta.gid() == entry.gid
        && changed < written
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    use git2::{IndexEntry, IndexTime, Oid, Signature};

    use super::*;

    fn sorted(mut list: Vec<Entry>) -> Vec<(String, bool)> {
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list.into_iter()
            .map(|(p, s)| (p, s.intersects(CHANGED)))
            .collect()
    }

    /// The status read from the index is libgit2's whole status — the paths, and whether
    /// each counts as changed — over a work tree with every case it decides: unchanged files
    /// (their stat data the index's), a file rewritten at the same size with its modification
    /// time put back, one grown, one deleted, one become a folder, one become executable, one
    /// become a link, a link, a racily clean file changed and one unchanged, an entry marked
    /// assume-unchanged, a conflict, staged additions, changes and deletions, a submodule with
    /// new work in it, a tracked folder become a link to a copy of itself, and untracked
    /// files: in tracked and untracked folders, ignored ones, repositories of their own (one
    /// empty, which libgit2 passes over, one holding a file, which it lists as a folder),
    /// `info/exclude`.
    #[test]
    fn the_status_read_from_the_index_is_libgit2s() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().canonicalize().unwrap();
        let repo = Repository::init(&work).unwrap();
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        let write = |rel: &str, text: &str| {
            let file = work.join(rel);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, text).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&file)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        };
        let tracked = [
            ".gitignore",
            ".gitmodules",
            "models/a/README.md",
            "models/b/README.md",
            "models/same-size/README.md",
            "models/grown/README.md",
            "models/gone/README.md",
            "models/folder/weights",
            "models/exec/run.sh",
            "models/to-link/README.md",
            "models/racy-changed/README.md",
            "models/racy-same/README.md",
            "models/assumed/README.md",
            "models/future/README.md",
            "models/staged/README.md",
            "models/c/README.md",
            "models/unstaged-delete/README.md",
            "ignored-dir/tracked.md",
        ];
        for rel in tracked {
            write(rel, &format!("{rel}\n"));
        }
        write(".gitignore", "ignored-dir/\n*.log\n");
        // Changed (as far as its times tell) no earlier than the index will be written: its
        // stat data will match the index's, and still not be trusted.
        std::fs::File::options()
            .write(true)
            .open(work.join("models/future/README.md"))
            .unwrap()
            .set_modified(SystemTime::now() + Duration::from_secs(3600))
            .unwrap();
        write(
            ".gitmodules",
            "[submodule \"sub\"]\n\tpath = sub\n\turl = ./sub\n",
        );
        std::os::unix::fs::symlink("README.md", work.join("models/a/link.md")).unwrap();
        // A submodule: a repository of its own with one commit, its gitlink in the index.
        let sub = Repository::init(work.join("sub")).unwrap();
        std::fs::write(work.join("sub/file.txt"), "sub\n").unwrap();
        let sig = Signature::now("t", "t@example.com").unwrap();
        let sub_commit = {
            let mut index = sub.index().unwrap();
            index.add_path(Path::new("file.txt")).unwrap();
            index.write().unwrap();
            let tree = sub.find_tree(index.write_tree().unwrap()).unwrap();
            sub.commit(Some("HEAD"), &sig, &sig, "sub", &tree, &[])
                .unwrap()
        };

        let mut index = repo.index().unwrap();
        for rel in tracked.iter().copied().chain(["models/a/link.md"]) {
            index.add_path(Path::new(rel)).unwrap();
        }
        let gitlink = |path: &str, id: Oid, flags: u16| IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o160_000,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add(&gitlink("sub", sub_commit, 3)).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();

        // Nothing has changed: both say so, and the index answered, from the stat data alone
        // for every file written before it.
        assert_eq!(whole(&repo).unwrap(), vec![]);
        assert_eq!(
            from_index(&repo, &head).unwrap().map(|f| f.entries),
            Some(vec![])
        );
        let written = std::fs::metadata(work.join(".git/index")).unwrap();
        let written = (written.mtime(), written.mtime_nsec());
        let index = repo.index().unwrap();
        for rel in tracked {
            let entry = index.get_path(Path::new(rel), 0).unwrap();
            let racy = rel == "models/future/README.md";
            assert_eq!(unchanged(&work, &entry, written), !racy, "{rel}");
        }

        // The changes, staged ones first.
        std::fs::write(work.join("models/staged/README.md"), "staged change\n").unwrap();
        std::fs::write(work.join("models/new-staged.md"), "new\n").unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_path(Path::new("models/staged/README.md"))
            .unwrap();
        index.add_path(Path::new("models/new-staged.md")).unwrap();
        index.remove_path(Path::new("models/b/README.md")).unwrap();
        // A conflict: three sides of one path.
        let blob = repo.blob(b"side\n").unwrap();
        for stage in 1..=3u16 {
            let mut e = gitlink("conflict.txt", blob, 12 | (stage << 12));
            e.mode = 0o100_644;
            index.add(&e).unwrap();
        }
        // Assume-unchanged, then changed: git and libgit2 believe the mark.
        let mut assumed = index
            .get_path(Path::new("models/assumed/README.md"), 0)
            .unwrap();
        assumed.flags |= ASSUME_VALID;
        index.add(&assumed).unwrap();
        index.write().unwrap();
        std::fs::write(work.join("models/assumed/README.md"), "changed\n").unwrap();

        // A rewrite at the same size, its modification time put back: only the change time
        // (and the content) say it changed.
        let same = work.join("models/same-size/README.md");
        let before = std::fs::read_to_string(&same).unwrap();
        std::fs::write(&same, before.to_uppercase()).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&same)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        std::fs::write(work.join("models/grown/README.md"), "grown, longer\n").unwrap();
        std::fs::remove_file(work.join("models/gone/README.md")).unwrap();
        std::fs::remove_file(work.join("models/folder/weights")).unwrap();
        std::fs::create_dir(work.join("models/folder/weights")).unwrap();
        std::fs::write(work.join("models/folder/weights/part.bin"), "x").unwrap();
        std::fs::set_permissions(
            work.join("models/exec/run.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        std::fs::remove_file(work.join("models/to-link/README.md")).unwrap();
        std::os::unix::fs::symlink("../a/README.md", work.join("models/to-link/README.md"))
            .unwrap();
        // Racily clean: changed after the index was written, within its second.
        let racy = SystemTime::now() + Duration::from_secs(3600);
        for (rel, text) in [
            (
                "models/racy-changed/README.md",
                "models/racy-chanGed/README.md\n",
            ),
            ("models/racy-same/README.md", "models/racy-same/README.md\n"),
        ] {
            std::fs::write(work.join(rel), text).unwrap();
            std::fs::File::options()
                .write(true)
                .open(work.join(rel))
                .unwrap()
                .set_modified(racy)
                .unwrap();
        }
        std::fs::remove_file(work.join("models/unstaged-delete/README.md")).unwrap();
        std::fs::write(work.join("sub/new.txt"), "new work\n").unwrap();
        // Untracked files, and files git ignores.
        for rel in [
            "models/a/notes.md",
            "models/new/README.md",
            "models/new/deep/er/model-card.yaml",
            "models/a/run.log",
            "ignored-dir/untracked.md",
            "top.txt",
        ] {
            write(rel, "untracked\n");
        }
        write("models/excluded.md", "x\n");
        Repository::init(work.join("models/nested")).unwrap();
        Repository::init(work.join("models/a/v2")).unwrap();
        write("models/a/v2/weights.bin", "w");
        // A tracked folder become a link to a copy of itself: its files are not the index's.
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::rename(work.join("models/c"), dir.path().join("outside/c")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside/c"), work.join("models/c")).unwrap();
        std::fs::write(work.join(".git/info/exclude"), "excluded.md\n/models/c\n").unwrap();

        let expected = sorted(whole(&repo).unwrap());
        let read = from_index(&repo, &head).unwrap();
        assert!(read.is_some(), "the index answered");
        let read = read.unwrap();
        assert_eq!(sorted(read.entries), expected);
        // The untracked files listed are those the status holds as untracked.
        let mut untracked: Vec<String> = read
            .untracked
            .unwrap()
            .into_iter()
            .map(|p| String::from_utf8(p).unwrap())
            .collect();
        untracked.sort();
        let mut expected_untracked: Vec<String> = whole(&repo)
            .unwrap()
            .into_iter()
            .filter(|(_, s)| s.contains(Status::WT_NEW))
            .map(|(p, _)| p)
            .collect();
        expected_untracked.sort();
        assert_eq!(untracked, expected_untracked);
        // The case holds what it claims: each change, and none of the files git ignores.
        let paths: Vec<&str> = expected.iter().map(|(p, _)| p.as_str()).collect();
        for rel in [
            "models/same-size/README.md",
            "models/grown/README.md",
            "models/gone/README.md",
            "models/exec/run.sh",
            "models/to-link/README.md",
            "models/racy-changed/README.md",
            "models/staged/README.md",
            "models/new-staged.md",
            "models/b/README.md",
            "conflict.txt",
            "models/folder/weights/part.bin",
            "models/new/deep/er/model-card.yaml",
            "models/a/v2/",
            "models/c/README.md",
            "sub",
        ] {
            assert!(paths.contains(&rel), "{rel} in {paths:?}");
        }
        for rel in [
            "models/racy-same/README.md",
            "models/assumed/README.md",
            "models/a/run.log",
            "ignored-dir/untracked.md",
            "models/excluded.md",
            "models/a/README.md",
            "models/nested/",
        ] {
            assert!(!paths.contains(&rel), "{rel} not in {paths:?}");
        }
    }

    /// A work tree with thousands of untracked files is left to libgit2's whole status (its
    /// walk reads the ignore rules folder by folder; asking them path by path would cost more).
    #[test]
    fn thousands_of_untracked_files_are_left_to_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().canonicalize().unwrap();
        let repo = Repository::init(&work).unwrap();
        std::fs::write(work.join("tracked.md"), "x\n").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("tracked.md")).unwrap();
        index.write().unwrap();
        let sig = Signature::now("t", "t@example.com").unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        std::fs::create_dir(work.join("data")).unwrap();
        for i in 0..2_001 {
            std::fs::write(work.join(format!("data/{i}.bin")), "").unwrap();
        }
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        assert_eq!(from_index(&repo, &head).unwrap(), None);
        let found = status(&repo, &head).unwrap();
        assert_eq!(found.untracked, None);
        assert_eq!(found.entries.len(), 2_001);
    }

    /// A work tree whose files were all touched after the index was written is left to
    /// libgit2's whole status (asking for each file would cost more).
    #[test]
    fn a_work_tree_touched_all_over_is_left_to_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().canonicalize().unwrap();
        let repo = Repository::init(&work).unwrap();
        let mut index = repo.index().unwrap();
        for i in 0..=ASK_AT_MOST {
            let rel = format!("m/{i}.md");
            std::fs::create_dir_all(work.join("m")).unwrap();
            std::fs::write(work.join(&rel), "x\n").unwrap();
            index.add_path(Path::new(&rel)).unwrap();
        }
        index.write().unwrap();
        let sig = Signature::now("t", "t@example.com").unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        let later = SystemTime::now() + Duration::from_secs(3600);
        for i in 0..=ASK_AT_MOST {
            std::fs::File::options()
                .write(true)
                .open(work.join(format!("m/{i}.md")))
                .unwrap()
                .set_modified(later)
                .unwrap();
        }
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        assert_eq!(from_index(&repo, &head).unwrap(), None);
        assert_eq!(
            status(&repo, &head).unwrap(),
            Found {
                entries: vec![],
                untracked: None
            }
        );
    }
}
