//! Query strings (and URL-encoded forms): known parameters parsed with every error reported at once (`422`). Unknown
//! parameters are errors too, as unknown JSON fields are: a misspelt filter must not
//! silently return everything.

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// The parameters of a query string, and the errors found so far.
pub struct QueryFields {
    pairs: Vec<(String, String)>,
    known: Vec<&'static str>,
    errors: Vec<FieldError>,
}

impl QueryFields {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let pairs = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|_| ApiError::invalid_field("query", "is not a valid query string"))?;
        Ok(Self {
            pairs,
            known: Vec::new(),
            errors: Vec::new(),
        })
    }

    /// The last value given for `name`, parsed; `Some(None)` when absent, `None` when invalid.
    pub fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        self.known.push(name);
        let Some((_, raw)) = self.pairs.iter().rev().find(|(key, _)| key == name) else {
            return Some(None);
        };
        // As in JSON bodies: no parameter holds NUL, and PostgreSQL cannot compare with it.
        let parsed = if raw.contains('\0') {
            Err("must not contain NUL characters".to_owned())
        } else {
            parse(raw)
        };
        match parsed {
            Ok(value) => Some(Some(value)),
            Err(message) => {
                self.errors.push(FieldError::new(name, message));
                None
            }
        }
    }

    /// A parameter that must be present.
    pub fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.optional(name, parse) {
            Some(Some(value)) => Some(value),
            Some(None) => {
                self.errors.push(FieldError::new(name, "is required"));
                None
            }
            None => None,
        }
    }

    pub fn finish<T>(mut self, parsed: Option<T>) -> Result<T, ApiError> {
        let mut unknown: Vec<&str> = self
            .pairs
            .iter()
            .map(|(key, _)| key.as_str())
            .filter(|key| !self.known.contains(key))
            .collect();
        unknown.dedup();
        for key in unknown {
            self.errors
                .push(FieldError::new(key, "is not a known parameter"));
        }
        match parsed {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(ApiError::Validation(self.errors)),
        }
    }
}

/// Field parser: an integer within `min..=max`.
pub fn integer_in(min: i64, max: i64) -> impl FnOnce(&str) -> Result<i64, String> {
    move |raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                if max == i64::MAX {
                    format!("must be an integer of at least {min}")
                } else {
                    format!("must be an integer from {min} to {max}")
                }
            })
    }
}

/// `limit` and `offset` of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Pagination {
    /// How many items to return.
    #[param(required = false, minimum = 1, maximum = 100, default = 20)]
    pub limit: i64,
    /// How many items to skip.
    #[param(required = false, minimum = 0, default = 0)]
    pub offset: i64,
}

impl Pagination {
    pub fn from_fields(fields: &mut QueryFields) -> Option<Self> {
        let limit = fields.optional("limit", integer_in(1, MAX_LIMIT));
        let offset = fields.optional("offset", integer_in(0, i64::MAX));
        Some(Self {
            limit: limit?.unwrap_or(DEFAULT_LIMIT),
            offset: offset?.unwrap_or(0),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Pagination {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .unwrap_or(RawQuery(None));
        let mut fields = QueryFields::parse(raw.as_deref())?;
        let page = Self::from_fields(&mut fields);
        fields.finish(page)
    }
}

/// One page of a list: `{"items": [...], "total": N, "limit": L, "offset": O}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match in all, across every page.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: i64, page: Pagination) -> Self {
        Self {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pagination(raw: &str) -> Result<Pagination, Vec<String>> {
        let mut fields = QueryFields::parse(Some(raw)).unwrap();
        let page = Pagination::from_fields(&mut fields);
        fields.finish(page).map_err(|err| match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("unexpected {other:?}"),
        })
    }

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            pagination(""),
            Ok(Pagination {
                limit: 20,
                offset: 0
            })
        );
        assert_eq!(
            pagination("limit=100&offset=7"),
            Ok(Pagination {
                limit: 100,
                offset: 7
            })
        );
        assert_eq!(
            pagination("limit=0&offset=-1"),
            Err(vec!["limit".into(), "offset".into()])
        );
        assert_eq!(pagination("limit=101"), Err(vec!["limit".into()]));
        assert_eq!(pagination("limit=abc"), Err(vec!["limit".into()]));
        assert_eq!(pagination("limit=5&limt=6"), Err(vec!["limt".into()]));
    }
}
