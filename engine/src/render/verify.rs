//! `aimsgate verify` for people: per subject (gate, pack or property) proven with its count of
//! obligations, or each failed claim with its counterexample; then the totals.

use std::io::{self, Write};

use crate::verify::{Verification, by_subject};

/// Writes the verification of the pack named `origin`.
pub fn render(verification: &Verification, origin: &str, out: &mut dyn Write) -> io::Result<()> {
    for (subject, obligations) in by_subject(verification) {
        let failed: Vec<_> = obligations.iter().filter(|o| o.failure.is_some()).collect();
        if failed.is_empty() {
            writeln!(out, "proven   {subject}: {} obligations", obligations.len())?;
        }
        for o in failed {
            writeln!(out, "FAILED   {subject}: {}", o.claim)?;
            for line in o.failure.as_deref().unwrap_or_default().lines() {
                writeln!(out, "           {line}")?;
            }
        }
    }
    writeln!(
        out,
        "\n{origin}: {} obligations, {} failed",
        verification.obligations.len(),
        verification.failed()
    )
}
