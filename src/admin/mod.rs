//! The admin area: user management and the audit log (role `admin` only), and the
//! `create-admin` command that bootstraps the first admin.

pub mod bootstrap;
pub mod model;
pub mod routes;
