//! The keys a `governance` block may hold, and what to say about one it may not.
//!
//! An unknown key is an error, never ignored: beside a lenient default (`direction` is
//! `at_most` when unsaid), a misspelled or look-alike key (`dіrection` with a Cyrillic `і`,
//! `direction` followed by a zero-width space) would silently turn a failing result into a
//! passing one. The known keys are the ones the engine reads, plus any attribute the pack's
//! schema declares for the model (so a custom pack's attributes are known too).

use std::collections::BTreeMap;

use crate::chars::invisible;
use crate::error::CardError;
use crate::span::Span;
use crate::yaml::{Node, Value};

/// The keys known at one level of the `governance` block, each with the keys known below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    children: BTreeMap<String, Keys>,
    /// Any key is accepted below this level (a record the schema declares as open).
    open: bool,
}

/// The keys the engine reads under `governance`, as `path: [keys]` (a `[]` segment stands for the
/// items of a list).
const ENGINE: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "id",
            "version",
            "owner",
            "risk_tier",
            "intended_use",
            "out_of_scope_uses",
            "impact_assessment",
            "bias_tests",
            "data",
            "human_oversight",
            "monitoring",
            "incident_contact",
            "suppliers",
            "acceptance_criteria",
            "compute",
            "logging",
            "documentation",
        ],
    ),
    (
        "impact_assessment",
        &["status", "reference", "approved_by", "approved_on"],
    ),
    (
        "bias_tests",
        &[
            "model_version",
            "evaluated_on",
            "protected_attributes",
            "results",
        ],
    ),
    (
        "bias_tests.results.[]",
        &["metric", "group", "value", "threshold", "direction"],
    ),
    ("data", &["sources", "privacy_assessment"]),
    (
        "data.sources.[]",
        &[
            "name",
            "provenance",
            "personal_data",
            "dataset",
            "purpose",
            "acquisition",
            "terms",
            "quality_checks",
            "preparation",
        ],
    ),
    ("monitoring", &["plan", "owner"]),
    (
        "suppliers.[]",
        &[
            "name",
            "provides",
            "assessment",
            "assessed_on",
            "responsibilities",
        ],
    ),
    (
        "acceptance_criteria.[]",
        &["metric", "dataset", "threshold", "direction"],
    ),
    ("compute", &["training", "inference"]),
    ("logging", &["events", "retention"]),
    (
        "documentation",
        &[
            "model_details",
            "uses",
            "bias_risks_limitations",
            "how_to_get_started",
            "training_details",
            "evaluation",
        ],
    ),
];

/// Attributes the engine derives: a card may not write them (the engine's value would win, and
/// a reader of the card would be misled).
pub const DERIVED: &[&str] = &[
    "age_days",
    "result_count",
    "failing_metrics",
    "passed",
    "source_count",
    "sources_without_provenance",
    "uses_personal_data",
    "sources_without_purpose",
    "sources_without_acquisition",
    "sources_without_quality_checks",
    "sources_without_preparation",
    "met",
    "undocumented_datasets",
    "unassessed_base_models",
    "suppliers_without_responsibilities",
    "metrics_without_criteria",
    "unmet_criteria",
    "documented_sections",
];

/// Model attributes that are not `governance` keys (the card's path and id, Hugging Face keys,
/// derived facts).
pub const NOT_GOVERNANCE: &[&str] = &[
    "id",
    "path",
    "has_governance",
    "tag_version",
    "license",
    "datasets",
    "base_model",
    "license_name",
    "license_link",
    "performance_metric_count",
];

impl Keys {
    /// The keys the engine reads.
    pub fn engine() -> Keys {
        let mut keys = Keys::default();
        for (path, names) in ENGINE {
            let node = keys.at_mut(path);
            for n in *names {
                node.children.entry((*n).to_string()).or_default();
            }
        }
        keys
    }

    /// The engine's keys and every attribute the schema (in Cedar's JSON schema format)
    /// declares for `Aims::Model`, but the derived ones and those that are not `governance` keys.
    pub fn with_schema(schema: &serde_json::Value) -> Keys {
        let mut keys = Keys::engine();
        let ns = &schema["Aims"];
        let common = &ns["commonTypes"];
        if let Some(attrs) = ns["entityTypes"]["Model"]["shape"]["attributes"].as_object() {
            for (name, ty) in attrs {
                if !NOT_GOVERNANCE.contains(&name.as_str()) && !DERIVED.contains(&name.as_str()) {
                    keys.add(name).declare(ty, common, 0);
                }
            }
        }
        keys
    }

    /// Every attribute the schema declares for `Aims::Model`, at every level, derived ones
    /// included: the shape a model entity may have under this schema.
    /// `None` when a type cannot be followed (a record declared outside the `Aims`
    /// namespace): its fields would be cut away, and a gate reading them never fire.
    pub fn model_shape(schema: &serde_json::Value) -> Option<Keys> {
        let mut keys = Keys::default();
        let ns = &schema["Aims"];
        let common = &ns["commonTypes"];
        let attrs = ns["entityTypes"]["Model"]["shape"]["attributes"].as_object()?;
        for (name, ty) in attrs {
            if !resolvable(ty, ns, 0) {
                return None;
            }
            keys.add(name).declare_all(ty, common, 0, true);
        }
        Some(keys)
    }

    /// Keeps, in an entity's attributes as Cedar writes them in JSON, only what this shape
    /// declares, at every level.
    pub fn retain_declared(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map)
                if !map.contains_key("__extn") && !map.contains_key("__entity") =>
            {
                if !self.open {
                    map.retain(|k, _| self.children.contains_key(k));
                }
                for (k, v) in map.iter_mut() {
                    if let Some(shape) = self.children.get(k) {
                        shape.retain_declared(v);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                if let Some(shape) = self.children.get("[]") {
                    for item in items {
                        shape.retain_declared(item);
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds what a schema type declares below this key: a record's attributes, or a set's
    /// items (`[]`) when they are records.
    fn declare(&mut self, ty: &serde_json::Value, common: &serde_json::Value, depth: usize) {
        self.declare_all(ty, common, depth, false);
    }

    /// [`Keys::declare`], with the derived attributes too when `derived`.
    fn declare_all(
        &mut self,
        ty: &serde_json::Value,
        common: &serde_json::Value,
        depth: usize,
        derived: bool,
    ) {
        // Common types may refer to each other; a schema deeper than this is not a card's.
        if depth > 16 {
            return;
        }
        let resolved = match ty["type"].as_str() {
            Some("EntityOrCommon" | "CommonType") => ty["name"]
                .as_str()
                .map(|n| &common[n.rsplit("::").next().unwrap_or(n)]),
            _ => Some(ty),
        };
        let Some(ty) = resolved.filter(|t| !t.is_null()) else {
            return;
        };
        match ty["type"].as_str() {
            Some("Record") => {
                if ty["additionalAttributes"].as_bool() == Some(true) {
                    self.open();
                }
                for (name, attr) in ty["attributes"].as_object().into_iter().flatten() {
                    if derived || !DERIVED.contains(&name.as_str()) {
                        self.add(name).declare_all(attr, common, depth + 1, derived);
                    }
                }
            }
            Some("Set") => {
                let element = &ty["element"];
                let mut items = Keys::default();
                items.declare_all(element, common, depth + 1, derived);
                if !items.children.is_empty() || items.open {
                    let slot = self.add("[]");
                    slot.open |= items.open;
                    slot.children.extend(items.children);
                }
            }
            _ => {}
        }
    }

    fn at_mut(&mut self, path: &str) -> &mut Keys {
        let mut node = self;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            node = node.children.entry(part.to_string()).or_default();
        }
        node
    }

    /// Adds `key` at this level (with nothing known below it yet) and returns it.
    pub fn add(&mut self, key: &str) -> &mut Keys {
        self.children.entry(key.to_string()).or_default()
    }

    /// Marks this level as accepting any key.
    pub fn open(&mut self) {
        self.open = true;
    }

    /// The keys known below `key`, when `key` is known here.
    pub fn child(&self, key: &str) -> Option<&Keys> {
        self.children.get(key)
    }

    /// Whether `key` may stand at this level.
    pub fn knows(&self, key: &str) -> bool {
        self.open || self.children.contains_key(key)
    }

    /// The sentence that says why `key` may not stand here: the nearest known key, and whether
    /// `key` is a look-alike of it.
    pub fn unknown(&self, key: &str, block: &str) -> String {
        let shown = escape(key);
        let skeleton = skeleton(key);
        let exact = self.children.keys().find(|k| **k == skeleton);
        if let Some(k) = exact {
            return format!(
                "`{shown}` in `{block}` is not `{k}`: it looks like it but has {}",
                lookalike_reason(key)
            );
        }
        let near = self
            .children
            .keys()
            .map(|k| (strsim::levenshtein(&skeleton, k), k))
            .filter(|(d, k)| *d <= (k.len() / 3).max(2))
            .min();
        match near {
            Some((_, k)) => {
                format!("`{shown}` in `{block}` is not a known key: did you mean `{k}`?")
            }
            None => format!(
                "`{shown}` in `{block}` is not a known key (known: {})",
                self.children
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Checks every key of `node` (a mapping at `path`, such as `governance`) against `keys`, and
/// below it every mapping and list item whose keys are known, adding an error per unknown key.
pub fn check(node: &Node, keys: &Keys, path: &str, errors: &mut Vec<(Span, CardError)>) {
    keys.check_map(node, &|out: &mut String| out.push_str(path), errors);
}

/// Writes where a value stands (`governance.data.sources[0]`): called only for a message, so
/// a card without an unknown key never writes its paths.
type At<'a> = &'a dyn Fn(&mut String);

impl Keys {
    fn check_map(&self, node: &Node, at: At<'_>, errors: &mut Vec<(Span, CardError)>) {
        let Value::Map(entries) = &node.value else {
            return;
        };
        for e in entries {
            // One look-up: a key is known when it is a child, or when any key is (`open`).
            let below = self.children.get(&e.key);
            if below.is_none() && !self.open {
                let mut path = String::new();
                at(&mut path);
                errors.push((e.key_span, CardError::Key(self.unknown(&e.key, &path))));
            } else if let Some(below) = below {
                below.check_value(
                    &e.value,
                    &|out| {
                        at(out);
                        out.push('.');
                        out.push_str(&e.key)
                    },
                    errors,
                );
            }
        }
    }

    /// Checks a value whose key is known: a mapping when keys are known below it, the items of a
    /// list when its items' keys are.
    fn check_value(&self, value: &Node, at: At<'_>, errors: &mut Vec<(Span, CardError)>) {
        match &value.value {
            _ if self.open => {}
            Value::Map(_) if !self.children.is_empty() && !self.children.contains_key("[]") => {
                self.check_map(value, at, errors);
            }
            Value::Seq(items) => {
                let Some(item_keys) = self.children.get("[]") else {
                    return;
                };
                for (i, item) in items.iter().enumerate() {
                    let here = |out: &mut String| {
                        at(out);
                        out.push_str(&format!("[{i}]"));
                    };
                    item_keys.check_map(item, &here, errors);
                }
            }
            _ => {}
        }
    }
}

/// The ASCII letter a look-alike letter from another script passes for.
fn confusable(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic.
        'а' | 'А' => 'a',
        'в' | 'В' => 'b',
        'е' | 'Е' | 'ё' | 'Ё' => 'e',
        'о' | 'О' => 'o',
        'р' | 'Р' => 'p',
        'с' | 'С' => 'c',
        'у' | 'У' => 'y',
        'х' | 'Х' => 'x',
        'і' | 'І' | 'ї' | 'Ї' => 'i',
        'ј' | 'Ј' => 'j',
        'ѕ' | 'Ѕ' => 's',
        'ԁ' => 'd',
        'һ' | 'Һ' => 'h',
        'к' | 'К' => 'k',
        'м' | 'М' => 'm',
        'н' | 'Н' => 'h',
        'т' | 'Т' => 't',
        'ո' => 'n',
        'ԛ' => 'q',
        'ԝ' => 'w',
        // Greek.
        'α' | 'Α' => 'a',
        'β' | 'Β' => 'b',
        'ε' | 'Ε' => 'e',
        'ι' | 'Ι' => 'i',
        'κ' | 'Κ' => 'k',
        'ν' | 'Ν' => 'v',
        'ο' | 'Ο' => 'o',
        'ρ' | 'Ρ' => 'p',
        'τ' | 'Τ' => 't',
        'υ' | 'Υ' => 'u',
        'χ' | 'Χ' => 'x',
        'Ζ' => 'z',
        'Η' => 'h',
        'Μ' => 'm',
        // Latin look-alikes.
        'ı' => 'i',
        'ɡ' => 'g',
        'ɑ' => 'a',
        'ℓ' => 'l',
        '\u{FF21}'..='\u{FF3A}' => char::from(b'a' + (c as u32 - 0xFF21) as u8),
        '\u{FF41}'..='\u{FF5A}' => char::from(b'a' + (c as u32 - 0xFF41) as u8),
        '\u{FF3F}' => '_',
        _ => return None,
    })
}

/// What a key reads as once invisible characters are dropped, look-alike letters from other
/// scripts replaced by the ASCII letters they pass for, accents dropped from Latin letters, and
/// everything lower-cased.
pub fn skeleton(key: &str) -> String {
    // Nothing ASCII is invisible, a look-alike or accented: the common case, without the tables.
    if key.is_ascii() {
        return key.trim().to_ascii_lowercase();
    }
    key.chars()
        .filter(|c| !invisible(*c))
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .map(|c| {
            confusable(c)
                .or_else(|| plain_latin(c))
                .unwrap_or(c)
                .to_ascii_lowercase()
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The base letter of an accented Latin-1 or Latin Extended-A letter.
fn plain_latin(c: char) -> Option<char> {
    const TABLE: &[(&str, char)] = &[
        ("àáâãäåāăą", 'a'),
        ("ÀÁÂÃÄÅĀĂĄ", 'a'),
        ("çćĉċč", 'c'),
        ("ÇĆĈĊČ", 'c'),
        ("ďđ", 'd'),
        ("èéêëēĕėęě", 'e'),
        ("ÈÉÊËĒĔĖĘĚ", 'e'),
        ("ĝğġģ", 'g'),
        ("ìíîïĩīĭįİ", 'i'),
        ("ÌÍÎÏĨĪĬĮ", 'i'),
        ("ñńņňŉ", 'n'),
        ("ÑŃŅŇ", 'n'),
        ("òóôõöøōŏő", 'o'),
        ("ÒÓÔÕÖØŌŎŐ", 'o'),
        ("ŕŗř", 'r'),
        ("śŝşš", 's'),
        ("ŚŜŞŠ", 's'),
        ("ţťŧ", 't'),
        ("ùúûüũūŭůűų", 'u'),
        ("ÙÚÛÜŨŪŬŮŰŲ", 'u'),
        ("ýÿ", 'y'),
        ("źżž", 'z'),
    ];
    TABLE
        .iter()
        .find(|(set, _)| set.contains(c))
        .map(|(_, base)| *base)
}

/// Why `key` is not the ASCII key it looks like.
fn lookalike_reason(key: &str) -> String {
    let mut reasons = Vec::new();
    let hidden: Vec<String> = key
        .chars()
        .filter(|c| invisible(*c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    if !hidden.is_empty() {
        reasons.push(format!("invisible characters ({})", hidden.join(", ")));
    }
    let foreign: Vec<String> = key
        .chars()
        .filter(|c| !c.is_ascii() && !invisible(*c))
        .map(|c| format!("`{c}` (U+{:04X})", c as u32))
        .collect();
    if !foreign.is_empty() {
        reasons.push(format!(
            "letters from outside ASCII: {}",
            foreign.join(", ")
        ));
    }
    if key.chars().any(|c| c.is_ascii_uppercase()) {
        reasons.push("upper-case letters (keys are lower case)".into());
    }
    if key.trim() != key {
        reasons.push("white space around it".into());
    }
    if reasons.is_empty() {
        "a different spelling".into()
    } else {
        reasons.join(" and ")
    }
}

/// Whether `key` is not `target` but passes for it (or is a near misspelling of it).
pub fn resembles(key: &str, target: &str) -> bool {
    if key == target {
        return false;
    }
    let s = skeleton(key);
    s == target || crate::chars::within_edits(&s, target, 2)
}

/// `key` with control and invisible characters shown as `\u{…}`, so a message shows what is
/// really there.
pub fn escape(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_control() || invisible(c) {
                format!("\\u{{{:04X}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether every type named in `ty` is one `Keys::declare_all` can follow: a primitive or
/// extension type, an entity type of the namespace, or a common type of the namespace whose
/// own types are.
fn resolvable(ty: &serde_json::Value, ns: &serde_json::Value, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    match ty["type"].as_str() {
        Some("EntityOrCommon" | "CommonType") => {
            let Some(name) = ty["name"].as_str() else {
                return false;
            };
            let local = name.strip_prefix("Aims::").unwrap_or(name);
            if local.contains("::") {
                return name.starts_with("__cedar::");
            }
            let common = &ns["commonTypes"][local];
            if !common.is_null() {
                return resolvable(common, ns, depth + 1);
            }
            matches!(
                local,
                "String" | "Long" | "Bool" | "datetime" | "duration" | "decimal" | "ipaddr"
            ) || !ns["entityTypes"][local].is_null()
        }
        Some("Record") => ty["attributes"]
            .as_object()
            .into_iter()
            .flatten()
            .all(|(_, a)| resolvable(a, ns, depth + 1)),
        Some("Set") => resolvable(&ty["element"], ns, depth + 1),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes_are_named_as_such() {
        let keys = Keys::engine();
        let results = keys
            .child("bias_tests")
            .and_then(|b| b.child("results"))
            .and_then(|r| r.child("[]"))
            .cloned()
            .unwrap_or_default();
        let m = results.unknown("d\u{0456}rection", "results[]");
        assert!(m.contains("is not `direction`"), "{m}");
        assert!(m.contains("U+0456"), "{m}");
        let m = results.unknown("direction\u{200B}", "results[]");
        assert!(m.contains("invisible characters (U+200B)"), "{m}");
        assert!(m.contains("direction\\u{200B}"), "{m}");
        let m = keys.unknown("ownr", "governance");
        assert!(m.contains("did you mean `owner`?"), "{m}");
        let m = keys.unknown("human_oversite", "governance");
        assert!(m.contains("did you mean `human_oversight`?"), "{m}");
        let m = keys.unknown("zzz", "governance");
        assert!(
            m.contains("known: `acceptance_criteria`, `bias_tests`"),
            "{m}"
        );
    }

    #[test]
    fn governance_lookalikes() {
        for k in [
            "Governance",
            "g\u{043E}vernance",
            "governance\u{200B}",
            "govenance",
            "gövernance",
        ] {
            assert!(resembles(k, "governance"), "{k}");
        }
        for k in ["governance", "license", "model-index", "tags"] {
            assert!(!resembles(k, "governance"), "{k}");
        }
    }

    #[test]
    fn a_schema_adds_its_attributes_but_not_derived_ones() {
        let schema = serde_json::json!({"Aims": {
            "commonTypes": {"Item": {"type": "Record", "attributes": {
                "label": {"type": "EntityOrCommon", "name": "String"},
                "passed": {"type": "EntityOrCommon", "name": "Bool"}}}},
            "entityTypes": {"Model": {"shape": {"type": "Record", "attributes": {
                "license": {"type": "EntityOrCommon", "name": "String"},
                "registry": {"type": "Record", "attributes": {
                    "url": {"type": "EntityOrCommon", "name": "String"},
                    "items": {"type": "Set", "element": {"type": "EntityOrCommon", "name": "Item"}}}},
                "age_days": {"type": "EntityOrCommon", "name": "Long"}}}}}}});
        let keys = Keys::with_schema(&schema);
        assert!(keys.knows("owner") && keys.knows("registry"));
        assert!(!keys.knows("license") && !keys.knows("age_days"));
        let registry = keys.child("registry").cloned().unwrap_or_default();
        assert!(registry.knows("url") && registry.knows("items"));
        let items = registry
            .child("items")
            .and_then(|i| i.child("[]"))
            .cloned()
            .unwrap_or_default();
        assert!(items.knows("label") && !items.knows("passed"));
    }
}
