//! The policy pack: a Cedar schema and `.cedar` files, loaded once per process, validated in
//! strict mode, re-keyed by each policy's `@id`, and read into the [`Gate`] registry that
//! findings, explanations and the README's table come from.
//!
//! A pack that does not load is an error, never an empty or partial pack: no schema, a parse or
//! validation error, a template, a `forbid` without `@id`, duplicate ids, an annotation with a
//! value aimsgate does not understand, or no `permit` at all.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use cedar_policy::{PolicySet, Schema};

use crate::card::{FieldPath, Keys};
use crate::error::{InputError, IoError};
use crate::report::Rule;
use load::Lint;

mod annotations;
mod attributes;
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_pack.rs"));
}
pub(crate) mod files;
pub mod from_git;
mod load;
mod preparsed;
mod schema;

pub use preparsed::source as preparsed_source;
pub use schema::precompiled_schema;

pub use crate::report::Severity;

/// One gate: a `forbid` policy and what its annotations say about it.
#[derive(Debug, Clone)]
pub struct Gate {
    /// `@id`: stable kebab-case id users see, waive and re-level.
    pub id: String,
    /// `@control`: ISO/IEC 42001 Annex A references.
    pub controls: Vec<String>,
    /// `@title` (the id when absent).
    pub title: String,
    /// `@help`: how to satisfy the gate.
    pub help: Option<String>,
    /// `@severity` (`error` when absent).
    pub severity: Severity,
    /// `@field`: the card fields the gate judges; findings point at the first.
    pub fields: Vec<FieldPath>,
    /// `@applies`: when the gate applies, in words.
    pub applies: Option<String>,
    /// `@example`: a card snippet (or, for evidence gates, a note) that satisfies the gate.
    pub example: Option<String>,
    /// The `.cedar` file (relative to the pack) and the line the policy starts on.
    pub file: String,
    pub line: usize,
    /// The policy's source text.
    pub text: String,
    /// Turned off by the governance configuration ([`crate::relevel`]): its findings are
    /// not reported (an error evaluating it still is).
    pub off: bool,
}

/// One file of the pack.
#[derive(Debug, Clone)]
pub struct PackFile {
    /// Path relative to the pack's directory, with `/` separators.
    pub name: String,
    pub text: Arc<str>,
}

/// A loaded, validated pack.
#[derive(Debug)]
pub struct Pack {
    /// `embedded` or the directory the pack was read from.
    pub origin: String,
    pub schema: Schema,
    /// The keys a card's `governance` block may hold: the engine's, and those the schema
    /// declares for the model.
    pub card_keys: Keys,
    /// Every attribute the schema declares for the model, at every level (`None` when the
    /// schema's JSON form is not known): what an entity keeps under a schema older than the
    /// engine's (a pack copied by an earlier `init --policies`).
    pub model_shape: Option<Keys>,
    /// The schema is the embedded one, which every entity the engine builds fits (the test
    /// `the_embedded_schema_fits_every_shape`): a run does not check the shapes again.
    pub(crate) fits_engine: bool,
    /// The pack as written, re-keyed by `@id`.
    pub policies: PolicySet,
    /// The gates (forbid policies), sorted by id.
    pub gates: Vec<Gate>,
    /// Ids of the permit policies.
    pub permits: HashSet<String>,
    /// The gates the governance configuration re-levelled, sorted by id.
    pub relevelled: Vec<crate::report::Relevelled>,
    pub files: Vec<PackFile>,
    /// What `aimsgate validate` warns about: gates missing annotations, controls that are not
    /// Annex A controls, and Cedar's own validation warnings.
    pub warnings: Vec<InputError>,
}

impl Pack {
    /// The default ISO/IEC 42001 pack built into the binary.
    pub fn embedded() -> Result<Pack, Vec<InputError>> {
        // Its policies name only attributes the schema declares and validate strictly against
        // it with no warning: that is checked once, by the test
        // `the_embedded_pack_is_lint_clean`, rather than on every run.
        Pack::load(
            "embedded".into(),
            Pack::embedded_pack_files(),
            schema::Precompiled::embedded(),
            Lint::Known,
        )
    }

    /// The embedded pack with every check run on it, as a pack from a directory is: what
    /// `aimsgate validate` reports on.
    pub fn embedded_in_full() -> Result<Pack, Vec<InputError>> {
        Pack::load(
            "embedded".into(),
            Pack::embedded_pack_files(),
            schema::Precompiled::embedded(),
            Lint::Attributes,
        )
    }

    pub(crate) fn embedded_pack_files() -> Vec<PackFile> {
        embedded::FILES
            .iter()
            .map(|(name, text)| PackFile {
                // Named as the embedded pack's file: it is not in the user's repository.
                name: format!("embedded:{name}"),
                text: Arc::from(*text),
            })
            .collect()
    }

    /// A pack read from a directory: one `.cedarschema` and every `.cedar` file below it.
    pub fn from_dir(dir: &Path, shown_as: &str) -> Result<Pack, Vec<InputError>> {
        let one = |m: String| vec![InputError::new(Some(shown_as), IoError::Read(m))];
        if !dir.is_dir() {
            return Err(one("the policy directory does not exist".into()));
        }
        let paths =
            files::collect(dir).map_err(|e| one(format!("cannot read the policies: {e}")))?;
        let mut files = Vec::new();
        for path in paths {
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let name = format!(
                "{}/{}",
                shown_as.trim_end_matches('/'),
                rel.to_string_lossy().replace('\\', "/")
            );
            let text = std::fs::read_to_string(&path).map_err(|e| {
                vec![InputError::new(
                    Some(&name),
                    IoError::Read(format!("cannot read: {e}")),
                )]
            })?;
            files.push(PackFile {
                name,
                text: Arc::from(text),
            });
        }
        Pack::from_files(shown_as.to_string(), files)
    }

    /// Loads a pack from its files' texts.
    pub fn from_files(origin: String, files: Vec<PackFile>) -> Result<Pack, Vec<InputError>> {
        Pack::load(origin, files, None, Lint::Attributes)
    }

    /// The table of gates in Markdown (id, controls, when it applies, severity, how to fix):
    /// the README's table is this text, checked by a test so the two never drift.
    pub fn gates_table(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = String::from(
            "| gate | controls | applies to | severity | how to satisfy it |\n|---|---|---|---|---|\n",
        );
        for g in &self.gates {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                g.id,
                cell(&g.controls.join(", ")),
                cell(g.applies.as_deref().unwrap_or("")),
                g.severity.as_str(),
                cell(g.help.as_deref().unwrap_or("")),
            ));
        }
        out
    }

    /// The files of the embedded pack and its tests, relative to the pack directory, for
    /// `aimsgate init --policies`.
    pub fn embedded_files() -> impl Iterator<Item = (&'static str, &'static str)> {
        embedded::FILES.iter().chain(embedded::TEST_FILES).copied()
    }

    /// The gates a mistyped id may mean: the closest when it is a slip away, else those that
    /// share a word with it.
    pub fn gates_near(&self, id: &str) -> Vec<&str> {
        let closest = self
            .gates
            .iter()
            .map(|g| (strsim::levenshtein(&g.id, id), g.id.as_str()))
            .min()
            .filter(|(d, _)| *d <= 3)
            .map(|(_, id)| id);
        match closest {
            Some(g) => vec![g],
            None => self
                .gates
                .iter()
                .map(|g| g.id.as_str())
                .filter(|g| g.split('-').any(|w| w.len() > 3 && id.contains(w)))
                .collect(),
        }
    }

    /// The gate with this id.
    pub fn gate(&self, id: &str) -> Option<&Gate> {
        self.gates
            .binary_search_by(|g| g.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.gates[i])
    }
}

impl Gate {
    /// The gate as outputs describe it (SARIF rules, JUnit test cases).
    pub fn rule(&self) -> Rule {
        Rule {
            id: self.id.clone(),
            title: self.title.clone(),
            help: self.help.clone(),
            controls: self.controls.clone(),
            severity: self.severity,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use cedar_policy::PolicyId;

    const SCHEMA: &str = "namespace Aims { entity Actor; entity Model = { owner?: String }; action release appliesTo { principal: [Actor], resource: [Model] }; }";

    fn load(policies: &str) -> Result<Pack, Vec<InputError>> {
        Pack::from_files(
            "test".into(),
            vec![
                PackFile {
                    name: "p/aims.cedarschema".into(),
                    text: Arc::from(SCHEMA),
                },
                PackFile {
                    name: "p/gates.cedar".into(),
                    text: Arc::from(policies),
                },
            ],
        )
    }

    const PERMIT: &str = "permit (principal, action, resource);\n";

    #[test]
    fn the_embedded_pack_loads() {
        let pack = Pack::embedded().unwrap();
        assert!(pack.gate("owner-assigned").is_some());
        assert!(pack.permits.contains("baseline-permit"));
    }

    /// The embedded pack is loaded without the undeclared-attribute lint and without Cedar's
    /// strict validation: it must pass both with nothing to warn of, loaded in full from its
    /// text, and be the same pack either way.
    #[test]
    fn the_embedded_pack_is_lint_clean() {
        let files = embedded::FILES
            .iter()
            .map(|(name, text)| PackFile {
                name: (*name).to_string(),
                text: Arc::from(*text),
            })
            .collect();
        let full = Pack::load("embedded".into(), files, None, Lint::Attributes).unwrap();
        assert!(full.warnings.is_empty(), "{:?}", full.warnings);
        let fast = Pack::embedded().unwrap();
        let rules = |p: &Pack| p.gates.iter().map(Gate::rule).collect::<Vec<_>>();
        assert_eq!(rules(&fast), rules(&full));
        assert_eq!(fast.policies, full.policies);
        let in_full = Pack::embedded_in_full().unwrap();
        assert!(in_full.warnings.is_empty(), "{:?}", in_full.warnings);
        assert_eq!(in_full.policies, fast.policies);
        // And the lint does run where it is asked for: one undeclared attribute, one warning.
        let pack = load(&format!(
            "{PERMIT}\n@id(\"g\")\nforbid (principal, action, resource) when {{ resource has ownr }};\n"
        ))
        .unwrap();
        assert!(
            pack.warnings.iter().any(|w| w
                .message()
                .contains("`resource has ownr` names an attribute")),
            "{:?}",
            pack.warnings
        );
    }

    #[test]
    fn policies_are_rekeyed_by_id_and_located() {
        let pack = load(&format!(
            "{PERMIT}\n@id(\"owner-assigned\")\n@field(\"governance.owner\")\nforbid (principal, action, resource) when {{ !(resource has owner) }};\n"
        ))
        .unwrap();
        let gate = pack.gate("owner-assigned").unwrap();
        assert_eq!(gate.line, 3);
        assert!(
            pack.policies
                .policy(&PolicyId::new("owner-assigned"))
                .is_some()
        );
    }

    fn first_error(policies: &str) -> InputError {
        load(policies).unwrap_err().remove(0)
    }

    #[test]
    fn a_forbid_without_id_is_an_error() {
        let e = first_error(&format!("{PERMIT}forbid (principal, action, resource);\n"));
        assert_eq!(e.code(), "pack::annotation");
        assert!(e.message().contains("has no `@id`"), "{}", e.message());
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn duplicate_ids_are_an_error() {
        let e = first_error(&format!(
            "{PERMIT}@id(\"a\") forbid (principal, action, resource);\n@id(\"a\") forbid (principal, action, resource);\n"
        ));
        assert!(
            e.message().contains("duplicate policy id `a`"),
            "{}",
            e.message()
        );
    }

    /// Two copies of one policy are each where they stand: the second copy's duplicate id is
    /// reported in its own file and line, whether the pack parses in one go or a file at a
    /// time (when another file does not parse).
    #[test]
    fn a_policy_written_twice_is_reported_where_the_second_copy_stands() {
        const GATE: &str = "@id(\"a\") forbid (principal, action, resource);\n";
        for broken in [None, Some("forbid (")] {
            let mut files = vec![
                PackFile {
                    name: "p/aims.cedarschema".into(),
                    text: Arc::from(SCHEMA),
                },
                PackFile {
                    name: "p/a.cedar".into(),
                    text: Arc::from(format!("{PERMIT}{GATE}")),
                },
                PackFile {
                    name: "p/b.cedar".into(),
                    text: Arc::from(format!("// b\n\n{GATE}")),
                },
                PackFile {
                    name: "p/c.cedar".into(),
                    text: Arc::from(format!(
                        "@id(\"c\") forbid (principal, action, resource);\n{GATE}// c\n{GATE}"
                    )),
                },
            ];
            if let Some(text) = broken {
                files.push(PackFile {
                    name: "p/z.cedar".into(),
                    text: Arc::from(text),
                });
            }
            let errors = Pack::from_files("test".into(), files).unwrap_err();
            let duplicates: Vec<(Option<&str>, Option<usize>)> = errors
                .iter()
                .filter(|e| e.message().contains("duplicate policy id `a`"))
                .map(|e| (e.path.as_deref(), e.line()))
                .collect();
            assert_eq!(
                duplicates,
                [
                    (Some("p/b.cedar"), Some(3)),
                    (Some("p/c.cedar"), Some(2)),
                    (Some("p/c.cedar"), Some(4)),
                ],
                "{broken:?}"
            );
            assert_eq!(
                errors.iter().any(|e| e.code() == "pack::syntax"),
                broken.is_some()
            );
        }
    }

    #[test]
    fn a_pack_without_permit_is_an_error() {
        let e = first_error("@id(\"a\") forbid (principal, action, resource);\n");
        assert_eq!(e.code(), "pack::no-permit");
        assert!(
            e.message().contains("no `permit` policy"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn strict_validation_errors_point_into_the_file() {
        let e = first_error(&format!(
            "{PERMIT}\n@id(\"a\")\nforbid (principal, action, resource)\nwhen {{ resource.owner == \"x\" }};\n"
        ));
        assert_eq!(e.code(), "pack::validation");
        assert!(
            e.message()
                .contains("does not validate against the schema: for policy `a`"),
            "{}",
            e.message()
        );
        assert_eq!(e.line(), Some(5));
    }

    #[test]
    fn bad_annotations_are_errors() {
        let e = first_error(&format!(
            "{PERMIT}@id(\"a\") @severity(\"fatal\") forbid (principal, action, resource);\n"
        ));
        assert!(e.message().contains("@severity"), "{}", e.message());
        let e = first_error(&format!(
            "{PERMIT}@id(\"a\") @field(\"governance..x\") forbid (principal, action, resource);\n"
        ));
        assert!(e.message().contains("@field"), "{}", e.message());
        let e = first_error(&format!(
            "{PERMIT}@id(\"Not Kebab\") forbid (principal, action, resource);\n"
        ));
        assert!(e.message().contains("kebab-case"), "{}", e.message());
    }

    #[test]
    fn parse_errors_name_the_line() {
        let e = first_error(&format!(
            "{PERMIT}\n@id(\"a\")\nforbid (principal, action, resource\n"
        ));
        assert_eq!(e.code(), "pack::syntax");
        assert!(e.message().contains("does not parse"), "{}", e.message());
        assert!(e.line().is_some_and(|l| l >= 3), "{e}");
    }
}
