//! The assistant's requests and answers as the API shows them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::json::{FromJsonFields, JsonFields, string};
use crate::todos::model::TodoTitle;

const MAX_TEXT_CHARS: usize = 4000;

/// The text to plan from: trimmed, 1 to 4000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanText(String);

impl PlanText {
    pub fn parse(value: Value) -> Result<Self, String> {
        let text = string(value)?;
        let trimmed = text.trim();
        match trimmed.chars().count() {
            1..=MAX_TEXT_CHARS => Ok(Self(trimmed.to_owned())),
            _ => Err(format!(
                "must be 1 to {MAX_TEXT_CHARS} characters after trimming"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `POST /api/assistant/plan`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanRequest, example = json!({"text": "Dentist on Friday; the car needs its MOT before May; reply to Anna about the offsite."}))]
pub struct PlanRequestSchema {
    /// Notes, an email, a goal: read as data, never as instructions. Trimmed; 1 to 4000
    /// characters.
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    pub text: String,
}

pub struct PlanRequest {
    pub text: PlanText,
}

impl FromJsonFields for PlanRequest {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let text = fields.required("text", PlanText::parse)?;
        Some(Self { text })
    }
}

/// Proposed todos; none is created until the client creates it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"todos": [{"title": "Book the dentist for Friday"}, {"title": "Reply to Anna about the offsite"}]}))]
pub struct Plan {
    pub todos: Vec<ProposedTodo>,
}

/// A proposed todo, valid as the title of a new todo.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedTodo {
    /// Trimmed, 1 to 500 characters: exactly what `POST /api/todos` accepts. Text from a
    /// model: render it as text.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
}

impl From<TodoTitle> for ProposedTodo {
    fn from(title: TodoTitle) -> Self {
        Self {
            title: title.as_str().to_owned(),
        }
    }
}

/// `GET /api/assistant`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssistantStatus {
    /// Whether this server has an assistant configured; when not, `POST /api/assistant/plan`
    /// answers `503` and clients should not offer it.
    pub available: bool,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::PlanText;

    proptest! {
        #[test]
        fn texts_are_trimmed_and_bounded(raw in "\\PC{0,40}", padding in 3990usize..4010) {
            for raw in [raw.clone(), format!("{raw}{}", "y".repeat(padding))] {
                let trimmed = raw.trim();
                let valid = (1..=4000).contains(&trimmed.chars().count());
                match PlanText::parse(Value::from(raw.clone())) {
                    Ok(text) => {
                        prop_assert!(valid);
                        prop_assert_eq!(text.as_str(), trimmed);
                    }
                    Err(_) => prop_assert!(!valid),
                }
            }
        }
    }

    #[test]
    fn only_strings_without_nul_are_texts() {
        assert!(PlanText::parse(Value::from(3)).is_err());
        assert!(PlanText::parse(Value::Null).is_err());
        assert!(PlanText::parse(Value::from("a\u{0}b")).is_err());
    }
}
