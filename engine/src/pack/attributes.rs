//! A check of a pack beyond Cedar's validator: every `has` test and attribute access on the
//! model or the request context must name an attribute the schema declares. Strict validation
//! types `resource has licence` on an undeclared attribute as always false without a word, so
//! a gate written `forbid … when { !(resource has licence) }` silently fires on every model (a
//! blanket deny), and one written `when { resource has licence && … }` never does.

use serde_json::Value;

/// An attribute a policy names that the schema does not declare: the attribute, the path it
/// hangs off (`resource`, `context.git`), and whether it was a `has` test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Undeclared {
    pub on: String,
    pub attr: String,
    pub has: bool,
}

/// The undeclared attributes `policy` (Cedar's JSON policy format) names, against `schema`
/// (Cedar's JSON schema format, namespace `Aims`).
pub(super) fn undeclared(policy: &Value, schema: &Value) -> Vec<Undeclared> {
    let ns = &schema["Aims"];
    let mut found = Vec::new();
    walk(policy, ns, &mut found);
    found.sort_by_key(|u| format!("{}.{}", u.on, u.attr));
    found.dedup();
    found
}

fn walk(node: &Value, ns: &Value, found: &mut Vec<Undeclared>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                if matches!(key.as_str(), "has" | ".")
                    && let (Some(left), Some(attr)) = (value.get("left"), value["attr"].as_str())
                    && let Some((on, ty)) = type_of(left, ns)
                    && let Some(attributes) = record_attributes(&ty, ns)
                    && !attributes.contains_key(attr)
                    && ty["additionalAttributes"].as_bool() != Some(true)
                {
                    found.push(Undeclared {
                        on,
                        attr: attr.to_string(),
                        has: key == "has",
                    });
                }
                walk(value, ns, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, ns, found);
            }
        }
        _ => {}
    }
}

/// The path an expression names (`resource`, `context.git`) and its declared type, when it is
/// the model, the context or an attribute path on them.
fn type_of(expr: &Value, ns: &Value) -> Option<(String, Value)> {
    if let Some(var) = expr["Var"].as_str() {
        return match var {
            "resource" => Some((
                "resource".into(),
                ns["entityTypes"]["Model"]["shape"].clone(),
            )),
            "context" => {
                let actions = ns["actions"].as_object()?;
                let context = actions
                    .values()
                    .find_map(|a| a["appliesTo"].get("context"))?;
                Some(("context".into(), context.clone()))
            }
            _ => None,
        };
    }
    let access = expr.get(".")?;
    let (path, ty) = type_of(access.get("left")?, ns)?;
    let attr = access["attr"].as_str()?;
    let attributes = record_attributes(&ty, ns)?;
    let inner = attributes.get(attr)?.clone();
    Some((format!("{path}.{attr}"), inner))
}

/// The attributes of a record type (resolving a common type's name), or `None` for anything
/// else (an entity, a set, a primitive).
fn record_attributes<'v>(
    ty: &'v Value,
    ns: &'v Value,
) -> Option<&'v serde_json::Map<String, Value>> {
    let common = |name: &str| ns["commonTypes"].get(name.rsplit("::").next().unwrap_or(name));
    let ty = match ty["type"].as_str()? {
        "EntityOrCommon" | "CommonType" => common(ty["name"].as_str()?)?,
        "Record" => ty,
        // A context written as a common type's name: `{"type": "RequestContext"}`.
        other => common(other).unwrap_or(ty),
    };
    (ty["type"].as_str()? == "Record")
        .then(|| ty["attributes"].as_object())
        .flatten()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn schema() -> Value {
        serde_json::json!({"Aims": {
            "commonTypes": {"Ctx": {"type": "Record", "attributes": {
                "git": {"type": "Record", "attributes": {"branch": {"type": "EntityOrCommon", "name": "String"}}}}}},
            "entityTypes": {"Model": {"shape": {"type": "Record", "attributes": {
                "license": {"type": "EntityOrCommon", "name": "String"},
                "data": {"type": "Record", "attributes": {"source_count": {"type": "EntityOrCommon", "name": "Long"}}}}}}},
            "actions": {"release": {"appliesTo": {"context": {"type": "Ctx"}}}}}})
    }

    fn policy(text: &str) -> Value {
        text.parse::<cedar_policy::Policy>()
            .unwrap()
            .to_json()
            .unwrap()
    }

    #[test]
    fn has_on_an_undeclared_attribute_is_found() {
        let p = policy(
            "forbid (principal, action, resource) when { !(resource has licence) && resource has license && context has git && context.git has brnch && resource.data has sources };",
        );
        let found = undeclared(&p, &schema());
        let names: Vec<String> = found
            .iter()
            .map(|u| format!("{}.{}", u.on, u.attr))
            .collect();
        assert_eq!(
            names,
            [
                "context.git.brnch",
                "resource.data.sources",
                "resource.licence"
            ]
        );
        assert!(found.iter().all(|u| u.has));
    }
}
