use reqwest::StatusCode;

use crate::helpers::{REDIS_ENV, TestApp, body, problem};

#[tokio::test]
async fn health_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/health", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn ready_reports_each_check() {
    let app = TestApp::spawn().await;
    let response = app.get("/ready", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let expected = if std::env::var(REDIS_ENV).is_ok() {
        serde_json::json!({"status": "ready", "checks": {"database": "ok", "cache": "ok"}})
    } else {
        serde_json::json!({"status": "ready", "checks": {"database": "ok"}})
    };
    assert_eq!(body(response).await, expected);
}

/// A TCP proxy in front of the real Redis that the test can cut, as a network failure would.
struct CuttableProxy {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl CuttableProxy {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { port, task }
    }

    /// Drop every connection and stop accepting new ones.
    fn cut(&self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn when_redis_fails_the_app_keeps_serving_and_ready_says_so() {
    let Ok(redis_url) = std::env::var(REDIS_ENV) else {
        // Runs in the Redis legs of the suite (`.ci/run` sets the variable).
        return;
    };
    let host_port = redis_url
        .trim_start_matches("redis://")
        .trim_end_matches('/');
    let target = tokio::net::lookup_host(host_port)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = CuttableProxy::start(target).await;
    let proxied = format!("redis://127.0.0.1:{}", proxy.port);
    let app = TestApp::spawn_with(move |settings| {
        settings.redis.as_mut().expect("the Redis leg").url = proxied.into();
    })
    .await;
    let user = app.signed_in_user().await;
    assert_eq!(app.get("/ready", None).await.status(), StatusCode::OK);

    proxy.cut();
    let not_ready = problem(
        app.get("/ready", None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(not_ready["checks"]["cache"], "error");
    assert_eq!(not_ready["checks"]["database"], "ok");
    // Sessions are checked in the database instead; sign-in limits fall back to in-process.
    assert_eq!(
        app.get("/api/users/me", Some(&user.token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login(&user.email, crate::helpers::PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    app.post("/api/auth/logout", Some(&user.token)).await;
    assert_eq!(
        app.get("/api/users/me", Some(&user.token)).await.status(),
        StatusCode::UNAUTHORIZED,
        "a logout still takes effect"
    );
}

#[tokio::test]
async fn ready_is_503_naming_the_failing_check_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close();
    let problem = problem(
        app.get("/ready", None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(problem["checks"]["database"], "error");
    assert!(problem["detail"].as_str().unwrap().contains("database"));
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn replicas_starting_together_on_an_empty_database_all_come_up() {
    let replicas = TestApp::spawn_together(4).await;
    for replica in &replicas {
        assert_eq!(replica.get("/ready", None).await.status(), StatusCode::OK);
    }
}
