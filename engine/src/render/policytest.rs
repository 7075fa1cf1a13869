//! `aimsgate test` for people: one line per case, what differed under a failing one, and the
//! count.

use std::io::{self, Write};

use crate::policytest::CaseResult;

/// Passed and failed cases so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
}

/// Writes one file's results and adds them to the tally.
pub fn results(results: &[CaseResult], tally: &mut Tally, out: &mut dyn Write) -> io::Result<()> {
    for r in results {
        if r.differences.is_empty() {
            tally.passed += 1;
            writeln!(out, "ok    {}  {}", r.location, r.name)?;
        } else {
            tally.failed += 1;
            writeln!(out, "FAIL  {}  {}", r.location, r.name)?;
            for d in &r.differences {
                writeln!(out, "        {d}")?;
            }
        }
    }
    Ok(())
}

/// The closing count.
pub fn summary(tally: Tally, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\npolicy tests: {} passed, {} failed",
        tally.passed, tally.failed
    )
}
