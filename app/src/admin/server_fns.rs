use leptos::prelude::*;

use crate::accounts::model::UserSummary;
use crate::error::FnError;

#[server(prefix = "/rpc", endpoint = "admin_list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    let state = crate::platform::request::app_state()?;
    require_admin(current_user()?.as_ref())?;
    Ok(super::service::list_users(&state).await?)
}

#[server(prefix = "/rpc", endpoint = "admin_set_role")]
pub async fn set_user_role(user_id: i64, role: String) -> Result<(), FnError> {
    use crate::accounts::guard::{current_user, require_admin};
    let state = crate::platform::request::app_state()?;
    let user = current_user()?;
    let actor = require_admin(user.as_ref())?;
    super::service::change_role(&state, actor, user_id, &role).await?;
    Ok(())
}
