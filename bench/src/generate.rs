//! Realistic inputs: Hugging Face README model cards (YAML front matter with `model-index` and a
//! `governance` block, then a few KB of Markdown), in repositories of any size, and git
//! histories of any length with a small change on a branch for `--changed-since`.
//!
//! Cards are deterministic in their index: the same `n` always gives the same repository, so
//! runs on different machines measure the same work.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// The instant every benchmark judges at (`--now`).
pub const NOW: &str = "2026-11-20";

/// What a card is made to fail, by index: most cards pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    None,
    /// A bias result outside its threshold.
    BiasFails,
    /// A data source without provenance, and personal data without a privacy assessment.
    NoProvenance,
    /// No owner and an impact assessment still in progress.
    NoOwner,
    /// No evaluation results in `model-index` (an advisory finding only).
    NoMetrics,
}

pub fn flaw(i: usize) -> Flaw {
    match i % 10 {
        7 => Flaw::BiasFails,
        8 => Flaw::NoProvenance,
        9 => Flaw::NoOwner,
        _ if i.is_multiple_of(13) => Flaw::NoMetrics,
        _ => Flaw::None,
    }
}

fn tier(i: usize) -> &'static str {
    if i % 997 == 996 {
        return "unacceptable";
    }
    match i % 8 {
        0..=2 => "minimal",
        3..=5 => "limited",
        _ => "high",
    }
}

const TASKS: [(&str, &str, &str); 4] = [
    ("text-classification", "accuracy", "f1"),
    ("token-classification", "precision", "recall"),
    ("tabular-classification", "roc_auc", "recall_at_1pct_fpr"),
    ("summarization", "rouge1", "rougeL"),
];

/// The card of model `i`: about 3.5 KB.
pub fn card(i: usize) -> String {
    let id = model_id(i);
    let f = flaw(i);
    let (task, m1, m2) = TASKS[i % TASKS.len()];
    let minor = i % 7;
    let version = format!("1.{minor}.{}", i % 5);
    let mut s = String::with_capacity(4096);
    let _ = write!(
        s,
        "---\nlanguage:\n  - en\n  - de\nlicense: apache-2.0\nlibrary_name: transformers\n\
         pipeline_tag: {task}\ntags:\n  - acme\n  - {task}\n  - production\ndatasets:\n  \
         - acme/corpus-{a}\n  - acme/holdout-{b}\nbase_model: acme/base-{c}\n",
        a = i % 31,
        b = i % 17,
        c = i % 5,
    );
    if f != Flaw::NoMetrics {
        let _ = write!(
            s,
            "model-index:\n  - name: {id}\n    results:\n      - task:\n          type: {task}\n        \
             dataset:\n          name: Holdout {b}\n          type: acme/holdout-{b}\n          \
             split: test\n        metrics:\n          - type: {m1}\n            value: 0.{v1}\n          \
             - type: {m2}\n            value: 0.{v2}\n",
            b = i % 17,
            v1 = 800 + i % 190,
            v2 = 700 + i % 250,
        );
    }
    let owner = if f == Flaw::NoOwner {
        String::new()
    } else {
        format!("  owner: \"@acme/team-{}\"\n", i % 40)
    };
    let ia_status = if f == Flaw::NoOwner {
        "in_progress"
    } else {
        "approved"
    };
    let bias_value = if f == Flaw::BiasFails { "0.14" } else { "0.04" };
    let provenance = if f == Flaw::NoProvenance {
        String::new()
    } else {
        "        provenance: \"support tickets export 2025-10, owner @acme/support-data\"\n"
            .to_string()
    };
    let privacy = if f == Flaw::NoProvenance {
        String::new()
    } else {
        format!("    privacy_assessment: DPIA-2026-{:03}\n", i % 400)
    };
    // A card without metrics states no criteria (they could not be met).
    let criteria = if f == Flaw::NoMetrics {
        String::new()
    } else {
        format!(
            "  acceptance_criteria:\n    - {{metric: {m1}, threshold: 0.5, direction: at_least}}\n    \
             - {{metric: {m2}, threshold: 0.5, direction: at_least}}\n"
        )
    };
    let _ = write!(
        s,
        "governance:\n  id: {id}\n  version: {version}\n{owner}  risk_tier: {tier}\n  \
         intended_use: \"Route incoming {task} requests to the right queue; a person acts on the output\"\n  \
         out_of_scope_uses: [\"automated decisions about people\", \"medical advice\"]\n  \
         impact_assessment:\n    status: {ia_status}\n    reference: IA-2026-{ia:03}\n    \
         approved_by: \"@acme/risk\"\n    approved_on: 2026-03-15\n  bias_tests:\n    \
         model_version: {version}\n    evaluated_on: 2026-11-01\n    protected_attributes: [age, sex]\n    \
         results:\n      - metric: demographic_parity_difference\n        group: sex\n        \
         value: {bias_value}\n        threshold: 0.10\n      - metric: disparate_impact_ratio\n        \
         value: 0.91\n        threshold: 0.80\n        direction: at_least\n  data:\n    sources:\n      \
         - name: tickets-2025\n        dataset: acme/corpus-{a}\n        purpose: fine-tuning\n{provenance}        \
         acquisition: \"exported from the helpdesk\"\n        terms: \"support terms, section 4\"\n        \
         quality_checks: [\"duplicates removed\"]\n        preparation: [\"pseudonymised\"]\n        \
         personal_data: true\n      - name: public-corpus\n        dataset: acme/holdout-{b}\n        \
         purpose: evaluation\n        \
         provenance: \"Common Crawl snapshot CC-MAIN-2025-30, filtered\"\n        \
         acquisition: \"downloaded from Common Crawl\"\n        terms: \"Common Crawl terms of use\"\n        \
         quality_checks: [\"language filter\"]\n        preparation: [\"deduplicated\"]\n        personal_data: false\n\
         {privacy}  human_oversight: \"An agent reviews every routed item before it is acted on\"\n  \
         monitoring:\n    plan: \"Weekly drift and fairness report; page on PSI > 0.2\"\n    \
         owner: \"@acme/ml-oncall\"\n  incident_contact: ml-oncall@acme.example\n  suppliers:\n    \
         - name: Acme ML platform team\n      provides: [acme/base-{c}]\n      assessment: SUP-2026-{c}\n      \
         assessed_on: 2026-02-01\n      responsibilities: \"Platform: base models; product teams: fine-tuning\"\n\
         {criteria}  compute:\n    training: \"4 GPUs for 3 epochs\"\n    inference: \"2 CPU replicas\"\n  \
         logging:\n    events: \"request id, output, model version\"\n    retention: \"180 days\"\n---\n\n",
        tier = tier(i),
        ia = i % 500,
        a = i % 31,
        b = i % 17,
        c = i % 5,
    );
    let _ = write!(
        s,
        "# {id}\n\n{id} is a fine-tuned `acme/base-{c}` model for {task}. It was trained on the \
         support corpus of 2025 and evaluated on a held-out split drawn from the same period. \
         It is served behind the routing API and never takes an action on its own: every output \
         is a suggestion that a person accepts or overrides.\n\n## Model details\n\n\
         - **Developed by:** Acme ML platform team {t}\n- **Model type:** transformer encoder, \
         {p} M parameters\n- **Languages:** English, German\n- **License:** Apache-2.0\n\
         - **Finetuned from:** acme/base-{c}\n\n## Uses\n\n### Direct use\n\nClassify or tag \
         incoming requests so that they reach the right queue. The model's confidence is shown \
         to the agent, who can re-route the request with one click.\n\n### Out-of-scope use\n\n\
         Automated decisions about people, medical or legal advice, and any use where no person \
         reviews the output before it is acted on.\n\n## How to use\n\n```python\nfrom \
         transformers import pipeline\n\nclf = pipeline(\"{task}\", model=\"acme/{id}\")\n\
         print(clf(\"My card was charged twice for the same order\"))\n```\n\n## Training \
         details\n\nThe model was fine-tuned for 3 epochs with a learning rate of 2e-5, batch \
         size 32, linear warm-up over the first 6% of steps, on 4 GPUs. Duplicates and tickets \
         shorter than 5 tokens were removed; personal data was pseudonymised before training.\n\n\
         ## Evaluation\n\n| split | {m1} | {m2} |\n|---|---|---|\n| test | 0.{v1} | 0.{v2} |\n\
         | test (de) | 0.{v3} | 0.{v4} |\n\nFairness was measured on the protected attributes \
         age and sex; see the `governance.bias_tests` block above for the figures and \
         thresholds that the release gate checks.\n\n## Limitations\n\nThe model was trained on \
         requests written in 2025 and drifts as products change; the monitoring plan watches \
         for it weekly. Short or mixed-language requests are routed with lower confidence and \
         are more often re-routed by agents.\n\n## Citation\n\n```bibtex\n@misc{{acme-{id},\n  \
         title  = {{{id}}},\n  author = {{Acme ML}},\n  year   = {{2026}}\n}}\n```\n",
        c = i % 5,
        t = i % 40,
        p = 100 + (i % 9) * 10,
        v1 = 800 + i % 190,
        v2 = 700 + i % 250,
        v3 = 780 + i % 150,
        v4 = 690 + i % 200,
    );
    s
}

pub fn model_id(i: usize) -> String {
    format!("model-{i:05}")
}

/// Where model `i`'s card lives in a repository.
pub fn card_path(i: usize) -> String {
    format!("models/{}/README.md", model_id(i))
}

/// Writes a repository of `n` cards (and a docs page that is not a card) at `dir`, replacing
/// whatever was there. With `git`, it is also a git repository with one commit.
pub fn cards(dir: &Path, n: usize, git: bool) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for i in 0..n {
        let path = dir.join(card_path(i));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, card(i)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    std::fs::create_dir_all(dir.join("docs")).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.join("docs/README.md"),
        "---\ntitle: Conventions\n---\n\n# Conventions\n\nNot a model card.\n",
    )
    .map_err(|e| e.to_string())?;
    if git {
        run_git(dir, &["init", "-q", "-b", "main"], None)?;
        run_git(dir, &["add", "-A"], None)?;
        run_git(dir, &["commit", "-q", "-m", "Cards"], None)?;
    }
    Ok(())
}

fn run_git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<(), String> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@acme.example")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@acme.example")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git (is it installed?): {e}"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input)
            .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// A repository of `n_cards` cards whose `main` has `commits` commits (the first adds the
/// cards; each later one edits one of a hundred changelog files), and a checked-out branch
/// `feature`, one commit ahead of `main`, that edits `changed` cards. Written with
/// `git fast-import`, so 100,000 commits take seconds.
pub fn history(dir: &Path, n_cards: usize, commits: usize, changed: usize) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    run_git(dir, &["init", "-q", "-b", "main"], None)?;
    let mut stream = Vec::with_capacity(n_cards * 4096 + commits * 200);
    let data = |out: &mut Vec<u8>, bytes: &[u8]| {
        let _ = writeln!(out, "data {}", bytes.len());
        out.extend_from_slice(bytes);
        out.push(b'\n');
    };
    let commit = |out: &mut Vec<u8>, k: usize, branch: &str, message: &str| {
        // One commit a minute, from 2025-01-01.
        let when = 1_735_689_600 + k * 60;
        let _ = writeln!(out, "commit refs/heads/{branch}");
        let _ = writeln!(out, "mark :{}", k + 1);
        let _ = writeln!(out, "committer Bench <bench@acme.example> {when} +0000");
        data(out, message.as_bytes());
    };
    commit(&mut stream, 0, "main", "Add the model cards");
    for i in 0..n_cards {
        let text = card(i);
        let _ = writeln!(stream, "M 100644 inline {}", card_path(i));
        data(&mut stream, text.as_bytes());
    }
    for k in 1..commits {
        commit(&mut stream, k, "main", &format!("Changelog entry {k}"));
        let _ = writeln!(stream, "M 100644 inline changelog/{:02}.md", k % 100);
        data(&mut stream, format!("entry {k}\n").as_bytes());
    }
    commit(
        &mut stream,
        commits,
        "feature",
        &format!("Edit {changed} cards"),
    );
    let _ = writeln!(stream, "from :{commits}");
    for i in 0..changed.min(n_cards) {
        // Spread the edits over the repository.
        let i = i * (n_cards / changed.max(1)).max(1);
        let text = card(i).replace("Weekly drift", "Daily drift");
        let _ = writeln!(stream, "M 100644 inline {}", card_path(i));
        data(&mut stream, text.as_bytes());
    }
    stream.extend_from_slice(b"done\n");
    run_git(dir, &["fast-import", "--quiet", "--done"], Some(&stream))?;
    run_git(dir, &["checkout", "-q", "-f", "feature"], None)?;
    Ok(())
}
