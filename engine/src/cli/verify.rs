//! `aimsgate verify`: symbolic proofs of the pack with cvc5.

use std::path::PathBuf;

use aimsgate::error::{InputError, IoError, Kind, VerifyError};

use super::{Exit, PackArgs, setup, written};

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) pack: PackArgs,
    /// Cedar policies stating what must hold: whatever the pack allows, they must allow.
    #[arg(long, value_name = "FILE")]
    pub(crate) properties: Option<PathBuf>,
}

pub(crate) fn run(args: &VerifyArgs) -> Result<Exit, Vec<InputError>> {
    let (cwd, pack) = setup(&args.pack)?;
    let properties = match &args.properties {
        None => None,
        Some(file) => {
            let shown = file.to_string_lossy().into_owned();
            let text = match std::fs::read_to_string(cwd.join(file)) {
                Ok(t) => t,
                Err(e) => {
                    return Err(vec![InputError::new(
                        Some(&shown),
                        IoError::Read(format!("cannot read: {e}")),
                    )]);
                }
            };
            let source: std::sync::Arc<str> = std::sync::Arc::from(text.as_str());
            match text.parse::<cedar_policy::PolicySet>() {
                Ok(set) => Some(set),
                Err(e) => {
                    return Err(vec![aimsgate::error::from_diagnostic(
                        &shown,
                        &source,
                        &e,
                        "the properties do not parse: ",
                        |m| VerifyError::Properties(m).into(),
                    )]);
                }
            }
        }
    };
    let verification = match aimsgate::verify::verify(&pack, properties.as_ref()) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![InputError::new(
                None,
                Kind::from(e).context("could not analyse the pack: "),
            )]);
        }
    };
    written(|out| {
        aimsgate::render::verify::render(&verification, &pack.origin, out)?;
        // The proofs are of the policies; what `check` reports of them the configuration may
        // have changed, and that is said beside them.
        for r in &pack.relevelled {
            writeln!(
                out,
                "note: {}; the proofs above are of the policy as written",
                aimsgate::relevel::describe(r)
            )?;
        }
        Ok(())
    })?;
    if verification.failed() > 0 {
        Ok(Exit::Blocked)
    } else {
        Ok(Exit::Allowed)
    }
}
