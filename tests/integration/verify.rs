//! `aimsgate verify` with the cvc5 solver: the default pack is proven; the known fail-open hole
//! (datetime arithmetic that can overflow) comes with a counterexample; a vacuous gate, a
//! blanket deny and a broken organisation property are found; a missing solver is exit 2.

use std::path::Path;

use crate::common;

fn verify(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let args = [&["verify"][..], args].concat();
    let (code, out, err) = common::Aimsgate::new(dir)
        .args(&args)
        .envs(env)
        .run()
        .parts();
    (code, format!("{out}{err}"))
}

#[test]
fn the_default_pack_is_proven() {
    let (code, out) = verify(&common::root(), &[], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("proven   impact-assessment-current: 5 obligations"),
        "{out}"
    );
    assert!(out.contains("172 obligations, 0 failed"), "{out}");
}

#[test]
fn datetime_arithmetic_that_can_overflow_is_found_with_a_counterexample() {
    let pack = common::pack_with("impact-assessment-current", |t| {
        t.replace(
            "resource.impact_assessment has age_days &&\n    resource.impact_assessment.age_days >= 0 &&\n    resource.impact_assessment.age_days <= 365",
            "resource.impact_assessment has approved_on &&\n    context.now.durationSince(resource.impact_assessment.approved_on) <= duration(\"365d\")",
        )
    });
    let (code, out) = verify(pack.path(), &["--policies", "."], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED   impact-assessment-current: never errors"),
        "{out}"
    );
    assert!(out.contains("it errors on this request"), "{out}");
    assert!(
        out.contains("approved_on"),
        "the counterexample shows the card's date: {out}"
    );
}

#[test]
fn a_vacuous_gate_and_a_blanket_deny_are_found() {
    let vacuous = common::pack_with("owner-assigned", |t| {
        t.replace("when { !(resource has owner) }", "when { false }")
    });
    let (code, out) = verify(vacuous.path(), &["--policies", "."], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED   owner-assigned: can fire (not vacuous)"),
        "{out}"
    );

    let blanket = common::pack_with("owner-assigned", |t| {
        t.replace("when { !(resource has owner) }", "when { true }")
    });
    let (code, out) = verify(blanket.path(), &["--policies", "."], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED   owner-assigned: does not fire on every request"),
        "{out}"
    );
    assert!(
        out.contains("FAILED   pack: neither always allows nor always denies"),
        "{out}"
    );
}

const PROPERTY: &str = r#"// A production deploy of a high-risk model is never allowed unless the impact assessment is approved.
@id("high-risk-production-needs-approved-impact-assessment")
permit (principal, action, resource)
when {
  !(action == Aims::Action::"deploy" &&
    context has environment && context.environment == "production" &&
    resource has risk_tier && resource.risk_tier == "high") ||
  (resource has impact_assessment && resource.impact_assessment has status &&
   resource.impact_assessment.status == "approved")
};
"#;

#[test]
fn organisation_properties_hold_for_the_pack_and_fail_for_a_weakened_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("properties.cedar"), PROPERTY).unwrap();
    let props = dir
        .path()
        .join("properties.cedar")
        .to_string_lossy()
        .into_owned();
    let (code, out) = verify(&common::root(), &["--properties", &props], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("proven   properties"), "{out}");

    let weak = common::pack_with("impact-assessment-approved", |t| {
        t.replace(
            "resource.impact_assessment.status == \"approved\")",
            "resource.impact_assessment.status != \"rejected\")",
        )
    });
    let (code, out) = verify(
        weak.path(),
        &["--policies", ".", "--properties", &props],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED   properties: whatever the pack allows, the properties allow"),
        "{out}"
    );
    assert!(
        out.contains("the pack allows a request the properties forbid"),
        "{out}"
    );
}

#[test]
fn a_missing_solver_is_exit_2_with_how_to_install_it() {
    let (code, out) = verify(&common::root(), &[], &[("CVC5", "/no/such/cvc5")]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("apt-get install cvc5"), "{out}");
}
