//! The machine-read outputs: golden files of each format on the shipped example, SARIF checked
//! against the official SARIF 2.1.0 schema, card text that tries to inject into every format,
//! GitHub's per-step annotation cap, and `--output FORMAT=PATH`.

use std::path::Path;

use serde_json::Value;

use crate::common;
use crate::common::{Aimsgate, Run, root};

fn aimsgate(dir: &Path, args: &[&str]) -> Run {
    aimsgate_env(dir, args, &[])
}

fn aimsgate_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    Aimsgate::check(dir).staging().args(args).envs(env).run()
}

/// The example, checked from a folder outside any git repository.
fn example(format: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("fixtures/example");
    for file in common::files(&root().join("fixtures/example")) {
        let rel = file.strip_prefix(root().join("fixtures/example")).unwrap();
        std::fs::create_dir_all(target.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&file, target.join(rel)).unwrap();
    }
    aimsgate(dir.path(), &["fixtures/example", "--format", format])
}

fn masked(s: &str) -> String {
    s.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

#[test]
fn golden_github() {
    let r = example("github");
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(masked(&r.stdout));
}

#[test]
fn golden_markdown() {
    insta::assert_snapshot!(masked(&example("markdown").stdout));
}

#[test]
fn golden_sarif() {
    insta::assert_snapshot!(masked(&example("sarif").stdout));
}

#[test]
fn golden_junit() {
    insta::assert_snapshot!(masked(&example("junit").stdout));
}

pub(crate) fn sarif_schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("fixtures/sarif/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str::<Value>(&text).unwrap())
        .expect("the schema compiles")
}

fn assert_valid_sarif(text: &str) {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_schema();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let text = example("sarif").stdout;
    assert_valid_sarif(&text);
    let log: Value = serde_json::from_str(&text).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 34, "one rule per gate of the pack");
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "bias-tests-passed")
        .unwrap();
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "fixtures/example/models/fraud-detector/README.md"
    );
    assert_eq!(location["region"]["startLine"], 38);
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "bias-tests-passed");
    assert_eq!(
        rules[index]["properties"]["controls"],
        serde_json::json!(["A.6.2.4", "A.5.4"])
    );
    // The schema check can fail: a result without its message is refused.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!sarif_schema().is_valid(&broken));
}

#[test]
fn sarif_with_input_errors_validates_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model-card.yaml"),
        "governance:\n  risk_tier: severe\n",
    )
    .unwrap();
    let r = aimsgate(dir.path(), &["--format", "sarif"]);
    assert_eq!(r.code, 2);
    assert_valid_sarif(&r.stdout);
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
}

/// A card whose bias metric (free text, shown in findings) tries to break out of every format.
const HOSTILE: &str = "---\ngovernance:\n  id: m\n  owner: \"@acme/ml\"\n  risk_tier: limited\n  intended_use: x\n  data:\n    sources:\n      - {name: a, provenance: b, personal_data: false}\n  bias_tests:\n    results:\n      - metric: \"m\\r\\n::error::pwned,<img src=x onerror=alert(1)> @org/team ]]> &amp;\"\n        value: 0.5\n        threshold: 0.1\n---\n";

/// A card whose id tries it: not a valid id, so an error (quoting the id) in every format.
const HOSTILE_ID: &str = "---\ngovernance:\n  id: \"evil%0A\\r\\n::warning file=x::injected, <script>alert(1)</script> @acme/everyone | `tick`\"\n  owner: \"@acme/ml\"\n---\n";

fn hostile_with(card: &str, format: &str, code: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("m")).unwrap();
    std::fs::write(dir.path().join("m/README.md"), card).unwrap();
    let r = aimsgate(dir.path(), &["m/README.md", "--format", format]);
    assert_eq!(r.code, code, "{}", r.stdout);
    r.stdout
}

fn hostile(format: &str) -> String {
    hostile_with(HOSTILE, format, 1)
}

#[test]
fn hostile_text_cannot_inject_workflow_commands() {
    let out = hostile("github");
    for line in out.lines() {
        assert!(
            line.starts_with("::"),
            "a line that is not a command: {line:?}"
        );
    }
    let commands: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with("::group::") && !l.starts_with("::endgroup::"))
        .collect();
    // One error (the bias test failing) and the warnings of what the card leaves out, each a
    // command of its own, and nothing else.
    assert_eq!(
        commands
            .iter()
            .filter(|l| l.starts_with("::error "))
            .count(),
        1,
        "{out}"
    );
    assert!(
        commands.iter().all(|l| l.starts_with("::error file=")
            || l.starts_with("::warning file=")
            || l.starts_with("::notice title=")),
        "{out}"
    );
    // The injected commands are there only as escaped text inside the real ones.
    assert!(
        out.lines()
            .all(|l| !l.starts_with("::error::pwned") && !l.contains('\r')),
        "{out}"
    );
    assert!(out.contains("m%0D%0A::error::pwned"), "{out}");
    // An id that tries the same is refused, and quoted escaped.
    let out = hostile_with(HOSTILE_ID, "github", 2);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with("::error file=m/README.md,line=3,"),
        "{out}"
    );
    assert!(!out.contains('\r') && !out.contains("\n::"), "{out}");
}

/// Markdown rendered as GitHub renders it: GitHub-flavoured (tables, autolinks), raw HTML let
/// through (the summary's own `<details>`), so what card text could inject shows in the HTML.
fn gfm(markdown: &str) -> String {
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.render.r#unsafe = true;
    comrak::markdown_to_html(markdown, &options)
}

/// Every table of rendered HTML has as many cells in each row as in its header.
fn tables_are_whole(html: &str) {
    for table in html.split("<table>").skip(1) {
        let table = &table[..table.find("</table>").unwrap()];
        let head = table.split("</thead>").next().unwrap();
        let header = head.matches("<th").count() - head.matches("<thead").count();
        for row in table.split("<tr>").skip(2) {
            assert_eq!(
                row.matches("<td").count(),
                header,
                "a row with injected cells: {row}"
            );
        }
    }
}

#[test]
fn hostile_text_cannot_inject_markdown_html_or_mentions() {
    for out in [hostile("markdown"), hostile_with(HOSTILE_ID, "markdown", 2)] {
        let html = gfm(&out);
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(!html.contains("href=\"https://evil"), "{html}");
        tables_are_whole(&html);
        // A mention is made only outside code: there, `@` is defused.
        let outside_code: String = html
            .split("<code>")
            .map(|part| part.split_once("</code>").map_or(part, |(_, rest)| rest))
            .collect();
        assert!(
            !outside_code.contains("@acme/everyone") && !outside_code.contains("@org/team"),
            "{html}"
        );
    }
    assert!(hostile("markdown").contains("@\u{200B}org/team"));
}

#[test]
fn the_summary_renders_as_a_reviewer_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("m")).unwrap();
    std::fs::write(
        dir.path().join("m/model-card.yaml"),
        "governance:\n  id: m\n  owner: \"@acme/ml\"\n  risk_tier: high\n  intended_use: x\n  data:\n    sources: [{name: a, provenance: b, personal_data: false}]\n",
    )
    .unwrap();
    let r = aimsgate_env(
        dir.path(),
        &["--format", "markdown"],
        &[
            ("GITHUB_REPOSITORY", "acme/models"),
            ("GITHUB_SERVER_URL", "https://github.example"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let html = gfm(&r.stdout);
    // The verdict table is the first thing after the heading.
    let after_heading = html.split("</h2>").nth(1).unwrap().trim_start();
    assert!(after_heading.starts_with("<table>"), "{html}");
    // Field names are code, not literal backquotes.
    assert!(
        html.contains("<code>governance.human_oversight</code>"),
        "{html}"
    );
    assert!(!html.contains("\\`"), "{html}");
    // A blocked model's section is open, and its findings link to their lines.
    assert!(html.contains("<details open><summary><b>m</b>"), "{html}");
    tables_are_whole(&html);
    // Outside git the commit is unknown: no link. In a repository, lines link to the commit.
    assert!(!html.contains("/blob/"), "{html}");
    let (_d, repo) = common::repo();
    let work = repo.workdir().unwrap().to_path_buf();
    std::fs::create_dir_all(work.join("m")).unwrap();
    std::fs::copy(
        dir.path().join("m/model-card.yaml"),
        work.join("m/model-card.yaml"),
    )
    .unwrap();
    let sha = common::commit(&repo, "Model", ("A", "a@x")).to_string();
    let r = aimsgate_env(
        &work,
        &["--format", "markdown"],
        &[
            ("GITHUB_REPOSITORY", "acme/models"),
            ("GITHUB_SERVER_URL", "https://github.example"),
        ],
    );
    let html = gfm(&r.stdout);
    assert!(
        html.contains(&format!(
            "<a href=\"https://github.example/acme/models/blob/{sha}/m/model-card.yaml#L1\">"
        )),
        "{html}"
    );
    // A gate's fix is said once per model.
    assert_eq!(
        r.stdout.matches("- `human-oversight-defined`:").count(),
        1,
        "{}",
        r.stdout
    );
}

#[test]
fn a_summary_of_many_models_stays_under_githubs_limit_and_says_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..400 {
        let folder = dir.path().join(format!("m{i:03}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("model-card.yaml"),
            "governance:\n  risk_tier: high\n",
        )
        .unwrap();
    }
    let r = aimsgate(dir.path(), &["--format", "markdown"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.chars().count() < 65_536, "{}", r.stdout.len());
    assert!(
        r.stdout.contains("left out here"),
        "{}",
        &r.stdout[r.stdout.len() - 500..]
    );
    // The table lists every model all the same.
    assert_eq!(r.stdout.matches("| ❌ blocked |").count(), 400);
    let html = gfm(&r.stdout);
    assert_eq!(
        html.matches("<details").count(),
        html.matches("</details>").count()
    );
}

#[test]
fn hostile_text_stays_inside_sarif_json_and_junit_xml() {
    assert_valid_sarif(&hostile("sarif"));
    assert_valid_sarif(&hostile_with(HOSTILE_ID, "sarif", 2));
    let doc: Value = serde_json::from_str(&hostile("json")).expect("JSON");
    assert!(
        doc["models"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("<img")),
        "{doc}"
    );
    for (xml, code) in [
        (hostile("junit"), 1),
        (hostile_with(HOSTILE_ID, "junit", 2), 2),
    ] {
        assert!(!xml.contains("<script>") && !xml.contains("<img"), "{xml}");
        assert!(
            xml.contains("&lt;script&gt;") || xml.contains("&lt;img"),
            "{code}: {xml}"
        );
        // No text from the card starts a line of its own.
        assert!(xml.lines().all(|l| !l.starts_with("::")), "{xml}");
        let opened = xml.matches("<testcase ").count();
        let closed = xml.matches("</testcase>").count() + xml.matches("/>\n").count();
        assert_eq!(opened, closed, "{xml}");
    }
}

#[test]
fn more_than_ten_errors_end_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        let card = format!(
            "governance:\n  id: m{i:02}\n  risk_tier: minimal\n  intended_use: x\n  data:\n    sources: [{{name: a, provenance: b, personal_data: false}}]\n"
        );
        std::fs::create_dir_all(dir.path().join(format!("m{i:02}"))).unwrap();
        std::fs::write(dir.path().join(format!("m{i:02}/model-card.yaml")), card).unwrap();
    }
    let out = aimsgate(dir.path(), &["--format", "github"]).stdout;
    let errors = out.lines().filter(|l| l.starts_with("::error ")).count();
    let warnings = out.lines().filter(|l| l.starts_with("::warning ")).count();
    assert_eq!((errors, warnings), (10, 10), "{out}");
    let notice: Vec<&str> = out.lines().filter(|l| l.starts_with("::notice ")).collect();
    assert_eq!(notice.len(), 1, "{out}");
    assert!(
        notice[0].contains("2 errors and 134 warnings more are not annotated"),
        "{}",
        notice[0]
    );
}

#[test]
fn outputs_are_written_beside_stdout_and_an_unwritable_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("model-card.yaml"),
        "governance:\n  owner: x\n",
    )
    .unwrap();
    let r = aimsgate(
        dir.path(),
        &[
            "--format",
            "json",
            "--output",
            "sarif=out.sarif",
            "--output",
            "markdown=summary.md",
        ],
    );
    assert_eq!(r.code, 1);
    serde_json::from_str::<Value>(&r.stdout).expect("JSON on stdout");
    assert_valid_sarif(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap());
    assert!(
        std::fs::read_to_string(dir.path().join("summary.md"))
            .unwrap()
            .contains("❌ blocked")
    );
    let r = aimsgate(dir.path(), &["--output", "sarif=no/such/dir/out.sarif"]);
    assert_eq!(r.code, 2);
    let r = aimsgate(dir.path(), &["--output", "pdf=x.pdf"]);
    assert_eq!(r.code, 2);
}

#[test]
fn sarif_uris_are_encoded_and_card_text_makes_no_link() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("a#b c?d%2F..");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("model-card.yaml"),
        "governance:\n  id: m\n  owner: \"@acme/ml\"\n  risk_tier: limited\n  intended_use: x\n  data:\n    sources: [{name: a, provenance: b, personal_data: false}]\n  bias_tests:\n    results:\n      - metric: \"[Security: click to approve](https://evil.example/login)\"\n        value: 0.5\n        threshold: 0.1\n",
    )
    .unwrap();
    let r = aimsgate(dir.path(), &["--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_valid_sarif(&r.stdout);
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let bias = results
        .iter()
        .find(|x| x["ruleId"] == "bias-tests-passed")
        .unwrap();
    assert_eq!(
        bias["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "a%23b%20c%3Fd%252F../model-card.yaml"
    );
    let text = bias["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("\\[Security: click to approve\\](https://evil.example/login)"),
        "{text}"
    );
}

/// A card with thousands of places to point at is one finding with a bounded list of them: a
/// body of 50,000 placeholder headings is drawn in well under a second, not in minutes.
#[test]
fn a_finding_points_at_a_bounded_number_of_places() {
    let dir = tempfile::tempdir().unwrap();
    let mut card = String::from("---\nlicense: mit\ngovernance:\n  id: m\n  data:\n    sources:\n");
    for i in 0..30 {
        card.push_str(&format!("      - name: s{i}\n"));
    }
    card.push_str("---\n");
    card.push_str(&"## Training Details\n\nTBD\n\n".repeat(50_000));
    std::fs::write(dir.path().join("README.md"), card).unwrap();
    let r = aimsgate(dir.path(), &["README.md", "--format", "json"]);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let findings = report["models"][0]["findings"].as_array().unwrap();
    let related = |gate: &str| {
        findings
            .iter()
            .find(|f| f["gate"] == gate)
            .unwrap_or_else(|| panic!("{gate} fired"))["related"]
            .as_array()
            .unwrap()
            .clone()
    };
    // 30 sources: the first is the finding's place, 10 more are listed, the last says the rest.
    let sources = related("data-provenance-documented");
    assert_eq!(sources.len(), 10, "{sources:?}");
    assert!(
        sources[9]["message"]
            .as_str()
            .unwrap()
            .ends_with("(and 19 more like it)"),
        "{sources:?}"
    );
    assert_eq!(related("design-documented").len(), 10);
    // The human report draws them too.
    let r = aimsgate(dir.path(), &["README.md"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}
