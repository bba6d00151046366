//! Server functions of the admin user page: the caller's `Admin` capability plus one service call.

use leptos::prelude::*;

use crate::accounts::model::UserSummary;
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "admin_list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    Ok(super::service::list_users(&state, &admin).await?)
}

#[server(prefix = "/rpc", endpoint = "admin_set_role")]
pub async fn set_user_role(user_id: i64, role: String) -> Result<(), FnError> {
    let (state, admin) = crate::accounts::guard::admin()?;
    super::service::change_role(&state, &admin, user_id, &role).await?;
    Ok(())
}
