//! The returns screens: the customer's wizard (`/returns/new`), their returns (`/returns`) and a
//! return's page (`/returns/{id}`), and the admin RMA console (`/admin/returns`, its detail
//! view). The views call the rules of `domain::returns` (the same the server applies) and show
//! what the server computed; live pages poll the return every two seconds and redraw only the
//! parts that changed.

mod admin_detail;
mod admin_queue;
mod common;
mod page;
mod stepper;
mod steps;
mod upload;
mod uploader;
mod wizard;

pub use admin_detail::AdminReturnPage;
pub use admin_queue::AdminReturnsPage;
pub use page::{ReturnPage, ReturnsPage};
pub use wizard::NewReturnPage;
