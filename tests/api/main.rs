//! The one integration-test binary. Each test builds its own app on a private `mem://` store
//! (or a temp-dir surrealkv store) with a fixed clock; nothing sleeps.

mod accounts;
mod authz;
mod backup;
mod bad_input;
mod board;
mod bulletins;
mod crash;
mod crud;
mod dashboard;
mod delivery;
mod exports;
mod filings;
mod hardening;
mod helpers;
mod instances;
mod monthly_pages;
mod notice;
mod ops;
mod outage;
mod quotas;
mod reminders;
mod restart;
mod scoring;
mod setup;
mod spec;
mod supervision;
mod units_admin;
mod work;
