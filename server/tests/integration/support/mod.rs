//! The harness: `spawn_app` starts the real application for a test, on port 0, with a database
//! of its own that is removed when the test's last server is dropped.
#![allow(dead_code)]

pub mod shop;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::platform::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::configuration::Settings;
use server::startup::Application;
use sqlx::{AnyPool, Row};

pub const SUPER_ADMIN_PASSWORD: &str = "test-super-admin-1";
pub const CUSTOMER_PASSWORD: &str = "customer-pass-1";
/// The password of users registered through the API (`register`).
pub const PASSWORD: &str = "correct-horse-42";

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: Db,
    pub instance_id: String,
    /// `http://…/metrics` on the server's own metrics listener (METRICS_ADDR).
    pub metrics_url: String,
    env: HashMap<String, String>,
    /// The server's own runtime: dropping it stops every task of that server at once, as a
    /// crash would (nothing gets to finish or clean up).
    runtime: Option<tokio::runtime::Runtime>,
    /// Shared with the servers started from this one (`restart`, `another_instance`); the
    /// database goes when the last of them is dropped. Declared after `runtime`.
    database: Arc<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server with test defaults plus `overrides` (environment-variable names).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let database = Arc::new(fresh_database().await);
    let mut env: HashMap<String, String> = HashMap::from([
        ("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("METRICS_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("DATABASE_URL".to_owned(), database.url.clone()),
        ("SUPER_ADMIN_PASSWORD".to_owned(), SUPER_ADMIN_PASSWORD.to_owned()),
        ("LOGIN_RATE_LIMIT_PER_MINUTE".to_owned(), "0".to_owned()),
        ("DATABASE_MAX_CONNECTIONS".to_owned(), "4".to_owned()),
    ]);
    for (key, value) in overrides {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    start(env, database).await
}

/// Each server runs on a runtime of its own, apart from the test's, so a test can stop it
/// abruptly (`crash`) while another server on the same database carries on.
async fn start(env: HashMap<String, String>, database: Arc<TestDatabase>) -> TestApp {
    let settings = Settings::from_lookup(|name| env.get(name).cloned()).expect("test settings are valid");
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("server runtime");
    // Built on a thread driven by the server's runtime: its pools, listeners and tasks belong
    // to that runtime and die with it.
    let handle = runtime.handle().clone();
    let app = tokio::task::spawn_blocking(move || handle.block_on(Application::build(settings)))
        .await
        .expect("build thread")
        .expect("application builds");
    let address = format!("http://{}", app.local_addr().expect("bound"));
    let db = app.state.db.clone();
    let instance_id = app.state.instance_id.clone();
    let metrics_url = app.metrics_addr().map(|addr| format!("http://{addr}/metrics")).unwrap_or_default();
    runtime.spawn(app.run_until_stopped(std::future::pending()));
    TestApp { address, client: jar_client(), db, instance_id, metrics_url, env, runtime: Some(runtime), database }
}

/// A database of one test: a new SQLite file in a folder of its own, or a new PostgreSQL
/// database when TEST_DATABASE_URL is set. Dropping it deletes it.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(PathBuf),
    Postgres { admin_url: String, name: String },
}

pub async fn fresh_database() -> TestDatabase {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin_url) => {
            sqlx::any::install_default_drivers();
            let template = migrated_template(&admin_url);
            let name = format!("retail_test_{}", uuid::Uuid::new_v4().simple());
            let admin = AnyPool::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            sqlx::raw_sql(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .execute(&admin)
                .await
                .expect("create test database");
            admin.close().await;
            TestDatabase { url: database_url(&admin_url, &name), cleanup: Cleanup::Postgres { admin_url, name } }
        }
        None => {
            let dir = std::env::temp_dir().join(format!("retail-test-{}", uuid::Uuid::new_v4().simple()));
            TestDatabase { url: format!("sqlite://{}/test.db", dir.display()), cleanup: Cleanup::Folder(dir) }
        }
    }
}

/// `admin_url` with its database name replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, _) = admin_url.rsplit_once('/').expect("TEST_DATABASE_URL has a database name");
    format!("{base}/{name}")
}

/// A PostgreSQL database with every migration applied: each test's database is a copy of it
/// (`CREATE DATABASE … TEMPLATE`), much faster than migrating each anew (the server still runs
/// its migrations at start and finds nothing to do). It is named after the migrations, so test
/// processes (and later runs) share it while the migrations stay the same; it is built under a
/// name of its own and renamed when complete, so nobody copies a half-migrated one. Its name
/// starts like the tests' databases: the test command removes it with theirs.
fn migrated_template(admin_url: &str) -> String {
    static TEMPLATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            // On a thread with a runtime of its own: the first test's runtime may be gone before
            // a later test copies the template, and nothing may stay connected to it.
            let admin_url = admin_url.to_owned();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(create_template(&admin_url))
            })
            .join()
            .expect("the template database is made")
        })
        .clone()
}

async fn create_template(admin_url: &str) -> String {
    let all: String = server::migrate::MIGRATIONS.iter().map(|m| server::migrate::checksum(m.sql)).collect();
    let name = format!("retail_test_tpl_{}", &server::migrate::checksum(&all)[..16]);
    let admin = AnyPool::connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
    let exists = |name: String| {
        let admin = admin.clone();
        async move {
            sqlx::query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_one(&admin)
                .await
                .and_then(|row| row.try_get::<i64, _>("n"))
                .expect("look up the template")
                > 0
        }
    };
    if !exists(name.clone()).await {
        let building = format!("{name}_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        sqlx::raw_sql(&format!("CREATE DATABASE {building}")).execute(&admin).await.expect("create template database");
        let db = app::platform::db::connect(&database_url(admin_url, &building), app::platform::Backend::Postgres, 1)
            .await
            .expect("connect to the template database");
        server::migrate::run(&db).await.expect("migrate the template database");
        db.write().close().await;
        // Another process may have finished one first: then this one goes.
        let renamed = sqlx::raw_sql(&format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&admin).await;
        if renamed.is_err() {
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {building}")).execute(&admin).await.expect("drop spare");
            assert!(exists(name.clone()).await, "the template database {name} exists");
        }
    }
    admin.close().await;
    name
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime, which cannot block on another future:
                // a thread of its own with a runtime of its own. FORCE ends the connections of
                // servers that were stopped abruptly.
                let (admin_url, sql) = (admin_url.clone(), format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(async {
                        let admin = AnyPool::connect(&admin_url).await?;
                        sqlx::raw_sql(&sql).execute(&admin).await?;
                        admin.close().await;
                        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                    })
                })
                .join();
                if let Ok(Err(err)) = dropped {
                    eprintln!("could not drop test database {name}: {err}");
                }
            }
        }
    }
}

/// Whether the calling test should run its body here. A test that reads process-wide state
/// (the metrics recorder is one per process, as in production, where a process runs one
/// server; here every test's servers share it) runs alone in a process of its own: called in
/// this binary's test run, this starts the binary again for that one test (`test` is its path,
/// `module::name`), fails if that run fails, and returns false; in that run it returns true.
pub fn alone_in_a_process(test: &str) -> bool {
    const ALONE: &str = "RETAIL_TEST_ALONE";
    if std::env::var(ALONE).is_ok_and(|alone| alone == test) {
        return true;
    }
    // On Linux the running binary itself, even when a build has replaced (and so removed) its
    // file in the shared target folder since this run started.
    let this_process = std::path::Path::new("/proc/self/exe");
    let binary =
        if this_process.exists() { this_process.to_path_buf() } else { std::env::current_exe().expect("test binary") };
    let run = std::process::Command::new(binary)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(ALONE, test)
        .output()
        .expect("the test runs in a process of its own");
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(
        run.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test}, alone in a process, did not pass:\n{stdout}\n{stderr}"
    );
    false
}

/// A password hash computed once per test binary: creating users directly is much faster than
/// registering each through the API (hashing is deliberately slow).
async fn shared_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async { app::accounts::password::hash(CUSTOMER_PASSWORD.to_owned()).await.expect("hash") })
        .await
        .clone()
}

/// A client with a cookie jar of its own, as another browser would be.
pub fn jar_client() -> Client {
    Client::builder().cookie_store(true).build().expect("client")
}

/// Polls `check` every 50 ms until it holds; fails the test after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> reqwest::Response {
    client.post(app.url(path)).json(&body).send().await.expect("POST")
}

pub async fn get_json(app: &TestApp, client: &Client, path: &str) -> Value {
    client.get(app.url(path)).send().await.expect("GET").json().await.expect("json")
}

/// Registers `username` through the API with `PASSWORD`, as the app's own client.
pub async fn register(app: &TestApp, username: &str) -> reqwest::Response {
    app.post_json(
        "/api/register",
        &json!({ "username": username, "email": format!("{username}@example.com"), "password": PASSWORD }),
    )
    .await
}

pub async fn login(app: &TestApp, client: &Client, username: &str, password: &str) -> reqwest::Response {
    client
        .post(app.url("/api/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("POST /api/login")
}

/// The status of `GET /api/me` for this client: 200 while its session lasts.
pub async fn me(app: &TestApp, client: &Client) -> StatusCode {
    client.get(app.url("/api/me")).send().await.expect("GET /api/me").status()
}

pub async fn user_id(app: &TestApp, username: &str) -> i64 {
    app.scalar(&format!("SELECT id AS n FROM users WHERE username = '{username}'")).await
}

pub async fn role_of(app: &TestApp, username: &str) -> String {
    app.text_of(&format!("SELECT role FROM users WHERE username = '{username}'")).await
}

/// The `error` text of a JSON error body.
pub async fn error_of(response: reqwest::Response) -> String {
    response.json::<Value>().await.expect("json error body")["error"].as_str().expect("error text").to_owned()
}

impl TestApp {
    /// Inserts a customer (or admin) directly and returns a client logged in as them.
    pub async fn signed_in(&self, username: &str, role: app::accounts::Role) -> Client {
        let hash = shared_hash().await;
        app::accounts::store::insert_user(&self.db, username, &format!("{username}@example.com"), &hash, role, 0)
            .await
            .expect("insert user")
            .expect("username free");
        let client = jar_client();
        let response = client
            .post(self.url("/api/login"))
            .json(&json!({ "username": username, "password": CUSTOMER_PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        client
    }

    /// Adds a product straight into the catalogue.
    pub async fn product(&self, name: &str, price_cents: i64, stock: i64) -> i64 {
        let draft = app::catalog::model::ProductDraft {
            name: name.to_owned(),
            description: String::new(),
            price_cents,
            stock,
            discount_percent: 0,
            shipping_weight_grams: 0,
            country_of_origin: "USA".to_owned(),
            requires_shipping: false,
        };
        app::catalog::store::insert(&self.db, &draft).await.expect("insert product")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn origin(&self) -> String {
        self.address.clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("POST")
    }

    pub async fn login(&self, username: &str, password: &str) {
        let response = self.post_json("/api/login", &json!({ "username": username, "password": password })).await;
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query(sql).fetch_one(self.db.read()).await.expect("query").try_get("n").expect("column n")
    }

    pub async fn text_of(&self, sql: &str) -> String {
        sqlx::query(sql).fetch_one(self.db.read()).await.expect("query").try_get(0).expect("first column")
    }

    /// A second server on the same database, as after a restart.
    pub async fn restart(&self) -> TestApp {
        start(self.env.clone(), self.database.clone()).await
    }

    /// This server's settings with some changed, for building a server that is expected to fail.
    pub fn settings_with(&self, overrides: &[(&str, &str)]) -> Settings {
        let mut env = self.env.clone();
        for (key, value) in overrides {
            env.insert((*key).to_owned(), (*value).to_owned());
        }
        Settings::from_lookup(|name| env.get(name).cloned()).expect("test settings are valid")
    }

    /// A second server on the same database with some settings changed.
    pub async fn another_instance(&self, overrides: &[(&str, &str)]) -> TestApp {
        let mut env = self.env.clone();
        for (key, value) in overrides {
            env.insert((*key).to_owned(), (*value).to_owned());
        }
        start(env, self.database.clone()).await
    }

    /// Stops this server the way a crash or `kill -9` would: every task it runs (requests in
    /// flight, the payment worker, its heartbeat) ends where it is, nothing is cleaned up.
    pub fn crash(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A simulated payment provider of the test's own, outside every server, so it outlives a
/// crashed server and several servers can share it (`PAYMENT_PROVIDER_URL`).
pub async fn standalone_provider() -> (std::sync::Arc<app::payments::provider::SimulatedProvider>, String) {
    let provider = app::payments::provider::SimulatedProvider::new(app::payments::faults::FaultSettings::default());
    let url = app::payments::provider::serve(provider.clone()).await.expect("simulated provider listens");
    (provider, url)
}
