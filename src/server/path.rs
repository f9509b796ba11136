//! Attribute paths (RFC 7644 §3.10): `userName`, `name.givenName`, URN-qualified names, and
//! value paths `emails[type eq "work"].value`.
