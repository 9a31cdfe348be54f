//! renkei: the PDCA meeting and progress tracker for 在宅医療・介護連携推進事業.
//!
//! The house, in layers; imports run one way, top to bottom
//! (`tests/layers.rs` reads the source and fails on an import up a layer
//! or a circle between files):
//! 1. [`app`]: the one wiring ([`app::build`]): database, demo data, job
//!    files, mailer, server and scheduler, for `renkei serve` and the tests.
//! 2. [`http`]: the route tables (every page with its access rule; the API
//!    operation sets), the OpenAPI spec and the middleware (limits, logs).
//! 3. Faces: each concept's `api.rs` (JSON operations) and `pages.rs` (the
//!    Japanese pages); a face calls its concept's core, never the reverse.
//! 4. The face kit [`web`] (the gate [`web::auth`], problem+json, the page
//!    kit [`web::page`], which imports no concept) and [`state`] (what every
//!    handler reaches).
//! 5. Concept cores: `mod.rs` holds the rules as pure functions and types
//!    (the clock passed in); `store.rs` is SQL, row mapping and the
//!    transaction of one use case: it calls its own rules, and may call
//!    another concept's `*_in(tx, …)` store functions so one use case
//!    writes in one transaction; other I/O (job files, SMTP) has a file of
//!    its own. The concepts:
//!    - [`municipalities`], [`wards`], [`members`], [`meetings`],
//!      [`countermeasures`] (the PDCA ladder): the domain;
//!    - [`access`]: who is acting ([`access::Actor`], [`access::Role`]) and
//!      the typed scopes that are the only keys to a ward's or a
//!      municipality's data; [`accounts`]: accounts, sessions, tokens;
//!    - [`dashboard`], [`progress`] (PDCAの進み具合: evaluation rounds,
//!      on-time rate, medians, 停滞, per ward and side by side),
//!      [`charts`] (chart type, SVG, bounded cache),
//!      [`participation`] (多職種の参画状況: attendance by organisation kind),
//!      [`survey`] (ア〜キ), [`report`] (資料1), [`trends`] (半期ごとの推移,
//!      read from the history as of each half-year's end),
//!      [`consultations`] (相談の内訳: (オ) of a ward against the city),
//!      [`transfer`] (CSV exports
//!      and all-or-nothing imports), [`reminders`] (job files, the outbox,
//!      the sender), [`audit`] (the trail every write leaves in its own
//!      transaction);
//!    - [`scenes`] (the national four and a municipality's own),
//!      [`visions`] (地域の目指すべき姿 per plan period, with a 目標 per
//!      scene, the municipality's and its wards') and
//!      [`indicators`] (評価指標 and their values): the national PDCA chain;
//!      [`pdca`] (a ward's PDCA sheet: that chain on one page and as CSV);
//!    - [`backup`], [`demo`] (the 24 wards of Osaka City), [`seed`]
//!      (national-scale data for benchmarks).
//! 6. Shared, below every concept: [`db`], [`error`], [`config`],
//!    [`clock`], [`calendar`] (fiscal half-years, era dates), [`topics`],
//!    [`labels`], [`text`] (the two kinds of client text), [`email`] (the
//!    address rule), [`mail`] (SMTP transport), [`paging`], [`figures`]
//!    (Excel's rounding), [`spreadsheet`] (CSV for Japanese Excel),
//!    [`random`] (the seeded generator of the demo and benchmark data).

pub mod access;
pub mod accounts;
pub mod app;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod charts;
pub mod clock;
pub mod config;
pub mod consultations;
pub mod countermeasures;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod figures;
pub mod http;
pub mod indicators;
pub mod labels;
pub mod mail;
pub mod meetings;
pub mod members;
pub mod municipalities;

pub mod paging;
pub mod participation;
pub mod pdca;
pub mod progress;
pub mod random;
pub mod reminders;
pub mod report;
pub mod scenes;
pub mod seed;
pub mod spreadsheet;
pub mod state;
pub mod survey;
pub mod text;
pub mod topics;
pub mod transfer;
pub mod trends;
pub mod visions;
pub mod wards;
pub mod web;
