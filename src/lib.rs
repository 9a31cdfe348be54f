//! renkei: the PDCA meeting and progress tracker for 在宅医療・介護連携推進事業.
//!
//! A tour of the modules:
//! - [`municipalities`], [`wards`], [`members`], [`meetings`], [`countermeasures`]:
//!   the domain, each with its rules (`mod.rs`), its SQL (`store.rs`), its API
//!   operations (`api.rs`) and, where it has them, its pages (`pages.rs`);
//!   the PDCA ladder lives in [`countermeasures`].
//! - [`dashboard`]: per-ward topic coverage and stages, overdue evaluations.
//! - [`charts`]: the chart type (no survey in it), its SVG and the bounded cache of drawings.
//! - [`topics`], [`calendar`], [`labels`]: the fixed catalogues, fiscal
//!   half-years and era dates.
//! - [`reminders`]: overdue-evaluation mails: job files, the outbox, the SMTP sender.
//! - [`survey`], [`report`]: the half-year survey (ア〜キ) and the report
//!   (資料1) built from it, with SVG charts; [`spreadsheet`], [`transfer`]:
//!   CSV for Japanese Excel (UTF-8 with BOM or Shift_JIS), exports and
//!   all-or-nothing imports.
//! - [`accounts`]: accounts, roles and the access rules (pure, unit-tested);
//!   `http::auth` is the gate that applies them to every request.
//! - [`audit`]: the trail every write leaves in its own transaction.
//! - [`backup`]: `renkei backup`, a consistent copy of a running SQLite database.
//! - [`text`]: the two kinds of text a client may send (one line; free
//!   text with line breaks), checked by every way in.
//! - [`db`], [`config`], [`error`], [`http`], [`pages`], [`app`]: plumbing.
//! - [`demo`]: the demo data of the 24 wards of Osaka City; [`seed`]: generated
//!   national-scale data for benchmarks.

pub mod access;
pub mod accounts;
pub mod app;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod charts;
pub mod clock;
pub mod config;
pub mod countermeasures;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod figures;
pub mod http;
pub mod labels;
pub mod mail;
pub mod meetings;
pub mod members;
pub mod municipalities;

pub mod paging;
pub mod reminders;
pub mod report;
pub mod seed;
pub mod spreadsheet;
pub mod state;
pub mod survey;
pub mod text;
pub mod topics;
pub mod transfer;
pub mod wards;
pub mod web;
