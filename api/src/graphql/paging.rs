//! Keyset paging, written once for every connection: the page size a client may ask for, the
//! one-row-more fetch that tells whether a next page exists, and the cursors of pages ordered
//! by a time and an id.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ApiError;

/// How many rows a connection returns: `first` when given, never more than `max`.
#[derive(Debug, Clone, Copy)]
pub struct PageSize {
    pub default: usize,
    pub max: usize,
}

impl PageSize {
    /// Queues, boards and lists.
    pub const STANDARD: Self = Self { default: 20, max: 100 };
    /// The audit screens, read in longer runs.
    pub const AUDIT: Self = Self { default: 50, max: 200 };

    /// One page: `fetch(limit)` is asked for one row more than the page holds, so the extra
    /// row (dropped) says whether there is a next page. Returns the rows and that answer.
    pub async fn fetch<T, E, F>(self, first: Option<usize>, fetch: impl FnOnce(i64) -> F) -> Result<Page<T>, ApiError>
    where
        F: Future<Output = Result<Vec<T>, E>>,
        ApiError: From<E>,
    {
        let limit = first.unwrap_or(self.default).min(self.max);
        let mut rows = fetch(limit as i64 + 1).await.map_err(ApiError::from)?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        Ok(Page { rows, has_next })
    }
}

/// The rows of one page and whether more follow.
#[derive(Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next: bool,
}

/// What a malformed cursor is answered with.
pub fn invalid_cursor() -> ApiError {
    ApiError::new("INVALID_CURSOR", "Cursor halaman tidak valid.")
}

/// The cursor of a page ordered by a time (possibly none: e.g. a stopped due time) and an id:
/// `<RFC 3339>|<uuid>`, the time empty when there is none.
pub fn encode_time_cursor(at: Option<DateTime<Utc>>, id: Uuid) -> String {
    format!("{}|{id}", at.map(|t| t.to_rfc3339()).unwrap_or_default())
}

/// Reads [`encode_time_cursor`]'s form back.
pub fn decode_time_cursor(cursor: &str) -> Result<(Option<DateTime<Utc>>, Uuid), ApiError> {
    let (at, id) = cursor.split_once('|').ok_or_else(invalid_cursor)?;
    let at = if at.is_empty() {
        None
    } else {
        Some(DateTime::parse_from_rfc3339(at).map_err(|_| invalid_cursor())?.with_timezone(&Utc))
    };
    Ok((at, Uuid::parse_str(id).map_err(|_| invalid_cursor())?))
}

/// [`decode_time_cursor`] for pages whose time is always there.
pub fn decode_timed_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    match decode_time_cursor(cursor)? {
        (Some(at), id) => Ok((at, id)),
        (None, _) => Err(invalid_cursor()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_row_more_than_the_page_says_there_is_a_next_page() -> Result<(), ApiError> {
        let rows = |n: i64| async move { Ok::<_, ApiError>((0..n.min(25)).collect::<Vec<i64>>()) };
        let page = PageSize::STANDARD.fetch(Some(10), rows).await?;
        assert_eq!((page.rows.len(), page.has_next), (10, true));
        let page = PageSize::STANDARD.fetch(None, rows).await?;
        assert_eq!((page.rows.len(), page.has_next), (20, true));
        let page = PageSize::STANDARD.fetch(Some(1000), rows).await?;
        assert_eq!((page.rows.len(), page.has_next), (25, false), "at most 100 asked, 25 there");
        Ok(())
    }

    #[test]
    fn time_cursors_read_back_and_garbage_is_refused() {
        let id = Uuid::from_u128(7);
        let at = DateTime::parse_from_rfc3339("2026-11-23T02:00:00Z").map(|t| t.with_timezone(&Utc)).ok();
        assert_eq!(decode_time_cursor(&encode_time_cursor(at, id)).ok(), Some((at, id)));
        assert_eq!(decode_time_cursor(&encode_time_cursor(None, id)).ok(), Some((None, id)));
        assert!(decode_timed_cursor(&encode_time_cursor(None, id)).is_err());
        for bad in ["", "x", "2026|y", "|not-a-uuid"] {
            assert_eq!(decode_time_cursor(bad).err().map(|e| e.code), Some("INVALID_CURSOR"), "{bad:?}");
        }
    }
}
