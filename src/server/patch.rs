//! PATCH operations (RFC 7644 §3.5.2) and every variant real IdPs send.
