//! Brings incoming JSON into the canonical stored form.
