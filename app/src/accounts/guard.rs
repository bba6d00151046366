//! Who may do what: the one place that turns "signed in?" and "admin?" into 401/403.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::model::CurrentUser;
use crate::platform::AppError;

pub fn require_user(user: Option<&CurrentUser>) -> Result<&CurrentUser, AppError> {
    user.ok_or_else(|| AppError::Unauthorized("please log in first".to_owned()))
}

pub fn require_admin(user: Option<&CurrentUser>) -> Result<&CurrentUser, AppError> {
    let user = require_user(user)?;
    if user.role.is_admin() {
        Ok(user)
    } else {
        Err(AppError::Forbidden("this page is for shop administrators only".to_owned()))
    }
}

/// Axum extractor: the signed-in user or 401.
pub struct SignedIn(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        require_user(parts.extensions.get::<CurrentUser>()).cloned().map(SignedIn)
    }
}

/// Axum extractor: a signed-in admin, else 401/403.
pub struct Admin(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        require_admin(parts.extensions.get::<CurrentUser>()).cloned().map(Admin)
    }
}

/// In server functions: the user attached to the current request.
pub fn current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::platform::request::parts()?.extensions.get::<CurrentUser>().cloned())
}
