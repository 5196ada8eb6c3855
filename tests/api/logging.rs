//! The logs of the real binary: one line per request with its context, warnings for slow
//! requests, and never a credential, even with every app crate at `trace`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::binary;

const PASSWORD: &str = "Tr0ub4dor-3-never-logged";
const COOKIE: &str = "neoforge_refresh=cookie-value-never-logged";
const TRACE_EVERYTHING: &str = "trace,hyper=info,hyper_util=info,h2=info,reqwest=info";

pub struct Server {
    child: Child,
    port: u16,
    stdout: JoinHandle<Vec<String>>,
    stderr: JoinHandle<String>,
    _data_dir: TempDir,
}

impl Server {
    pub fn start(extra_env: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary())
            .env_clear()
            .env("NEOFORGE_DATA_DIR", data_dir.path())
            .env("NEOFORGE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", TRACE_EVERYTHING)
            .envs(extra_env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (port_tx, port_rx) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let stdout = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in stdout.lines() {
                let line = line.unwrap();
                if line.contains("\"listening\"") {
                    let log: Value = serde_json::from_str(&line).unwrap();
                    let addr = log["addr"].as_str().unwrap().to_owned();
                    let _ = port_tx.send(addr.rsplit(':').next().unwrap().parse::<u16>().unwrap());
                }
                lines.push(line);
            }
            lines
        });
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts listening");
        Self {
            child,
            port,
            stdout,
            stderr,
            _data_dir: data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, wait for the exit, and return every line written to stdout and stderr.
    pub fn stop(mut self) -> (Vec<String>, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(self.child.wait().unwrap().success());
        (self.stdout.join().unwrap(), self.stderr.join().unwrap())
    }
}

fn request_logs<'a>(lines: &'a [Value], route: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|log| log["span"]["name"] == "request" && log["span"]["route"] == route)
        .filter(|log| log["message"] == "request completed" || log["message"] == "slow request")
        .collect()
}

#[tokio::test]
async fn no_credential_ever_reaches_the_logs() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let email = "logs@example.com";

    let registered = client
        .post(server.url("/api/auth/register"))
        .header("cookie", COOKIE)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered_id = registered.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let login: Value = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();

    // The browser's flow: the refresh token travels in a cookie.
    let by_cookie = client
        .post(server.url("/api/auth/refresh"))
        .header("cookie", format!("neoforge_refresh={refresh}"))
        .header("x-requested-with", "neoforge")
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);
    let set_cookie = by_cookie.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let cookie_pair: Value = by_cookie.json().await.unwrap();
    let cookie_refresh = cookie_pair["refresh_token"].as_str().unwrap().to_owned();
    // An API client's flow: in the body.
    let by_body: Value = client
        .post(server.url("/api/auth/refresh"))
        .json(&json!({"refresh_token": cookie_refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body_refresh = by_body["refresh_token"].as_str().unwrap().to_owned();
    let body_access = by_body["access_token"].as_str().unwrap().to_owned();
    // Reusing a rotated token is refused (and ends the session).
    let reused = client
        .post(server.url("/api/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    let user_id = registered_id.clone();
    let form = client
        .post(server.url("/api/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("username", email), ("password", PASSWORD)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let form_token = form.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": email, "password": format!("{PASSWORD}x")}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let login_again: Value = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = login_again["access_token"].as_str().unwrap().to_owned();
    let authorization = format!("Bearer {access}");
    let mut request_ids = Vec::new();
    for _ in 0..2 {
        let me = client
            .get(server.url("/api/users/me"))
            .header("authorization", &authorization)
            .header("cookie", COOKIE)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        request_ids.push(me.headers()["x-request-id"].to_str().unwrap().to_owned());
    }
    let created = client
        .post(server.url("/api/todos"))
        .header("authorization", &authorization)
        .json(&json!({"title": "write the logs test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let forged = client
        .get(server.url("/api/todos"))
        .header("authorization", format!("Bearer {access}forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let logout = client
        .post(server.url("/api/auth/logout"))
        .header("authorization", &authorization)
        .header(
            "cookie",
            format!(
                "neoforge_refresh={}",
                login_again["refresh_token"].as_str().unwrap()
            ),
        )
        .header("x-requested-with", "neoforge")
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_success(), "{}", logout.status());

    let (stdout, stderr) = server.stop();
    let everything = format!("{}\n{stderr}", stdout.join("\n"));
    assert!(
        everything.contains("request completed"),
        "the app logged its requests"
    );
    for (what, secret) in [
        ("password", PASSWORD),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
        (
            "first access token",
            login["access_token"].as_str().unwrap(),
        ),
        ("refresh token sent as a cookie", cookie_refresh.as_str()),
        ("refresh token sent in a body", body_refresh.as_str()),
        ("refreshed access token", body_access.as_str()),
        ("Set-Cookie value", set_cookie.as_str()),
        (
            "second session's refresh token",
            login_again["refresh_token"].as_str().unwrap(),
        ),
        ("token from the password form", form_token.as_str()),
        ("Authorization header", authorization.as_str()),
        ("cookie", COOKIE),
        ("cookie value", "cookie-value-never-logged"),
    ] {
        assert!(!everything.contains(secret), "the {what} was logged");
    }
    // A JWT's signature alone is enough to forge nothing, but it is still the token's secret part.
    let signature = access.rsplit('.').next().unwrap();
    assert!(
        !everything.contains(signature),
        "the token's signature was logged"
    );

    // One line per request, at completion, with its context.
    let lines: Vec<Value> = stdout
        .iter()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON"))
        .collect();
    let me = request_logs(&lines, "/api/users/me");
    assert_eq!(me.len(), 2, "{me:?}");
    for (log, id) in me.iter().zip(&request_ids) {
        assert_eq!(log["level"], "INFO");
        assert_eq!(log["span"]["request_id"], id.as_str());
        assert_eq!(log["span"]["method"], "GET");
        assert_eq!(log["span"]["user_id"], user_id.as_str());
        assert_eq!(log["status"], 200);
        assert!(log["latency_ms"].as_f64().unwrap() >= 0.0);
    }
    assert_eq!(request_logs(&lines, "/api/auth/register").len(), 1);
    assert_eq!(request_logs(&lines, "/api/auth/login").len(), 3);
    assert_eq!(request_logs(&lines, "/api/auth/refresh").len(), 3);
}

#[tokio::test]
async fn requests_over_the_threshold_are_warnings() {
    let server = Server::start(&[("NEOFORGE_SLOW_REQUEST_MS", "0")]);
    let response = reqwest::get(server.url("/health")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (stdout, _) = server.stop();
    let lines: Vec<Value> = stdout
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let health = request_logs(&lines, "/health");
    assert_eq!(health.len(), 1);
    assert_eq!(health[0]["level"], "WARN");
    assert_eq!(health[0]["message"], "slow request");
    assert_eq!(health[0]["status"], 200);
}
