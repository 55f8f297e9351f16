//! validator's rules as field errors, for the body parser: the rules live
//! in `crate::domain::validation`, shared with the commands.

pub use crate::domain::validation::field_errors as flatten_validation;
pub(super) use crate::domain::validation::field_errors_within as flatten_errors;
