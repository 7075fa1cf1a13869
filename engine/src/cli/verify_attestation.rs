//! `aimsgate verify-attestation`: the deploy step's check of a signed decision, without the
//! repository, GitHub or the pack. Exit 2 when it cannot be verified, 1 when it verifies but
//! does not allow this deployment, 0 when it does.

use std::path::PathBuf;

use aimsgate::attest::keys::VerifyingKey;
use aimsgate::attest::verify::{self, Expected, MAX_ENVELOPE_BYTES};
use aimsgate::date::Instant;
use aimsgate::error::{ArgError, AttestError, InputError, IoError};

use super::attest::read_small;
use super::check::ActionArg;
use super::{Exit, written};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VerifyFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyAttestationArgs {
    /// The DSSE envelope `aimsgate check --attest DIR --signing-key KEY` wrote
    /// (`DIR/<model-id>.intoto.jsonl`).
    #[arg(value_name = "ENVELOPE")]
    pub(crate) envelope: PathBuf,
    /// Files being deployed (a folder stands for every file under it): each must be one of
    /// the statement's subjects, by the sha256 of its bytes. At least one.
    #[arg(value_name = "ARTIFACT", required = true)]
    pub(crate) artifacts: Vec<PathBuf>,
    /// The public key (SPKI PEM, ECDSA P-256 or Ed25519) the envelope must be signed with.
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub(crate) key: PathBuf,
    /// The transition being made, which the statement must have judged.
    #[arg(long, value_enum, default_value = "deploy")]
    pub(crate) action: ActionArg,
    /// The environment deployed to, which the statement must have judged (needed to deploy).
    #[arg(long = "env", value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// Refuse a statement made more than N days before --now.
    #[arg(long, value_name = "N")]
    pub(crate) max_age_days: Option<u32>,
    /// The time of the check: YYYY-MM-DD or RFC 3339 (default: now). Waivers the decision
    /// relied on must still hold then.
    #[arg(long, value_name = "DATE|DATETIME")]
    pub(crate) now: Option<String>,
    /// The policy pack the statement must name: `sha256:HEX`, as the decision record has it.
    #[arg(long, value_name = "sha256:HEX")]
    pub(crate) policy_digest: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: VerifyFormat,
}

fn expected(args: &VerifyAttestationArgs) -> Result<Expected, InputError> {
    let bad = |m: String| InputError::new(None, ArgError::Value(m));
    let action = match args.action {
        ActionArg::Release => "release",
        ActionArg::Deploy => "deploy",
    };
    let environment = args
        .environment
        .as_ref()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if action == "deploy" && environment.is_none() {
        return Err(bad(
            "`--action deploy` needs `--env ENV`: the statement must have judged the environment deployed to".into(),
        ));
    }
    let now = match &args.now {
        None => Instant::now(),
        Some(text) => Instant::parse(text).map_err(|why| bad(format!("--now: {why}")))?,
    };
    if let Some(d) = &args.policy_digest {
        let hex = d.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "--policy-digest `{d}` is not `sha256:` and 64 hexadecimal digits"
            )));
        }
    }
    Ok(Expected {
        action: action.to_string(),
        environment,
        now,
        max_age_days: args.max_age_days,
        policy_digest: args.policy_digest.clone(),
    })
}

pub(crate) fn run(args: &VerifyAttestationArgs) -> Result<Exit, Vec<InputError>> {
    let shown = args.envelope.to_string_lossy().into_owned();
    let verified = verified(args, &shown);
    match args.format {
        VerifyFormat::Json => {
            written(|out| aimsgate::render::attestation::json(&shown, verified.as_ref(), out))?;
        }
        VerifyFormat::Human => match &verified {
            Ok(v) => written(|out| aimsgate::render::attestation::human(&shown, v, out))?,
            Err(e) => return Err(vec![e.clone()]),
        },
    }
    Ok(match verified {
        Err(_) => Exit::Error,
        Ok(v) if v.allows() => Exit::Allowed,
        Ok(_) => Exit::Blocked,
    })
}

fn verified(args: &VerifyAttestationArgs, shown: &str) -> Result<verify::Verified, InputError> {
    let expected = expected(args)?;
    let key_shown = args.key.to_string_lossy().into_owned();
    let key_text = read_small(&args.key, 64 * 1024).map_err(|e| {
        InputError::new(
            Some(&key_shown),
            IoError::Read(format!("cannot read the public key: {e}")),
        )
    })?;
    let key =
        VerifyingKey::from_pem(&key_text).map_err(|e| InputError::new(Some(&key_shown), e))?;
    let text = read_small(&args.envelope, MAX_ENVELOPE_BYTES).map_err(|e| {
        InputError::new(
            Some(shown),
            IoError::Read(format!("cannot read the envelope: {e}")),
        )
    })?;
    let envelope = verify::read_envelope(&text).map_err(|e| InputError::new(Some(shown), e))?;
    verify::verify(&envelope, &key, &expected, &args.artifacts).map_err(|e| match e {
        // An artifact that cannot be read: the message names it.
        AttestError::Subject(_) => InputError::new(None, e),
        AttestError::Signature(_) => InputError::new(Some(shown), e).with_help(
            "verify with the public half of the key that signed it (`openssl pkey -in KEY -pubout`)",
        ),
        _ => InputError::new(Some(shown), e),
    })
}
