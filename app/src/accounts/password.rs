//! Argon2id hashing, run on the blocking pool so it never stalls the async runtime threads.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::platform::AppError;

/// Each hash takes 12 MiB; at most this many run at once (per server), so a burst of logins
/// cannot balloon the process.
pub const PARALLEL_HASHES: usize = 2;

/// Limits concurrent hashing; one per server, shared through the application state.
pub struct Hasher {
    slots: Semaphore,
}

impl Default for Hasher {
    fn default() -> Self {
        Self { slots: Semaphore::new(PARALLEL_HASHES) }
    }
}

impl Hasher {
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _slot = self.slots.acquire().await.map_err(AppError::internal)?;
        hash(password).await
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _slot = self.slots.acquire().await.map_err(AppError::internal)?;
        verify(password, stored).await
    }
}

/// Hashes without a limit (start-up and tests); request paths go through `Hasher`.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await.map_err(AppError::internal)?
}

/// Argon2id with 12 MiB, 3 passes, 1 lane: one of OWASP's equivalent minimum settings, chosen
/// over 19 MiB x 2 to keep the memory of concurrent logins low. Stored hashes carry their own
/// parameters, so verification works whatever they were made with.
fn hasher() -> Argon2<'static> {
    let params = Params::new(12 * 1024, 3, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

/// Verifies `password` against `stored`; with no stored hash (unknown user) it still spends
/// the same work on a dummy hash, so response time does not reveal which usernames exist.
/// Verifies without a limit; request paths go through `Hasher`.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let (hash, known) = match stored {
            Some(hash) => (hash, true),
            None => (dummy_hash()?.to_owned(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(AppError::internal)?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(AppError::internal)?
}

fn dummy_hash() -> Result<&'static str, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_blocking("dummy-password-for-timing-0")?;
    Ok(DUMMY.get_or_init(|| hash))
}
