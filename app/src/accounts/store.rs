//! SQL for users and sessions. Same statements on SQLite and PostgreSQL.

use sqlx::Row;

use super::model::{CurrentUser, Role, UserSummary};
use crate::platform::{AppError, Db};

pub struct StoredCredentials {
    pub user: CurrentUser,
    pub password_hash: String,
}

fn role_of(text: &str) -> Result<Role, AppError> {
    Role::parse(text).ok_or_else(|| AppError::internal(format!("unknown role in database: {text}")))
}

pub async fn username_taken(db: &Db, username: &str) -> Result<bool, AppError> {
    let row = sqlx::query("SELECT 1 FROM users WHERE username = $1").bind(username).fetch_optional(db.read()).await?;
    Ok(row.is_some())
}

pub async fn email_taken(db: &Db, email: &str) -> Result<bool, AppError> {
    let row = sqlx::query("SELECT 1 FROM users WHERE email = $1").bind(email).fetch_optional(db.read()).await?;
    Ok(row.is_some())
}

/// Inserts a user; `Ok(None)` when the username or email was taken by a concurrent insert.
pub async fn insert_user(
    db: &Db,
    username: &str,
    email: &str,
    password_hash: &str,
    role: Role,
    now_ms: i64,
) -> Result<Option<i64>, AppError> {
    let result = sqlx::query(
        "INSERT INTO users (username, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now_ms)
    .fetch_one(db.write())
    .await;
    match result {
        Ok(row) => Ok(Some(row.try_get("id")?)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn credentials_by_username(db: &Db, username: &str) -> Result<Option<StoredCredentials>, AppError> {
    let row = sqlx::query("SELECT id, username, role, password_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db.read())
        .await?;
    row.map(|row| {
        Ok(StoredCredentials {
            user: CurrentUser {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                role: role_of(&row.try_get::<String, _>("role")?)?,
            },
            password_hash: row.try_get("password_hash")?,
        })
    })
    .transpose()
}

pub async fn password_hash_of(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    let row =
        sqlx::query("SELECT password_hash FROM users WHERE id = $1").bind(user_id).fetch_optional(db.read()).await?;
    row.map(|r| r.try_get("password_hash")).transpose().map_err(AppError::from)
}

/// Sets a new password hash and, in the same transaction, ends every session of the user
/// except `keep` (the session making the change, if any). Returns the sessions ended.
pub async fn set_password_and_end_sessions(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut tx = db.write().begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    // Session ids are SHA-256 hex, never empty: '' keeps nothing.
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(ended)
}

/// Ends every session of the user; returns how many there were.
pub async fn delete_sessions_of_user(db: &Db, user_id: i64) -> Result<u64, AppError> {
    let result = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(db.write()).await?;
    Ok(result.rows_affected())
}

pub async fn list_users(db: &Db) -> Result<Vec<UserSummary>, AppError> {
    let rows =
        sqlx::query("SELECT id, username, email, role, created_at FROM users ORDER BY id").fetch_all(db.read()).await?;
    rows.iter()
        .map(|row| {
            Ok(UserSummary {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                email: row.try_get("email")?,
                role: role_of(&row.try_get::<String, _>("role")?)?,
                created_at_ms: row.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn role_of_user(db: &Db, user_id: i64) -> Result<Option<Role>, AppError> {
    let row = sqlx::query("SELECT role FROM users WHERE id = $1").bind(user_id).fetch_optional(db.read()).await?;
    row.map(|r| role_of(&r.try_get::<String, _>("role")?)).transpose()
}

/// Changes a role unless the row is the super admin (checked again in SQL against races).
pub async fn set_role(db: &Db, user_id: i64, role: Role) -> Result<bool, AppError> {
    let result = sqlx::query("UPDATE users SET role = $1 WHERE id = $2 AND role <> 'super_admin'")
        .bind(role.as_str())
        .bind(user_id)
        .execute(db.write())
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    now_ms: i64,
    expires_ms: i64,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(db.write())
        .await?;
    Ok(())
}

pub async fn session_user(db: &Db, token_hash: &str, now_ms: i64) -> Result<Option<CurrentUser>, AppError> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(db.read())
    .await?;
    row.map(|row| {
        Ok(CurrentUser {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            role: role_of(&row.try_get::<String, _>("role")?)?,
        })
    })
    .transpose()
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(token_hash).execute(db.write()).await?;
    Ok(())
}

pub async fn delete_expired_sessions(db: &Db, now_ms: i64) -> Result<u64, AppError> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms).execute(db.write()).await?;
    Ok(result.rows_affected())
}
