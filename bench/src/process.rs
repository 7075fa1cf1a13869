//! Whole-process measurements: wall time and peak resident memory of one `aimsgate` run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One run of a process.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub wall: Duration,
    /// Peak resident set size, in bytes (`ru_maxrss`).
    pub max_rss: u64,
    pub exit: i32,
}

/// Runs `program args` in `dir` with output discarded, and reaps it with wait4(2) so that its
/// own peak memory is known (not the maximum over every child this process ever had).
pub fn run(program: &Path, args: &[&str], dir: &Path) -> Result<Run, String> {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped (std's `Child` is never waited on); the
    // pointers are to live locals of the right types.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if reaped != pid {
        return Err(format!(
            "wait4 failed for {}: {}",
            program.display(),
            std::io::Error::last_os_error()
        ));
    }
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Ok(Run {
        wall,
        // Linux reports kilobytes.
        max_rss: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        exit,
    })
}
