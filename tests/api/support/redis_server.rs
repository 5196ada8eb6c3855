//! A private `redis-server` on a spare port, plain or TLS-only, killed when dropped.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::certs::ServerCert;

pub struct RedisServer {
    child: Child,
    _dir: TempDir,
}

impl RedisServer {
    /// Plain Redis on `port`.
    pub fn start(port: u16) -> Self {
        Self::spawn(
            &["--port".into(), port.to_string()],
            port,
            tempfile::tempdir().unwrap(),
        )
    }

    /// Redis that speaks only TLS on `port`, with `cert`, not asking clients for certificates.
    pub fn start_tls(port: u16, cert: &ServerCert, ca_file: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cert_file = dir.path().join("redis.crt");
        let key_file = dir.path().join("redis.key");
        std::fs::write(&cert_file, &cert.cert_pem).unwrap();
        std::fs::write(&key_file, &cert.key_pem).unwrap();
        let args = [
            "--port".into(),
            "0".into(),
            "--tls-port".into(),
            port.to_string(),
            "--tls-cert-file".into(),
            cert_file.display().to_string(),
            "--tls-key-file".into(),
            key_file.display().to_string(),
            "--tls-ca-cert-file".into(),
            ca_file.display().to_string(),
            "--tls-auth-clients".into(),
            "no".into(),
        ];
        Self::spawn(&args, port, dir)
    }

    fn spawn(args: &[String], port: u16, dir: TempDir) -> Self {
        let child = Command::new("redis-server")
            .args(args)
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (install `redis-server`)");
        let server = Self { child, _dir: dir };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not listen on {port}");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
