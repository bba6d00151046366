//! Who is signed in and the id of the request that rendered the page. Loaded once per page
//! as a resource (so the server-rendered value is reused when the page hydrates) and
//! refetched after login and logout.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::CurrentUser;
use crate::error::FnError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<CurrentUser>,
    pub request_id: String,
}

#[server(prefix = "/rpc", endpoint = "session_info")]
pub async fn load_session_info() -> Result<SessionInfo, FnError> {
    let parts = crate::platform::request::parts()?;
    Ok(SessionInfo {
        user: parts.extensions.get::<CurrentUser>().cloned(),
        request_id: crate::platform::request::request_id_of(&parts),
    })
}

pub type SessionResource = Resource<Result<SessionInfo, FnError>>;

/// Bumped by login/logout so the session resource refetches.
#[derive(Clone, Copy)]
pub struct SessionVersion(pub RwSignal<u32>);

pub fn provide_session_info() {
    let version = SessionVersion(RwSignal::new(0));
    let resource: SessionResource = Resource::new(move || version.0.get(), |_| load_session_info());
    provide_context(version);
    provide_context(resource);
}

pub fn use_session_info() -> SessionResource {
    expect_context::<SessionResource>()
}

pub fn refresh_session() {
    if let Some(version) = use_context::<SessionVersion>() {
        version.0.update(|v| *v += 1);
    }
}
