//! With the `otel` feature, the binary exports its spans over OTLP/HTTP
//! (`cargo test --features otel`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::logging::Server;

/// Spans reach an OTLP/HTTP collector: here a stand-in that records what it is sent.
#[tokio::test]
async fn traces_are_exported_over_otlp() {
    let collector = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let (sent_tx, sent_rx) = mpsc::channel::<(String, Vec<u8>)>();
    std::thread::spawn(move || {
        for stream in collector.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            let _ = sent_tx.send((request_line, body));
        }
    });

    let server = Server::start(&[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())]);
    let ready = reqwest::Client::new()
        .get(server.url("/ready"))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    // Shutting down flushes the spans still batched.
    server.stop();

    let mut exported = Vec::new();
    while let Ok((request_line, body)) = sent_rx.recv_timeout(Duration::from_secs(10)) {
        assert!(
            request_line.starts_with("POST /v1/traces "),
            "{request_line}"
        );
        exported.extend(body);
        let contains = |needle: &[u8]| exported.windows(needle.len()).any(|w| w == needle);
        if contains(b"GET /ready") && contains(b"SELECT 1") {
            // The caller's trace id, as raw bytes in the protobuf.
            let trace_id = [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36,
            ];
            assert!(
                contains(&trace_id),
                "the request continues the caller's trace"
            );
            return;
        }
    }
    panic!("the request span and its database span were not exported");
}
