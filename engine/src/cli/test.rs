//! `aimsgate test`: the pack's policy unit tests.

use std::path::PathBuf;

use aimsgate::error::{InputError, IoError, TestError};
use aimsgate::render::policytest::{self as render, Tally};

use super::{Exit, PackArgs, written};

#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// A test file or a folder of them (default: `<policies>/tests`, or `policies/tests`).
    pub(crate) dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) pack: PackArgs,
}

pub(crate) fn run(args: &TestArgs) -> Result<Exit, Vec<InputError>> {
    let cwd = super::current_dir()?;
    let governance = aimsgate::config::Governance::resolve(&cwd, &args.pack.flags())?;
    // Policy tests judge the pack as written: a gate the configuration re-levels is still the
    // gate its tests describe.
    let pack = governance.load_pack_as_written()?;
    // The pack's own tests: beside the pack the flag or the configuration names.
    let target = args.dir.clone().unwrap_or_else(|| match &governance.pack {
        aimsgate::config::PackAt::Dir(dir, _) => governance.root.join(dir).join("tests"),
        aimsgate::config::PackAt::Embedded => PathBuf::from("policies/tests"),
    });
    let mut files = Vec::new();
    let mut stack = vec![cwd.join(&target)];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            match std::fs::read_dir(&p) {
                Ok(entries) => stack.extend(entries.flatten().map(|e| e.path())),
                Err(e) => {
                    return Err(vec![InputError::new(
                        Some(&p.to_string_lossy()),
                        IoError::Read(format!("cannot read: {e}")),
                    )]);
                }
            }
        } else if p.is_file()
            && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(vec![InputError::new(
            Some(&target.to_string_lossy()),
            TestError::Case("no policy test file (*.yaml) found".into()),
        )]);
    }
    let mut tally = Tally::default();
    for file in &files {
        let shown = file
            .strip_prefix(&cwd)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        let content = match std::fs::read_to_string(file) {
            Ok(c) => c,
            Err(e) => {
                return Err(vec![InputError::new(
                    Some(&shown),
                    IoError::Read(format!("cannot read: {e}")),
                )]);
            }
        };
        let dir = file.parent().unwrap_or(&cwd);
        let results = aimsgate::policytest::run_file(&pack, &shown, dir, &content)?;
        written(|out| render::results(&results, &mut tally, out))?;
    }
    written(|out| render::summary(tally, out))?;
    if tally.failed > 0 {
        Ok(Exit::Blocked)
    } else {
        Ok(Exit::Allowed)
    }
}
