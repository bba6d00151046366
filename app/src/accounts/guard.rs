//! Who may do what. This module alone turns "signed in?" and "which role?" into capabilities:
//! `Customer` (any signed-in user), `Admin` and `SuperAdmin`. Their fields are private, so a
//! value of one of them is proof that the check passed; services take them in their signatures
//! (`orders::service::get(&state, &customer, id)`), and the check cannot be forgotten.
//!
//! The same types are axum extractors for the JSON API, and `signed_in()`, `admin()`,
//! `super_admin()` give server functions the state plus the caller's capability in one call.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::model::{CurrentUser, Role};
use crate::platform::{AppError, AppState};

/// A signed-in user (any role).
#[derive(Clone, Debug)]
pub struct Customer(CurrentUser);

/// A signed-in admin or super admin.
#[derive(Clone, Debug)]
pub struct Admin(CurrentUser);

/// The super admin.
#[derive(Clone, Debug)]
pub struct SuperAdmin(CurrentUser);

macro_rules! capability {
    ($name:ident) => {
        impl $name {
            pub fn user(&self) -> &CurrentUser {
                &self.0
            }

            pub fn id(&self) -> i64 {
                self.0.id
            }
        }

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
                $name::check(parts.extensions.get::<CurrentUser>())
            }
        }
    };
}

capability!(Customer);
capability!(Admin);
capability!(SuperAdmin);

impl Customer {
    fn check(user: Option<&CurrentUser>) -> Result<Self, AppError> {
        user.cloned().map(Customer).ok_or_else(|| AppError::Unauthorized("please log in first".to_owned()))
    }
}

impl Admin {
    fn check(user: Option<&CurrentUser>) -> Result<Self, AppError> {
        let Customer(user) = Customer::check(user)?;
        if user.role.is_admin() {
            Ok(Admin(user))
        } else {
            Err(AppError::Forbidden("this page is for shop administrators only".to_owned()))
        }
    }

    /// An admin is also a signed-in user.
    pub fn as_customer(&self) -> Customer {
        Customer(self.0.clone())
    }
}

impl SuperAdmin {
    fn check(user: Option<&CurrentUser>) -> Result<Self, AppError> {
        let Admin(user) = Admin::check(user)?;
        if user.role == Role::SuperAdmin {
            Ok(SuperAdmin(user))
        } else {
            Err(AppError::Forbidden("only the super admin may do this".to_owned()))
        }
    }
}

/// In server functions and server rendering: the user attached to the current request.
pub fn current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::platform::request::parts()?.extensions.get::<CurrentUser>().cloned())
}

/// Server functions: the state and the signed-in caller, or 401.
pub fn signed_in() -> Result<(AppState, Customer), AppError> {
    let state = crate::platform::request::app_state()?;
    Ok((state, Customer::check(current_user()?.as_ref())?))
}

/// Server functions: the state and the admin caller, or 401/403.
pub fn admin() -> Result<(AppState, Admin), AppError> {
    let state = crate::platform::request::app_state()?;
    Ok((state, Admin::check(current_user()?.as_ref())?))
}

/// Server functions: the state and the super admin, or 401/403.
pub fn super_admin() -> Result<(AppState, SuperAdmin), AppError> {
    let state = crate::platform::request::app_state()?;
    Ok((state, SuperAdmin::check(current_user()?.as_ref())?))
}

/// Pages that render differently for admins: the capability if the viewer has it.
pub fn admin_viewer() -> Result<Option<Admin>, AppError> {
    Ok(current_user()?.and_then(|user| Admin::check(Some(&user)).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> CurrentUser {
        CurrentUser { id: 7, username: "u".into(), role }
    }

    #[test]
    fn capabilities_follow_the_role() {
        assert!(matches!(Customer::check(None), Err(AppError::Unauthorized(_))));
        assert!(Customer::check(Some(&user(Role::Customer))).is_ok());
        assert!(matches!(Admin::check(Some(&user(Role::Customer))), Err(AppError::Forbidden(_))));
        assert!(Admin::check(Some(&user(Role::Admin))).is_ok());
        assert!(matches!(SuperAdmin::check(Some(&user(Role::Admin))), Err(AppError::Forbidden(_))));
        assert_eq!(SuperAdmin::check(Some(&user(Role::SuperAdmin))).map(|s| s.id()).ok(), Some(7));
    }
}
