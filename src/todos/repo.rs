//! SQL for the `todos` table. Every query takes the owner's id: per-user isolation is
//! enforced here, once, and another user's todo is indistinguishable from a missing one.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};
use uuid::Uuid;

use crate::db::{flag, uuid_column};
use crate::http::query::Pagination;
use crate::time::Timestamp;
use crate::todos::model::{StatusFilter, Todo, TodoStats, TodoTitle};

macro_rules! todo_columns {
    () => {
        "id, title, completed, created_at, updated_at"
    };
}

/// `SELECT` of every todo column with the given `WHERE`/`ORDER` tail.
macro_rules! select_todos {
    ($tail:literal) => {
        concat!("SELECT ", todo_columns!(), " FROM todos ", $tail)
    };
}

/// A statement followed by `RETURNING` every todo column.
macro_rules! returning_todo {
    ($statement:literal) => {
        concat!($statement, " RETURNING ", todo_columns!())
    };
}

/// One page of the user's todos, newest first (UUIDv7 ids sort by creation time), and how
/// many match in all. Both queries walk the `(user_id, [completed,] id)` indexes: the page
/// reads only its own rows, the count reads index entries only.
pub async fn list(
    conn: &mut AnyConnection,
    user_id: Uuid,
    status: StatusFilter,
    page: Pagination,
) -> Result<(Vec<Todo>, i64), sqlx::Error> {
    let user = user_id.to_string();
    let (rows, total) = match status {
        StatusFilter::All => {
            let rows = sqlx::query(select_todos!(
                "WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
            ))
            .bind(&user)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&mut *conn)
            .await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM todos WHERE user_id = $1")
                .bind(&user)
                .fetch_one(&mut *conn)
                .await?;
            (rows, total)
        }
        StatusFilter::Active | StatusFilter::Completed => {
            let completed = flag::encode(status == StatusFilter::Completed);
            let rows = sqlx::query(select_todos!(
                "WHERE user_id = $1 AND completed = $2 ORDER BY id DESC LIMIT $3 OFFSET $4"
            ))
            .bind(&user)
            .bind(completed)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&mut *conn)
            .await?;
            let total = sqlx::query_scalar(
                "SELECT COUNT(*) FROM todos WHERE user_id = $1 AND completed = $2",
            )
            .bind(&user)
            .bind(completed)
            .fetch_one(&mut *conn)
            .await?;
            (rows, total)
        }
    };
    let todos = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok((todos, total))
}

pub async fn stats<'c>(
    executor: impl Executor<'c, Database = Any>,
    user_id: Uuid,
) -> Result<TodoStats, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total, COALESCE(SUM(completed), 0) AS completed \
         FROM todos WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_one(executor)
    .await?;
    let total: i64 = row.try_get("total")?;
    let completed: i64 = row.try_get("completed")?;
    Ok(TodoStats {
        total,
        active: total - completed,
        completed,
    })
}

pub async fn find<'c>(
    executor: impl Executor<'c, Database = Any>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Todo>, sqlx::Error> {
    sqlx::query(select_todos!("WHERE id = $1 AND user_id = $2"))
        .bind(id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(executor)
        .await?
        .map(|row| from_row(&row))
        .transpose()
}

pub async fn insert<'c>(
    executor: impl Executor<'c, Database = Any>,
    user_id: Uuid,
    title: &TodoTitle,
    completed: bool,
) -> Result<Todo, sqlx::Error> {
    let now = Timestamp::now();
    let todo = Todo {
        id: Uuid::now_v7(),
        title: title.as_str().to_owned(),
        completed,
        created_at: now,
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO todos (id, user_id, title, completed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(todo.id.to_string())
    .bind(user_id.to_string())
    .bind(&todo.title)
    .bind(flag::encode(todo.completed))
    .bind(now.as_millis())
    .execute(executor)
    .await?;
    Ok(todo)
}

/// Apply the given changes; `None` if the user has no such todo.
pub async fn update<'c>(
    executor: impl Executor<'c, Database = Any>,
    user_id: Uuid,
    id: Uuid,
    title: Option<&TodoTitle>,
    completed: Option<bool>,
) -> Result<Option<Todo>, sqlx::Error> {
    sqlx::query(returning_todo!(
        "UPDATE todos SET title = COALESCE($3, title), completed = COALESCE($4, completed), \
         updated_at = $5 WHERE id = $1 AND user_id = $2"
    ))
    .bind(id.to_string())
    .bind(user_id.to_string())
    .bind(title.map(TodoTitle::as_str))
    .bind(completed.map(flag::encode))
    .bind(Timestamp::now().as_millis())
    .fetch_optional(executor)
    .await?
    .map(|row| from_row(&row))
    .transpose()
}

/// `false` if the user has no such todo.
pub async fn delete<'c>(
    executor: impl Executor<'c, Database = Any>,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("DELETE FROM todos WHERE id = $1 AND user_id = $2")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .execute(executor)
        .await?;
    Ok(result.rows_affected() > 0)
}

fn from_row(row: &AnyRow) -> Result<Todo, sqlx::Error> {
    Ok(Todo {
        id: uuid_column(row, "id")?,
        title: row.try_get("title")?,
        completed: flag::decode(row.try_get("completed")?),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}
