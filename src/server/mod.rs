//! The built-in reference SCIM 2.0 service provider: in-memory, strict where RFC 7643/7644 is
//! strict, tolerant of every request shape real IdPs send (`../shared/idp-behavior.md` §1.9).
//!
//! It knows nothing of IdPs or the harness; it only shares the `scim` vocabulary.

pub mod filter;
pub mod normalize;
pub mod patch;
pub mod path;
