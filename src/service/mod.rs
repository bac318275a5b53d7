//! Use-cases shared by the HTTP API and the command line: each loads what it needs from the
//! store, lets the domain decide, and hands back plain values. Neither layer repeats them.

pub mod account_admin;
pub mod accounts;
pub mod backup;
pub mod board;
pub mod bulletins;
pub mod channels;
pub mod demo;
pub mod document;
pub mod error;
pub mod exports;
pub mod filings;
pub mod import;
pub mod notice_draft;
pub mod notice_eval;
pub mod notice_file;
pub mod programme_edit;
pub mod regions;
pub mod scoring;
pub mod sheet;
pub mod supervision;
pub mod unit_sheet;
pub mod units;
