//! Private servers for tests that must not touch the shared ones: a PostgreSQL cluster or a
//! Redis that a test stops, restarts or serves over TLS with certificates it made itself.

pub mod certs;
pub mod pg_cluster;
pub mod redis_server;

use std::net::TcpListener;

/// A port nothing listens on right now (the OS hands out each only once in a while).
pub fn spare_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
