//! `aimsgate init`: a `governance` block template added to an existing card (the rest of the
//! file kept byte for byte) or a new `model-card.yaml`; an example workflow; and, with
//! `--policies`, a copy of the default pack and its tests for customisation. Nothing is
//! overwritten without `force`.
//!
//! The template's values are blank on purpose: a placeholder such as "TODO" would satisfy a
//! gate, so an unfilled template must fail the gates until someone fills it in.

use std::path::{Path, PathBuf};

use crate::card::frontmatter;
use crate::pack::Pack;

/// The governance block, one line per item, without line endings.
pub const GOVERNANCE: &[&str] = &[
    "governance:",
    "  # Fill in every field: blank ones fail their gates (`aimsgate explain GATE` says why).",
    "  version: \"\"                 # the version being released, e.g. 1.0.0",
    "  owner: \"\"                   # accountable owner (A.3.2): @org/team or an e-mail",
    "  risk_tier: ~                # minimal | limited | high | unacceptable",
    "  intended_use: \"\"            # what the model is for, who acts on its output (A.9.4)",
    "  out_of_scope_uses: []",
    "  impact_assessment:          # A.5.2-A.5.5",
    "    status: not_started       # not_started | in_progress | approved | rejected",
    "    reference: \"\"",
    "    approved_by: \"\"",
    "    approved_on: ~            # YYYY-MM-DD",
    "  bias_tests:                 # A.6.2.4, A.5.4",
    "    model_version: \"\"",
    "    evaluated_on: ~",
    "    protected_attributes: []",
    "    results: []               # - {metric: ..., value: ..., threshold: ..., direction: at_most}",
    "  data:                       # A.7",
    "    sources: []               # - {name: ..., provenance: ..., personal_data: false}",
    "    privacy_assessment: \"\"    # needed when a source holds personal data",
    "  human_oversight: \"\"         # A.9.2",
    "  monitoring:                 # A.6.2.6",
    "    plan: \"\"",
    "    owner: \"\"",
    "  incident_contact: \"\"        # A.8.4",
];

/// The example workflow written by `init`.
pub const WORKFLOW: &str = r#"name: aimsgate

on:
  pull_request:

permissions: {}

jobs:
  gate:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      checks: write        # the aimsgate Check Run
      pull-requests: write # reviews and the sticky comment
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          fetch-depth: 0   # for changed-since and the protected ref (the base branch)
          persist-credentials: false
      - uses: OWNER/aimsgate/action@COMMIT_SHA # pin aimsgate's action by commit
        with:
          action: release
          changed-since: refs/remotes/origin/${{ github.base_ref }}
"#;

/// What `init` did, one line per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub path: PathBuf,
    pub what: &'static str,
}

fn block(eol: &str) -> String {
    GOVERNANCE.iter().map(|l| format!("{l}{eol}")).collect()
}

fn refuse(path: &Path) -> String {
    format!("{} exists; pass --force to overwrite it", path.display())
}

/// Adds the governance block to `card`, or writes a new `model-card.yaml` when `card` is
/// `None` (in `dir`). The rest of an existing card is kept byte for byte.
pub fn card(dir: &Path, card: Option<&Path>, force: bool) -> Result<Done, String> {
    let Some(card) = card else {
        let path = dir.join("model-card.yaml");
        if path.exists() && !force {
            return Err(refuse(&path));
        }
        let text = format!(
            "# The model card: https://huggingface.co/docs/hub/model-cards keys may sit beside governance.\n{}",
            block("\n")
        );
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return Ok(Done {
            path,
            what: "written",
        });
    };
    let path = dir.join(card);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let has_governance = |yaml: &str| {
        yaml.lines()
            .any(|l| l.trim_end() == "governance:" || l.starts_with("governance:"))
    };
    let is_markdown = !matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    );
    let updated = if is_markdown {
        match frontmatter::find(&text) {
            Ok(Some(fm)) => {
                let yaml = &text[fm.yaml_start..fm.yaml_end];
                if has_governance(yaml) {
                    return Err(format!("{} already has a governance block", path.display()));
                }
                // Insert before the closing `---`: the YAML before it ends with a line break.
                let mut out = String::with_capacity(text.len() + 2048);
                out.push_str(&text[..fm.yaml_end]);
                out.push_str(&block(eol));
                out.push_str(&text[fm.yaml_end..]);
                out
            }
            Ok(None) => {
                let (bom, rest) = text
                    .strip_prefix('\u{feff}')
                    .map_or(("", text.as_str()), |r| ("\u{feff}", r));
                format!("{bom}---{eol}{}---{eol}{rest}", block(eol))
            }
            Err(_) => {
                return Err(format!(
                    "{}: its front matter is never closed",
                    path.display()
                ));
            }
        }
    } else {
        if path.extension().and_then(|e| e.to_str()) == Some("json") {
            return Err(format!(
                "{}: add the governance block to a JSON card by hand (see the README)",
                path.display()
            ));
        }
        if has_governance(&text) {
            return Err(format!("{} already has a governance block", path.display()));
        }
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            eol
        };
        format!("{text}{sep}{}", block(eol))
    };
    std::fs::write(&path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Done {
        path,
        what: "governance block added",
    })
}

/// Writes the example workflow.
pub fn workflow(dir: &Path, force: bool) -> Result<Done, String> {
    let path = dir.join(".github/workflows/aimsgate.yml");
    if path.exists() && !force {
        return Err(refuse(&path));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&path, WORKFLOW).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Done {
        path,
        what: "written",
    })
}

/// Copies the default pack and its tests into `target` (`policies/`).
pub fn policies(target: &Path, force: bool) -> Result<Vec<Done>, String> {
    let files: Vec<(PathBuf, &str)> = Pack::embedded_files()
        .map(|(name, text)| (target.join(name), text))
        .collect();
    if !force && let Some((existing, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(refuse(existing));
    }
    let mut done = Vec::new();
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        done.push(Done {
            path,
            what: "copied",
        });
    }
    Ok(done)
}
