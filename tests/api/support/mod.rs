//! Private servers for tests that must not touch the shared ones: a PostgreSQL cluster or a
//! Redis that a test stops, restarts or serves over TLS with certificates it made itself, and
//! stand-ins for a language model's API and for GitHub, and a real OpenID Connect provider.

pub mod authenticator;
pub mod certs;
pub mod fake_github;
pub mod fake_llm;
pub mod oidc_provider;
pub mod pg_cluster;
pub mod redis_server;

use std::net::TcpListener;

/// A port nothing listens on right now, for a server a test starts as another process.
///
/// Taken below the kernel's ephemeral range (32768 and up by default), where the outgoing
/// connections of every other test take their local ports: a port from `bind(0)`, released
/// and bound again by the server moments later, can meanwhile become the local end of some
/// test's connection, and the server then fails with "address already in use".
pub fn spare_port() -> u16 {
    for _ in 0..200 {
        let port = 20_000 + rand_below(12_000);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000");
}

/// A random number below `bound`.
fn rand_below(bound: u16) -> u16 {
    (uuid::Uuid::new_v4().as_u128() % u128::from(bound)) as u16
}
