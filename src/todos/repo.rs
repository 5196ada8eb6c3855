//! SQL for the `todos` table. Every query takes the owner's id: per-user isolation is
//! enforced here, once, and another user's todo is indistinguishable from a missing one.

use uuid::Uuid;

use crate::db::{Conn, DbError, Row};
use crate::http::query::Pagination;
use crate::params;
use crate::time::Timestamp;
use crate::todos::model::{StatusFilter, Todo, TodoStats, TodoTitle};

macro_rules! todo_columns {
    () => {
        "id, title, completed, created_at, updated_at"
    };
}

/// `SELECT` of every todo column with the given `WHERE`/`ORDER` tail; [`from_row`] reads it.
macro_rules! select_todos {
    ($tail:literal) => {
        concat!("SELECT ", todo_columns!(), " FROM todos ", $tail)
    };
}

/// One page of the user's todos, newest first (UUIDv7 ids sort by creation time), and how
/// many match in all. One statement: the page walks the `(user_id, [completed,] id)` index
/// and reads only its own rows; the count, an uncorrelated subquery evaluated once, reads
/// index entries only. A page past the end has no row to carry the count, so it is asked for
/// separately.
pub async fn list(
    conn: &mut Conn,
    user_id: Uuid,
    status: StatusFilter,
    page: Pagination,
) -> Result<(Vec<Todo>, i64), DbError> {
    let with_total = |row: &Row<'_>| Ok((from_row(row)?, row.int(5)?));
    let rows = match status {
        StatusFilter::All => {
            conn.query_all(
                concat!(
                    "SELECT ",
                    todo_columns!(),
                    ", (SELECT COUNT(*) FROM todos WHERE user_id = $1) FROM todos ",
                    "WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
                ),
                params![user_id, page.limit, page.offset],
                with_total,
            )
            .await?
        }
        StatusFilter::Active | StatusFilter::Completed => {
            conn.query_all(
                concat!(
                    "SELECT ",
                    todo_columns!(),
                    ", (SELECT COUNT(*) FROM todos WHERE user_id = $1 AND completed = $2) ",
                    "FROM todos WHERE user_id = $1 AND completed = $2 ",
                    "ORDER BY id DESC LIMIT $3 OFFSET $4"
                ),
                params![
                    user_id,
                    status == StatusFilter::Completed,
                    page.limit,
                    page.offset
                ],
                with_total,
            )
            .await?
        }
    };
    let total = match rows.first() {
        Some((_, total)) => *total,
        None if page.offset == 0 => 0,
        None => stats(conn, user_id).await?.of(status),
    };
    Ok((rows.into_iter().map(|(todo, _)| todo).collect(), total))
}

/// One page as in [`list`], without counting: for a caller that knows the total already.
pub async fn page(
    conn: &mut Conn,
    user_id: Uuid,
    status: StatusFilter,
    page: Pagination,
) -> Result<Vec<Todo>, DbError> {
    match status {
        StatusFilter::All => {
            conn.query_all(
                select_todos!("WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"),
                params![user_id, page.limit, page.offset],
                from_row,
            )
            .await
        }
        StatusFilter::Active | StatusFilter::Completed => {
            conn.query_all(
                select_todos!(
                    "WHERE user_id = $1 AND completed = $2 ORDER BY id DESC LIMIT $3 OFFSET $4"
                ),
                params![
                    user_id,
                    status == StatusFilter::Completed,
                    page.limit,
                    page.offset
                ],
                from_row,
            )
            .await
        }
    }
}

pub async fn stats(conn: &mut Conn, user_id: Uuid) -> Result<TodoStats, DbError> {
    conn.query_one(
        "SELECT COUNT(*), COALESCE(SUM(completed), 0) FROM todos WHERE user_id = $1",
        params![user_id],
        |row| {
            let (total, completed) = (row.int(0)?, row.int(1)?);
            Ok(TodoStats {
                total,
                active: total - completed,
                completed,
            })
        },
    )
    .await
}

pub async fn find(conn: &mut Conn, user_id: Uuid, id: Uuid) -> Result<Option<Todo>, DbError> {
    conn.query_opt(
        select_todos!("WHERE id = $1 AND user_id = $2"),
        params![id, user_id],
        from_row,
    )
    .await
}

pub async fn insert(
    conn: &mut Conn,
    user_id: Uuid,
    title: &TodoTitle,
    completed: bool,
) -> Result<Todo, DbError> {
    let now = Timestamp::now();
    let todo = Todo {
        id: Uuid::now_v7(),
        title: title.as_str().to_owned(),
        completed,
        created_at: now,
        updated_at: now,
    };
    conn.execute(
        "INSERT INTO todos (id, user_id, title, completed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
        params![todo.id, user_id, &todo.title, completed, now],
    )
    .await?;
    Ok(todo)
}

/// Apply the given changes; `None` if the user has no such todo.
pub async fn update(
    conn: &mut Conn,
    user_id: Uuid,
    id: Uuid,
    title: Option<&TodoTitle>,
    completed: Option<bool>,
) -> Result<Option<Todo>, DbError> {
    conn.query_opt(
        concat!(
            "UPDATE todos SET title = COALESCE($3, title), completed = COALESCE($4, completed), ",
            "updated_at = $5 WHERE id = $1 AND user_id = $2 RETURNING ",
            todo_columns!()
        ),
        params![
            id,
            user_id,
            title.map(TodoTitle::as_str),
            completed,
            Timestamp::now()
        ],
        from_row,
    )
    .await
}

/// `false` if the user has no such todo.
pub async fn delete(conn: &mut Conn, user_id: Uuid, id: Uuid) -> Result<bool, DbError> {
    let deleted = conn
        .execute(
            "DELETE FROM todos WHERE id = $1 AND user_id = $2",
            params![id, user_id],
        )
        .await?;
    Ok(deleted > 0)
}

fn from_row(row: &Row<'_>) -> Result<Todo, DbError> {
    Ok(Todo {
        id: row.uuid(0)?,
        title: row.text(1)?,
        completed: row.flag(2)?,
        created_at: row.timestamp(3)?,
        updated_at: row.timestamp(4)?,
    })
}
