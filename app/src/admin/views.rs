use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{list_users, SetUserRole};
use crate::accounts::model::{Role, UserSummary};
use crate::ui::components::resource_view;
use crate::ui::errors::ActionError;
use crate::ui::session_info::use_session_info;

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let set_role = ServerAction::<SetUserRole>::new();
    let users = Resource::new(move || set_role.version().get(), |_| list_users());
    // Only the super admin grants or removes the admin role; other admins see the list only.
    let info = use_session_info();
    let can_change =
        move || info.get().and_then(|r| r.ok()).and_then(|i| i.user).is_some_and(|u| u.role == Role::SuperAdmin);
    view! {
        <Title text="Users · Admin · Retail"/>
        {resource_view(users, "Loading users…", move |users| view! { <UserTable users set_role can_change=can_change()/> })}
    }
}

#[component]
fn UserTable(users: Vec<UserSummary>, set_role: ServerAction<SetUserRole>, can_change: bool) -> impl IntoView {
    let note = (!can_change).then(|| {
        view! { <p class="muted" data-testid="roles-note">"Only the super admin can change roles."</p> }
    });
    view! {
        <section class="panel">
            <h1>"Users"</h1>
            {note}
            <ActionError value=set_role.value()/>
            <table class="table" data-testid="users-table">
                <thead><tr><th>"User"</th><th>"Email"</th><th>"Role"</th><th>"Change"</th></tr></thead>
                <tbody>
                    {users.into_iter().map(|user| view! { <UserRow user set_role can_change/> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn UserRow(user: UserSummary, set_role: ServerAction<SetUserRole>, can_change: bool) -> impl IntoView {
    let username = user.username.clone();
    view! {
        <tr data-username=username>
            <td>{user.username}</td>
            <td>{user.email}</td>
            <td><span class=format!("badge role-{}", user.role.as_str())>{user.role.label()}</span></td>
            <td><RoleAction user_id=user.id role=user.role set_role can_change/></td>
        </tr>
    }
}

/// The role button of one row: promote or demote, for the super admin only.
#[component]
fn RoleAction(user_id: i64, role: Role, set_role: ServerAction<SetUserRole>, can_change: bool) -> impl IntoView {
    let (target, label) = match role {
        Role::SuperAdmin => return view! { <span class="muted">"Super admin (fixed)"</span> }.into_any(),
        _ if !can_change => return view! { <span class="muted">"—"</span> }.into_any(),
        Role::Admin => ("customer", "Demote to customer"),
        Role::Customer => ("admin", "Promote to admin"),
    };
    view! {
        <ActionForm action=set_role>
            <input type="hidden" name="user_id" value=user_id/>
            <input type="hidden" name="role" value=target/>
            <button type="submit" class="small">{label}</button>
        </ActionForm>
    }
    .into_any()
}
