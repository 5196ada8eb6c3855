//! Values bound to `$n` placeholders and read from result rows, converted in one place for
//! both databases: UUIDs as text, times as integer milliseconds, booleans as 0/1.

use std::error::Error;

use bytes::BytesMut;
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::{ToSqlOutput, ValueRef};
use uuid::Uuid;

use crate::db::DbError;
use crate::time::Timestamp;

/// A query parameter. Build them with [`params!`](crate::params).
#[derive(Debug, Clone)]
pub enum Param<'a> {
    Text(&'a str),
    /// A UUID, hyphenated, without allocating.
    Uuid([u8; 36]),
    Int(i64),
    Null,
}

impl Param<'_> {
    fn text(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Uuid(buffer) => std::str::from_utf8(buffer).ok(),
            Self::Int(_) | Self::Null => None,
        }
    }
}

/// `params![a, b, ...]`: a slice of [`Param`]s from anything convertible.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::Param::from($value)),*]
    };
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(value)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(value)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<i32> for Param<'_> {
    fn from(value: i32) -> Self {
        Self::Int(value.into())
    }
}

impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Self::Int(value.into())
    }
}

impl From<Timestamp> for Param<'_> {
    fn from(value: Timestamp) -> Self {
        Self::Int(value.as_millis())
    }
}

impl From<Uuid> for Param<'_> {
    fn from(value: Uuid) -> Self {
        let mut buffer = [0; 36];
        value.hyphenated().encode_lower(&mut buffer);
        Self::Uuid(buffer)
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Int(value) => ValueRef::Integer(*value),
            Self::Null => ValueRef::Null,
            text => ValueRef::Text(text.text().unwrap_or_default().as_bytes()),
        }))
    }
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(value) => match *ty {
                Type::INT8 => value.to_sql(ty, out),
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*value)?.to_sql(ty, out),
                _ => Err(format!("cannot bind an integer to a {ty} parameter").into()),
            },
            text => text.text().unwrap_or_default().to_sql(ty, out),
        }
    }

    /// Types are checked per value in `to_sql`: the schema decides, not the Rust type.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// One result row, read by column index.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r tokio_postgres::Row),
}

impl Row<'_> {
    pub fn text(&self, index: usize) -> Result<String, DbError> {
        self.opt_text(index)?
            .ok_or_else(|| DbError::decode(index, "unexpected NULL"))
    }

    pub fn opt_text(&self, index: usize) -> Result<Option<String>, DbError> {
        match self {
            Self::Sqlite(row) => Ok(row.get(index)?),
            Self::Postgres(row) => Ok(row.try_get(index)?),
        }
    }

    pub fn int(&self, index: usize) -> Result<i64, DbError> {
        self.opt_int(index)?
            .ok_or_else(|| DbError::decode(index, "unexpected NULL"))
    }

    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, DbError> {
        match self {
            Self::Sqlite(row) => Ok(row.get(index)?),
            Self::Postgres(row) => match *row.columns()[index].type_() {
                Type::INT8 => Ok(row.try_get(index)?),
                Type::INT4 => Ok(row.try_get::<_, Option<i32>>(index)?.map(Into::into)),
                Type::INT2 => Ok(row.try_get::<_, Option<i16>>(index)?.map(Into::into)),
                ref other => Err(DbError::decode(
                    index,
                    format!("expected an integer, found {other}"),
                )),
            },
        }
    }

    pub fn flag(&self, index: usize) -> Result<bool, DbError> {
        Ok(self.int(index)? != 0)
    }

    pub fn uuid(&self, index: usize) -> Result<Uuid, DbError> {
        let text = self.text(index)?;
        Uuid::parse_str(&text).map_err(|_| DbError::decode(index, format!("not a UUID: {text:?}")))
    }

    pub fn timestamp(&self, index: usize) -> Result<Timestamp, DbError> {
        self.int(index).map(Timestamp::from_millis)
    }

    pub fn opt_timestamp(&self, index: usize) -> Result<Option<Timestamp>, DbError> {
        self.opt_int(index)
            .map(|millis| millis.map(Timestamp::from_millis))
    }
}
