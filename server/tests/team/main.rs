//! The team workspace end to end: a real `keel-server` on loopback, members joined with
//! the real `keel` CLI, raw HTTP where a stranger or a less privileged member would try
//! their luck. Every server is started here and stopped by pid.

mod api;
mod changes;
mod harness;
mod imports;
mod machines;
mod offline;
mod portal;
mod proxy;
mod security;
mod sharing;
mod tls;
mod versions;
mod wire;
