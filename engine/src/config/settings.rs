//! `.aimsgate/config.yaml`: the settings a repository gives aimsgate, read with every unknown
//! key an error at its line.

use std::sync::Arc;

use crate::card::Keys;
use crate::card::keys;
use crate::error::{CardError, ConfigError, InputError};
use crate::yaml::{self, Node, ScalarKind, Value};

/// What `.aimsgate/config.yaml` says; each key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Where the file was read from (`refs/remotes/origin/main:.aimsgate/config.yaml`).
    pub shown: Option<String>,
    /// The policy pack's directory, relative to the repository root.
    pub policies: Option<String>,
    /// The protected ref all governance configuration is read from.
    pub protected_ref: Option<String>,
    /// The repository's default branch.
    pub default_branch: Option<String>,
    /// The waivers file and the Statement of Applicability, relative to the repository root.
    pub waivers: Option<String>,
    pub soa: Option<String>,
    /// Count pull request approvals given to earlier commits of the pull request (by default
    /// only approvals of the commit being judged count).
    pub accept_stale_approvals: bool,
    /// Submodules (repository-relative paths) that hold no model cards: not an error when
    /// they are not checked out.
    pub submodules_without_cards: Vec<String>,
    /// Whether a model file no card covers blocks `check` (`ungoverned_artifacts: error`);
    /// by default it is a warning.
    pub ungoverned_artifacts_block: bool,
    /// Gates re-levelled (`gates:`), see [`crate::relevel`].
    pub gates: Vec<crate::relevel::GateLevel>,
    /// The file's text, for errors found once the pack is loaded (a gate it does not have).
    pub source: Arc<str>,
}

const KEYS: &[&str] = &[
    "policies",
    "protected_ref",
    "default_branch",
    "waivers",
    "soa",
    "accept_stale_approvals",
    "submodules_without_cards",
    "ungoverned_artifacts",
    "gates",
];

impl Config {
    /// Reads a configuration file (shown as `shown`). Unknown keys are errors at their line,
    /// with the nearest known key: a misspelled setting must not silently fall back.
    pub fn parse(shown: &str, text: &str) -> Result<Config, Vec<InputError>> {
        let source: Arc<str> = Arc::from(text);
        let root = yaml::parse_file(shown, &source)?;
        let mut config = Config {
            shown: Some(shown.to_string()),
            source: Arc::clone(&source),
            ..Config::default()
        };
        let Some(root) = root else {
            return Ok(config);
        };
        let at = |node: &Node, m: String| {
            InputError::at(shown, &source, node.span, ConfigError::Value(m))
        };
        let Value::Map(entries) = &root.value else {
            return Err(vec![at(
                &root,
                "the configuration must be a mapping of settings".into(),
            )]);
        };
        let mut known = Keys::default();
        for k in KEYS {
            known.add(k);
        }
        let mut spans = Vec::new();
        keys::check(&root, &known, "config", &mut spans);
        let mut errors: Vec<InputError> = spans
            .into_iter()
            .map(|(span, e)| InputError::at(shown, &source, span, config_key(e)))
            .collect();
        for e in entries {
            let v = &e.value;
            let text = || match &v.value {
                Value::Scalar {
                    text,
                    kind: ScalarKind::Str,
                } if !text.trim().is_empty() => Ok(text.trim().to_string()),
                _ => Err(at(v, format!("`{}` must be a non-empty string", e.key))),
            };
            if e.key == "gates" {
                let at = |span, m| InputError::at(shown, &source, span, ConfigError::Value(m));
                match crate::relevel::parse(v, &at) {
                    Ok(levels) => config.gates = levels,
                    Err(e) => errors.extend(e),
                }
                continue;
            }
            let set = match e.key.as_str() {
                "policies" => text().map(|t| config.policies = Some(t)),
                "protected_ref" => text().map(|t| config.protected_ref = Some(t)),
                "default_branch" => text().map(|t| config.default_branch = Some(t)),
                "waivers" => text().map(|t| config.waivers = Some(t)),
                "soa" => text().map(|t| config.soa = Some(t)),
                "accept_stale_approvals" => match &v.value {
                    Value::Scalar {
                        kind: ScalarKind::Bool(b),
                        ..
                    } => {
                        config.accept_stale_approvals = *b;
                        Ok(())
                    }
                    _ => Err(at(
                        v,
                        "`accept_stale_approvals` is `true` or `false`".into(),
                    )),
                },
                "ungoverned_artifacts" => match text().as_deref() {
                    Ok(level @ ("warning" | "error")) => {
                        config.ungoverned_artifacts_block = level == "error";
                        Ok(())
                    }
                    _ => Err(at(
                        v,
                        "`ungoverned_artifacts` is `warning` or `error`".into(),
                    )),
                },
                "submodules_without_cards" => match &v.value {
                    Value::Seq(items) => items
                        .iter()
                        .map(|i| match &i.value {
                            Value::Scalar {
                                text,
                                kind: ScalarKind::Str,
                            } if !text.trim().is_empty() => Ok(text.trim().to_string()),
                            _ => Err(at(i, "each submodule is a path, as a string".into())),
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|paths| config.submodules_without_cards = paths),
                    _ => Err(at(
                        v,
                        "`submodules_without_cards` is a list of submodule paths".into(),
                    )),
                },
                _ => Ok(()),
            };
            if let Err(e) = set {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

/// An unknown configuration key, found by the card's key checker.
fn config_key(e: CardError) -> ConfigError {
    match e {
        CardError::Key(m) => ConfigError::Key(m),
        other => ConfigError::Key(other.to_string()),
    }
}
