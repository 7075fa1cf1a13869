//! `aimsgate log` for people: per decision record its commit, time, request, actor and
//! decision, what it judged per model, and what it did not judge (skipped, removed) and under
//! which configuration — an auditor sees the run's scope, not only its verdicts. Every value
//! comes from a record file or note that anyone may have edited: shown escaped.

use std::io::{self, Write};

use crate::record::Record;
use crate::render::human::escape;

/// The records as a JSON array, oldest first, as they were stored.
pub fn json(records: &[Record], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, records).map_err(io::Error::other)?;
    writeln!(out)
}

/// Writes the records, oldest first, and how many there are.
pub fn render(records: &[Record], out: &mut dyn Write) -> io::Result<()> {
    for r in records {
        let commit = r.commit.as_deref().map_or("-", |c| crate::report::short(c));
        let target = match &r.environment {
            Some(env) => format!("{} to {}", r.action, escape(env)),
            None => r.action.clone(),
        };
        writeln!(
            out,
            "{}  {}  {target}  by {}  {}",
            escape(commit),
            escape(&r.recorded_at),
            escape(&r.actor),
            escape(&r.decision)
        )?;
        if let Some(e) = &r.event {
            let pr = e.pr_number.map(|n| format!(" #{n}")).unwrap_or_default();
            // A fork's branch is named with its repository: `main` of a fork is not `main`.
            let fork = e
                .head_repo
                .as_deref()
                .filter(|h| e.repository.as_deref() != Some(*h))
                .map(|h| format!("{}:", escape(h)))
                .unwrap_or_default();
            let head = e
                .head_ref
                .as_deref()
                .map(|h| format!(" from {fork}{}", escape(h)))
                .unwrap_or_default();
            let base = e
                .base_ref
                .as_deref()
                .map(|b| format!(" into {}", escape(b)))
                .unwrap_or_default();
            writeln!(out, "    event    {}{pr}{head}{base}", escape(&e.name))?;
        }
        writeln!(
            out,
            "    pack     {} (sha256 {})",
            escape(&r.policies.origin),
            escape(crate::report::short(&r.policies.sha256))
        )?;
        for g in &r.relevelled {
            writeln!(
                out,
                "    gate     {} {} (the pack says {}) by {}{}",
                escape(&g.gate),
                escape(&g.level),
                escape(&g.default),
                escape(&g.by),
                g.reason
                    .as_deref()
                    .map(|why| format!(": {}", escape(why)))
                    .unwrap_or_default()
            )?;
        }
        if let Some(p) = &r.protected_ref {
            writeln!(
                out,
                "    config   from {} at {}",
                escape(p.full.as_deref().unwrap_or(&p.given)),
                escape(crate::report::short(&p.commit))
            )?;
        }
        if let Some(c) = &r.changed_since {
            writeln!(
                out,
                "    scope    changed since {} (merge base {}): {}{}",
                escape(c.full.as_deref().unwrap_or(&c.base)),
                escape(crate::report::short(&c.merge_base)),
                crate::report::counted(c.files, "file", "files"),
                if c.policy_files_changed {
                    "; governance configuration changed, every model checked"
                } else {
                    ""
                }
            )?;
        }
        for m in &r.models {
            let gates: Vec<String> = m
                .findings
                .iter()
                .map(|f| match (f.waived, f.severity.as_str()) {
                    (true, _) => format!("{} (waived)", escape(&f.gate)),
                    (false, "error") => escape(&f.gate).into_owned(),
                    (false, other) => format!("{} ({})", escape(&f.gate), escape(other)),
                })
                .collect();
            writeln!(
                out,
                "    {:<8} {}  {}",
                escape(&m.decision),
                escape(&m.id),
                gates.join(", ")
            )?;
        }
        for e in &r.errors {
            writeln!(out, "    error    {}", escape(e))?;
        }
        for (what, items) in [("skipped", &r.skipped), ("removed", &r.removed)] {
            for s in items {
                writeln!(
                    out,
                    "    {what:<8} {}  {}",
                    escape(&s.id),
                    escape(&s.reason)
                )?;
            }
        }
    }
    let n = records.len();
    writeln!(out, "{n} decision{}", if n == 1 { "" } else { "s" })
}
