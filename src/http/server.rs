//! The accept loop. `axum::serve` bounds neither how long a client may take to send its
//! request headers nor how many connections are open, so clients trickling a byte a second
//! could hold as many connections as they liked for as long as they liked. This serves the
//! same router over HTTP/1.1 with both bounds (`ClientConnectionLimits`): a connection that
//! has not sent a whole request head in time is closed, and beyond the connection cap new
//! connections wait in the kernel's accept queue until one closes.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::ClientConnectionLimits;

/// Serve `router` on `listener` until `shutdown` completes, then stop accepting, let each
/// connection finish its request in flight and return once all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ClientConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let open = Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let connections = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    let mut at_cap = false;
    loop {
        // A free slot first, then a connection: at the cap, connections stay queued in the
        // kernel rather than being accepted and left unserved.
        let slot = match Arc::clone(&open).try_acquire_owned() {
            Ok(slot) => {
                at_cap = false;
                slot
            }
            Err(_) => {
                // Once per stretch at the cap, not once per connection that waited.
                if !at_cap {
                    at_cap = true;
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: new connections wait until one closes"
                    );
                }
                tokio::select! {
                    slot = Arc::clone(&open).acquire_owned() => {
                        slot.expect("the semaphore is never closed")
                    }
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    back_off(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small responses go out at once instead of waiting to be coalesced.
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |request: Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(client));
                request
            });
        let connection = connections
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %client, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    connections.shutdown().await;
}

/// A failed accept: a connection reset before it was accepted costs nothing; running out
/// of file descriptors or memory is worth a pause, or the loop would spin on it.
async fn back_off(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %err, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
