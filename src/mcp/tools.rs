//! The MCP tools: their names, descriptions, JSON schemas and the scope each needs, and how a
//! call maps onto the todo service. Arguments are parsed by the same field parsers as the
//! HTTP bodies, so a tool refuses exactly what the route refuses, with the same messages.

use std::sync::{Arc, LazyLock};

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};
use utoipa::PartialSchema;
use uuid::Uuid;

use crate::api_keys::Scope;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::client::ClientInfo;
use crate::http::json::{FromJsonFields, JsonFields, from_object, integer_in, string};
use crate::http::query::{DEFAULT_LIMIT, MAX_LIMIT, Pagination};
use crate::state::AppState;
use crate::todos::model::{CreateTodo, StatusFilter, Todo, TodoStats, TodoTitle, UpdateTodo};
use crate::todos::service;

/// What a tool does with the todo service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    Get,
    Create,
    Update,
    Complete,
    Delete,
    Stats,
}

impl Action {
    const ALL: [Self; 7] = [
        Self::List,
        Self::Get,
        Self::Create,
        Self::Update,
        Self::Complete,
        Self::Delete,
        Self::Stats,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::List => "list_todos",
            Self::Get => "get_todo",
            Self::Create => "create_todo",
            Self::Update => "update_todo",
            Self::Complete => "complete_todo",
            Self::Delete => "delete_todo",
            Self::Stats => "todo_stats",
        }
    }

    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.name() == name)
    }

    fn scope(self) -> Scope {
        match self {
            Self::List | Self::Get | Self::Stats => Scope::TodosRead,
            Self::Create | Self::Update | Self::Complete | Self::Delete => Scope::TodosWrite,
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::List => {
                "List the user's todos, newest first, one page at a time. `status_filter` picks \
                 all (default), active or completed ones; `total` says how many match in all."
            }
            Self::Get => "Read one of the user's todos by its id.",
            Self::Create => {
                "Add a todo to the user's list. The title is trimmed and must be 1 to 500 \
                 characters; it is stored exactly as given."
            }
            Self::Update => {
                "Change a todo's title and/or whether it is completed (at least one of the two)."
            }
            Self::Complete => "Mark a todo as completed.",
            Self::Delete => "Delete one of the user's todos for good.",
            Self::Stats => "Count the user's todos: in all, active and completed.",
        }
    }

    fn input_schema(self) -> Value {
        let id = json!({"type": "string", "format": "uuid", "description": "The todo's id"});
        let title = json!({
            "type": "string", "minLength": 1, "maxLength": 500, "pattern": "\\S",
            "description": "Trimmed; 1 to 500 characters"
        });
        let (properties, required): (Value, &[&str]) = match self {
            Self::List => (
                json!({
                    "status_filter": {"type": "string", "enum": ["all", "active", "completed"],
                        "default": "all"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                        "default": DEFAULT_LIMIT},
                    "offset": {"type": "integer", "minimum": 0, "default": 0},
                }),
                &[],
            ),
            Self::Get | Self::Complete | Self::Delete => (json!({ "id": id }), &["id"]),
            Self::Create => (json!({ "title": title }), &["title"]),
            Self::Update => (
                json!({"id": id, "title": title, "completed": {"type": "boolean"}}),
                &["id"],
            ),
            Self::Stats => (json!({}), &[]),
        };
        json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }

    fn output_schema(self) -> Value {
        match self {
            Self::List => json!({
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": schema_of::<Todo>()},
                    "total": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "offset": {"type": "integer"},
                },
                "required": ["items", "total", "limit", "offset"],
            }),
            Self::Get | Self::Create | Self::Update | Self::Complete => schema_of::<Todo>(),
            Self::Delete => json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "deleted": {"type": "boolean", "const": true},
                },
                "required": ["id", "deleted"],
            }),
            Self::Stats => schema_of::<TodoStats>(),
        }
    }

    fn annotations(self) -> ToolAnnotations {
        let read_only = matches!(self, Self::List | Self::Get | Self::Stats);
        ToolAnnotations::from_raw(
            None,
            Some(read_only),
            Some(self == Self::Delete),
            Some(!matches!(self, Self::Create)),
            // The tools touch only this server's data.
            Some(false),
        )
    }

    fn tool(self) -> Tool {
        Tool::new(self.name(), self.description(), object(self.input_schema()))
            .with_raw_output_schema(object(self.output_schema()))
            .with_annotations(self.annotations())
    }
}

/// The JSON schema the OpenAPI document gives `T`: one description of a todo for both.
fn schema_of<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).expect("a schema serialises")
}

fn object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("tool schemas are objects"),
    }
}

/// Every tool, built once.
pub fn all() -> &'static [Tool] {
    static TOOLS: LazyLock<Vec<Tool>> =
        LazyLock::new(|| Action::ALL.into_iter().map(Action::tool).collect());
    &TOOLS
}

/// Run a tool for the caller: the structured result, or the error to show the caller.
pub async fn call(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    action: Action,
    arguments: Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require(action.scope(), state, client).await?;
    let user_id = caller.user_id;
    let value = match action {
        Action::List => {
            let ListArgs { status, page } = from_object(arguments)?;
            to_value(&service::list(state, user_id, status, page).await?)
        }
        Action::Get => {
            let IdArg(id) = from_object(arguments)?;
            to_value(&service::get(state, user_id, id).await?)
        }
        Action::Create => {
            let CreateArgs(request) = from_object(arguments)?;
            to_value(&service::create(state, user_id, &request).await?)
        }
        Action::Update => {
            let UpdateArgs { id, update } = from_object(arguments)?;
            to_value(&service::update(state, user_id, id, &update).await?)
        }
        Action::Complete => {
            let IdArg(id) = from_object(arguments)?;
            let update = UpdateTodo {
                title: None,
                completed: Some(true),
            };
            to_value(&service::update(state, user_id, id, &update).await?)
        }
        Action::Delete => {
            let IdArg(id) = from_object(arguments)?;
            service::delete(state, user_id, id).await?;
            json!({"id": id, "deleted": true})
        }
        Action::Stats => {
            let NoArgs = from_object(arguments)?;
            to_value(&service::stats(state, user_id).await?)
        }
    };
    Ok(value)
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("responses serialise")
}

/// A todo id. One that is not a UUID names no todo, as on the HTTP routes.
fn todo_id(value: Value) -> Result<Uuid, String> {
    Uuid::parse_str(&string(value)?).map_err(|_| "must be a todo's id (a UUID)".to_owned())
}

struct ListArgs {
    status: StatusFilter,
    page: Pagination,
}

impl FromJsonFields for ListArgs {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let status = fields.optional("status_filter", |value| {
            StatusFilter::parse(&string(value)?)
        });
        let limit = fields.optional("limit", integer_in(1, MAX_LIMIT));
        let offset = fields.optional("offset", integer_in(0, i64::MAX));
        Some(Self {
            status: status?.unwrap_or_default(),
            page: Pagination {
                limit: limit?.unwrap_or(DEFAULT_LIMIT),
                offset: offset?.unwrap_or(0),
            },
        })
    }
}

struct IdArg(Uuid);

impl FromJsonFields for IdArg {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        fields.required("id", todo_id).map(Self)
    }
}

struct CreateArgs(CreateTodo);

impl FromJsonFields for CreateArgs {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let title = fields.required("title", TodoTitle::parse)?;
        Some(Self(CreateTodo {
            title,
            completed: false,
        }))
    }
}

struct UpdateArgs {
    id: Uuid,
    update: UpdateTodo,
}

impl FromJsonFields for UpdateArgs {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let id = fields.required("id", todo_id);
        let update = UpdateTodo::from_fields(fields);
        Some(Self {
            id: id?,
            update: update?,
        })
    }
}

struct NoArgs;

impl FromJsonFields for NoArgs {
    fn from_fields(_: &mut JsonFields) -> Option<Self> {
        Some(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_for_input_and_output() {
        assert_eq!(all().len(), 7);
        for tool in all() {
            assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
            let output = tool.output_schema.as_ref().expect("structured output");
            assert_eq!(output["type"], "object", "{}", tool.name);
            assert_eq!(
                Action::named(&tool.name).map(Action::name),
                Some(&*tool.name)
            );
        }
    }

    #[test]
    fn arguments_are_checked_like_request_bodies() {
        let parse = |value: Value| {
            let Value::Object(map) = value else { panic!() };
            from_object::<UpdateArgs>(map).err()
        };
        let Some(ApiError::Validation(errors)) = parse(json!({"id": "nope", "colour": 1})) else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["id", "body", "colour"]);
        let id = Uuid::now_v7().to_string();
        assert!(parse(json!({"id": id, "completed": true})).is_none());
    }
}
