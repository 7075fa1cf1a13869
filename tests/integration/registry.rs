//! The pack's registry of gates never rots: every gate is annotated, mapped to real Annex A
//! controls, has passing and failing fixtures, and the README's table is the pack's own.

use std::collections::BTreeSet;

use aimsgate::annex_a;
use aimsgate::pack::Pack;

use crate::common::{files, fixture_cases, root};

/// The gate ids the design fixes: users waive and re-level gates by these ids.
const CONTRACT: &[&str] = &[
    "acceptance-criteria-defined",
    "acceptance-criteria-met",
    "bias-tests-current",
    "bias-tests-passed",
    "compute-documented",
    "data-acquisition-documented",
    "data-preparation-documented",
    "data-provenance-documented",
    "data-quality-checked",
    "data-sources-listed",
    "design-documented",
    "evaluation-documented",
    "event-logging-defined",
    "human-oversight-defined",
    "impact-assessment-approved",
    "impact-assessment-current",
    "incident-contact-defined",
    "independent-approval",
    "intended-use-documented",
    "license-recorded",
    "limitations-documented",
    "monitoring-plan-defined",
    "out-of-scope-uses-listed",
    "owner-assigned",
    "performance-documented",
    "policy-change-reviewed",
    "privacy-assessment-present",
    "release-from-protected-ref",
    "risk-tier-declared",
    "supplier-assessed",
    "supplier-responsibilities-allocated",
    "unacceptable-risk-prohibited",
    "usage-documented",
    "version-matches-tag",
];

#[test]
fn the_pack_has_exactly_the_contract_gates() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    let ids: Vec<&str> = pack.gates.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, CONTRACT);
}

#[test]
fn every_gate_is_fully_annotated_with_real_controls() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    for policy in pack.policies.policies() {
        if policy.effect() != cedar_policy::Effect::Forbid {
            continue;
        }
        let id = policy.id().to_string();
        for key in [
            "id", "control", "title", "help", "field", "severity", "applies",
        ] {
            assert!(
                policy.annotation(key).is_some_and(|v| !v.trim().is_empty()),
                "gate `{id}` lacks @{key}"
            );
        }
    }
    for gate in &pack.gates {
        assert!(!gate.controls.is_empty(), "{}", gate.id);
        for c in &gate.controls {
            assert!(
                annex_a::is_control(c),
                "gate `{}`: `{c}` is not an Annex A control",
                gate.id
            );
        }
        assert!(!gate.fields.is_empty(), "{}", gate.id);
    }
}

#[test]
fn every_gate_has_a_passing_and_a_failing_fixture() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    for gate in &pack.gates {
        let dir = root().join("fixtures/cards").join(&gate.id);
        let cards = files(&dir);
        let name = |p: &std::path::Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let passing: Vec<_> = cards
            .iter()
            .filter(|p| name(p).starts_with("pass"))
            .collect();
        let failing: Vec<_> = cards
            .iter()
            .filter(|p| name(p).starts_with("fail"))
            .collect();
        assert!(
            !passing.is_empty(),
            "gate `{}` has no pass*.md fixture",
            gate.id
        );
        assert!(
            !failing.is_empty(),
            "gate `{}` has no fail*.md fixture",
            gate.id
        );
        let cases = fixture_cases();
        let expects = |p: &std::path::Path| -> BTreeSet<String> {
            let rel = p
                .strip_prefix(root().join("fixtures"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            cases
                .iter()
                .find(|(card, _)| *card == rel)
                .map(|(_, gates)| gates.clone())
                .unwrap_or_else(|| panic!("fixtures/{rel} has no case"))
        };
        for f in failing {
            assert!(
                expects(f).contains(&gate.id),
                "{} does not expect `{}`",
                f.display(),
                gate.id
            );
        }
        for p in passing {
            assert!(
                !expects(p).contains(&gate.id),
                "{} expects its own gate",
                p.display()
            );
        }
    }
}

/// Set AIMSGATE_BLESS=1 to rewrite the README's table from the pack.
#[test]
fn the_readme_table_is_the_packs() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (start, end) = ("<!-- gates:start -->\n", "<!-- gates:end -->");
    let a = readme.find(start).expect("the gates:start marker") + start.len();
    let b = readme.find(end).expect("the gates:end marker");
    let table = pack.gates_table();
    if readme[a..b] != table {
        if std::env::var_os("AIMSGATE_BLESS").is_some() {
            std::fs::write(&path, format!("{}{table}{}", &readme[..a], &readme[b..]))
                .expect("write README");
        } else {
            panic!(
                "README's gate table differs from the pack; run `AIMSGATE_BLESS=1 cargo test --test integration registry::`. Expected:\n{table}"
            );
        }
    }
}

/// The embedded pack loads its schema from a JSON conversion of `policies/aims.cedarschema`
/// (fast), falling back to the text when the conversion is stale; keep it current. Set
/// AIMSGATE_BLESS=1 to rewrite it.
#[test]
fn the_precompiled_schema_is_the_cedarschemas() {
    let path = root().join("engine/src/embedded_schema.json");
    let text = std::fs::read_to_string(root().join("policies/aims.cedarschema")).expect("schema");
    let expected = aimsgate::pack::precompiled_schema(&text).expect("the schema converts");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("embedded_schema.json"))
            .expect("embedded_schema.json is JSON");
    if written != expected {
        if std::env::var_os("AIMSGATE_BLESS").is_some() {
            let pretty = serde_json::to_string_pretty(&expected).expect("JSON");
            std::fs::write(&path, format!("{pretty}\n")).expect("write embedded_schema.json");
        } else {
            panic!(
                "engine/src/embedded_schema.json is not the conversion of policies/aims.cedarschema; run `AIMSGATE_BLESS=1 cargo test --test integration registry::`"
            );
        }
    }
}

/// The embedded pack's policies are built on a run by code generated from Cedar's reading of
/// their text (`engine/src/pack/embedded_policies.rs`); keep it current. Set AIMSGATE_BLESS=1
/// to rewrite it.
#[test]
fn the_preparsed_policies_are_the_packs() {
    let path = root().join("engine/src/pack/embedded_policies.rs");
    let expected = aimsgate::pack::preparsed_source().expect("the embedded pack generates");
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    if written != expected {
        if std::env::var_os("AIMSGATE_BLESS").is_some() {
            std::fs::write(&path, expected).expect("write embedded_policies.rs");
        } else {
            panic!(
                "engine/src/pack/embedded_policies.rs is not generated from the embedded pack's policies; run `AIMSGATE_BLESS=1 cargo test --test integration registry::`"
            );
        }
    }
}

#[test]
fn every_policy_file_is_embedded() {
    let pack = Pack::embedded().expect("the embedded pack loads");
    let embedded: BTreeSet<String> = pack.files.iter().map(|f| f.name.clone()).collect();
    let on_disk: BTreeSet<String> = files(&root().join("policies"))
        .into_iter()
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("cedar" | "cedarschema")
            )
        })
        .map(|p| {
            let rel = p
                .strip_prefix(root().join("policies"))
                .expect("under policies")
                .to_string_lossy()
                .replace('\\', "/");
            // Named as the embedded pack's: they are not in a user's repository.
            format!("embedded:{rel}")
        })
        .collect();
    assert_eq!(embedded, on_disk);
}

#[test]
fn every_card_gate_example_is_yaml_holding_the_field_it_judges() {
    use aimsgate::card::{FieldPath, Segment, Selector};
    use aimsgate::evidence::EvidenceKey;
    let pack = Pack::embedded().expect("the embedded pack loads");
    for gate in &pack.gates {
        let field: &FieldPath = &gate.fields[0];
        let example = gate.example.as_deref().expect("an example");
        if EvidenceKey::of(field).is_some() {
            assert!(
                example.starts_with('#'),
                "`{}`: an evidence gate's example is a note",
                gate.id
            );
            continue;
        }
        // A gate on a section of the card's body shows that section, written.
        if let [
            Segment::Key(body),
            Segment::Select(Selector::Section(section)),
        ] = field.segments()
            && body == "body"
        {
            let found = aimsgate::card::body::sections(example, 0);
            assert!(
                found.iter().any(|f| f.section == *section && f.documented),
                "`{}`: its example does not document the `{}` section: {found:?}",
                gate.id,
                section.name()
            );
            continue;
        }
        let root = aimsgate::yaml::parse(
            example,
            aimsgate::yaml::Origin { line: 1, offset: 0 },
            aimsgate::yaml::Limits::default(),
        )
        .unwrap_or_else(|e| panic!("`{}`: its example is not YAML: {e:?}", gate.id))
        .expect("not empty");
        let mut node = &root;
        for seg in field.segments() {
            match seg {
                Segment::Key(k) => {
                    node = &node
                        .get(k)
                        .unwrap_or_else(|| {
                            panic!("`{}`: its example lacks `{k}` of `{field}`", gate.id)
                        })
                        .value;
                }
                Segment::Index(_) | Segment::Select(_) => break,
            }
        }
    }
}

/// Every error code the library can give is documented, and the README documents no other.
#[test]
fn the_readme_lists_every_error_code() {
    let source = std::fs::read_to_string(root().join("engine/src/error.rs")).unwrap();
    let codes: BTreeSet<&str> = source
        .split("code = \"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert!(codes.len() > 20, "{codes:?}");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let listed: BTreeSet<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |").map(|(code, _)| code))
        .filter(|c| c.contains("::"))
        .collect();
    assert_eq!(listed, codes, "the README's error codes under Exit codes");
}
