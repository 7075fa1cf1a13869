//! Shared by the integration tests: reading the expectations a fixture states about itself,
//! and running the library check on one card.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::path::{Path, PathBuf};

use aimsgate::check::{CheckOptions, check};
use aimsgate::date::Instant;
use aimsgate::evaluate::RequestSpec;
use aimsgate::evidence::Evidence;
use aimsgate::evidence::git::{GitFacts, Person};
use aimsgate::pack::Pack;
use aimsgate::report::{Action, Report};

/// The repository root (where `Cargo.toml` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a fixture says about itself, in lines such as `# expect: owner-assigned`
/// (also `<!-- key: value -->`, or a JSON string `"__x": "key: value"`).
#[derive(Debug, Default, Clone)]
pub struct Expectations {
    /// `aimsgate-test:` the request (`--action`, `--env`, `--now`).
    pub args: Vec<String>,
    /// `expect:` the exact set of gate ids (`none` for no finding).
    pub gates: Option<Vec<String>>,
    /// `decision:` allowed | blocked | error (default: blocked when gates are expected, else allowed).
    pub decision: Option<String>,
    /// `at:` gate:line pairs.
    pub at: Vec<(String, usize)>,
    /// `error-at:` the line of the first input error.
    pub error_at: Option<usize>,
    /// `git-tags:` tags at HEAD; without this line, git evidence is unavailable.
    pub git_tags: Option<Vec<String>>,
}

pub fn expectations(text: &str) -> Expectations {
    let mut e = Expectations::default();
    for line in text.lines() {
        let line = line.trim().trim_end_matches("-->").trim_end_matches(',');
        let line = line.trim().trim_end_matches('"');
        let body = if let Some(rest) = line.strip_prefix('#') {
            rest
        } else if let Some(rest) = line.strip_prefix("<!--") {
            rest
        } else if let Some((_, rest)) = line
            .split_once("\": \"")
            .filter(|_| line.starts_with("\"__"))
        {
            rest
        } else {
            continue;
        };
        let Some((key, value)) = body.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        let list = || -> Vec<String> {
            value
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        match key.trim() {
            "aimsgate-test" => e.args = value.split_whitespace().map(str::to_string).collect(),
            "expect" if value == "none" => e.gates = Some(Vec::new()),
            "expect" => {
                let mut g = list();
                g.sort();
                e.gates = Some(g);
            }
            "decision" => e.decision = Some(value.to_string()),
            "at" => {
                for pair in list() {
                    let (gate, line) = pair.rsplit_once(':').expect("at: gate:line");
                    e.at.push((gate.to_string(), line.parse().expect("a line number")));
                }
            }
            "error-at" => e.error_at = Some(value.parse().expect("a line number")),
            "git-tags" => e.git_tags = Some(list()),
            _ => {}
        }
    }
    e
}

/// The request a fixture's `aimsgate-test:` line asks for.
pub fn request(args: &[String]) -> RequestSpec {
    let mut spec = RequestSpec {
        action: Action::Release,
        environment: None,
        now: Instant::parse("2026-11-20").expect("a date"),
        actor: "test".into(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().expect("a value after each flag");
        match flag.as_str() {
            "--action" if value == "deploy" => spec.action = Action::Deploy,
            "--action" => spec.action = Action::Release,
            "--env" => spec.environment = Some(value.clone()),
            "--now" => spec.now = Instant::parse(value).expect("--now"),
            other => panic!("unknown flag {other} in a fixture"),
        }
    }
    spec
}

/// The evidence a fixture states: git facts with its tags, or none at all.
pub fn evidence(e: &Expectations) -> Evidence {
    let Some(tags) = &e.git_tags else {
        return Evidence::unavailable("the fixture states no git evidence");
    };
    let person = Person {
        name: "A Author".into(),
        email: "author@acme.example".into(),
    };
    Evidence {
        git: Ok(GitFacts {
            root: root(),
            commit: "0".repeat(40),
            author: person.clone(),
            committer: person,
            time: Instant::parse("2026-11-19").expect("a date"),
            signed: false,
            trailers: Vec::new(),
            branch: Some("main".into()),
            tags: tags.clone(),
        }),
        change: None,
        policies_changed: false,
    }
}

/// Checks one card with the embedded pack, as its expectations ask.
pub fn check_card(pack: &Pack, card: &Path, e: &Expectations) -> Report {
    check(
        pack,
        &CheckOptions {
            paths: vec![card.to_path_buf()],
            request: request(&e.args),
            cwd: root(),
            evidence: evidence(e),
        },
    )
}

/// Every file below `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a readable fixtures dir") {
            let p = entry.expect("an entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
