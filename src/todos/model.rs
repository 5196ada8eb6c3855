//! Todos as stored, parsed and shown.

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::json::{FromJsonFields, JsonFields, boolean, string};
use crate::http::query::{Pagination, QueryFields};
use crate::time::Timestamp;

const MAX_TITLE_CHARS: usize = 500;

/// A title: trimmed, 1 to 500 characters. Any text is kept exactly (no HTML escaping: the UI
/// renders it as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoTitle(String);

impl TodoTitle {
    pub fn parse(value: Value) -> Result<Self, String> {
        let title = string(value)?;
        let trimmed = title.trim();
        match trimmed.chars().count() {
            1..=MAX_TITLE_CHARS => Ok(Self(trimmed.to_owned())),
            _ => Err(format!(
                "must be 1 to {MAX_TITLE_CHARS} characters after trimming"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A todo as stored and shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Todo)]
pub struct Todo {
    pub id: Uuid,
    #[schema(example = "Buy milk")]
    pub title: String,
    pub completed: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// `POST /api/todos`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateTodo, example = json!({"title": "Buy milk"}))]
pub struct CreateTodoSchema {
    /// Trimmed; 1 to 500 characters, not all whitespace.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub title: String,
    /// Defaults to `false`.
    #[schema(required = false)]
    pub completed: bool,
}

pub struct CreateTodo {
    pub title: TodoTitle,
    pub completed: bool,
}

impl CreateTodo {
    /// What makes two create requests the same, for `Idempotency-Key` replays.
    pub fn fingerprint(&self) -> String {
        serde_json::json!({"title": self.title.as_str(), "completed": self.completed}).to_string()
    }
}

impl FromJsonFields for CreateTodo {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let title = fields.required("title", TodoTitle::parse);
        let completed = fields.optional("completed", boolean);
        Some(Self {
            title: title?,
            completed: completed?.unwrap_or(false),
        })
    }
}

/// `PUT` and `PATCH /api/todos/{id}`: at least one field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateTodo, min_properties = 1, example = json!({"completed": true}))]
pub struct UpdateTodoSchema {
    /// Trimmed; 1 to 500 characters, not all whitespace.
    #[schema(required = false, min_length = 1, max_length = 500, pattern = "\\S")]
    pub title: String,
    #[schema(required = false)]
    pub completed: bool,
}

pub struct UpdateTodo {
    pub title: Option<TodoTitle>,
    pub completed: Option<bool>,
}

impl FromJsonFields for UpdateTodo {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let title = fields.optional("title", TodoTitle::parse);
        let completed = fields.optional("completed", boolean);
        let update = Self {
            title: title?,
            completed: completed?,
        };
        if update.title.is_none() && update.completed.is_none() {
            fields.reject("body", "must change at least one of title and completed");
            return None;
        }
        Some(update)
    }
}

/// Which todos a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    #[default]
    All,
    Active,
    Completed,
}

impl StatusFilter {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "all" => Ok(Self::All),
            "active" => Ok(Self::Active),
            "completed" => Ok(Self::Completed),
            _ => Err("must be one of all, active, completed".to_owned()),
        }
    }
}

/// Query of `GET /api/todos` besides pagination.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TodoFilter {
    /// `all` (default), `active` or `completed`.
    #[param(inline)]
    pub status_filter: Option<StatusFilter>,
}

/// The whole query of `GET /api/todos`, every invalid parameter reported at once.
pub struct ListTodos {
    pub status: StatusFilter,
    pub page: Pagination,
}

impl<S: Send + Sync> FromRequestParts<S> for ListTodos {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .unwrap_or(RawQuery(None));
        let mut fields = QueryFields::parse(raw.as_deref())?;
        let status = fields.optional("status_filter", StatusFilter::parse);
        let page = Pagination::from_fields(&mut fields);
        let query = status.zip(page).map(|(status, page)| Self {
            status: status.unwrap_or_default(),
            page,
        });
        fields.finish(query)
    }
}

/// `GET /api/todos/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TodoStats {
    pub total: i64,
    pub active: i64,
    pub completed: i64,
}

impl TodoStats {
    /// How many todos a list with this filter holds in all.
    pub fn of(&self, status: StatusFilter) -> i64 {
        match status {
            StatusFilter::All => self.total,
            StatusFilter::Active => self.active,
            StatusFilter::Completed => self.completed,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::TodoTitle;

    proptest! {
        #[test]
        fn titles_are_trimmed_and_bounded(raw in "\\PC{0,520}") {
            let trimmed = raw.trim();
            match TodoTitle::parse(Value::from(raw.clone())) {
                Ok(title) => {
                    prop_assert_eq!(title.as_str(), trimmed);
                    prop_assert!((1..=500).contains(&trimmed.chars().count()));
                }
                Err(_) => prop_assert!(!(1..=500).contains(&trimmed.chars().count())),
            }
        }

        #[test]
        fn non_strings_are_never_titles(number in any::<i64>(), flag in any::<bool>()) {
            prop_assert!(TodoTitle::parse(Value::from(number)).is_err());
            prop_assert!(TodoTitle::parse(Value::from(flag)).is_err());
        }
    }
}
