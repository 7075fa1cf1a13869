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
/// a regular file, with an error that says which.
pub fn open(path: &Path, mode: Mode) -> io::Result<File> {
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
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    if mode == Mode::Replace {
        file.set_len(0)?;
    }
    Ok(file)
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
        for mode in [Mode::Append, Mode::Replace] {
            let e = open(&link, mode).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
            let e = open(Path::new("/dev/null"), mode).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
            let e = open(dir.path(), mode).unwrap_err();
            assert!(
                e.raw_os_error().is_some() || e.to_string().contains("regular"),
                "{e}"
            );
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let file = dir.path().join("new.txt");
        open(&file, Mode::Replace).unwrap();
        assert!(file.exists());
    }
}
