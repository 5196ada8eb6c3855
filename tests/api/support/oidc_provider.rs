//! A real OpenID Connect provider for the sign-in tests: node's `oidc-provider` (pinned in
//! `tests/support/oidc-provider/package.json`), one process per test on a port of its own,
//! stopped when the test ends. Its packages are installed with `npm ci` the first time a test
//! needs them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLIENT_ID: &str = "neoforge-test";
pub const CLIENT_SECRET: &str = "neoforge-test-secret";

pub struct OidcProvider {
    pub issuer: String,
    /// Dropping it stops the provider.
    _process: Child,
    http: reqwest::Client,
}

/// Options of one provider process.
#[derive(Default)]
pub struct Options {
    /// Listen here rather than on any free port.
    pub port: Option<u16>,
    /// Put the email claims in the ID token too (as Google does), not only in userinfo.
    pub id_token_claims: bool,
}

fn harness_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc-provider")
}

/// `npm ci` once per test run, when the packages are missing or older than the lockfile.
fn install_once() {
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    if *installed {
        return;
    }
    let dir = harness_dir();
    let marker = dir.join("node_modules/.package-lock.json");
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
    };
    let fresh = matches!(
        (modified(&marker), modified(&dir.join("package-lock.json"))),
        (Some(installed), Some(locked)) if installed >= locked
    );
    if !fresh {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is installed (Node.js 20+ is required to build and test NeoForge)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    *installed = true;
}

impl OidcProvider {
    /// A provider whose one client redirects to `redirect_uri`.
    pub async fn start(redirect_uri: &str, options: Options) -> Self {
        install_once();
        let mut command = Command::new("node");
        command
            .arg(harness_dir().join("provider.mjs"))
            .args(["--port", &options.port.unwrap_or(0).to_string()])
            .args(["--redirect-uri", redirect_uri])
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if options.id_token_claims {
            command.arg("--id-token-claims");
        }
        let mut process = command
            .spawn()
            .expect("node is installed (Node.js 20+ is required to build and test NeoForge)");
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let issuer = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(issuer) = line.strip_prefix("listening ") {
                    return issuer.to_owned();
                }
            }
            panic!("the OIDC provider exited before listening");
        })
        .await
        .expect("the OIDC provider starts within 30 s");
        // Keep reading, so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            issuer,
            _process: process,
            http: reqwest::Client::new(),
        }
    }

    /// What the account `id` reports when it signs in.
    pub async fn account(&self, id: &str, email: &str, verified: bool, name: Option<&str>) {
        let response = self
            .http
            .post(format!("{}/__test/accounts", self.issuer))
            .json(&json!({"id": id, "email": email, "email_verified": verified, "name": name}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// Publish a key set that does not hold the key the ID tokens are signed with (another
    /// key under the same key id).
    pub async fn publish_foreign_keys(&self) {
        let response = self
            .http
            .post(format!("{}/__test/jwks", self.issuer))
            .json(&json!({"foreign": true}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}
