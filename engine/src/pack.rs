//! The policy pack: a Cedar schema and `.cedar` files, loaded once per process, validated in
//! strict mode, re-keyed by each policy's `@id`, and read into the [`Gate`] registry that
//! findings, explanations and the README's table come from.
//!
//! A pack that does not load is an error, never an empty or partial pack: no schema, a parse or
//! validation error, a template, a `forbid` without `@id`, duplicate ids, an annotation with a
//! value aimsgate does not understand, or no `permit` at all.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{Effect, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};

use crate::card::{FieldPath, Keys};
use crate::error::{InputError, IoError, PackError, from_diagnostic, span_of};
use crate::report::Rule;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_pack.rs"));
}

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
    /// The pack as written, re-keyed by `@id`.
    pub policies: PolicySet,
    /// The permit policies alone. Authorizing against [`Pack::policies`] names every
    /// satisfied forbid when one is; only then, to know whether some permit also applies (a
    /// request whose only findings are warnings is still allowed), is this set asked.
    pub(crate) permit_set: PolicySet,
    /// The gates (forbid policies), sorted by id.
    pub gates: Vec<Gate>,
    /// Ids of the permit policies.
    pub permits: HashSet<String>,
    pub files: Vec<PackFile>,
    /// What `aimsgate validate` warns about: gates missing annotations, controls that are not
    /// Annex A controls, and Cedar's own validation warnings.
    pub warnings: Vec<InputError>,
}

impl Pack {
    /// The default ISO/IEC 42001 pack built into the binary.
    pub fn embedded() -> Result<Pack, Vec<InputError>> {
        let files = embedded::FILES
            .iter()
            .map(|(name, text)| PackFile {
                // Named as the embedded pack's file: it is not in the user's repository.
                name: format!("embedded:{name}"),
                text: Arc::from(*text),
            })
            .collect();
        Pack::load("embedded".into(), files, Precompiled::embedded())
    }

    /// A pack read from a directory: one `.cedarschema` and every `.cedar` file below it.
    pub fn from_dir(dir: &Path, shown_as: &str) -> Result<Pack, Vec<InputError>> {
        let one = |m: String| vec![InputError::new(Some(shown_as), IoError::Read(m))];
        if !dir.is_dir() {
            return Err(one("the policy directory does not exist".into()));
        }
        let paths = crate::pack_files::collect(dir)
            .map_err(|e| one(format!("cannot read the policies: {e}")))?;
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
        Pack::load(origin, files, None)
    }

    fn load(
        origin: String,
        files: Vec<PackFile>,
        precompiled: Option<Precompiled>,
    ) -> Result<Pack, Vec<InputError>> {
        Pack::load_with(origin, files, precompiled, true)
    }

    /// With `whole`, the policies are parsed in one go; diagnostics then point into the
    /// joined text, so a pack with any is loaded again a file at a time to point into files.
    fn load_with(
        origin: String,
        files: Vec<PackFile>,
        precompiled: Option<Precompiled>,
        whole: bool,
    ) -> Result<Pack, Vec<InputError>> {
        let schemas: Vec<&PackFile> = files
            .iter()
            .filter(|f| f.name.ends_with(".cedarschema"))
            .collect();
        let schema_file = match schemas.as_slice() {
            [one] => *one,
            [] => {
                return Err(vec![InputError::new(
                    Some(&origin),
                    PackError::Schema(
                        "the policy pack has no `.cedarschema` file; policies are validated against a schema".into(),
                    ),
                )]);
            }
            [first, second, ..] => {
                return Err(vec![InputError::new(
                    Some(&second.name),
                    PackError::Schema(format!(
                        "the policy pack has more than one schema (`{}` and `{}`)",
                        first.name, second.name
                    )),
                )]);
            }
        };
        let precompiled = precompiled.and_then(|p| p.schema_for(&schema_file.text));
        let (schema, schema_json) = match precompiled.map_or_else(
            || {
                let schema = Schema::from_cedarschema_str(&schema_file.text)
                    .map(|(schema, _warnings)| schema)
                    .map_err(Box::new)?;
                // The keys a card may hold and the attributes policies may name come from
                // the schema's JSON form; a schema that parsed converts.
                let json = cedar_policy::SchemaFragment::from_cedarschema_str(&schema_file.text)
                    .ok()
                    .and_then(|(fragment, _)| fragment.to_json_value().ok());
                Ok::<_, Box<cedar_policy::CedarSchemaError>>((schema, json))
            },
            |(schema, json)| Ok((schema, Some(json))),
        ) {
            Ok(loaded) => loaded,
            Err(e) => {
                return Err(vec![from_diagnostic(
                    &schema_file.name,
                    &schema_file.text,
                    &*e,
                    "the schema does not parse: ",
                    |m| PackError::Schema(m).into(),
                )]);
            }
        };

        let card_keys = schema_json
            .as_ref()
            .map_or_else(Keys::engine, Keys::with_schema);
        let mut errors = Vec::new();
        let mut policies = PolicySet::new();
        let mut permit_set = PolicySet::new();
        let mut gates = Vec::new();
        let mut permits = HashSet::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut origin_of: HashMap<String, (usize, usize)> = HashMap::new();
        let mut warnings = Vec::new();

        let parsed = parse_policies(&files, whole);
        for (file_index, file) in files.iter().enumerate() {
            let in_file = match &parsed[file_index] {
                Parsed::NotPolicies => continue,
                Parsed::Errors(e) => {
                    errors.extend(e.iter().cloned());
                    continue;
                }
                Parsed::Policies(p) => p,
            };
            for (n, (offset, policy_text, policy)) in in_file.iter().enumerate() {
                let (offset, policy_text) = (*offset, policy_text.as_str());
                let at = span_of(&file.text, offset, policy_text.len());
                let here = |m: String| {
                    InputError::at(&file.name, &file.text, at, PackError::Annotation(m))
                };
                // Read once: looking one up by key re-parses the key each time.
                let notes = Annotations(policy.annotations().collect());
                let id = match (notes.get("id"), policy.effect()) {
                    (Some(id), _) if is_kebab(id) => id.to_string(),
                    (Some(id), _) => {
                        errors.push(here(format!(
                            "`@id(\"{id}\")` is not a stable kebab-case id (lower-case letters, digits and `-`)"
                        )));
                        continue;
                    }
                    (None, Effect::Forbid) => {
                        errors.push(here(
                            "a `forbid` policy has no `@id`: every gate needs one, so that its findings can be named, waived and explained".into(),
                        ));
                        continue;
                    }
                    (None, Effect::Permit) => format!("{}#{}", file.name, n + 1),
                };
                if let Some(first) = seen.insert(id.clone(), file.name.clone()) {
                    errors.push(here(format!(
                        "duplicate policy id `{id}` (also in `{first}`)"
                    )));
                    continue;
                }
                let pid = PolicyId::new(&id);
                let keyed = policy.new_id(pid.clone());
                match policy.effect() {
                    Effect::Permit => {
                        permits.insert(id.clone());
                        push(&mut permit_set, keyed.clone(), &mut errors, &here);
                    }
                    Effect::Forbid => {
                        let missing: Vec<&str> = ["control", "title", "help", "field"]
                            .into_iter()
                            .filter(|k| notes.get(k).is_none_or(|v| v.trim().is_empty()))
                            .collect();
                        if !missing.is_empty() {
                            let first_line = span_of(
                                &file.text,
                                offset,
                                policy_text.lines().next().map_or(1, str::len),
                            );
                            warnings.push(InputError::at(
                                &file.name,
                                &file.text,
                                first_line,
                                PackError::Lint(format!(
                                    "gate `{id}` has no @{}: its findings cannot say {}",
                                    missing.join(", @"),
                                    missing
                                        .iter()
                                        .map(|k| match *k {
                                            "control" => "which control it implements",
                                            "title" => "what it requires",
                                            "help" => "how to fix them",
                                            _ => "where on the card they are",
                                        })
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                            ));
                        }
                        let control_at = file.text[offset..offset + policy_text.len()]
                            .find("@control")
                            .map(|i| span_of(&file.text, offset + i, "@control".len()))
                            .unwrap_or(at);
                        for c in notes
                            .get("control")
                            .unwrap_or_default()
                            .split(',')
                            .map(str::trim)
                            .filter(|c| !c.is_empty() && !crate::annex_a::is_control(c))
                        {
                            warnings.push(InputError::at(
                                &file.name,
                                &file.text,
                                control_at,
                                PackError::Lint(format!(
                                    "gate `{id}`: `{c}` is not an ISO/IEC 42001:2023 Annex A control (A.2.2 … A.10.4)"
                                )),
                            ));
                        }
                        match gate(&id, &notes, policy_text, &file.name, at.start.line) {
                            Ok(g) => gates.push(g),
                            Err(e) => {
                                errors.push(InputError::at(&file.name, &file.text, at, e));
                                continue;
                            }
                        }
                    }
                }
                if let (Some(json), Ok(est)) = (&schema_json, policy.to_json()) {
                    for u in crate::pack_attributes::undeclared(&est, json) {
                        let written = if u.has {
                            format!("{} has {}", u.on, u.attr)
                        } else {
                            format!("{}.{}", u.on, u.attr)
                        };
                        let span = [format!("has {}", u.attr), format!(".{}", u.attr)]
                            .iter()
                            .find_map(|needle| {
                                policy_text.find(needle.as_str()).map(|i| (i, needle.len()))
                            })
                            .map_or(at, |(i, len)| span_of(&file.text, offset + i, len));
                        warnings.push(InputError::at(
                            &file.name,
                            &file.text,
                            span,
                            PackError::Lint(format!(
                                "`{id}`: `{written}` names an attribute the schema does not declare on `{}`, so {}",
                                u.on,
                                if u.has {
                                    "the test is always false (a gate testing `!(… has …)` fires on every model)"
                                } else {
                                    "it can never be read"
                                }
                            )),
                        ));
                    }
                }
                origin_of.insert(id, (file_index, offset));
                push(&mut policies, keyed, &mut errors, &here);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if whole
            && (validation.validation_errors().next().is_some()
                || validation.validation_warnings().next().is_some())
        {
            return Pack::load_with(origin, files, None, false);
        }
        for e in validation.validation_errors() {
            let (file_index, _) = origin_of
                .get(&e.policy_id().to_string())
                .copied()
                .unwrap_or((0, 0));
            let file = &files[file_index];
            errors.push(from_diagnostic(
                &file.name,
                &file.text,
                e,
                "does not validate against the schema: ",
                |m| PackError::Validation(m).into(),
            ));
        }
        for w in validation.validation_warnings() {
            let (file_index, _) = origin_of
                .get(&w.policy_id().to_string())
                .copied()
                .unwrap_or((0, 0));
            let file = &files[file_index];
            warnings.push(from_diagnostic(&file.name, &file.text, w, "", |m| {
                PackError::Lint(m).into()
            }));
        }
        if permits.is_empty() {
            errors.push(InputError::new(
                Some(&origin),
                PackError::NoPermit("the policy pack has no `permit` policy: every request would be denied without a reason".into()),
            ).with_help("add a baseline permit for the lifecycle actions, as the default pack's `policies/baseline.cedar` does"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        gates.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Pack {
            origin,
            schema,
            card_keys,
            policies,
            permit_set,
            gates,
            permits,
            files,
            warnings,
        })
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

    /// The gate with this id.
    pub fn gate(&self, id: &str) -> Option<&Gate> {
        self.gates
            .binary_search_by(|g| g.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.gates[i])
    }
}

/// The embedded schema in Cedar's JSON schema format, converted from
/// `policies/aims.cedarschema` (tests/registry.rs keeps it current): it loads in a fraction of
/// the time the schema's text takes to parse, which is most of a one-card run.
const EMBEDDED_SCHEMA_JSON: &str = include_str!("embedded_schema.json");

/// A schema converted ahead of time, with the SHA-256 of the text it was converted from.
struct Precompiled {
    text_sha256: String,
    schema: serde_json::Value,
}

impl Precompiled {
    fn embedded() -> Option<Precompiled> {
        let mut doc: serde_json::Value = serde_json::from_str(EMBEDDED_SCHEMA_JSON).ok()?;
        Some(Precompiled {
            text_sha256: doc.get("cedarschema_sha256")?.as_str()?.to_string(),
            schema: doc.get_mut("schema")?.take(),
        })
    }

    /// The schema, if it was converted from exactly `text`; else the text must be parsed.
    fn schema_for(self, text: &str) -> Option<(Schema, serde_json::Value)> {
        if sha256_hex(text) != self.text_sha256 {
            return None;
        }
        Schema::from_json_value(self.schema.clone())
            .ok()
            .map(|schema| (schema, self.schema))
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The JSON document `embedded_schema.json` holds for a schema's text, or why there is none.
pub fn precompiled_schema(text: &str) -> Result<serde_json::Value, PackError> {
    let schema = |e: &dyn std::fmt::Display| PackError::Schema(e.to_string());
    let (fragment, _) =
        cedar_policy::SchemaFragment::from_cedarschema_str(text).map_err(|e| schema(&e))?;
    Ok(serde_json::json!({
        "cedarschema_sha256": sha256_hex(text),
        "schema": fragment.to_json_value().map_err(|e| schema(&e))?,
    }))
}

/// One file's policies, each with its offset in the file and its text, in file order.
enum Parsed {
    NotPolicies,
    Errors(Vec<InputError>),
    Policies(Vec<(usize, String, Policy)>),
}

/// Parses every `.cedar` file. All at once when that works (one parse of the whole pack is
/// several times faster than one a file), and a file at a time otherwise, so that errors name
/// their file and a policy never spans two files.
fn parse_policies(files: &[PackFile], whole: bool) -> Vec<Parsed> {
    let is_policy = |f: &PackFile| f.name.ends_with(".cedar");
    let mut all = String::new();
    let mut ranges = Vec::new();
    for f in files.iter().filter(|_| whole) {
        let start = all.len();
        if is_policy(f) {
            all.push_str(&f.text);
            all.push('\n');
        }
        ranges.push(start..all.len());
    }
    if whole
        && let Ok(set) = PolicySet::from_str(&all)
        && set.templates().next().is_none()
    {
        let mut out: Vec<Vec<(usize, String, Policy)>> = vec![Vec::new(); files.len()];
        let mut whole = true;
        for p in set.policies() {
            let text = p.to_string();
            let place = all.find(&text).and_then(|at| {
                ranges
                    .iter()
                    .position(|r| r.contains(&at) && at + text.len() <= r.end)
                    .map(|i| (i, at - ranges[i].start))
            });
            match place {
                Some((i, offset)) => out[i].push((offset, text, p.clone())),
                None => whole = false,
            }
        }
        if whole {
            return files
                .iter()
                .zip(out)
                .map(|(f, mut policies)| {
                    if !is_policy(f) {
                        return Parsed::NotPolicies;
                    }
                    policies.sort_by_key(|(offset, _, _)| *offset);
                    Parsed::Policies(policies)
                })
                .collect();
        }
    }
    files.iter().map(|f| parse_file(f, is_policy(f))).collect()
}

fn parse_file(file: &PackFile, is_policy: bool) -> Parsed {
    if !is_policy {
        return Parsed::NotPolicies;
    }
    let set = match PolicySet::from_str(&file.text) {
        Ok(set) => set,
        Err(e) => {
            return Parsed::Errors(
                e.iter()
                    .map(|one| {
                        from_diagnostic(
                            &file.name,
                            &file.text,
                            one,
                            "the policy does not parse: ",
                            |m| PackError::Syntax(m).into(),
                        )
                    })
                    .collect(),
            );
        }
    };
    if set.templates().next().is_some() {
        return Parsed::Errors(vec![InputError::new(
            Some(&file.name),
            PackError::Syntax(
                "policy templates are not supported in a pack: write static policies".into(),
            ),
        )]);
    }
    let mut policies: Vec<(usize, String, Policy)> = set
        .policies()
        .map(|p| {
            let text = p.to_string();
            (file.text.find(&text).unwrap_or(0), text, p.clone())
        })
        .collect();
    policies.sort_by_key(|(offset, _, _)| *offset);
    Parsed::Policies(policies)
}

fn push(
    set: &mut PolicySet,
    policy: Policy,
    errors: &mut Vec<InputError>,
    here: &dyn Fn(String) -> InputError,
) {
    if let Err(e) = set.add(policy) {
        errors.push(here(format!("cannot add the policy: {e}")));
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The same policy with `permit` effect: satisfied exactly when the forbid is.
/// A policy's annotations, read once.
struct Annotations<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Annotations<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

fn gate(
    id: &str,
    notes: &Annotations,
    policy_text: &str,
    file: &str,
    line: usize,
) -> Result<Gate, PackError> {
    let severity = match notes.get("severity") {
        None | Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        Some(other) => {
            return Err(PackError::Annotation(format!(
                "`@severity(\"{other}\")` on gate `{id}`: write \"error\" or \"warning\""
            )));
        }
    };
    let list = |key: &str| -> Vec<String> {
        notes
            .get(key)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let fields = list("field")
        .iter()
        .map(|f| {
            FieldPath::parse(f)
                .map_err(|e| PackError::Annotation(format!("`@field` on gate `{id}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let text = |key: &str| {
        notes
            .get(key)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(Gate {
        id: id.to_string(),
        controls: list("control"),
        title: text("title").unwrap_or_else(|| id.to_string()),
        help: text("help"),
        severity,
        fields,
        applies: text("applies"),
        example: text("example"),
        file: file.to_string(),
        line,
        text: policy_text.to_string(),
    })
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
