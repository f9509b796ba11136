//! Filter expressions (RFC 7644 §3.4.2.2): parse and evaluate against stored resources.
