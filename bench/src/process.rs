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

/// Runs processes on behalf of the benchmark, from a small helper process started before the
/// benchmark grows: a process forked from a large parent counts the parent's pages in its own
/// peak memory (the kernel keeps the pre-exec high-water mark), which would inflate every
/// figure after the inputs are generated.
#[derive(Debug)]
pub struct Runner {
    child: std::process::Child,
    to: std::process::ChildStdin,
    from: std::io::BufReader<std::process::ChildStdout>,
}

impl Runner {
    /// Starts `aimsgate-bench serve`.
    pub fn start() -> Result<Runner, String> {
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(me)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the measuring helper: {e}"))?;
        let to = child.stdin.take().ok_or("no helper stdin")?;
        let from = std::io::BufReader::new(child.stdout.take().ok_or("no helper stdout")?);
        Ok(Runner { child, to, from })
    }

    pub fn run(&mut self, program: &Path, args: &[&str], dir: &Path) -> Result<Run, String> {
        use std::io::{BufRead, Write};
        let mut request = vec![dir.to_string_lossy().into_owned()];
        request.push(program.to_string_lossy().into_owned());
        request.extend(args.iter().map(|a| a.to_string()));
        let line = serde_json::to_string(&request).map_err(|e| e.to_string())?;
        writeln!(self.to, "{line}").map_err(|e| format!("helper: {e}"))?;
        let mut answer = String::new();
        self.from
            .read_line(&mut answer)
            .map_err(|e| format!("helper: {e}"))?;
        let fields: Vec<&str> = answer.split_whitespace().collect();
        match fields.as_slice() {
            ["ok", nanos, rss, exit] => Ok(Run {
                wall: Duration::from_nanos(nanos.parse().map_err(|_| "helper: bad time")?),
                max_rss: rss.parse().map_err(|_| "helper: bad memory")?,
                exit: exit.parse().map_err(|_| "helper: bad exit")?,
            }),
            _ => Err(format!("helper: {}", answer.trim())),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The helper's loop: one JSON array `[dir, program, args…]` a line in, one
/// `ok NANOS MAX_RSS EXIT` (or an error) a line out.
pub fn serve() -> Result<(), String> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let answer = serde_json::from_str::<Vec<String>>(&line)
            .map_err(|e| e.to_string())
            .and_then(|request| match request.as_slice() {
                [dir, program, args @ ..] => {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    run(Path::new(program), &args, Path::new(dir))
                }
                _ => Err("a request is [dir, program, args…]".into()),
            });
        let reply = match answer {
            Ok(r) => format!("ok {} {} {}", r.wall.as_nanos(), r.max_rss, r.exit),
            Err(e) => format!("error {}", e.replace('\n', " ")),
        };
        writeln!(out, "{reply}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}
