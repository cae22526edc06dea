//! Paging of the list routes: `limit` (each route has a default and a maximum) and `offset`.
//! The answer stays the JSON array (or CSV) it always was; while more rows follow, a
//! `Link: </api/v1/...?limit=L&offset=N>; rel="next"` header (RFC 8288) points at the next page,
//! so a client follows links until there is none.

use axum::http::header::LINK;
use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use spark_sink::Page;

use super::error::ApiError;

/// A list's `limit`: its default and its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The page size without `limit`.
    pub(crate) default: u32,
    /// The largest `limit`.
    pub(crate) max: u32,
}

/// Nodes, devices and metric catalogues.
pub(crate) const CATALOGUE: Limits = Limits {
    default: 1000,
    max: 10_000,
};

/// The page a request asks for, checked against `limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asked {
    /// Rows to skip.
    pub(crate) offset: u64,
    /// Rows to answer.
    pub(crate) limit: u32,
}

impl Asked {
    /// `limit` and `offset` from the query, defaulted and bounded.
    pub(crate) fn new(
        limit: Option<u32>,
        offset: Option<u64>,
        limits: Limits,
    ) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(limits.default);
        if limit == 0 || limit > limits.max {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {}",
                limits.max
            )));
        }
        let offset = offset.unwrap_or(0);
        if i64::try_from(offset).is_err() {
            return Err(ApiError::bad_request(format!(
                "offset must be at most {}",
                i64::MAX
            )));
        }
        Ok(Asked { offset, limit })
    }

    /// What to ask the store for: one row more than the page, to know whether another follows.
    pub(crate) fn store_page(self) -> Page {
        Page::new(self.offset, self.limit.saturating_add(1))
    }

    /// Cuts `rows` (from [`Asked::store_page`]) to the page; the next page's offset when more
    /// rows follow.
    pub(crate) fn cut<T>(self, mut rows: Vec<T>) -> (Vec<T>, Option<u64>) {
        if rows.len() > self.limit as usize {
            rows.truncate(self.limit as usize);
            (
                rows,
                Some(self.offset.saturating_add(u64::from(self.limit))),
            )
        } else {
            (rows, None)
        }
    }
}

/// `response` with the `Link` header of the next page, when there is one.
pub(crate) fn with_next(
    response: impl IntoResponse,
    uri: &Uri,
    limit: u32,
    next: Option<u64>,
) -> Response {
    let mut response = response.into_response();
    if let Some(next) = next {
        let mut query: Vec<&str> = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| {
                !pair.is_empty() && !pair.starts_with("limit=") && !pair.starts_with("offset=")
            })
            .collect();
        let paging = format!("limit={limit}&offset={next}");
        query.push(&paging);
        let link = format!("<{}?{}>; rel=\"next\"", uri.path(), query.join("&"));
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(LINK, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_defaulted_and_bounded() {
        assert_eq!(
            Asked::new(None, None, CATALOGUE).ok(),
            Some(Asked {
                offset: 0,
                limit: 1000
            })
        );
        assert!(Asked::new(Some(0), None, CATALOGUE).is_err());
        assert!(Asked::new(Some(10_001), None, CATALOGUE).is_err());
        assert!(Asked::new(None, Some(u64::MAX), CATALOGUE).is_err());
    }

    #[test]
    fn one_row_more_tells_whether_a_page_follows() {
        let asked = Asked {
            offset: 4,
            limit: 2,
        };
        assert_eq!(asked.store_page(), Page::new(4, 3));
        assert_eq!(asked.cut(vec![1, 2, 3]), (vec![1, 2], Some(6)));
        assert_eq!(asked.cut(vec![1, 2]), (vec![1, 2], None));
    }

    #[test]
    fn the_next_link_keeps_the_other_parameters() {
        let uri: Uri = "/api/v1/events?kind=online&limit=2&offset=4"
            .parse()
            .unwrap();
        let response = with_next((), &uri, 2, Some(6));
        assert_eq!(
            response.headers()[LINK],
            "</api/v1/events?kind=online&limit=2&offset=6>; rel=\"next\""
        );
        assert!(with_next((), &uri, 2, None).headers().get(LINK).is_none());
    }
}
