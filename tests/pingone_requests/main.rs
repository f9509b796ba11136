//! Pins the exact requests the PingOne profile sends (idp-behavior.md §4): a wiremock target
//! plays a small correct SCIM server with state, the engine pushes each tenant change as
//! PingOne does (one incremental push per change, no probe), and every request the target
//! received is compared, in order, with PingOne's.

#[path = "../pingone_target/mod.rs"]
mod pingone_target;
#[path = "../wire/mod.rs"]
mod wire;

mod connection;
mod groups;
mod options;
mod users;

use std::collections::BTreeMap;

use pingone_target::*;
use scim_harness::engine::{CycleReport, Engine};
use scim_harness::idp::Tenant;
use scim_harness::scenario::model::{AttrValue, SyncKind, UserAttr};
use serde_json::{json, Value};
