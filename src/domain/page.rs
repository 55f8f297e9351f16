//! Keyset pagination: a limit (default 50, at most 500) and an opaque
//! cursor, answered as `{"items": [...], "next_cursor": "..."|null}`. The
//! API and the pages page alike.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::{FieldError, Refusal};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// The sort key of the last item on the previous page.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, Refusal> {
        let mut errors = Vec::new();
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match cursor {
            None => None,
            Some(cursor) => match decode_cursor(cursor) {
                Some(key) => Some(key),
                None => {
                    errors.push(FieldError::new(
                        "cursor",
                        "is not a cursor this service gave out",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Self { limit, after })
        } else {
            Err(Refusal::Invalid(errors))
        }
    }

    /// How many rows to fetch: one more than the page, to know if another follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds the page from up to `limit + 1` rows fetched in key order.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> String) -> Self {
        let limit = request.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

const CURSOR_PREFIX: &str = "k1:";

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

pub fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(CURSOR_PREFIX).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_forgeries() {
        let cursor = encode_cursor("ghana-return-desk");
        assert_eq!(decode_cursor(&cursor).as_deref(), Some("ghana-return-desk"));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("x")), None);
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(
            PageRequest::parse(None, None).ok().map(|p| p.limit),
            Some(50)
        );
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(501), None).is_err());
        assert!(PageRequest::parse(Some(500), None).is_ok());
    }

    #[test]
    fn a_full_page_points_to_the_next() {
        let request = PageRequest::parse(Some(2), None).expect("valid");
        let page = Page::from_rows(vec!["a", "b", "c"], &request, |s| s.to_string());
        assert_eq!(page.items, ["a", "b"]);
        assert_eq!(
            page.next_cursor
                .as_deref()
                .and_then(decode_cursor)
                .as_deref(),
            Some("b")
        );
        let last = Page::from_rows(vec!["c"], &request, |s| s.to_string());
        assert_eq!(last.next_cursor, None);
    }
}
