//! JSON request bodies: content-type and size checks, then field-by-field parsing that
//! reports every invalid or unknown field at once (`422`), instead of serde's first error.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

/// A request type that can be built from a JSON object's fields.
pub trait FromJsonFields: Sized {
    /// Take each field out of `fields`; return `None` once any field was invalid.
    fn from_fields(fields: &mut JsonFields) -> Option<Self>;
}

/// Extractor for a JSON body parsed into `T`.
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: FromJsonFields> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(&request) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body_bytes(request, state).await?;
        parse_fields(&bytes).map(ValidJson)
    }
}

/// Extractor for an optional JSON body: `None` when the request has no body at all (routes
/// that also accept their input from a cookie).
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: FromJsonFields> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_content_type = request.headers().contains_key(header::CONTENT_TYPE);
        let json = has_json_content_type(&request);
        let bytes = body_bytes(request, state).await?;
        if bytes.is_empty() && (!has_content_type || json) {
            return Ok(Self(None));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        // `null` is how a JSON client says "no body" too.
        if bytes.trim_ascii() == b"null" {
            return Ok(Self(None));
        }
        parse_fields(&bytes).map(|parsed| Self(Some(parsed)))
    }
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::MalformedBody(rejection.body_text())
            }
        })
}

fn parse_fields<T: FromJsonFields>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|err| ApiError::MalformedBody(err.to_string()))?;
    let Value::Object(object) = value else {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    };
    from_object(object)
}

/// Parse a JSON object's members into `T`, every invalid or unknown member reported at once
/// (also for JSON that arrives other than as a request body: MCP tool arguments).
pub fn from_object<T: FromJsonFields>(object: Map<String, Value>) -> Result<T, ApiError> {
    let mut fields = JsonFields {
        object,
        errors: Vec::new(),
    };
    let parsed = T::from_fields(&mut fields);
    fields.finish(parsed)
}

fn has_json_content_type(request: &Request) -> bool {
    let Some(value) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The members of a JSON object being parsed, and the errors found so far.
pub struct JsonFields {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl JsonFields {
    /// A field that must be present; `parse` turns its value into the domain type.
    pub fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.object.remove(name) {
            Some(value) => self.record(name, parse(value)),
            None => {
                self.errors.push(FieldError::new(name, "is required"));
                None
            }
        }
    }

    /// A field that may be absent. `None` means invalid; `Some(None)` means absent.
    pub fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.object.remove(name) {
            Some(value) => self.record(name, parse(value)).map(Some),
            None => Some(None),
        }
    }

    /// Record an error that concerns the object as a whole or a combination of fields.
    pub fn reject(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn record<T>(&mut self, name: &'static str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|message| self.errors.push(FieldError::new(name, message)))
            .ok()
    }

    /// Unknown members are errors too: a typo must not be silently ignored.
    fn finish<T>(mut self, parsed: Option<T>) -> Result<T, ApiError> {
        for unknown in self.object.keys() {
            self.errors
                .push(FieldError::new(unknown.clone(), "is not a known field"));
        }
        match parsed {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(ApiError::Validation(self.errors)),
        }
    }
}

/// Field parser: a JSON string. NUL (`\u0000`) is valid JSON but no text any field holds, and
/// PostgreSQL cannot store it: refused here, once for every field.
pub fn string(value: Value) -> Result<String, String> {
    match value {
        Value::String(text) if text.contains('\0') => {
            Err("must not contain NUL characters".to_owned())
        }
        Value::String(text) => Ok(text),
        _ => Err("must be a string".to_owned()),
    }
}

/// Field parser: a whole JSON number from `min` to `max`.
pub fn integer_in(min: i64, max: i64) -> impl FnOnce(Value) -> Result<i64, String> {
    move |value| {
        value
            .as_i64()
            .filter(|number| (min..=max).contains(number))
            .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
    }
}

/// Field parser: a JSON boolean.
pub fn boolean(value: Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| "must be true or false".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Sample {
        title: String,
        done: Option<bool>,
    }

    impl FromJsonFields for Sample {
        fn from_fields(fields: &mut JsonFields) -> Option<Self> {
            let title = fields.required("title", string);
            let done = fields.optional("done", boolean);
            Some(Self {
                title: title?,
                done: done?,
            })
        }
    }

    fn parse(value: Value) -> Result<Sample, ApiError> {
        let Value::Object(object) = value else {
            unreachable!()
        };
        let mut fields = JsonFields {
            object,
            errors: Vec::new(),
        };
        let parsed = Sample::from_fields(&mut fields);
        fields.finish(parsed)
    }

    fn invalid_fields(value: Value) -> Vec<String> {
        match parse(value) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!(
                "expected a validation error, got {:?}",
                other.map(|s| s.title)
            ),
        }
    }

    #[test]
    fn parses_valid_objects() {
        let sample = parse(json!({"title": "x", "done": true})).unwrap();
        assert_eq!((sample.title.as_str(), sample.done), ("x", Some(true)));
        assert_eq!(parse(json!({"title": "x"})).unwrap().done, None);
    }

    #[test]
    fn reports_every_invalid_and_unknown_field() {
        assert_eq!(
            invalid_fields(json!({"done": "yes", "extra": 1})),
            ["title", "done", "extra"]
        );
        assert_eq!(invalid_fields(json!({"title": null})), ["title"]);
        assert_eq!(invalid_fields(json!({"title": "a\u{0}b"})), ["title"]);
    }
}
