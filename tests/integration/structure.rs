//! The library's structure holds as it was designed: no import cycle between its top-level
//! modules, no source file over 600 lines outside its tests, no `Result<_, String>` (errors are
//! typed), renderers that depend on the report, not on the engine that made it, and a library
//! that never spells one of the command line's flags (the binary names them through
//! `aimsgate::setting`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common;

/// Every `.rs` file of the library (the binary's `main.rs` and `cli/` aside, and the generated
/// `pack/embedded_policies.rs`: the embedded pack's policies, held to their text by the
/// registry test and `pack::preparsed`'s), with its text up to its test module and without
/// comments.
fn library() -> Vec<(PathBuf, String)> {
    let src = common::root().join("engine/src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path != src.join("cli") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") && path != src.join("main.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if path == src.join("pack/embedded_policies.rs") {
                    continue;
                }
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                let code: Vec<&str> = code
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect();
                out.push((
                    path.strip_prefix(&src).unwrap().to_path_buf(),
                    code.join("\n"),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file belongs to: `card` for `card/keys.rs`, `report` for `report.rs`.
fn top(file: &Path) -> String {
    let first = file
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules each top-level module names (`crate::x`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, code) in library() {
        let from = top(&file);
        if from == "lib" {
            continue;
        }
        let named = graph.entry(from.clone()).or_default();
        for part in code.split("crate::").skip(1) {
            let to: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !to.is_empty() && to != from {
                named.insert(to);
            }
        }
    }
    graph
}

#[test]
fn no_import_cycle_between_the_librarys_modules() {
    let graph = graph();
    assert!(graph.len() > 20, "{graph:?}");
    // Depth-first, with the path so far: a module met again on its own path closes a cycle.
    fn visit<'g>(
        m: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) {
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("an import cycle: {} -> {m}", path[at..].join(" -> "));
        }
        if !done.insert(m) {
            return;
        }
        path.push(m);
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_report_is_a_leaf_and_renderers_read_only_what_they_draw() {
    let graph = graph();
    let report = &graph["report"];
    assert!(
        report
            .iter()
            .all(|m| ["date", "error", "span"].contains(&m.as_str())),
        "report.rs names only plain data: {report:?}"
    );
    for (file, code) in library() {
        if top(&file) != "render" {
            continue;
        }
        for engine in [
            "check", "evaluate", "discover", "evidence", "card", "config", "waivers",
        ] {
            assert!(
                !code.contains(&format!("crate::{engine}")),
                "{} names crate::{engine}: a renderer draws what it is given",
                file.display()
            );
        }
    }
}

#[test]
fn no_library_file_is_over_600_lines_outside_its_tests() {
    for (file, code) in library() {
        let lines = code.lines().count();
        assert!(lines <= 600, "engine/src/{}: {lines} lines", file.display());
    }
}

#[test]
fn library_errors_are_typed() {
    for (file, code) in library() {
        for (i, line) in code.lines().enumerate() {
            let untyped = line.contains("Result<") && line.contains(", String>");
            assert!(
                !untyped,
                "engine/src/{} line {} (comments aside): {line}",
                file.display(),
                i + 1
            );
        }
    }
}

/// The long flags the binary declares in `engine/src/cli/`: `#[arg(long …)]` on a field, or
/// `long = "name"`.
fn cli_flags() -> BTreeSet<String> {
    let dir = common::root().join("engine/src/cli");
    let mut flags = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut pending = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[arg(") && line.contains("long") {
                match line.split("long = \"").nth(1) {
                    Some(rest) => {
                        flags.insert(rest.split('"').next().unwrap().to_string());
                    }
                    None => pending = true,
                }
                if let Some(alias) = line.split("visible_alias = \"").nth(1) {
                    flags.insert(alias.split('"').next().unwrap().to_string());
                }
            } else if pending && !line.starts_with("#[") && !line.starts_with("///") {
                if let Some(field) = line
                    .strip_prefix("pub(crate) ")
                    .and_then(|l| l.split(':').next())
                {
                    flags.insert(field.trim().replace('_', "-"));
                }
                pending = false;
            }
        }
    }
    flags
}

#[test]
fn the_library_never_spells_a_flag_of_the_command_line() {
    let flags = cli_flags();
    for known in [
        "protected-ref",
        "changed-since",
        "repo",
        "github-token",
        "policies",
        "format",
    ] {
        assert!(flags.contains(known), "--{known} not found among {flags:?}");
    }
    let mut found = Vec::new();
    for (file, code) in library() {
        for (n, line) in code.lines().enumerate() {
            // Only text the library could show: the line holds a string literal.
            if !line.contains('"') {
                continue;
            }
            for piece in line.split("--").skip(1) {
                let word: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                if flags.contains(word.as_str()) {
                    found.push(format!("{}: --{word} ({})", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the library spells the command line's flags (name the setting through `aimsgate::setting` instead):\n{}",
        found.join("\n")
    );
}
