//! `aimsgate check --attest DIR [--signing-key KEY]`: per model judged, an in-toto statement
//! (a SLSA VSA) and, with a key, its DSSE envelope. Writing them is part of recording: asked
//! and not done, the check fails.

use std::path::{Path, PathBuf};

use aimsgate::attest::keys::SigningKey;
use aimsgate::attest::{self, Resource, Subject, dsse};
use aimsgate::error::{ArgError, AttestError, InputError, IoError};
use aimsgate::evidence::Evidence;
use aimsgate::output_file::{self, Mode};
use aimsgate::report::{Decision, Report};

use super::env;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AttestArgs {
    /// Write, per model judged, `DIR/<model-id>.statement.json`: an in-toto statement (SLSA
    /// Verification Summary v1) naming every file of the model's folder with its sha256.
    #[arg(long, value_name = "DIR")]
    pub(crate) attest: Option<PathBuf>,
    /// Also sign each statement into `DIR/<model-id>.intoto.jsonl` (DSSE) with this PKCS#8
    /// PEM private key, ECDSA P-256 or Ed25519. Read before anything is judged.
    #[arg(long, value_name = "KEY", requires = "attest")]
    pub(crate) signing_key: Option<PathBuf>,
    /// The most bytes hashed for one model's folder (Git LFS pointers count as their size).
    #[arg(long, value_name = "BYTES", default_value_t = attest::DEFAULT_MAX_BYTES, requires = "attest")]
    pub(crate) attest_max_bytes: u64,
}

/// What a run attests with.
pub(crate) struct Attesting {
    pub(crate) dir: PathBuf,
    pub(crate) key: Option<SigningKey>,
    pub(crate) max_bytes: u64,
}

/// The most bytes a key file may hold.
const MAX_KEY_BYTES: u64 = 64 * 1024;

impl AttestArgs {
    /// What the arguments ask for, the key read and checked: an unreadable, encrypted or
    /// unsupported key is an error before anything is judged.
    pub(crate) fn attesting(&self) -> Result<Option<Attesting>, InputError> {
        let Some(dir) = &self.attest else {
            return Ok(None);
        };
        let key = match &self.signing_key {
            None => None,
            Some(path) => Some(read_key(path)?),
        };
        Ok(Some(Attesting {
            dir: dir.clone(),
            key,
            max_bytes: self.attest_max_bytes,
        }))
    }
}

fn read_key(path: &Path) -> Result<SigningKey, InputError> {
    let shown = path.to_string_lossy().into_owned();
    let text = read_small(path, MAX_KEY_BYTES).map_err(|e| {
        InputError::new(
            Some(&shown),
            IoError::Read(format!("cannot read the signing key: {e}")),
        )
        .with_help("name the PKCS#8 PEM private key file (in CI, write the secret to a file first; the action's `signing-key` input does)")
    })?;
    SigningKey::from_pem(&text).map_err(|e| {
        InputError::new(Some(&shown), e).with_help(
            "make one with `openssl genpkey -algorithm ed25519 -out aimsgate.key` (or `-algorithm EC -pkeyopt ec_paramgen_curve:P-256`), and its public half with `openssl pkey -in aimsgate.key -pubout -out aimsgate.pub`",
        )
    })
}

/// A small text file, refused when larger than `max` or not a regular file (a FIFO is refused,
/// never waited on).
pub(crate) fn read_small(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = aimsgate::attest::subjects::open_regular(path, true)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// Statements ready to be written once the decision record exists: subjects hashed and files
/// opened. What cannot be done makes the report's decision an error, before it is rendered.
pub(crate) struct Prepared {
    models: Vec<(usize, Vec<Subject>, std::fs::File, Option<std::fs::File>)>,
    resource: Resource,
}

pub(crate) fn prepare(
    attesting: &Attesting,
    report: &mut Report,
    evidence: &Evidence,
    cwd: &Path,
    root: &Path,
) -> Option<Prepared> {
    let dir = cwd.join(&attesting.dir);
    let shown = attesting.dir.to_string_lossy().into_owned();
    let mut errors = Vec::new();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        errors.push(InputError::new(
            Some(&shown),
            IoError::Write(format!("cannot make the attestations' folder: {e}")),
        ));
    }
    // Every model's files hashed first, then every file opened: a model whose files cannot be
    // hashed leaves the earlier runs' attestations as they were.
    let mut hashed = Vec::new();
    if errors.is_empty() {
        for (i, model) in report.models.iter().enumerate() {
            match attest::subjects::of_card(root, &model.path, attesting.max_bytes) {
                Ok(s) => hashed.push((i, s)),
                Err(e) => errors.push(InputError::new(Some(&model.path), e)),
            }
        }
    }
    let mut models = Vec::new();
    let mut names = std::collections::HashSet::new();
    if errors.is_empty() {
        for (i, subjects) in hashed {
            let model = &report.models[i];
            let stem = attest::file_stem(&model.id);
            // Two models never share a file (ids are unique in a run that judged; this holds
            // even if they were not).
            if !names.insert(stem.clone()) {
                errors.push(InputError::new(
                    Some(&model.path),
                    IoError::Write(format!(
                        "another model's attestation is already written as {stem}"
                    )),
                ));
                continue;
            }
            let open = |suffix: &str| {
                let path = dir.join(format!("{stem}.{suffix}"));
                output_file::open(&path, Mode::Replace, root).map_err(|e| {
                    InputError::new(
                        Some(&path.to_string_lossy()),
                        IoError::Write(format!("cannot write the attestation: {e}")),
                    )
                })
            };
            let statement = match open("statement.json") {
                Ok(f) => f,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let envelope = match attesting.key.as_ref().map(|_| open("intoto.jsonl")) {
                Some(Err(e)) => {
                    errors.push(e);
                    continue;
                }
                Some(Ok(f)) => Some(f),
                None => None,
            };
            models.push((i, subjects, statement, envelope));
        }
    }
    if !errors.is_empty() {
        report.errors.extend(errors);
        report.decision = Decision::Error;
        return None;
    }
    let commit = evidence.git.as_ref().ok().map(|g| g.commit.clone());
    let resource = match &evidence.repository {
        Some(name) => Resource::on_server(
            &env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
            name,
            commit,
        ),
        None => Resource::local(root, commit),
    };
    Some(Prepared { models, resource })
}

/// Writes the prepared statements (and envelopes), naming the decision record by its digest.
pub(crate) fn write(
    prepared: Prepared,
    attesting: &Attesting,
    report: &Report,
    pack_sha256: &str,
    record_sha256: &str,
) -> Result<(), AttestError> {
    use std::io::Write as _;
    for (i, subjects, mut statement_file, envelope_file) in prepared.models {
        let model = &report.models[i];
        let statement = attest::statement(
            report,
            model,
            subjects,
            &prepared.resource,
            pack_sha256,
            record_sha256,
        );
        let fail = |e: std::io::Error| {
            AttestError::Subject(format!(
                "{}: the attestation was not written: {e}",
                model.id
            ))
        };
        let pretty = serde_json::to_string_pretty(&statement)
            .map_err(|e| AttestError::Statement(e.to_string()))?;
        statement_file
            .write_all(format!("{pretty}\n").as_bytes())
            .and_then(|()| statement_file.sync_all())
            .map_err(fail)?;
        if let (Some(key), Some(mut file)) = (&attesting.key, envelope_file) {
            let payload = serde_json::to_vec(&statement)
                .map_err(|e| AttestError::Statement(e.to_string()))?;
            let envelope = dsse::sign(&payload, key)?;
            let line = serde_json::to_string(&envelope)
                .map_err(|e| AttestError::Envelope(e.to_string()))?;
            file.write_all(format!("{line}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(fail)?;
        }
    }
    Ok(())
}

/// `--signing-key` without `--attest` is refused by clap; this names the one other mistake.
pub(crate) fn misuse(args: &AttestArgs) -> Option<InputError> {
    (args.attest_max_bytes == 0).then(|| {
        InputError::new(
            None,
            ArgError::Value("--attest-max-bytes must be more than 0".into()),
        )
    })
}
