//! The one way the tests run the real `aimsgate` binary: in a folder, with arguments, and an
//! environment of `PATH`, `NO_COLOR=1`, `COLUMNS=100` and what the test adds only — never the
//! CI's or GitHub's own — and
//! never a panic (exit 101). Presets say the common requests; [`Run::snapshot`] is what insta
//! keeps of a run: its exit code, standard output and standard error.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A run of `aimsgate` being set up.
#[derive(Debug, Clone)]
pub(crate) struct Aimsgate {
    dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Aimsgate {
    /// `aimsgate` in `dir`, with no argument yet.
    pub(crate) fn new(dir: &Path) -> Aimsgate {
        Aimsgate {
            dir: dir.to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// `aimsgate check --now 2026-11-20`: a check on the day the fixtures are dated.
    pub(crate) fn check(dir: &Path) -> Aimsgate {
        Aimsgate::new(dir).args(&["check", "--now", "2026-11-20"])
    }

    /// Adds arguments.
    pub(crate) fn args(mut self, args: &[&str]) -> Aimsgate {
        self.args.extend(args.iter().map(|a| (*a).to_string()));
        self
    }

    /// `--action deploy --env staging`.
    pub(crate) fn staging(self) -> Aimsgate {
        self.args(&["--action", "deploy", "--env", "staging"])
    }

    /// `--format json`.
    pub(crate) fn json(self) -> Aimsgate {
        self.args(&["--format", "json"])
    }

    /// Sets one variable of the (otherwise empty) environment.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Aimsgate {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Sets variables of the environment.
    pub(crate) fn envs(self, vars: &[(&str, &str)]) -> Aimsgate {
        vars.iter().fold(self, |a, (k, v)| a.env(k, v))
    }

    /// The command, for a test that spawns it (runs at once) rather than waits for it.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aimsgate"));
        cmd.args(&self.args)
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs it.
    pub(crate) fn run(self) -> Run {
        let out = self.command().output().expect("the binary runs");
        let code = out.status.code().expect("an exit code, not a signal");
        let run = Run {
            code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_ne!(
            code,
            101,
            "aimsgate {} panicked:\n{}",
            self.args.join(" "),
            run.stderr
        );
        run
    }
}

impl Run {
    /// Standard output as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Standard output, then standard error.
    pub(crate) fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// The exit code, standard output and standard error, as a snapshot keeps them, with the
    /// temporary directory (which differs from machine to machine) shown as `[TEMP]`.
    pub(crate) fn snapshot(&self) -> String {
        let temp = std::env::temp_dir().to_string_lossy().into_owned();
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
        .replace(&temp, "[TEMP]")
    }

    /// `(code, stdout, stderr)`.
    pub(crate) fn parts(self) -> (i32, String, String) {
        (self.code, self.stdout, self.stderr)
    }
}
