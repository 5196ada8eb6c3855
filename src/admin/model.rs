//! What admins see and send.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::audit::repo::AuditFilter;
use crate::http::json::{FromJsonFields, JsonFields, boolean, string};
use crate::http::query::{Pagination, QueryFields};
use crate::time::Timestamp;
use crate::users::model::{Role, User};

/// A user as admins see it: the profile plus its status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AdminUser)]
pub struct AdminUserResponse {
    pub id: Uuid,
    #[schema(format = "email")]
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
    /// A deactivated account cannot sign in.
    pub is_active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<User> for AdminUserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            email_verified: user.email_verified,
            is_active: user.is_active,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `PATCH /api/admin/users/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdminUpdateUserRequest)]
pub struct UpdateUserRequestSchema {
    pub role: Option<Role>,
    /// `false` deactivates the account and ends its sessions at once.
    pub is_active: Option<bool>,
}

pub struct UpdateUser {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

impl FromJsonFields for UpdateUser {
    fn from_fields(fields: &mut JsonFields) -> Option<Self> {
        let role = fields.optional("role", |value| {
            Role::parse(&string(value)?).ok_or_else(|| "must be user or admin".to_owned())
        });
        let is_active = fields.optional("is_active", boolean);
        let (role, is_active) = (role?, is_active?);
        if role.is_none() && is_active.is_none() {
            fields.reject("body", "must set role or is_active");
            return None;
        }
        Some(Self { role, is_active })
    }
}

/// `GET /api/admin/users` query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearchParams {
    /// Part of an email address or name (case-insensitive).
    #[param(required = false, max_length = 254)]
    pub q: String,
}

pub struct UserSearch {
    pub q: Option<String>,
    pub page: Pagination,
}

impl UserSearch {
    pub fn parse(raw: Option<&str>) -> Result<Self, crate::error::ApiError> {
        let mut fields = QueryFields::parse(raw)?;
        let q = fields.optional("q", |raw| {
            let q = raw.trim();
            if q.chars().count() > 254 {
                return Err("must be at most 254 characters".to_owned());
            }
            Ok((!q.is_empty()).then(|| q.to_owned()))
        });
        let page = Pagination::from_fields(&mut fields);
        let search = q.zip(page).map(|(q, page)| Self {
            q: q.flatten(),
            page,
        });
        fields.finish(search)
    }
}

/// `GET /api/admin/audit-log` query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditLogParams {
    /// Only events about this user.
    #[param(required = false)]
    pub user_id: Uuid,
    /// Only this kind of event.
    #[param(required = false, inline)]
    pub event: AuditEvent,
}

pub struct AuditQuery {
    pub filter: AuditFilter,
    pub page: Pagination,
}

impl AuditQuery {
    pub fn parse(raw: Option<&str>) -> Result<Self, crate::error::ApiError> {
        let mut fields = QueryFields::parse(raw)?;
        let user_id = fields.optional("user_id", |raw| {
            Uuid::parse_str(raw).map_err(|_| "must be a UUID".to_owned())
        });
        let event = fields.optional("event", |raw| {
            AuditEvent::parse(raw).ok_or_else(|| "is not a known event".to_owned())
        });
        let page = Pagination::from_fields(&mut fields);
        let query = match (user_id, event, page) {
            (Some(user_id), Some(event), Some(page)) => Some(Self {
                filter: AuditFilter { user_id, event },
                page,
            }),
            _ => None,
        };
        fields.finish(query)
    }
}
