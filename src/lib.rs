//! scim-harness: plays the identity provider against a SCIM 2.0 server.
//!
//! Stages, in the order data flows: `scenario` → `idp` → `profile` → `engine` → `client`,
//! then `check` and `report`. `server` is the built-in reference SCIM server; it shares only
//! the SCIM vocabulary in `scim` with the rest. `protocol` checks a server's SCIM behaviour
//! directly, beside the replayed scenarios, and reports through the same outcomes.
//! `harness` is the entry point for library use: [`Harness::builder`] → [`Report`].

pub mod catalog;
pub mod check;
pub mod cli;
pub mod client;
pub mod engine;
pub mod harness;
pub mod idp;
pub mod profile;
pub mod protocol;
pub mod report;
pub mod scenario;
pub mod scim;
pub mod server;

pub use harness::{Event, Harness, HarnessBuilder, HarnessError, Report, RunVerdict};
