use serde::{Deserialize, Serialize};

/// What a user may do. Stored as its `as_str` text in `users.role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Admin,
    SuperAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "customer" => Some(Role::Customer),
            "admin" => Some(Role::Admin),
            "super_admin" => Some(Role::SuperAdmin),
            _ => None,
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Customer => "Customer",
            Role::Admin => "Admin",
            Role::SuperAdmin => "Super admin",
        }
    }
}

/// The signed-in user attached to a request by the session middleware.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
}

/// A row of the admin user list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: Role,
    /// Unix milliseconds, UTC.
    pub created_at_ms: i64,
}

/// Why a role change is refused. Pure rule, shared by the admin page and the admin API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoleChangeError {
    #[error("only admins can change roles")]
    NotAnAdmin,
    #[error("the super admin's role cannot be changed")]
    TargetIsSuperAdmin,
    #[error("a role can only be set to customer or admin")]
    CannotGrantSuperAdmin,
    #[error("only the super admin can grant or remove the admin role")]
    OnlySuperAdminManagesAdmins,
}

/// Decides whether `actor` may set a user whose role is `current` to `requested`. Admins can
/// see the user list, but only the super admin grants or removes the admin role (so one
/// compromised admin cannot mint more, or lock the others out); nobody changes the super admin.
pub fn check_role_change(actor: Role, current: Role, requested: Role) -> Result<(), RoleChangeError> {
    if !actor.is_admin() {
        return Err(RoleChangeError::NotAnAdmin);
    }
    if current == Role::SuperAdmin {
        return Err(RoleChangeError::TargetIsSuperAdmin);
    }
    if requested == Role::SuperAdmin {
        return Err(RoleChangeError::CannotGrantSuperAdmin);
    }
    if actor != Role::SuperAdmin && (current == Role::Admin || requested == Role::Admin) {
        return Err(RoleChangeError::OnlySuperAdminManagesAdmins);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in [Role::Customer, Role::Admin, Role::SuperAdmin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_the_super_admin_grants_or_removes_the_admin_role() {
        assert_eq!(check_role_change(Role::SuperAdmin, Role::Customer, Role::Admin), Ok(()));
        assert_eq!(check_role_change(Role::SuperAdmin, Role::Admin, Role::Customer), Ok(()));
        assert_eq!(
            check_role_change(Role::Admin, Role::Customer, Role::Admin),
            Err(RoleChangeError::OnlySuperAdminManagesAdmins)
        );
        assert_eq!(
            check_role_change(Role::Admin, Role::Admin, Role::Customer),
            Err(RoleChangeError::OnlySuperAdminManagesAdmins)
        );
        assert_eq!(
            check_role_change(Role::Admin, Role::SuperAdmin, Role::Customer),
            Err(RoleChangeError::TargetIsSuperAdmin)
        );
    }

    #[test]
    fn customers_cannot_change_roles() {
        assert_eq!(check_role_change(Role::Customer, Role::Customer, Role::Admin), Err(RoleChangeError::NotAnAdmin));
    }

    #[test]
    fn nobody_changes_the_super_admin_or_creates_another() {
        assert_eq!(
            check_role_change(Role::SuperAdmin, Role::SuperAdmin, Role::Customer),
            Err(RoleChangeError::TargetIsSuperAdmin)
        );
        assert_eq!(
            check_role_change(Role::SuperAdmin, Role::Customer, Role::SuperAdmin),
            Err(RoleChangeError::CannotGrantSuperAdmin)
        );
    }
}
