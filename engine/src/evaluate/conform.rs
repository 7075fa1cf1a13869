//! A pack whose schema is older than the engine (copied by an earlier `init --policies`) still
//! judges cards after an upgrade: the model entity keeps only the attributes that schema
//! declares. Only for a pack none of whose policies names an attribute its schema does not
//! declare (the attribute lint, see `pack::load`): what is dropped is then read by no policy
//! of the pack, where a `has` on it would otherwise turn false and a gate silently never fire.
//! A schema that declares an attribute with another type than the engine builds is still an
//! error.

use cedar_policy::{Entity, Schema};

use crate::card::Keys;
use crate::error::EvalError;

/// `entity` with only the attributes `shape` declares, checked against `schema`.
pub(super) fn fit(entity: &Entity, shape: &Keys, schema: &Schema) -> Result<Entity, EvalError> {
    let mut json = entity
        .to_json_value()
        .map_err(|e| EvalError::Request(format!("cannot write the model entity: {e}")))?;
    if let Some(attrs) = json.get_mut("attrs") {
        shape.retain_declared(attrs);
    }
    Entity::from_json_value(json, Some(schema)).map_err(|e| {
        EvalError::Request(format!(
            "the card does not fit the policy pack's schema: {e}"
        ))
    })
}
