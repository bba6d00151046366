//! The owning store of `users` and `sessions`. Same statements on SQLite and PostgreSQL; rows
//! are read into typed structs and mapped into the domain's `CurrentUser` / `UserSummary`.

use super::model::{CurrentUser, Role, UserSummary};
use crate::platform::{AppError, Db, Tx};

/// The one column list a `CurrentUser` is read from (table alias `u`).
macro_rules! user_columns {
    () => {
        "u.id, u.username, u.role"
    };
}

pub struct StoredCredentials {
    pub user: CurrentUser,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
}

impl UserRow {
    fn into_user(self) -> Result<CurrentUser, AppError> {
        Ok(CurrentUser { id: self.id, username: self.username, role: role_of(&self.role)? })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    username: String,
    email: String,
    role: String,
    created_at: i64,
}

impl SummaryRow {
    fn into_summary(self) -> Result<UserSummary, AppError> {
        Ok(UserSummary {
            id: self.id,
            username: self.username,
            email: self.email,
            role: role_of(&self.role)?,
            created_at_ms: self.created_at,
        })
    }
}

fn role_of(text: &str) -> Result<Role, AppError> {
    Role::parse(text).ok_or_else(|| AppError::internal(format!("unknown role in database: {text}")))
}

/// Locks the user's row until `tx` ends: what one customer does at a time (a return request
/// counted against the customer's history, a photo counted against the limit) waits here. A
/// column that is not a key is touched, so nothing referencing the user is checked again.
pub async fn lock(tx: &mut Tx, user_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET role = role WHERE id = $1").bind(user_id).execute(&mut **tx).await?;
    Ok(())
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
    let result = sqlx::query_scalar::<_, i64>(
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
        Ok(id) => Ok(Some(id)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn credentials_by_username(db: &Db, username: &str) -> Result<Option<StoredCredentials>, AppError> {
    let sql = concat!("SELECT ", user_columns!(), ", u.password_hash FROM users u WHERE u.username = $1");
    let row: Option<CredentialsRow> = sqlx::query_as(sql).bind(username).fetch_optional(db.read()).await?;
    row.map(|row| Ok(StoredCredentials { user: row.user.into_user()?, password_hash: row.password_hash })).transpose()
}

pub async fn password_hash_of(db: &Db, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.read())
        .await?)
}

/// Sets a new password hash and, in the same transaction, ends every session of the user
/// except `keep` (the session making the change, if any). Returns the sessions ended.
pub async fn set_password_and_end_sessions(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut tx = db.begin().await?;
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
    let rows: Vec<SummaryRow> = sqlx::query_as("SELECT id, username, email, role, created_at FROM users ORDER BY id")
        .fetch_all(db.read())
        .await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

pub async fn role_of_user(db: &Db, user_id: i64) -> Result<Option<Role>, AppError> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM users WHERE id = $1").bind(user_id).fetch_optional(db.read()).await?;
    role.as_deref().map(role_of).transpose()
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
    let sql = concat!(
        "SELECT ",
        user_columns!(),
        " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.expires_at > $2"
    );
    let row: Option<UserRow> = sqlx::query_as(sql).bind(token_hash).bind(now_ms).fetch_optional(db.read()).await?;
    row.map(UserRow::into_user).transpose()
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(token_hash).execute(db.write()).await?;
    Ok(())
}

pub async fn delete_expired_sessions(db: &Db, now_ms: i64) -> Result<u64, AppError> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms).execute(db.write()).await?;
    Ok(result.rows_affected())
}
