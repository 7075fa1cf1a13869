//! The embedded pack's policies as Cedar's syntax tree, built by code generated from the
//! pack's text rather than parsed on every run (Cedar's parser is most of a one-card run).
//!
//! `embedded_policies.rs` is that code: written by [`source`] from Cedar's own reading of the
//! text, and held to it three ways. The test `the_preparsed_policies_are_the_packs` regenerates
//! it and fails when it differs (`AIMSGATE_BLESS=1` rewrites it); the unit tests compare every
//! policy it builds with Cedar's parse of the same text (the tree, its printed form, where it
//! stands in its file); and on every run the text it was generated from is recognised by its
//! SHA-256 (with the Cedar release that read it), so a pack whose text differs in any byte, or
//! a Cedar that was not the one that read it, is parsed as any other pack is.

use std::fmt::Write as _;
use std::sync::Arc;

use cedar_policy::Policy;
use cedar_policy_core::FromNormalizedStr;
use cedar_policy_core::ast::{
    self, ActionConstraint, Annotation, Annotations, AnyId, EntityReference, EntityType, EntityUID,
    Expr, ExprKind, Literal, Name, PolicyID, PrincipalOrResourceConstraint, StaticPolicy,
};

use super::PackFile;
use super::load::{Parsed, parse_policies};
use crate::error::PackError;

#[rustfmt::skip]
#[path = "embedded_policies.rs"]
mod embedded_policies;

/// The embedded pack's policies, each in its file and at its place, when `files` are the
/// text the generated code was made from; `None` otherwise (the text is then parsed).
pub(super) fn parsed(files: &[PackFile]) -> Option<Vec<Parsed>> {
    if fingerprint(files) != embedded_policies::SOURCE_SHA256 {
        return None;
    }
    let mut out: Vec<Vec<(usize, String, Policy)>> = vec![Vec::new(); files.len()];
    for placed in embedded_policies::policies()? {
        let (file, offset, len) = (placed.file, placed.offset, placed.len);
        let text = files.get(file)?.text.get(offset..offset + len)?;
        out[file].push((offset, text.to_string(), Policy::from(placed.policy)));
    }
    Some(
        files
            .iter()
            .zip(out)
            .map(|(f, policies)| {
                if f.name.ends_with(".cedar") {
                    Parsed::Policies(policies)
                } else {
                    Parsed::NotPolicies
                }
            })
            .collect(),
    )
}

/// SHA-256 of the Cedar release that read the text, and of the files' names and texts, each
/// followed by a NUL (none holds one): another Cedar may read the same text otherwise.
fn fingerprint(files: &[PackFile]) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    hash.update(cedar_policy::get_sdk_version().to_string());
    hash.update([0]);
    for f in files {
        for part in [f.name.as_bytes(), f.text.as_bytes()] {
            hash.update(part);
            hash.update([0]);
        }
    }
    crate::chars::hex(&hash.finalize())
}

/// One generated policy: the file it is in (its index among the pack's files), its byte
/// offset and length there, and the policy.
pub(super) struct Placed {
    file: usize,
    offset: usize,
    len: usize,
    policy: StaticPolicy,
}

/// The constructors the generated code calls, each one node of Cedar's tree; a pack uses
/// those its policies need (`the_constructors_are_cedars_nodes` tests the others).
#[allow(dead_code, reason = "the generated code calls those its policies need")]
mod build {
    pub(super) use super::Placed;
    use super::*;
    pub(super) use cedar_policy_core::ast::{BinaryOp, Effect, UnaryOp, Var};

    #[allow(clippy::too_many_arguments, reason = "a policy has this many parts")]
    pub(super) fn policy(
        (file, offset, len): (usize, usize, usize),
        id: &str,
        effect: Effect,
        annotations: &[(&str, &str)],
        principal: PrincipalOrResourceConstraint,
        action: ActionConstraint,
        resource: PrincipalOrResourceConstraint,
        condition: Option<Expr>,
    ) -> Option<Placed> {
        let annotations: Annotations = annotations
            .iter()
            .map(|(k, v)| {
                let annotation = Annotation {
                    val: (*v).into(),
                    loc: None,
                };
                AnyId::from_normalized_str(k).ok().map(|k| (k, annotation))
            })
            .collect::<Option<_>>()?;
        let policy = StaticPolicy::new(
            PolicyID::from_string(id),
            None,
            annotations,
            effect,
            ast::PrincipalConstraint::new(principal),
            action,
            ast::ResourceConstraint::new(resource),
            condition,
        )
        .ok()?;
        Some(Placed {
            file,
            offset,
            len,
            policy,
        })
    }

    pub(super) fn uid(text: &str) -> Option<EntityUID> {
        EntityUID::from_normalized_str(text).ok()
    }

    pub(super) fn name(text: &str) -> Option<Name> {
        Name::from_normalized_str(text).ok()
    }

    pub(super) fn entity_type(text: &str) -> Option<EntityType> {
        name(text).map(EntityType::from)
    }

    pub(super) fn scope_any() -> PrincipalOrResourceConstraint {
        PrincipalOrResourceConstraint::Any
    }

    pub(super) fn action_any() -> ActionConstraint {
        ActionConstraint::Any
    }

    pub(super) fn scope_eq(text: &str) -> Option<PrincipalOrResourceConstraint> {
        uid(text).map(|u| PrincipalOrResourceConstraint::Eq(EntityReference::EUID(Arc::new(u))))
    }

    pub(super) fn scope_in(text: &str) -> Option<PrincipalOrResourceConstraint> {
        uid(text).map(|u| PrincipalOrResourceConstraint::In(EntityReference::EUID(Arc::new(u))))
    }

    pub(super) fn scope_is(ty: &str) -> Option<PrincipalOrResourceConstraint> {
        entity_type(ty).map(|t| PrincipalOrResourceConstraint::Is(Arc::new(t)))
    }

    pub(super) fn scope_is_in(ty: &str, text: &str) -> Option<PrincipalOrResourceConstraint> {
        let reference = EntityReference::EUID(Arc::new(uid(text)?));
        entity_type(ty).map(|t| PrincipalOrResourceConstraint::IsIn(Arc::new(t), reference))
    }

    pub(super) fn action_eq(text: &str) -> Option<ActionConstraint> {
        uid(text).map(ActionConstraint::is_eq)
    }

    pub(super) fn action_in(texts: &[&str]) -> Option<ActionConstraint> {
        let uids = texts.iter().map(|t| uid(t)).collect::<Option<Vec<_>>>()?;
        Some(ActionConstraint::is_in(uids))
    }

    pub(super) fn boolean(b: bool) -> Expr {
        Expr::val(b)
    }

    pub(super) fn long(n: i64) -> Expr {
        Expr::val(n)
    }

    pub(super) fn string(s: &str) -> Expr {
        Expr::val(Literal::String(s.into()))
    }

    pub(super) fn entity(text: &str) -> Option<Expr> {
        uid(text).map(Expr::val)
    }

    pub(super) fn var(v: Var) -> Expr {
        Expr::var(v)
    }

    pub(super) fn ite(test: Expr, then: Expr, otherwise: Expr) -> Expr {
        Expr::ite(test, then, otherwise)
    }

    pub(super) fn and(left: Expr, right: Expr) -> Expr {
        Expr::and(left, right)
    }

    pub(super) fn or(left: Expr, right: Expr) -> Expr {
        Expr::or(left, right)
    }

    pub(super) fn unary(op: UnaryOp, arg: Expr) -> Expr {
        Expr::unary_app(op, arg)
    }

    pub(super) fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        Expr::binary_app(op, left, right)
    }

    pub(super) fn call(function: &str, args: Vec<Expr>) -> Option<Expr> {
        name(function).map(|f| Expr::call_extension_fn(f, args))
    }

    pub(super) fn get(expr: Expr, attr: &str) -> Expr {
        Expr::get_attr(expr, attr.into())
    }

    pub(super) fn has(expr: Expr, attr: &str) -> Expr {
        Expr::has_attr(expr, attr.into())
    }

    pub(super) fn is(expr: Expr, ty: &str) -> Option<Expr> {
        entity_type(ty).map(|t| Expr::is_entity_type(expr, t))
    }

    pub(super) fn set(items: Vec<Expr>) -> Expr {
        Expr::set(items)
    }

    pub(super) fn record(pairs: Vec<(&str, Expr)>) -> Option<Expr> {
        Expr::record(pairs.into_iter().map(|(k, v)| (k.into(), v))).ok()
    }
}

/// The Rust source of `embedded_policies.rs` for the embedded pack's files: Cedar's reading
/// of their text, written as calls of the constructors above.
pub fn source() -> Result<String, PackError> {
    let files = super::Pack::embedded_pack_files();
    let mut out = String::from(
        "//! @generated by `AIMSGATE_BLESS=1 cargo test --test integration registry::` from the\n\
         //! embedded pack's policies (see `preparsed.rs`): do not edit.\n\n\
         use super::build::*;\n\n",
    );
    let _ = writeln!(
        out,
        "/// SHA-256 of the Cedar release and the files' names and texts this was generated from.\npub(super) const SOURCE_SHA256: &str = \"{}\";\n",
        fingerprint(&files)
    );
    out.push_str("pub(super) fn policies() -> Option<Vec<Placed>> {\n    Some(vec![\n");
    for (file, parsed) in parse_policies(&files, true).iter().enumerate() {
        let policies = match parsed {
            Parsed::NotPolicies => continue,
            Parsed::Errors(e) => {
                return Err(PackError::Syntax(format!(
                    "the embedded pack does not parse: {}",
                    e.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )));
            }
            Parsed::Policies(p) => p,
        };
        for (offset, text, policy) in policies {
            write_policy(&mut out, (file, *offset, text.len()), policy.as_ref())
                .map_err(|e| PackError::Syntax(format!("{}: {e}", files[file].name)))?;
        }
    }
    out.push_str("    ])\n}\n");
    Ok(out)
}

/// What the generator does not write (the pack's policies then cannot be generated).
fn unwritable(what: &str) -> PackError {
    PackError::Syntax(format!("the generator does not write {what}"))
}

fn write_policy(
    out: &mut String,
    (file, offset, len): (usize, usize, usize),
    policy: &ast::Policy,
) -> Result<(), PackError> {
    if !policy.is_static() {
        return Err(unwritable("a template"));
    }
    let _ = writeln!(
        out,
        "        policy(\n            ({file}, {offset}, {len}),\n            {:?},\n            Effect::{:?},",
        policy.id().to_string(),
        policy.effect()
    );
    out.push_str("            &[\n");
    for (k, v) in policy.annotations() {
        let _ = writeln!(
            out,
            "                ({:?}, {:?}),",
            k.as_ref(),
            v.val.as_str()
        );
    }
    out.push_str("            ],\n            ");
    scope(out, policy.principal_constraint().as_inner())?;
    out.push_str(",\n            ");
    match policy.action_constraint() {
        ActionConstraint::Any => out.push_str("action_any()"),
        ActionConstraint::Eq(u) => {
            let _ = write!(out, "action_eq({:?})?", u.to_string());
        }
        ActionConstraint::In(us) => {
            let texts: Vec<String> = us.iter().map(|u| u.to_string()).collect();
            let _ = write!(out, "action_in(&{texts:?})?");
        }
        #[allow(
            unreachable_patterns,
            reason = "an error node exists with tolerant-ast only"
        )]
        _ => return Err(unwritable("an action constraint that does not parse")),
    }
    out.push_str(",\n            ");
    scope(out, policy.resource_constraint().as_inner())?;
    out.push_str(",\n            ");
    match policy.non_scope_constraints() {
        None => out.push_str("None"),
        Some(e) => {
            out.push_str("Some(");
            expr(out, e, 4)?;
            out.push(')');
        }
    }
    out.push_str(",\n        )?,\n");
    Ok(())
}

fn scope(out: &mut String, c: &PrincipalOrResourceConstraint) -> Result<(), PackError> {
    let euid = |r: &EntityReference| match r {
        EntityReference::EUID(u) => Ok(format!("{:?}", u.to_string())),
        EntityReference::Slot(_) => Err(unwritable("a template slot")),
    };
    match c {
        PrincipalOrResourceConstraint::Any => out.push_str("scope_any()"),
        PrincipalOrResourceConstraint::Eq(r) => {
            let _ = write!(out, "scope_eq({})?", euid(r)?);
        }
        PrincipalOrResourceConstraint::In(r) => {
            let _ = write!(out, "scope_in({})?", euid(r)?);
        }
        PrincipalOrResourceConstraint::Is(t) => {
            let _ = write!(out, "scope_is({:?})?", t.to_string());
        }
        PrincipalOrResourceConstraint::IsIn(t, r) => {
            let _ = write!(out, "scope_is_in({:?}, {})?", t.to_string(), euid(r)?);
        }
    }
    Ok(())
}

/// One expression, its children on lines of their own indented by `depth` levels.
fn expr(out: &mut String, e: &Expr, depth: usize) -> Result<(), PackError> {
    let pad = "    ".repeat(depth + 1);
    // `name(` with `first` (a literal), each child and `last` (a literal) on lines of their own.
    let args = |out: &mut String, name: &str, first: &str, children: &[&Expr], last: &str| {
        let _ = writeln!(out, "{name}(");
        if !first.is_empty() {
            let _ = writeln!(out, "{pad}{first},");
        }
        for c in children {
            out.push_str(&pad);
            expr(out, c, depth + 1)?;
            out.push_str(",\n");
        }
        if !last.is_empty() {
            let _ = writeln!(out, "{pad}{last},");
        }
        let _ = write!(out, "{})", "    ".repeat(depth));
        Ok::<(), PackError>(())
    };
    match e.expr_kind() {
        ExprKind::Lit(Literal::Bool(b)) => {
            let _ = write!(out, "boolean({b})");
        }
        ExprKind::Lit(Literal::Long(n)) => {
            let _ = write!(out, "long({n})");
        }
        ExprKind::Lit(Literal::String(s)) => {
            let _ = write!(out, "string({:?})", s.as_str());
        }
        ExprKind::Lit(Literal::EntityUID(u)) => {
            let _ = write!(out, "entity({:?})?", u.to_string());
        }
        ExprKind::Var(v) => {
            let _ = write!(out, "var(Var::{v:?})");
        }
        ExprKind::If {
            test_expr,
            then_expr,
            else_expr,
        } => args(
            out,
            "ite",
            "",
            &[test_expr.as_ref(), then_expr.as_ref(), else_expr.as_ref()],
            "",
        )?,
        ExprKind::And { left, right } => {
            args(out, "and", "", &[left.as_ref(), right.as_ref()], "")?
        }
        ExprKind::Or { left, right } => args(out, "or", "", &[left.as_ref(), right.as_ref()], "")?,
        ExprKind::UnaryApp { op, arg } => {
            args(
                out,
                "unary",
                &format!("UnaryOp::{op:?}"),
                &[arg.as_ref()],
                "",
            )?;
        }
        ExprKind::BinaryApp { op, arg1, arg2 } => {
            args(
                out,
                "binary",
                &format!("BinaryOp::{op:?}"),
                &[arg1.as_ref(), arg2.as_ref()],
                "",
            )?;
        }
        ExprKind::ExtensionFunctionApp { fn_name, args: a } => {
            let _ = writeln!(out, "call({:?}, vec![", fn_name.to_string());
            for c in a.iter() {
                out.push_str(&pad);
                expr(out, c, depth + 1)?;
                out.push_str(",\n");
            }
            let _ = write!(out, "{}])?", "    ".repeat(depth));
        }
        ExprKind::GetAttr { expr: inner, attr } => {
            args(
                out,
                "get",
                "",
                &[inner.as_ref()],
                &format!("{:?}", attr.as_str()),
            )?;
        }
        ExprKind::HasAttr { expr: inner, attr } => {
            args(
                out,
                "has",
                "",
                &[inner.as_ref()],
                &format!("{:?}", attr.as_str()),
            )?;
        }
        ExprKind::Is {
            expr: inner,
            entity_type,
        } => {
            args(
                out,
                "is",
                "",
                &[inner.as_ref()],
                &format!("{:?}", entity_type.to_string()),
            )?;
            out.push('?');
        }
        ExprKind::Set(items) => {
            out.push_str("set(vec![\n");
            for c in items.iter() {
                out.push_str(&pad);
                expr(out, c, depth + 1)?;
                out.push_str(",\n");
            }
            let _ = write!(out, "{}])", "    ".repeat(depth));
        }
        ExprKind::Record(pairs) => {
            out.push_str("record(vec![\n");
            for (k, v) in pairs.iter() {
                let _ = write!(out, "{pad}({:?}, ", k.as_str());
                expr(out, v, depth + 1)?;
                out.push_str("),\n");
            }
            let _ = write!(out, "{}])?", "    ".repeat(depth));
        }
        other => {
            return Err(unwritable(&format!(
                "an expression of this kind: {other:?}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
    use super::build::*;
    use super::*;
    use crate::pack::Pack;
    use std::str::FromStr;

    fn policies(parsed: &[Parsed]) -> Vec<Vec<(usize, String, Policy)>> {
        parsed
            .iter()
            .map(|p| match p {
                Parsed::Policies(p) => p.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Every policy the generated code builds is Cedar's reading of the same text: the same
    /// tree (locations aside), printed the same, with the same id, file, offset and text.
    #[test]
    fn every_generated_policy_is_cedars_reading_of_the_text() {
        let files = Pack::embedded_pack_files();
        let generated = parsed(&files).expect("generated from the embedded pack's text");
        let read = parse_policies(&files, true);
        assert!(
            read.iter().all(|p| !matches!(p, Parsed::Errors(_))),
            "the pack parses"
        );
        assert_eq!(generated.len(), read.len());
        for (g, r) in generated.iter().zip(&read) {
            assert_eq!(
                matches!(g, Parsed::NotPolicies),
                matches!(r, Parsed::NotPolicies)
            );
        }
        let (generated, read) = (policies(&generated), policies(&read));
        let mut compared = 0;
        for (file, (g, r)) in generated.iter().zip(&read).enumerate() {
            assert_eq!(g.len(), r.len(), "{}", files[file].name);
            for ((g_at, g_text, g), (r_at, r_text, r)) in g.iter().zip(r) {
                assert_eq!((g_at, g_text), (r_at, r_text), "{}", files[file].name);
                let (g, r): (&ast::Policy, &ast::Policy) = (g.as_ref(), r.as_ref());
                assert_eq!(g, r, "{}", r_text);
                assert_eq!(g.to_string(), r.to_string());
                assert_eq!(g.id(), r.id());
                compared += 1;
            }
        }
        assert!(compared > 30, "every policy compared: {compared}");
    }

    /// A pack whose text differs from the one the code was generated from in any byte is
    /// parsed: a later change to a policy is never judged by the tree of the earlier one.
    #[test]
    fn a_text_that_is_not_the_generated_ones_is_parsed() {
        let files = Pack::embedded_pack_files();
        assert!(parsed(&files).is_some());
        let i = files
            .iter()
            .position(|f| f.text.contains("\"production\""))
            .expect("a gate naming production");
        let mut changed = files.clone();
        changed[i].text = Arc::from(changed[i].text.replacen("\"production\"", "\"prod\"", 1));
        assert!(parsed(&changed).is_none());
        let mut spaced = files.clone();
        spaced[i].text = Arc::from(format!("{} ", spaced[i].text));
        assert!(parsed(&spaced).is_none());
        let mut renamed = files.clone();
        renamed[i].name.push('x');
        assert!(parsed(&renamed).is_none());
        // Loaded as the embedded pack is (strict checks skipped), the change is read.
        let pack = Pack::load(
            "embedded".into(),
            changed,
            super::super::schema::Precompiled::embedded(),
            super::super::load::Lint::Known,
        )
        .expect("loads");
        let texts: String = pack.gates.iter().map(|g| g.text.as_str()).collect();
        assert!(texts.contains("\"prod\""));
        let embedded = Pack::embedded().expect("loads");
        assert_ne!(
            pack.policies.to_string(),
            embedded.policies.to_string(),
            "the changed policy is the parsed one"
        );
    }

    /// The constructors the embedded pack does not use build Cedar's nodes all the same.
    #[test]
    fn the_constructors_are_cedars_nodes() {
        let text = r#"permit (
  principal == Aims::Actor::"a",
  action == Aims::Action::"deploy",
  resource is Aims::Model in Aims::Model::"m"
)
when {
  if context has x then [1, "s", true, Aims::Action::"deploy"].contains(context.x)
  else {"k": 1, "d": datetime("2026-01-01")} has k && principal is Aims::Actor
};
forbid (principal in Aims::Actor::"g", action in [Aims::Action::"release"], resource is Aims::Model)
unless { 1 < 2 || !(-3 == 3) };
"#;
        let pack = cedar_policy::PolicySet::from_str(text).unwrap();
        let read = |id: &str| -> ast::Policy {
            let p = pack.policy(&cedar_policy::PolicyId::new(id)).unwrap();
            AsRef::<ast::Policy>::as_ref(p).clone()
        };
        let first = policy(
            (0, 0, 0),
            "policy0",
            Effect::Permit,
            &[],
            scope_eq("Aims::Actor::\"a\"").unwrap(),
            action_eq("Aims::Action::\"deploy\"").unwrap(),
            scope_is_in("Aims::Model", "Aims::Model::\"m\"").unwrap(),
            Some(ite(
                has(var(Var::Context), "x"),
                binary(
                    BinaryOp::Contains,
                    set(vec![
                        long(1),
                        string("s"),
                        boolean(true),
                        entity("Aims::Action::\"deploy\"").unwrap(),
                    ]),
                    get(var(Var::Context), "x"),
                ),
                and(
                    has(
                        record(vec![
                            ("k", long(1)),
                            ("d", call("datetime", vec![string("2026-01-01")]).unwrap()),
                        ])
                        .unwrap(),
                        "k",
                    ),
                    is(var(Var::Principal), "Aims::Actor").unwrap(),
                ),
            )),
        )
        .unwrap();
        assert_eq!(ast::Policy::from(first.policy), read("policy0"));
        let read_second = read("policy1");
        let second = policy(
            (0, 0, 0),
            "policy1",
            Effect::Forbid,
            &[],
            scope_in("Aims::Actor::\"g\"").unwrap(),
            action_in(&["Aims::Action::\"release\""]).unwrap(),
            scope_is("Aims::Model").unwrap(),
            read_second.non_scope_constraints().cloned(),
        )
        .unwrap();
        assert_eq!(ast::Policy::from(second.policy), read_second);
        // And the generator writes what these calls build.
        let mut out = String::new();
        write_policy(&mut out, (0, 0, 0), &read_second).unwrap();
        for call in [
            "scope_in(\"Aims::Actor::\\\"g\\\"\")?",
            "action_in(&[\"Aims::Action::\\\"release\\\"\"])?",
            "scope_is(\"Aims::Model\")?",
            "BinaryOp::Less",
            "UnaryOp::Not",
            "long(-3)",
        ] {
            assert!(out.contains(call), "{call} in {out}");
        }
    }
}
