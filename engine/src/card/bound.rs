//! How a measured value compares with its threshold: the rule shared by bias results and
//! acceptance criteria.

use super::decimal::Decimal;
use super::governance::name_of;

/// How a value (a bias result, a metric under an acceptance criterion) compares with its
/// threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Passes when |value| <= threshold (the default).
    AtMost,
    /// Passes when value >= threshold.
    AtLeast,
}

impl Direction {
    pub(crate) const ALL: &[(&str, Direction)] = &[
        ("at_most", Direction::AtMost),
        ("at_least", Direction::AtLeast),
    ];

    pub fn as_str(self) -> &'static str {
        name_of(Self::ALL, self)
    }

    /// Whether `value` is within `threshold` (each a finite number and its text as written).
    /// Compared exactly as written when both are decimal numbers (`0.10000000000000001` is
    /// more than `0.1`, though both are the same binary float), else as floats.
    pub fn admits(self, value: (f64, &str), threshold: (f64, &str)) -> bool {
        let exact = Decimal::parse(value.1).zip(Decimal::parse(threshold.1));
        match self {
            Direction::AtMost => match exact {
                Some((v, t)) => v.abs().cmp(&t) != std::cmp::Ordering::Greater,
                None => value.0.abs() <= threshold.0,
            },
            Direction::AtLeast => match exact {
                Some((v, t)) => v.cmp(&t) != std::cmp::Ordering::Less,
                None => value.0 >= threshold.0,
            },
        }
    }

    /// The bound in words, for messages.
    pub fn bound(self, threshold: &str) -> String {
        match self {
            Direction::AtMost => format!("|value| must be at most {threshold}"),
            Direction::AtLeast => format!("must be at least {threshold}"),
        }
    }
}
