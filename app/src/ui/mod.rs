//! Layout, shared components and error pages.

pub mod components;
pub mod errors;
pub mod layout;
pub mod lazy_pages;
pub mod session_info;
pub mod shell;
pub mod ticker;
