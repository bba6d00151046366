//! User administration: the list of users and role changes. Both take the `Admin` capability;
//! which role changes an admin may make is the domain's `check_role_change` (only the super
//! admin grants or removes the admin role, nobody changes the super admin's).

use crate::accounts::guard::Admin;
use crate::accounts::model::{check_role_change, Role, UserSummary};
use crate::accounts::store;
use crate::platform::{AppError, AppState};

pub async fn list_users(state: &AppState, _admin: &Admin) -> Result<Vec<UserSummary>, AppError> {
    store::list_users(&state.db).await
}

/// Sets `target`'s role to `requested` (text from a form or JSON body) on behalf of `admin`;
/// granting or removing the admin role is the super admin's alone (403 for other admins).
pub async fn change_role(state: &AppState, admin: &Admin, target: i64, requested: &str) -> Result<Role, AppError> {
    let requested = Role::parse(requested)
        .ok_or_else(|| AppError::Invalid(format!("unknown role '{requested}'; use 'customer' or 'admin'")))?;
    let current = store::role_of_user(&state.db, target)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user with id {target}")))?;
    check_role_change(admin.user().role, current, requested).map_err(|e| AppError::Forbidden(e.to_string()))?;
    if !store::set_role(&state.db, target, requested).await? {
        return Err(AppError::Forbidden("the super admin's role cannot be changed".to_owned()));
    }
    // Sessions carry the role: drop that user's cached ones so the change applies at once.
    state.caches.forget_sessions_of(target);
    tracing::info!(target_user_id = target, new_role = requested.as_str(), "role changed");
    state.sli.event("admin_action", format!("user #{target} made {}", requested.as_str()), &admin.user().username);
    Ok(requested)
}
