//! Scenario files: parsing YAML into the `model`, with every error naming file, line, column
//! and field before anything is sent to a server.

pub mod model;
