//! Scenario files: parsing YAML into the `model`, with every error naming file, line, column
//! and field before anything is sent to a server. This stage reads files and nothing else.

mod error;
pub mod model;
mod suggest;

pub use error::{ErrorKind, ScenarioError, ScenarioErrors};
