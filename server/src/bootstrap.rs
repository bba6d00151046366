//! First-start data: the super admin, and (with DEMO_SEED=1) demo accounts and a catalogue.

use app::accounts::model::Role;
use app::accounts::{password, store as accounts};
use app::catalog::model::ProductDraft;
use app::catalog::store as catalog;
use app::platform::{now_ms, AppError, Db};
use rand::distributions::{Alphanumeric, DistString};
use sqlx::Row;

use crate::configuration::{AppEnv, Settings};

mod demo_return;
pub use demo_return::DEMO_RMA;

/// Demo accounts created by DEMO_SEED=1; their passwords are published in the README.
pub const DEMO_ACCOUNTS: &[(&str, &str, Role)] = &[
    ("demo_admin", "admin-demo-2026", Role::Admin),
    ("alice", "alice-demo-2026", Role::Customer),
    ("bob", "bob-demo-2026", Role::Customer),
];

/// The address domain of the demo accounts' emails: with the username, it tells a seeded demo
/// account from a customer who happens to have chosen the same name.
const DEMO_EMAIL_DOMAIN: &str = "demo.retail.local";

/// APP_ENV=production refuses to start while demo accounts (published passwords) exist.
pub async fn refuse_demo_accounts_in_production(db: &Db, settings: &Settings) -> Result<(), String> {
    if settings.app_env != AppEnv::Production {
        return Ok(());
    }
    let mut found = Vec::new();
    for (username, _, _) in DEMO_ACCOUNTS {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE username = $1 AND email = $2")
            .bind(*username)
            .bind(format!("{username}@{DEMO_EMAIL_DOMAIN}"))
            .fetch_one(db.read())
            .await
            .map_err(|e| format!("cannot check for demo accounts: {e}"))?;
        if row.try_get::<i64, _>("n").map_err(|e| format!("cannot check for demo accounts: {e}"))? > 0 {
            found.push(*username);
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    found.sort_unstable();
    Err(format!(
        "demo accounts found in the database: {}. Their passwords are published, so APP_ENV=production \
         refuses to start: delete these users (or start on a fresh database)",
        found.join(", ")
    ))
}

/// Creates the super admin on first start. With SUPER_ADMIN_PASSWORD set, an existing super
/// admin whose password differs is reset to it (how an operator recovers the account).
pub async fn ensure_super_admin(db: &Db, settings: &Settings) -> Result<(), AppError> {
    let name = &settings.super_admin_username;
    if let Some(existing) = accounts::credentials_by_username(db, name).await? {
        if existing.user.role != Role::SuperAdmin {
            return Err(AppError::internal(format!(
                "SUPER_ADMIN_USERNAME '{name}' belongs to an existing {} account; choose another name",
                existing.user.role.as_str()
            )));
        }
        if let Some(wanted) = &settings.super_admin_password {
            if !password::verify(wanted.clone(), Some(existing.password_hash)).await? {
                let hash = password::hash(wanted.clone()).await?;
                // A reset ends every session of the account (whoever held the old password).
                let ended = accounts::set_password_and_end_sessions(db, existing.user.id, &hash, None).await?;
                tracing::warn!(
                    username = %name,
                    sessions_ended = ended,
                    "super admin password reset from SUPER_ADMIN_PASSWORD"
                );
            }
        }
        return Ok(());
    }
    let (plain, generated) = match &settings.super_admin_password {
        Some(p) => (p.clone(), false),
        None => (Alphanumeric.sample_string(&mut rand::thread_rng(), 20) + "7", true),
    };
    let hash = password::hash(plain.clone()).await?;
    accounts::insert_user(db, name, &settings.super_admin_email, &hash, Role::SuperAdmin, now_ms()).await?;
    if generated {
        // Printed once, on the start that created the account; set SUPER_ADMIN_PASSWORD to choose one.
        tracing::warn!(username = %name, generated_password = %plain, "super admin created with a generated password; it is shown only this once");
    } else {
        tracing::info!(username = %name, "super admin created");
    }
    Ok(())
}

pub async fn seed_demo(db: &Db) -> Result<(), AppError> {
    for (username, plain, role) in DEMO_ACCOUNTS {
        if accounts::username_taken(db, username).await? {
            continue;
        }
        let hash = password::hash((*plain).to_owned()).await?;
        accounts::insert_user(db, username, &format!("{username}@{DEMO_EMAIL_DOMAIN}"), &hash, *role, now_ms()).await?;
    }
    if catalog::count(db).await? == 0 {
        for product in demo_catalogue() {
            catalog::insert(db, &product).await?;
        }
    }
    demo_return::seed(db).await?;
    tracing::info!(accounts = DEMO_ACCOUNTS.len(), "demo data ready");
    Ok(())
}

fn demo_catalogue() -> Vec<ProductDraft> {
    let p = |name: &str, description: &str, price_cents, stock, discount_percent, grams, origin: &str, ships| {
        ProductDraft {
            name: name.to_owned(),
            description: description.to_owned(),
            price_cents,
            stock,
            discount_percent,
            shipping_weight_grams: grams,
            country_of_origin: origin.to_owned(),
            requires_shipping: ships,
        }
    };
    vec![
        p(
            "Laptop",
            "14-inch workhorse with a bright screen and an all-day battery.",
            120_000,
            40,
            10,
            2500,
            "China",
            true,
        ),
        p("Mouse", "Wireless mouse with a quiet click and a two-year battery.", 2_500, 200, 0, 200, "USA", true),
        p("Keyboard", "Mechanical keyboard with hot-swappable switches.", 7_500, 150, 15, 800, "China", true),
        p(
            "Software License",
            "One-year licence for the office suite, delivered by email.",
            30_000,
            80,
            0,
            0,
            "USA",
            false,
        ),
        p("USB-C Hub", "Seven ports, 100 W pass-through charging.", 4_599, 60, 5, 150, "Taiwan", true),
        p("27-inch Monitor", "QHD panel, height-adjustable stand.", 27_999, 25, 0, 6500, "South Korea", true),
        p("Headphones", "Over-ear, noise-cancelling, folds flat for travel.", 19_900, 8, 20, 350, "Japan", true),
    ]
}
