//! `aimsgate init`: a `governance` block template added to an existing card (the rest of the
//! file kept byte for byte) or a new `model-card.yaml`; an example workflow; and, with
//! `--policies`, a copy of the default pack and its tests for customisation and the
//! configuration that makes every subcommand use it. Every target is checked before anything
//! is written, and nothing is overwritten without `force` (an existing workflow is kept).
//!
//! The template's values are blank on purpose: a placeholder such as "TODO" would satisfy a
//! gate, so an unfilled template must fail the gates until someone fills it in.

use std::path::{Path, PathBuf};

use crate::card::frontmatter;
use crate::error::{InitError, IoError};
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
    "  data:                       # A.7, A.4.3: one entry per data set, Hugging Face `datasets` too",
    "    sources: []               # - {name: ..., dataset: <hub id>, purpose: ..., provenance: ...,",
    "                              #    acquisition: ..., terms: ..., quality_checks: [...],",
    "                              #    preparation: [...], personal_data: false}",
    "    privacy_assessment: \"\"    # needed when a source holds personal data",
    "  human_oversight: \"\"         # A.9.2",
    "  monitoring:                 # A.6.2.6",
    "    plan: \"\"",
    "    owner: \"\"",
    "  incident_contact: \"\"        # A.8.4",
    "  suppliers: []               # A.10.2, A.10.3: one per `base_model` supplier: {name: ...,",
    "                              #   provides: [...], assessment: ..., assessed_on: YYYY-MM-DD,",
    "                              #   responsibilities: ...}",
    "  acceptance_criteria: []     # A.6.2.2: per model-index metric: {metric: ..., threshold: ..., direction: at_least}",
    "  compute:                    # A.4.5",
    "    training: \"\"             # what it was trained on, for how long",
    "    inference: \"\"            # what it runs on in production",
    "  logging:                    # A.6.2.8",
    "    events: \"\"               # what is recorded in production",
    "    retention: \"\"            # for how long",
    "  # A.6.2.3, A.6.2.7, A.8.2, A.8.5: the card's body has the sections ## Training Details,",
    "  # ## Evaluation, ## How to Get Started with the Model and ## Bias, Risks, and Limitations.",
];

/// What a YAML card, which has no Markdown body, writes instead of the body's sections.
pub const DOCUMENTATION: &[&str] = &[
    "  # A.6.2.3, A.6.2.7, A.8.2, A.8.5: a YAML card has no Markdown body: its documentation is here.",
    "  documentation:",
    "    training_details: \"\"       # how it was built: data, procedure, hyperparameters",
    "    evaluation: \"\"             # testing data, metrics, results",
    "    how_to_get_started: \"\"     # how to call it and read its output",
    "    bias_risks_limitations: \"\" # what it gets wrong, for whom",
];

/// Where `init` writes the Statement of Applicability.
pub const SOA_PATH: &str = crate::soa::DEFAULT_PATH;

/// The Annex A controls no gate can evidence from a model's card or repository: the
/// organisation's own policy, alignment, reporting of concerns, tooling and people,
/// objectives, processes, external reporting and customers. `init` lists them in the
/// statement as applicable, each with a `TODO` justification that `controls` counts as a gap
/// until the AIMS owner writes it.
pub const ORGANISATIONAL: &[&str] = &[
    "A.2.2", "A.2.3", "A.3.3", "A.4.4", "A.4.6", "A.6.1.2", "A.6.1.3", "A.8.3", "A.10.4",
];

/// The statement `init` writes: the organisational controls, to be justified.
pub fn soa_template() -> String {
    let mut out = String::from(
        "# Statement of Applicability (ISO/IEC 42001 Annex A): the organisation's decision on each\n\
         # control that no gate implements. `aimsgate controls` shows all 38 and which gates cover\n\
         # the others. Replace each TODO with how the control is met (the policy, process or\n\
         # record an auditor can be shown), or set `applicable: false` and say why:\n\
         # `aimsgate controls` counts each TODO as a gap.\ncontrols:\n",
    );
    for id in ORGANISATIONAL {
        let title = crate::annex_a::CONTROLS
            .iter()
            .find(|(c, _)| c == id)
            .map_or("", |(_, t)| t);
        out.push_str(&format!(
            "  {id}:   # {title}\n    applicable: true\n    justification: TODO\n"
        ));
    }
    out
}

/// Where `init` writes the example workflow.
pub const WORKFLOW_PATH: &str = ".github/workflows/aimsgate.yml";

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
          # version: 0.2.0  # a release binary; without it the first run builds from source
          #                 # (about 5 minutes on 2 cores, then cached)
"#;

/// What `init` did, one line per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub path: PathBuf,
    pub what: &'static str,
}

/// The governance block for a Markdown card (`markdown`), whose body holds the documentation,
/// or for a YAML card, which holds it in the block.
fn block(eol: &str, markdown: bool) -> String {
    let (common, docs) = GOVERNANCE.split_at(GOVERNANCE.len() - 2);
    let tail: &[&str] = if markdown { docs } else { DOCUMENTATION };
    common
        .iter()
        .chain(tail)
        .map(|l| format!("{l}{eol}"))
        .collect()
}

/// The configuration `init --policies` writes: the repository's own pack judges its models, in
/// every subcommand, without a flag.
pub const CONFIG: &str = "# aimsgate's configuration: governance configuration, read from the protected branch in CI.\n# Every key is optional; flags win. See the README, \"Configuration\".\npolicies: policies\n";

/// What to scaffold.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// An existing card to add the governance block to.
    pub card: Option<PathBuf>,
    /// Write a new `model-card.yaml` (when no card is named).
    pub new_card: bool,
    /// Write `.github/workflows/aimsgate.yml`.
    pub workflow: bool,
    /// Copy the default pack and its tests into `policies/`, and write `.aimsgate/config.yaml`.
    pub policies: bool,
    /// Overwrite files that exist.
    pub force: bool,
}

/// One file `init` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub path: PathBuf,
    pub content: String,
    pub what: &'static str,
}

/// What `init` will do: the files it writes, and those it keeps as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub writes: Vec<Write>,
    /// The workflow, when it exists and `force` is not given: one workflow serves every
    /// model, so `init` on a second card keeps it.
    pub kept: Vec<PathBuf>,
}

/// Everything `init` would write in `dir`, every target checked first: nothing is written when
/// any of them cannot be (a file that exists without `force`, a card that already has a
/// governance block or cannot be read).
pub fn plan(dir: &Path, options: &Options) -> Result<Plan, Vec<InitError>> {
    let mut plan = Plan::default();
    let mut errors = Vec::new();
    let shown = |path: &Path| path.strip_prefix(dir).unwrap_or(path).display().to_string();
    let mut fresh = |path: PathBuf, content: String, what: &'static str| {
        if path.exists() && !options.force {
            errors.push(InitError::Exists(shown(&path)));
        } else {
            plan.writes.push(Write {
                path,
                content,
                what,
            });
        }
    };
    if options.card.is_none() && options.new_card {
        fresh(
            dir.join("model-card.yaml"),
            format!(
                "# The model card: https://huggingface.co/docs/hub/model-cards keys may sit beside governance.\n{}",
                block("\n", false)
            ),
            "written",
        );
    }
    if options.policies {
        for (name, text) in Pack::embedded_files() {
            fresh(dir.join("policies").join(name), text.to_string(), "copied");
        }
        fresh(
            dir.join(".aimsgate/config.yaml"),
            CONFIG.to_string(),
            "written",
        );
    }
    // One statement serves the repository: `init` on a second card keeps it.
    let soa = dir.join(SOA_PATH);
    if soa.exists() && !options.force {
        plan.kept.push(soa);
    } else {
        plan.writes.push(Write {
            path: soa,
            content: soa_template(),
            what: "written",
        });
    }
    if options.workflow {
        let path = dir.join(WORKFLOW_PATH);
        if path.exists() && !options.force {
            plan.kept.push(path);
        } else {
            plan.writes.push(Write {
                path,
                content: WORKFLOW.to_string(),
                what: "written",
            });
        }
    }
    if let Some(card) = &options.card {
        match with_governance(&dir.join(card), &shown(&dir.join(card))) {
            Ok(text) => plan.writes.push(Write {
                path: dir.join(card),
                content: text,
                what: "governance block added",
            }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// Writes what [`plan`] planned, in order; what was written, or what could not be.
pub fn apply(writes: Vec<Write>) -> Result<Vec<Done>, (Vec<Done>, IoError)> {
    let mut done = Vec::new();
    for w in writes {
        let written = w
            .path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&w.path, &w.content));
        if let Err(e) = written {
            let message = format!("cannot write {}: {e}", w.path.display());
            return Err((done, IoError::Write(message)));
        }
        done.push(Done {
            path: w.path,
            what: w.what,
        });
    }
    Ok(done)
}

/// The text of the card at `path` with the governance block added; every other byte kept.
fn with_governance(path: &Path, shown: &str) -> Result<String, InitError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InitError::File(format!("cannot read {shown}: {e}")))?;
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let has_governance = |yaml: &str| {
        yaml.lines()
            .any(|l| l.trim_end() == "governance:" || l.starts_with("governance:"))
    };
    let is_markdown = !matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    );
    if is_markdown {
        return match frontmatter::find(&text) {
            Ok(Some(fm)) => {
                let yaml = &text[fm.yaml_start..fm.yaml_end];
                if has_governance(yaml) {
                    return Err(InitError::File(format!(
                        "{shown} already has a governance block"
                    )));
                }
                // Insert before the closing `---`: the YAML before it ends with a line break.
                let mut out = String::with_capacity(text.len() + 2048);
                out.push_str(&text[..fm.yaml_end]);
                out.push_str(&block(eol, true));
                out.push_str(&text[fm.yaml_end..]);
                Ok(out)
            }
            Ok(None) => {
                let (bom, rest) = text
                    .strip_prefix('\u{feff}')
                    .map_or(("", text.as_str()), |r| ("\u{feff}", r));
                Ok(format!("{bom}---{eol}{}---{eol}{rest}", block(eol, true)))
            }
            Err(_) => Err(InitError::File(format!(
                "{shown}: its front matter is never closed"
            ))),
        };
    }
    if path.extension().and_then(|e| e.to_str()) == Some("json") {
        return Err(InitError::File(format!(
            "{shown}: add the governance block to a JSON card by hand (see the README)"
        )));
    }
    if has_governance(&text) {
        return Err(InitError::File(format!(
            "{shown} already has a governance block"
        )));
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        eol
    };
    Ok(format!("{text}{sep}{}", block(eol, false)))
}
