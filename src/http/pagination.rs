//! Pagination for the API: the rules live in `crate::domain::page`.

pub use crate::domain::page::{
    DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, decode_cursor, encode_cursor,
};
