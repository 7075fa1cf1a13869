//! Opening the files a run writes — decision records, `--output` reports — so that a path the
//! change being judged controls cannot turn the write against the machine: a symbolic link is
//! never written through (the link, not its target, is what the run was given), and a FIFO, a
//! device, a socket or a directory is refused at once rather than opened (opening a FIFO for
//! writing waits for a reader; writing `/dev/full` never ends well). Nothing is written beside
//! the file under a predictable name.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Created if missing, kept otherwise, every write at its end; readable, to look at its
    /// last byte.
    Append,
    /// Created if missing, emptied otherwise.
    Replace,
}

/// Opens `path` for writing as `mode` says, refusing a symbolic link and anything that is not
/// a regular file, with an error that says which. A path inside `root` (the repository, whose
/// folders the change controls) must stay inside it: a folder on the way that is a link
/// leading out is refused too. `Replace` truncates under an exclusive lock, so that two runs
/// writing one report leave one whole report.
pub fn open(path: &Path, mode: Mode, root: &Path) -> io::Result<File> {
    stays_inside(path, root)?;
    let mut options = OpenOptions::new();
    options.create(true);
    match mode {
        Mode::Append => options.read(true).append(true),
        Mode::Replace => options.write(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Not through a link; and never wait on a FIFO (it is refused below).
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(not_followed());
    }
    let file = options.open(path).map_err(|e| match e.raw_os_error() {
        #[cfg(unix)]
        Some(libc::ELOOP) => not_followed(),
        #[cfg(unix)]
        Some(libc::ENXIO) => not_regular(),
        _ => e,
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(io::Error::other(
                "it has other hard links, and writing it would write them too",
            ));
        }
    }
    if mode == Mode::Replace {
        file.lock()?;
        file.set_len(0)?;
    }
    Ok(file)
}

/// Whether `path`, when it lies inside `root` as written, stays there once every link on the
/// way to its folder is followed.
fn stays_inside(path: &Path, root: &Path) -> io::Result<()> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let lexical = crate::discover::absolute(Path::new("/"), &abs);
    let root = crate::discover::absolute(Path::new("/"), root);
    if !lexical.starts_with(&root) || lexical == root {
        // Outside the repository (the operator's choice), or the root itself (a directory,
        // which the open refuses).
        return Ok(());
    }
    let folder = lexical.parent().unwrap_or(&lexical);
    let (Ok(real_folder), Ok(real_root)) = (folder.canonicalize(), root.canonicalize()) else {
        // A folder that does not exist: the open fails and says so.
        return Ok(());
    };
    if real_folder.starts_with(&real_root) {
        Ok(())
    } else {
        Err(io::Error::other(
            "a folder on its way is a symbolic link leading outside the repository, and the run never writes through one",
        ))
    }
}

fn not_followed() -> io::Error {
    io::Error::other("it is a symbolic link, and the run never writes through one")
}

fn not_regular() -> io::Error {
    io::Error::other(
        "it is not a regular file (a FIFO, device, socket or directory is refused, never opened for writing)",
    )
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn links_fifos_devices_and_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let root = dir.path();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("linked.txt"), "keep").unwrap();
        std::fs::hard_link(dir.path().join("linked.txt"), dir.path().join("second.txt")).unwrap();
        for mode in [Mode::Append, Mode::Replace] {
            let e = open(&link, mode, root).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
            let e = open(Path::new("/dev/null"), mode, root).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
            let e = open(dir.path(), mode, root).unwrap_err();
            assert!(
                e.raw_os_error().is_some() || e.to_string().contains("regular"),
                "{e}"
            );
            let e = open(&dir.path().join("out/report.json"), mode, root).unwrap_err();
            assert!(
                e.to_string().contains("leading outside the repository"),
                "{e}"
            );
            let e = open(&dir.path().join("second.txt"), mode, root).unwrap_err();
            assert!(e.to_string().contains("hard links"), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(!outside.path().join("report.json").exists());
        let file = dir.path().join("new.txt");
        open(&file, Mode::Replace, root).unwrap();
        assert!(file.exists());
        // Outside the repository, where the operator chose to write, links are the operator's.
        open(&outside.path().join("chosen.txt"), Mode::Replace, root).unwrap();
    }
}
