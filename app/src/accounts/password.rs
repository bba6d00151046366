//! Argon2id hashing, run on the blocking pool so it never stalls the async runtime threads.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::platform::AppError;

/// Each hash takes 12 MiB; at most this many password checks (logins, the current password
/// of a password change) run at once per server, so a burst of logins cannot balloon the process.
pub const PARALLEL_VERIFICATIONS: usize = 2;
/// New hashes (registrations, password changes) have slots of their own, so a flood of
/// registrations queues behind itself and never makes a login wait. At most
/// `PARALLEL_VERIFICATIONS + PARALLEL_NEW_HASHES` hashes (36 MiB) run at once.
pub const PARALLEL_NEW_HASHES: usize = 1;

/// Limits concurrent hashing; one per server, shared through the application state.
pub struct Hasher {
    verify_slots: Semaphore,
    hash_slots: Semaphore,
}

impl Default for Hasher {
    fn default() -> Self {
        Self { verify_slots: Semaphore::new(PARALLEL_VERIFICATIONS), hash_slots: Semaphore::new(PARALLEL_NEW_HASHES) }
    }
}

impl Hasher {
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _slot = self.hash_slots.acquire().await.map_err(AppError::internal)?;
        hash(password).await
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _slot = self.verify_slots.acquire().await.map_err(AppError::internal)?;
        verify(password, stored).await
    }

    /// Takes every slot that new hashes use (tests: a registration flood in progress).
    #[cfg(test)]
    async fn hold_hash_slots(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.hash_slots.acquire_many(PARALLEL_NEW_HASHES as u32).await.ok()
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_flood_of_registrations_cannot_make_logins_wait() {
        let hasher = Hasher::default();
        let stored = hash("a-password-1".to_owned()).await.expect("hash");
        // Every slot new hashes (registrations, password changes) may use is taken.
        let _busy = hasher.hold_hash_slots().await;
        let verified =
            tokio::time::timeout(Duration::from_secs(5), hasher.verify("a-password-1".to_owned(), Some(stored))).await;
        assert_eq!(verified.ok().and_then(|r| r.ok()), Some(true), "a login verifies at once");
        let queued = tokio::time::timeout(Duration::from_millis(200), hasher.hash("another-one-2".to_owned())).await;
        assert!(queued.is_err(), "hashing stays bounded");
    }
}
