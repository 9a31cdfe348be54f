//! The kit every face (`api.rs`, `pages.rs` of each concept) is built
//! from, below the faces and above the concept cores:
//! - [`auth`]: the gate: who is asking (session or token), the access
//!   rule of each route decided before its handler, the typed scopes
//!   handlers take;
//! - [`problem`]: errors as `application/problem+json`, mapped once from
//!   `AppError`;
//! - [`api`]: the API's shared responses and tags;
//! - [`page`]: the page layout, forms and their errors (imports no concept);
//! - [`client`]: the client's address behind trusted proxies.

pub mod api;
pub mod auth;
pub mod client;
pub mod page;
pub mod problem;
