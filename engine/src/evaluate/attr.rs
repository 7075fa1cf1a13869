//! The values of a Cedar entity's attributes, built two ways from the same builder: as
//! restricted expressions, which Cedar's `Entity::new` interprets (the documented road, used
//! for the request's context and held as the reference by the tests), and as Cedar's values
//! directly, which skips building an expression tree and interpreting it again on every card
//! (about half the cost of a card's entity). Both roads must make the same entity; a test
//! builds every fixture card's entity both ways and compares them.

use std::cell::RefCell;
use std::collections::HashMap;

use cedar_policy::{Entity, EntityUid, RestrictedExpression as Expr};
use cedar_policy_core::ast::{self, PartialValue, Value};

use crate::date::Instant;
use crate::error::EvalError;

/// One attribute's value, however it is built.
pub(super) trait Attr: Sized {
    /// The entity such attributes make: the public one for expressions (Cedar interprets
    /// them), Cedar's own for values (handed to its entity store as they are).
    type Entity;

    fn text(s: &str) -> Self;
    fn long(n: i64) -> Self;
    fn boolean(b: bool) -> Self;
    fn set(items: Vec<Self>) -> Self;
    /// A record of the fields that are present.
    fn record(fields: Vec<(&str, Option<Self>)>) -> Result<Self, EvalError>;
    /// A `datetime` extension value.
    fn datetime(d: Instant) -> Result<Self, EvalError>;
    /// The entity with these attributes, no parents and no tags.
    fn entity(uid: EntityUid, attrs: Vec<(&str, Self)>) -> Result<Self::Entity, EvalError>;

    fn strings(items: &[String]) -> Self {
        Self::set(items.iter().map(|s| Self::text(s)).collect())
    }

    fn count(n: usize) -> Self {
        Self::long(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

fn construction(e: impl std::fmt::Display) -> EvalError {
    EvalError::Request(e.to_string())
}

thread_local! {
    /// `datetime(...)` expressions by instant, per thread: making one re-parses the
    /// constructor's name, and a repository's cards share few dates.
    static DATE_EXPRS: RefCell<HashMap<i64, Expr>> = RefCell::new(HashMap::new());
    /// The same instants as values: interpreting one parses its text.
    static DATE_VALUES: RefCell<HashMap<i64, Value>> = RefCell::new(HashMap::new());
}

/// The entry of `d` in a per-thread cache, made by `make` when absent. Bounded: a run over
/// cards with ever new dates keeps no more than 4,096.
fn cached<T: Clone>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<i64, T>>>,
    d: Instant,
    make: impl FnOnce() -> Result<T, EvalError>,
) -> Result<T, EvalError> {
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= 4096 {
            cache.clear();
        }
        if let Some(v) = cache.get(&d.millis()) {
            return Ok(v.clone());
        }
        let v = make()?;
        cache.insert(d.millis(), v.clone());
        Ok(v)
    })
}

impl Attr for Expr {
    type Entity = Entity;

    fn text(s: &str) -> Self {
        Expr::new_string(s.to_string())
    }

    fn long(n: i64) -> Self {
        Expr::new_long(n)
    }

    fn boolean(b: bool) -> Self {
        Expr::new_bool(b)
    }

    fn set(items: Vec<Self>) -> Self {
        Expr::new_set(items)
    }

    fn record(fields: Vec<(&str, Option<Self>)>) -> Result<Self, EvalError> {
        Expr::new_record(
            fields
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_string(), v))),
        )
        .map_err(construction)
    }

    fn datetime(d: Instant) -> Result<Self, EvalError> {
        cached(&DATE_EXPRS, d, || Ok(Expr::new_datetime(d.to_cedar())))
    }

    fn entity(uid: EntityUid, attrs: Vec<(&str, Self)>) -> Result<Entity, EvalError> {
        let attrs: HashMap<String, Expr> =
            attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Entity::new(uid, attrs, std::collections::HashSet::new()).map_err(construction)
    }
}

impl Attr for Value {
    type Entity = ast::Entity;

    fn text(s: &str) -> Self {
        Value::from(s)
    }

    fn long(n: i64) -> Self {
        Value::from(n)
    }

    fn boolean(b: bool) -> Self {
        Value::from(b)
    }

    fn set(items: Vec<Self>) -> Self {
        Value::set(items, None)
    }

    /// Strings are literals: Cedar's set of literals is made from them directly, without first
    /// sorting them apart from values that are not (the same set, one sort fewer).
    fn strings(items: &[String]) -> Self {
        Value::set_of_lits(
            items
                .iter()
                .map(|s| ast::Literal::String(s.as_str().into())),
            None,
        )
    }

    fn record(fields: Vec<(&str, Option<Self>)>) -> Result<Self, EvalError> {
        // Written in the order of their names, which Cedar's map sorts them into: its sort
        // then finds them in order (debug builds, the tests among them, hold the order).
        debug_assert!(
            fields.windows(2).all(|w| w[0].0 < w[1].0),
            "a record's fields out of order: {:?}",
            fields.iter().map(|f| f.0).collect::<Vec<_>>()
        );
        Ok(Value::record(
            fields.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))),
            None,
        ))
    }

    /// Interpreted by Cedar from its expression once per instant and thread.
    fn datetime(d: Instant) -> Result<Self, EvalError> {
        cached(&DATE_VALUES, d, || {
            let uid = EntityUid::from_type_name_and_id(
                "Aims::Date".parse().map_err(construction)?,
                cedar_policy::EntityId::new("d"),
            );
            let entity = <Expr as Attr>::entity(uid, vec![("d", <Expr as Attr>::datetime(d)?)])?;
            match entity.as_ref().get("d") {
                Some(PartialValue::Value(v)) => Ok(v.clone()),
                _ => Err(EvalError::Request(format!(
                    "internal: the datetime of {} did not interpret to a value",
                    d.to_cedar()
                ))),
            }
        })
    }

    fn entity(uid: EntityUid, mut attrs: Vec<(&str, Self)>) -> Result<ast::Entity, EvalError> {
        // Cedar keeps attributes in a map it builds by sorting them; sorted here first (by
        // their names, stably, so a repeated name keeps the last value as the map would),
        // its sort finds them in order at the cost of one comparison each.
        attrs.sort_by(|a, b| a.0.cmp(b.0));
        Ok(ast::Entity::new_with_attr_partial_value(
            uid.into(),
            attrs
                .into_iter()
                .map(|(k, v)| (k.into(), PartialValue::Value(v))),
            Default::default(),
            Default::default(),
            [],
        ))
    }
}
