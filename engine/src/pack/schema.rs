//! The embedded schema, converted ahead of time to Cedar's JSON form (it loads in a fraction
//! of the time the text takes to parse), and the conversion `tests/integration/registry.rs` checks.

use cedar_policy::Schema;

use crate::error::PackError;

/// The embedded schema in Cedar's JSON schema format, converted from
/// `policies/aims.cedarschema` (tests/integration/registry.rs keeps it current): it loads in a fraction of
/// the time the schema's text takes to parse, which is most of a one-card run.
const EMBEDDED_SCHEMA_JSON: &str = include_str!("../embedded_schema.json");

/// A schema converted ahead of time, with the SHA-256 of the text it was converted from.
pub(super) struct Precompiled {
    text_sha256: String,
    schema: serde_json::Value,
}

impl Precompiled {
    pub(super) fn embedded() -> Option<Precompiled> {
        let mut doc: serde_json::Value = serde_json::from_str(EMBEDDED_SCHEMA_JSON).ok()?;
        Some(Precompiled {
            text_sha256: doc.get("cedarschema_sha256")?.as_str()?.to_string(),
            schema: doc.get_mut("schema")?.take(),
        })
    }

    /// The schema, if it was converted from exactly `text`; else the text must be parsed.
    pub(super) fn schema_for(self, text: &str) -> Option<(Schema, serde_json::Value)> {
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
    crate::chars::hex(&sha2::Sha256::digest(text.as_bytes()))
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
