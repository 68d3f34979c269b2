//! A nullable `DOUBLE PRECISION` parameter that PostgreSQL always receives as `float8`.
//!
//! sqlx 0.9.0's `Any` driver sends a `None::<f64>` to PostgreSQL as a `float4` NULL (its
//! mapping of typed NULLs swaps `Real` and `Double`). PostgreSQL keeps the parameter types of
//! the first execution of a prepared statement on a connection, so an insert whose first
//! latitude was absent is prepared with a `float4` parameter, and every later latitude of that
//! connection — eight bytes of `float8` — is refused with "incorrect binary data format in bind
//! parameter". [`Coordinate`] sends its NULL as the kind the driver maps to `float8`, so the
//! statement is typed right whichever value comes first. SQLite ignores a NULL's type.

use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::{Database, Type};

/// An optional `f64` bound as a `float8` value or a `float8` NULL (see the module).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Coordinate(pub(crate) Option<f64>);

impl Type<Any> for Coordinate {
    fn type_info() -> AnyTypeInfo {
        <f64 as Type<Any>>::type_info()
    }
}

impl Encode<'_, Any> for Coordinate {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        match self.0 {
            Some(v) => <f64 as Encode<'_, Any>>::encode_by_ref(&v, buf),
            // A NULL of kind `Real` (an `f32`'s) is what sqlx 0.9.0 turns into a `float8` NULL
            // on PostgreSQL.
            None => <Option<f32> as Encode<'_, Any>>::encode_by_ref(&None, buf),
        }
    }
}
