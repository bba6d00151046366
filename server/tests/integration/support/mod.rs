//! Shared by the integration-test binaries; each uses a subset of it.
#![allow(dead_code)]

//! Spawns the real application for a test, on port 0 with its own database.

use std::collections::HashMap;

use app::platform::Db;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::configuration::Settings;
use server::startup::Application;
use sqlx::{AnyPool, Row};

pub const SUPER_ADMIN_PASSWORD: &str = "test-super-admin-1";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub instance_id: String,
    /// `http://…/metrics` on the server's own metrics listener (METRICS_ADDR).
    pub metrics_url: String,
    env: HashMap<String, String>,
    /// The server's own runtime: dropping it stops every task of that server at once, as a
    /// crash would (nothing gets to finish or clean up).
    runtime: Option<tokio::runtime::Runtime>,
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
    let mut env: HashMap<String, String> = HashMap::from([
        ("LEPTOS_SITE_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("METRICS_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("DATABASE_URL".to_owned(), fresh_database_url().await),
        ("SUPER_ADMIN_PASSWORD".to_owned(), SUPER_ADMIN_PASSWORD.to_owned()),
        ("LOGIN_RATE_LIMIT_PER_MINUTE".to_owned(), "0".to_owned()),
        ("DATABASE_MAX_CONNECTIONS".to_owned(), "4".to_owned()),
    ]);
    for (key, value) in overrides {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    start(env).await
}

/// Each server runs on a runtime of its own, apart from the test's, so a test can stop it
/// abruptly (`crash`) while another server on the same database carries on.
async fn start(env: HashMap<String, String>) -> TestApp {
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
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    TestApp { address, client, db, instance_id, metrics_url, env, runtime: Some(runtime) }
}

/// A new SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set.
pub async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin_url) => {
            sqlx::any::install_default_drivers();
            let name = format!("retail_test_{}", uuid::Uuid::new_v4().simple());
            let admin = AnyPool::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create test database");
            admin.close().await;
            let (base, _) = admin_url.rsplit_once('/').expect("TEST_DATABASE_URL has a database name");
            format!("{base}/{name}")
        }
        None => {
            let dir = std::env::temp_dir().join(format!("retail-test-{}", uuid::Uuid::new_v4().simple()));
            format!("sqlite://{}/test.db", dir.display())
        }
    }
}

/// A password hash computed once per test binary: creating users directly is much faster than
/// registering each through the API (hashing is deliberately slow).
async fn shared_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async { app::accounts::password::hash(CUSTOMER_PASSWORD.to_owned()).await.expect("hash") })
        .await
        .clone()
}

pub const CUSTOMER_PASSWORD: &str = "customer-pass-1";

impl TestApp {
    /// Inserts a customer (or admin) directly and returns a client logged in as them.
    pub async fn signed_in(&self, username: &str, role: app::accounts::Role) -> reqwest::Client {
        let hash = shared_hash().await;
        app::accounts::store::insert_user(&self.db, username, &format!("{username}@example.com"), &hash, role, 0)
            .await
            .expect("insert user")
            .expect("username free");
        let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
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
        start(self.env.clone()).await
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
        start(env).await
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
