use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{list_users, SetUserRole};
use crate::accounts::model::{Role, UserSummary};
use crate::ui::errors::{ActionError, ForbiddenPage};
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
        <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
            {move || {
                users.get().map(|result| match result {
                    Ok(users) => view! { <UserTable users set_role can_change=can_change()/> }.into_any(),
                    Err(err) => view! { <ForbiddenPage message=err.message/> }.into_any(),
                })
            }}
        </Transition>
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
    let action = match user.role {
        Role::SuperAdmin => view! { <span class="muted">"Super admin (fixed)"</span> }.into_any(),
        _ if !can_change => view! { <span class="muted">"—"</span> }.into_any(),
        role => {
            let (target, label) =
                if role == Role::Admin { ("customer", "Demote to customer") } else { ("admin", "Promote to admin") };
            view! {
                <ActionForm action=set_role>
                    <input type="hidden" name="user_id" value=user.id/>
                    <input type="hidden" name="role" value=target/>
                    <button type="submit" class="small">{label}</button>
                </ActionForm>
            }
            .into_any()
        }
    };
    let username = user.username.clone();
    view! {
        <tr data-username=username>
            <td>{user.username}</td>
            <td>{user.email}</td>
            <td><span class=format!("badge role-{}", user.role.as_str())>{user.role.label()}</span></td>
            <td>{action}</td>
        </tr>
    }
}
