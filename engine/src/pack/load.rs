//! Loading a pack: one parse of every policy (a file at a time when that fails, so errors
//! name their file), each policy re-keyed by its `@id` and read into a [`Gate`], strict
//! validation, and the checks beyond Cedar's (annotations, undeclared attributes, a permit).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{Effect, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};

use super::annotations::{Annotations, gate, is_kebab};
use super::schema::Precompiled;
use super::{Pack, PackFile};
use crate::card::Keys;
use crate::error::{InputError, PackError, from_diagnostic, span_of};

/// Whether a pack's policies are held to the schema's attributes beyond Cedar's validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lint {
    /// Every `resource.attr` and `has attr` a policy names must be declared (a warning).
    Attributes,
    /// Known to pass: the embedded pack, whose every check (this lint and Cedar's strict
    /// validation) the test `the_embedded_pack_is_lint_clean` runs on the same text with the
    /// same Cedar; skipped on every run. Fail closed all the same: a policy that did not type
    /// would err when evaluated, and an error is a verdict of its own.
    Known,
}

impl Pack {
    pub(super) fn load(
        origin: String,
        files: Vec<PackFile>,
        precompiled: Option<Precompiled>,
        lint: Lint,
    ) -> Result<Pack, Vec<InputError>> {
        Pack::load_with(origin, files, precompiled, true, lint)
    }

    /// With `whole`, the policies are parsed in one go; diagnostics then point into the
    /// joined text, so a pack with any is loaded again a file at a time to point into files.
    fn load_with(
        origin: String,
        files: Vec<PackFile>,
        precompiled: Option<Precompiled>,
        whole: bool,
        lint: Lint,
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
        let mut model_shape = schema_json.as_ref().and_then(Keys::model_shape);
        let mut errors = Vec::new();
        let mut policies = PolicySet::new();
        let mut gates = Vec::new();
        let mut permits = HashSet::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut origin_of: HashMap<String, (usize, usize)> = HashMap::new();
        let mut warnings = Vec::new();

        // The embedded pack on a run: its policies as generated from its text (see
        // `preparsed`), when the text is the one they were generated from.
        let preparsed = (lint == Lint::Known && whole)
            .then(|| super::preparsed::parsed(&files))
            .flatten();
        let parsed = preparsed.unwrap_or_else(|| parse_policies(&files, whole));
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
                if lint == Lint::Attributes
                    && let Some(json) = &schema_json
                    && let Ok(est) = policy.to_json()
                {
                    for u in super::attributes::undeclared(&est, json) {
                        // A policy that names an attribute its schema does not declare would
                        // read it as absent if entities were cut to the schema (`has` false,
                        // a gate that never fires): such a pack is never judged that way.
                        model_shape = None;
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

        // The embedded pack's validation is the test suite's (see `Lint::Known`).
        if lint == Lint::Attributes {
            let validation =
                Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
            if whole
                && (validation.validation_errors().next().is_some()
                    || validation.validation_warnings().next().is_some())
            {
                return Pack::load_with(origin, files, None, false, lint);
            }
            // The file a policy came from.
            let file_of =
                |id: &PolicyId| &files[origin_of.get(&id.to_string()).map_or(0, |(i, _)| *i)];
            for e in validation.validation_errors() {
                let file = file_of(e.policy_id());
                errors.push(from_diagnostic(
                    &file.name,
                    &file.text,
                    e,
                    "does not validate against the schema: ",
                    |m| PackError::Validation(m).into(),
                ));
            }
            // A pack Cedar warns about (an impossible policy, a `has` it cannot type) is never
            // judged on cut entities: a warning may be a gate that would then never fire.
            if validation.validation_warnings().next().is_some() {
                model_shape = None;
            }
            for w in validation.validation_warnings() {
                let file = file_of(w.policy_id());
                warnings.push(from_diagnostic(&file.name, &file.text, w, "", |m| {
                    PackError::Lint(m).into()
                }));
            }
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
            model_shape,
            fits_engine: lint == Lint::Known,
            policies,
            gates,
            permits,
            relevelled: Vec::new(),
            files,
            warnings,
        })
    }
}

/// One file's policies, each with its offset in the file and its text, in file order.
pub(super) enum Parsed {
    NotPolicies,
    Errors(Vec<InputError>),
    Policies(Vec<(usize, String, Policy)>),
}

/// Parses every `.cedar` file. All at once when that works (one parse of the whole pack is
/// several times faster than one a file), and a file at a time otherwise, so that errors name
/// their file and a policy never spans two files.
pub(super) fn parse_policies(files: &[PackFile], whole: bool) -> Vec<Parsed> {
    let (all, ranges) = if whole {
        joined(files)
    } else {
        (String::new(), Vec::new())
    };
    if whole
        && let Ok(set) = PolicySet::from_str(&all)
        && set.templates().next().is_none()
    {
        let mut out: Vec<Vec<(usize, String, Policy)>> = vec![Vec::new(); files.len()];
        let mut whole = true;
        for p in set.policies() {
            let text = p.to_string();
            let place = place(p, &text, &all).and_then(|at| {
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

/// Where in `parsed` (the text Cedar read) the policy stands: where Cedar read it, so that
/// two copies of one policy are each where they are; searched for only when the location is
/// missing or does not hold the policy's text.
fn place(policy: &Policy, text: &str, parsed: &str) -> Option<usize> {
    AsRef::<cedar_policy_core::ast::Policy>::as_ref(policy)
        .loc()
        .map(|loc| loc.start())
        .filter(|&at| parsed.get(at..at + text.len()) == Some(text))
        .or_else(|| parsed.find(text))
}

fn is_policy(f: &PackFile) -> bool {
    f.name.ends_with(".cedar")
}

/// Every policy file's text, each followed by a line break, as one text; with the range each
/// file (policies or not) takes in it.
fn joined(files: &[PackFile]) -> (String, Vec<std::ops::Range<usize>>) {
    let mut all = String::new();
    let mut ranges = Vec::new();
    for f in files {
        let start = all.len();
        if is_policy(f) {
            all.push_str(&f.text);
            all.push('\n');
        }
        ranges.push(start..all.len());
    }
    (all, ranges)
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
            (place(p, &text, &file.text).unwrap_or(0), text, p.clone())
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
