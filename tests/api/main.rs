//! Integration tests: each test boots the real app on a random port with
//! its own database (SQLite, or PostgreSQL with `RENKEI_TEST_DATABASE=postgres`:
//! see `support::TestDatabase`) and drives it over HTTP.

mod support;

mod access;
mod agenda;
mod backup;
mod catalogue;
mod catchup;
mod consultations;
mod countermeasures;
mod coverage;
mod csv;
mod cycle;
mod dates;
mod demo;
mod indicators;
mod instances;
mod limits;
mod links;
mod list_cache;
mod logs;
mod meetings;
mod members;
mod overview;
mod pages;
mod paging;
mod participation;
mod pdca;
mod pdca_chain;
mod postponed;
mod process;
mod progress;
mod reminders;
mod report;
mod resend;
mod rules;
mod schedule;
mod seed;
mod survey;
mod text;
mod topic_stage;
mod transfer;
mod trends;
mod visions;
mod wards;
mod wiring;
