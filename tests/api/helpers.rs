//! Starts the real application on port 0 with a fresh database per test: a new SQLite file by
//! default, or a new PostgreSQL database when `NEOFORGE_TEST_DATABASE_URL` points at a server
//! (dropped again when the test ends).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use neoforge::cli::ConfigArgs;
use neoforge::config::{Environment, Settings};
use neoforge::db::{Db, Param};
use neoforge::jobs::Worker;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

pub const POSTGRES_ENV: &str = "NEOFORGE_TEST_DATABASE_URL";
/// Set to a `redis://` URL to run the suite on the Redis cache backend.
pub const REDIS_ENV: &str = "NEOFORGE_TEST_REDIS_URL";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub settings: Settings,
    worker: Worker,
    /// Shared with the app's replicas; dropped with the last of them.
    database: Arc<TestDatabase>,
    redis_keys: Option<Arc<RedisKeys>>,
}

/// A signed-in user of a test app.
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
}

/// A personal API key: its id and its secret (`nf_…`).
pub struct TestKey {
    pub id: String,
    pub secret: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Start the app with settings a test adjusted first.
    pub async fn spawn_with(customise: impl FnOnce(&mut Settings)) -> Self {
        let (mut settings, database, redis) = Self::fresh_settings().await;
        customise(&mut settings);
        Self::start(settings, Arc::new(database), redis.map(Arc::new)).await
    }

    /// The app on a Redis of the test's own at `port` (under the test's key prefix), for
    /// tests that stop and start Redis. Only in the Redis legs of the suite.
    pub async fn spawn_on_redis(port: u16) -> Self {
        Self::spawn_with(|settings| {
            let shared = settings
                .redis
                .as_mut()
                .expect("the Redis legs configure Redis");
            shared.url = format!("redis://127.0.0.1:{port}").into();
        })
        .await
    }

    /// `count` replicas started at the same moment on one fresh, empty database, as
    /// containers that start together are.
    pub async fn spawn_together(count: usize) -> Vec<Self> {
        let (settings, database, redis) = Self::fresh_settings().await;
        let (database, redis) = (Arc::new(database), redis.map(Arc::new));
        let starts =
            (0..count).map(|_| Self::start(settings.clone(), Arc::clone(&database), redis.clone()));
        futures_util::future::join_all(starts).await
    }

    async fn fresh_settings() -> (Settings, TestDatabase, Option<RedisKeys>) {
        let database = TestDatabase::create().await;
        let redis = std::env::var(REDIS_ENV).ok().map(|url| RedisKeys {
            url,
            prefix: format!("neoforge-test:{}:", Uuid::new_v4().simple()),
        });
        let settings = test_settings(
            database.data_dir.path(),
            database.url.clone(),
            redis
                .as_ref()
                .map(|redis| (redis.url.as_str(), redis.prefix.as_str())),
        );
        (settings, database, redis)
    }

    /// Another replica of this app: the same settings, database and (when the suite runs on
    /// Redis) Redis key prefix, so the two share sessions, cache and rate-limit counters the
    /// way replicas behind a load balancer do; its own port, worker and in-process state.
    pub async fn spawn_replica(&self) -> Self {
        Self::start(
            self.settings.clone(),
            Arc::clone(&self.database),
            self.redis_keys.clone(),
        )
        .await
    }

    async fn start(
        settings: Settings,
        database: Arc<TestDatabase>,
        redis_keys: Option<Arc<RedisKeys>>,
    ) -> Self {
        let app = neoforge::Application::build(settings.clone())
            .await
            .expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let worker = app.worker();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            address,
            client,
            db,
            settings,
            worker,
            database,
            redis_keys,
        }
    }

    /// The app's job worker (a test may run several at once).
    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// Run every due background job now (sends queued emails); returns how many ran.
    pub async fn run_jobs(&self) -> usize {
        self.worker
            .run_until_idle()
            .await
            .expect("the job queue works")
    }

    /// Run the queued jobs, then return the emails in the outbox sent to `to`, oldest first.
    pub async fn emails_to(&self, to: &str) -> Vec<String> {
        self.run_jobs().await;
        let dir = self.settings.data_dir.join("mail");
        let mut paths: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        paths
            .into_iter()
            .map(|path| std::fs::read_to_string(path).unwrap())
            .filter(|message| {
                message
                    .lines()
                    .any(|line| line.eq_ignore_ascii_case(&format!("to: {to}")))
            })
            .collect()
    }

    /// The token of the newest link to `path` (e.g. `/verify-email`) emailed to `to`.
    pub async fn emailed_token(&self, to: &str, path: &str) -> String {
        let emails = self.emails_to(to).await;
        emails
            .iter()
            .rev()
            .find_map(|message| link_token(message, path))
            .unwrap_or_else(|| panic!("no email to {to} links to {path}"))
    }

    /// Arrange data directly in the database (what no endpoint can do yet).
    pub async fn sql(&self, sql: &'static str, params: &[Param<'_>]) -> u64 {
        let mut conn = self.db.write().await.unwrap();
        conn.execute(sql, params).await.unwrap()
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        with_token(self.request(Method::GET, path), token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        with_token(self.request(Method::DELETE, path), token)
            .send()
            .await
            .unwrap()
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        with_token(self.request(method, path), token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.send_json(
            Method::POST,
            "/api/auth/register",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.send_json(
            Method::POST,
            "/api/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Register and sign in a new user with a unique email.
    pub async fn signed_in_user(&self) -> TestUser {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        let registered = self.register(&email, PASSWORD).await;
        assert_eq!(registered.status(), StatusCode::CREATED);
        let id = body(registered).await["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let login = self.login(&email, PASSWORD).await;
        assert_eq!(login.status(), StatusCode::OK);
        let pair = body(login).await;
        let token = pair["access_token"].as_str().unwrap().to_owned();
        let refresh_token = pair["refresh_token"].as_str().unwrap().to_owned();
        TestUser {
            id,
            email,
            token,
            refresh_token,
        }
    }

    /// Sign `user` in again: a new session. Returns `(access token, refresh token)`.
    pub async fn new_session(&self, user: &TestUser) -> (String, String) {
        let login = self.login(&user.email, PASSWORD).await;
        assert_eq!(login.status(), StatusCode::OK);
        let pair = body(login).await;
        (
            pair["access_token"].as_str().unwrap().to_owned(),
            pair["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Make every session of `user` look signed in long ago, as if the reauthentication
    /// window had passed.
    pub async fn age_sign_in(&self, user: &TestUser) {
        self.sql(
            "UPDATE sessions SET authenticated_at = 0 WHERE user_id = $1",
            &[user.id.into()],
        )
        .await;
    }

    /// A signed-in user with role `admin`.
    pub async fn signed_in_admin(&self) -> TestUser {
        let admin = self.signed_in_user().await;
        self.sql(
            "UPDATE users SET role = 'admin' WHERE id = $1",
            &[admin.id.into()],
        )
        .await;
        admin
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.send_json(
            Method::POST,
            "/api/auth/refresh",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>) -> Response {
        with_token(self.request(Method::POST, path), token)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_todo(&self, user: &TestUser, body: &Value) -> Response {
        self.send_json(Method::POST, "/api/todos", Some(&user.token), body)
            .await
    }

    /// A new personal API key of `user` with these scopes.
    pub async fn api_key(&self, user: &TestUser, scopes: &[&str]) -> TestKey {
        let response = self
            .send_json(
                Method::POST,
                "/api/users/me/api-keys",
                Some(&user.token),
                &json!({"name": "test key", "scopes": scopes}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created = body(response).await;
        TestKey {
            id: created["id"].as_str().unwrap().to_owned(),
            secret: created["key"].as_str().unwrap().to_owned(),
        }
    }

    /// Add a passkey made by `authenticator` to `user`'s account (whose session must be
    /// fresh); returns it as listed.
    pub async fn passkey(
        &self,
        user: &TestUser,
        authenticator: &mut crate::support::authenticator::Authenticator,
        name: &str,
    ) -> Value {
        let started = self
            .post("/api/users/me/passkeys/registration", Some(&user.token))
            .await;
        assert_eq!(started.status(), StatusCode::OK);
        let started = body(started).await;
        let credential = authenticator.create(&started["options"]);
        let added = self
            .send_json(
                Method::POST,
                "/api/users/me/passkeys",
                Some(&user.token),
                &json!({"ceremony_id": started["ceremony_id"], "name": name, "credential": credential}),
            )
            .await;
        assert_eq!(added.status(), StatusCode::CREATED);
        body(added).await
    }

    /// Create a todo that must succeed; returns it.
    pub async fn todo(&self, user: &TestUser, title: &str) -> Value {
        let response = self.create_todo(user, &json!({"title": title})).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        body(response).await
    }
}

/// Settings of a test app: SQLite in `data_dir` unless `database_url` is given, the Redis
/// cache when `redis` (URL, key prefix) is given, listening on a free port.
pub fn test_settings(
    data_dir: &std::path::Path,
    database_url: Option<String>,
    redis: Option<(&str, &str)>,
) -> Settings {
    Settings::new(ConfigArgs {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_owned(),
        environment: Environment::Development,
        public_url: "http://localhost:8000".into(),
        secret: Some(Uuid::new_v4().simple().to_string().repeat(2).into()),
        database_url,
        log_filter: "warn".into(),
        cors_origins: String::new(),
        redis_url: redis.map(|(url, _)| url.to_owned()),
        redis_prefix: redis.map_or_else(String::new, |(_, prefix)| prefix.to_owned()),
        smtp_url: None,
        mail_from: "NeoForge <noreply@localhost>".into(),
        trust_proxy: false,
        // Tests run the queue themselves, deterministically: see `run_jobs`.
        worker: false,
        ops: Default::default(),
        events: Default::default(),
        rate_limits: Default::default(),
        passwords: Default::default(),
        cache: Default::default(),
        api_access: Default::default(),
        passkeys: Default::default(),
        sign_in: Default::default(),
        assistant: Default::default(),
        providers: Default::default(),
        connect: Default::default(),
        clients: Default::default(),
    })
    .expect("test settings are valid")
}

/// The `token` of a link to `path` in a raw message (quoted-printable soft breaks undone).
pub fn link_token(message: &str, path: &str) -> Option<String> {
    let decoded = message.replace("=\r\n", "").replace("=3D", "=");
    let marker = format!("{path}?token=");
    let start = decoded.find(&marker)? + marker.len();
    let token: String = decoded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// The test's own Redis keys, deleted when the test ends.
struct RedisKeys {
    url: String,
    prefix: String,
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        let Ok(mut connection) =
            redis::Client::open(self.url.as_str()).and_then(|client| client.get_connection())
        else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut connection)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut connection);
        }
    }
}

pub fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

pub async fn body(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Assert an RFC 9457 problem response with `status`; returns its body.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let problem = body(response).await;
    assert_eq!(problem["status"], status.as_u16());
    assert!(
        problem["title"].is_string() && problem["detail"].is_string(),
        "{problem}"
    );
    problem
}

/// The fields named in a `422` problem, in order.
pub async fn invalid_fields(response: Response) -> Vec<String> {
    let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem["errors"]
        .as_array()
        .expect("a validation problem lists its errors")
        .iter()
        .map(|error| error["field"].as_str().unwrap().to_owned())
        .collect()
}

/// The test's own database: a directory for SQLite, plus a throwaway PostgreSQL database
/// when the suite runs against PostgreSQL.
struct TestDatabase {
    data_dir: TempDir,
    url: Option<String>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    async fn create() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let Ok(server) = std::env::var(POSTGRES_ENV) else {
            return Self {
                data_dir,
                url: None,
                postgres: None,
            };
        };
        let name = format!("neoforge_test_{}", Uuid::new_v4().simple());
        admin_command(&server, format!(r#"CREATE DATABASE "{name}""#))
            .await
            .expect("creating a test database");
        let url = with_database(&server, &name);
        Self {
            data_dir,
            url: Some(url),
            postgres: Some((server, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on async work: use a
        // runtime of its own on a plain thread.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(admin_command(
                    &server,
                    format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#),
                ))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}

/// Run one statement on the test server's maintenance connection.
async fn admin_command(server: &str, sql: String) -> anyhow::Result<()> {
    let (client, mut messages) =
        neoforge::db::postgres::connect_dedicated(&server.to_owned().into(), "neoforge-tests")
            .await?;
    let driver = tokio::spawn(async move { while messages.next().await.is_some() {} });
    let result = client.batch_execute(&sql).await;
    drop(client);
    let _ = driver.await;
    Ok(result?)
}

/// `postgres://user@host:port/any` with the database part replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let prefix_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[prefix_end..].find('/') {
        Some(slash) => &base[..prefix_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The SQLite database in `data_dir` that the binary run with `--data-dir` uses, migrated,
/// for arranging and checking what a command-line run did.
pub async fn data_dir_db(data_dir: &std::path::Path) -> Db {
    let args = <neoforge::cli::Cli as clap::Parser>::parse_from([
        "neoforge",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    let settings = Settings::new(args.config).unwrap();
    let db = Db::connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    db
}

/// Where the binary under test is, for tests of the command line and process behaviour.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_neoforge"))
}
