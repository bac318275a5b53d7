//! pilotgov governs government pilot programmes (试点工作) from launch to final evaluation.
//!
//! A guided tour, from the inside out:
//! - [`domain`] decides. Regions keyed by GB/T 2260 codes, programmes with stages, a direction
//!   catalogue and selection rules, deliverables whose deadline specs expand into dated
//!   occurrences, pilot units admitted under the rules, and the deadline board's traffic lights.
//!   Pure: no I/O, no clock of its own.
//! - [`store`] remembers. SurrealDB through `engine::any` (embedded surrealkv by default, `mem://`
//!   in tests, `ws://` for a server); versioned `.surql` migrations; the one error mapping and
//!   the one retry loop.
//! - [`service`] holds use-cases that both the API and the CLI call (import a fixture document,
//!   build the deadline board).
//! - [`api`] translates HTTP to and from the domain with poem-openapi; [`app`] assembles it.
//! - [`clock`] is the only source of "now".
//!
//! `ARCHITECTURE.md` has the code map and the invariants.

pub mod api;
pub mod app;
pub mod bench;
pub mod clock;
pub mod config;
pub mod domain;
pub mod jobs;
pub mod listener;
pub mod log_writer;
pub mod metrics;
pub mod render;
pub mod service;
pub mod store;
pub mod web;
