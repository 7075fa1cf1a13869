//! The same gate in Rego (`bench/gate.rego`), evaluated by regorus: its interpreter and its
//! bytecode VM, on input documents built from the same cards.

use std::collections::BTreeSet;
use std::sync::Arc;

use aimsgate::yaml::{Node, ScalarKind, Value as Yaml};
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Value};

pub const POLICY: &str = include_str!("../gate.rego");
const RULE: &str = "data.aimsgate.deny";

/// The card's front matter as JSON, as conftest or OPA would see it.
pub fn json(node: &Node) -> serde_json::Value {
    match &node.value {
        Yaml::Scalar { text, kind } => match kind {
            ScalarKind::Null => serde_json::Value::Null,
            ScalarKind::Bool(b) => serde_json::Value::Bool(*b),
            ScalarKind::Int(i) => serde_json::Value::from(*i),
            ScalarKind::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            ScalarKind::Str => serde_json::Value::String(text.clone()),
        },
        Yaml::Seq(items) => serde_json::Value::Array(items.iter().map(json).collect()),
        Yaml::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), json(&e.value)))
                .collect(),
        ),
    }
}

/// The input document for one card: its front matter, its body and the request.
pub fn input(
    front_matter: &Node,
    body: &str,
    action: &str,
    environment: &str,
    now: &str,
) -> Result<Value, String> {
    let doc = serde_json::json!({
        "card": json(front_matter),
        "body": body,
        "request": { "action": action, "environment": environment, "now": now },
        "tag_version": null,
        "context": {},
    });
    Value::from_json_str(&doc.to_string()).map_err(|e| format!("regorus input: {e}"))
}

/// The interpreter, with the policy loaded once.
pub fn interpreter() -> Result<Engine, String> {
    let mut engine = Engine::new();
    engine
        .add_policy("gate.rego".into(), POLICY.into())
        .map_err(|e| format!("gate.rego: {e}"))?;
    Ok(engine)
}

/// `deny` for one input, by the interpreter.
pub fn interpret(engine: &mut Engine, input: &Value) -> Result<Value, String> {
    engine.set_input(input.clone());
    engine
        .eval_rule(RULE.into())
        .map_err(|e| format!("regorus: {e}"))
}

/// The policy compiled for the VM.
pub fn program() -> Result<Arc<Program>, String> {
    let mut engine = interpreter()?;
    let entry: regorus::Rc<str> = RULE.into();
    let compiled = engine
        .compile_with_entrypoint(&entry)
        .map_err(|e| format!("regorus compile: {e}"))?;
    let program = Compiler::compile_from_policy(&compiled, &[RULE])
        .map_err(|e| format!("regorus VM compile: {e}"))?;
    Ok(program)
}

pub fn vm(program: &Arc<Program>) -> RegoVM {
    let mut vm = RegoVM::new();
    vm.load_program(Arc::clone(program));
    vm
}

/// `deny` for one input, by the VM.
pub fn execute(vm: &mut RegoVM, input: &Value) -> Result<Value, String> {
    vm.set_input(input.clone());
    vm.execute().map_err(|e| format!("regorus VM: {e}"))
}

/// The gate ids in a `deny` set.
pub fn ids(deny: &Value) -> Result<BTreeSet<String>, String> {
    match deny {
        Value::Set(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.to_string()),
                other => Err(format!("deny holds a non-string: {other}")),
            })
            .collect(),
        Value::Undefined => Ok(BTreeSet::new()),
        other => Err(format!("deny is not a set: {other}")),
    }
}
