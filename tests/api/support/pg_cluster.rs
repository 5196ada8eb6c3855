//! A private PostgreSQL cluster on a spare port, for tests that need TLS or that stop and
//! start the server. It needs what the PostgreSQL legs of CI have: root (the server runs as
//! the `postgres` OS user) and the server binaries under `/usr/lib/postgresql/*/bin`.
//! Dropping it stops the server and deletes its files, also when the test panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

use super::certs::ServerCert;
use super::spare_port;

pub struct PgCluster {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    running: bool,
}

impl PgCluster {
    /// A new cluster (`initdb`), not started yet, trusting every local user. With `tls`, it
    /// serves that certificate and refuses unencrypted connections, as managed services do.
    /// It listens on 127.0.0.1 and 127.0.0.2, so a test can reach it by a name that its
    /// certificate does not carry.
    pub fn init(tls: Option<&ServerCert>) -> Self {
        let bin = server_binaries();
        let dir = tempfile::tempdir().unwrap();
        let port = spare_port();
        let cluster = Self {
            dir,
            bin,
            port,
            running: false,
        };
        give_to_postgres(cluster.dir());
        cluster.as_postgres(
            "initdb",
            &[
                "-D",
                cluster.data().to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ],
        );
        let mut conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1,127.0.0.2'\n\
             unix_socket_directories = '{}'\nfsync = off\nmax_connections = 60\n",
            cluster.dir().display()
        );
        let mut hba = String::from("local all all trust\n");
        if let Some(cert) = tls {
            let cert_file = cluster.dir().join("server.crt");
            let key_file = cluster.dir().join("server.key");
            std::fs::write(&cert_file, &cert.cert_pem).unwrap();
            std::fs::write(&key_file, &cert.key_pem).unwrap();
            std::fs::set_permissions(
                &key_file,
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .unwrap();
            give_to_postgres(&cert_file);
            give_to_postgres(&key_file);
            conf.push_str(&format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                cert_file.display(),
                key_file.display()
            ));
            hba.push_str("hostssl all all 127.0.0.0/8 trust\nhostnossl all all 0.0.0.0/0 reject\n");
        } else {
            hba.push_str("host all all 127.0.0.0/8 trust\n");
        }
        append(&cluster.data().join("postgresql.conf"), &conf);
        std::fs::write(cluster.data().join("pg_hba.conf"), hba).unwrap();
        cluster
    }

    /// Start the server and wait until it accepts connections.
    pub fn start(&mut self) {
        let log = self.dir().join("server.log");
        self.as_postgres(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        self.running = true;
    }

    /// Stop the server at once, as a crash or a kill would.
    pub fn stop(&mut self) {
        assert!(self.try_stop(), "pg_ctl stop failed");
    }

    fn try_stop(&mut self) -> bool {
        if !self.running {
            return true;
        }
        self.running = false;
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "stop",
            ])
            .output()
            .is_ok_and(|output| output.status.success())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A directory of the cluster's own, deleted with it: for files the test writes.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn data(&self) -> PathBuf {
        self.dir().join("data")
    }

    fn as_postgres(&self, program: &str, args: &[&str]) -> Output {
        let output = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .output()
            .expect("runuser runs (the tests need root)");
        if !output.status.success() {
            let log = std::fs::read_to_string(self.dir().join("server.log")).unwrap_or_default();
            panic!(
                "{program} failed: {}\n{}\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        output
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.try_stop();
    }
}

/// The newest installed server's `bin` directory.
fn server_binaries() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("the PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): install `postgresql`")
        .1
}

fn give_to_postgres(path: &Path) {
    let status = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "chown postgres {}", path.display());
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}
