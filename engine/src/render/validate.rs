//! `aimsgate validate` for people: the pack's warnings, then one line that says what
//! validated.

use std::io::{self, Write};

use crate::pack::Pack;
use crate::render::human::{self, Style};
use crate::report::counted;

/// Writes the pack's warnings and its summary line.
pub fn render(pack: &Pack, out: &mut dyn Write, style: Style) -> io::Result<()> {
    for w in &pack.warnings {
        human::render_warning(w, out, style)?;
    }
    writeln!(
        out,
        "{}: {} ({}, {}) validate against the schema in strict mode; {}",
        pack.origin,
        counted(pack.policies.num_of_policies(), "policy", "policies"),
        counted(pack.gates.len(), "gate", "gates"),
        counted(pack.permits.len(), "permit", "permits"),
        counted(pack.warnings.len(), "warning", "warnings")
    )
}
