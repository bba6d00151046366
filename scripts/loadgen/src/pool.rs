//! Simulated users: created (registered + logged in) before the measurement, then kept in an
//! idle pool so that each user runs at most one iteration at a time.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Semaphore;

use crate::args::RunArgs;
use crate::client::Session;
use crate::stop::Stop;

pub struct User {
    pub name: String,
    pub session: Session,
    /// The item from an earlier iteration is still in the cart (its checkout was answered
    /// 402, 409 or 429), so the next iteration goes straight to checkout instead of
    /// stacking more units into the cart.
    pub cart_loaded: bool,
}

/// Idle users, handed out first come, first served (tokio's semaphore is fair).
pub struct UserPool {
    idle: Mutex<VecDeque<User>>,
    available: Semaphore,
}

impl UserPool {
    pub fn new(users: Vec<User>) -> UserPool {
        let count = users.len();
        UserPool { idle: Mutex::new(users.into()), available: Semaphore::new(count) }
    }

    /// Waits until a user is idle and takes it out of the pool. There are as many permits as
    /// idle users, and the semaphore is never closed, so the first round gets one.
    pub async fn acquire(&self) -> User {
        loop {
            match self.available.acquire().await {
                Ok(permit) => permit.forget(),
                Err(_) => tokio::task::yield_now().await,
            }
            if let Some(user) = self.idle().pop_front() {
                return user;
            }
        }
    }

    pub fn release(&self, user: User) {
        self.idle().push_back(user);
        self.available.add_permits(1);
    }

    /// A panic elsewhere cannot leave the queue half-changed: it is only pushed and popped.
    fn idle(&self) -> MutexGuard<'_, VecDeque<User>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Everything set up before the measurement.
pub struct Prepared {
    pub run_id: String,
    pub pool: Arc<UserPool>,
}

/// Checks that the server answers and the product exists, then creates the users.
pub async fn prepare(args: &RunArgs, stop: &Stop) -> Result<Prepared, String> {
    let run_id = random_run_id();
    eprintln!(
        "target {} | run id {run_id} | users {}_{run_id}_0..{}",
        args.target.base_url(),
        args.user_prefix,
        args.users - 1
    );
    let probe = Session::new(&args.target, args.timeout)?;
    let products = probe.products().await.map_err(|e| e.to_string())?;
    let Some(product) = products.iter().find(|p| p.id == args.product_id) else {
        let ids: Vec<String> = products.iter().map(|p| format!("{} ({})", p.id, p.name)).collect();
        return Err(format!(
            "product {} is not in GET /api/products; available: {}",
            args.product_id,
            if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
        ));
    };
    eprintln!(
        "product {} '{}', stock {}",
        product.id,
        product.name,
        product.stock.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
    );
    let started = Instant::now();
    let users = create_users(args, &run_id, stop).await?;
    eprintln!("setup: {} users ready in {:.1}s", users.len(), started.elapsed().as_secs_f64());
    Ok(Prepared { run_id, pool: Arc::new(UserPool::new(users)) })
}

/// A short random id so that reruns do not collide on usernames.
pub fn random_run_id() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    hasher.write_u32(std::process::id());
    format!("{:08x}", hasher.finish() as u32)
}

pub fn username(prefix: &str, run_id: &str, n: usize) -> String {
    format!("{prefix}_{run_id}_{n}")
}

/// Meets the server's policy: at least 10 characters with a letter and a digit.
pub fn password(run_id: &str) -> String {
    format!("loadgen-{run_id}-pw1")
}

/// Registers and logs in `args.users` users, `args.setup_parallelism` at a time. Login 429s
/// (the server's per-address login limit) are waited out until `args.setup_timeout`.
pub async fn create_users(args: &RunArgs, run_id: &str, stop: &Stop) -> Result<Vec<User>, String> {
    let total = args.users;
    let deadline = Instant::now() + args.setup_timeout;
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let limit_hint_shown = Arc::new(AtomicBool::new(false));
    let step = (total / 10).max(1);
    let mut workers = tokio::task::JoinSet::new();

    for _ in 0..args.setup_parallelism.min(total) {
        let (next, failed, done, hint) = (next.clone(), failed.clone(), done.clone(), limit_hint_shown.clone());
        let (args, run_id, stop) = (args.clone(), run_id.to_owned(), stop.clone());
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total || failed.load(Ordering::Relaxed) {
                    return Ok(mine);
                }
                match create_user(&args, &run_id, n, deadline, &stop, &hint).await {
                    Ok(user) => mine.push(user),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished % step == 0 || finished == total {
                    eprintln!("setup: {finished}/{total} users registered and logged in");
                }
            }
        });
    }

    let mut users = Vec::with_capacity(total);
    let mut first_error = None;
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(Ok(mine)) => users.extend(mine),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(format!("a setup task failed: {e}"));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(users),
    }
}

async fn create_user(
    args: &RunArgs,
    run_id: &str,
    n: usize,
    deadline: Instant,
    stop: &Stop,
    limit_hint_shown: &AtomicBool,
) -> Result<User, String> {
    let name = username(&args.user_prefix, run_id, n);
    let password = password(run_id);
    let email = format!("{name}@loadgen.example.com");
    let session = Session::new(&args.target, args.timeout)?;
    let mut registered = false;
    loop {
        if stop.is_requested() {
            return Err("setup interrupted".into());
        }
        let attempt = if registered {
            session.login(&name, &password).await
        } else {
            session.register(&name, &email, &password).await
        };
        match attempt {
            Ok(()) if registered => return Ok(User { name, session, cart_loaded: false }),
            Ok(()) => registered = true,
            Err(e) if e.status == Some(429) => {
                let wait = e.retry_after.unwrap_or(Duration::from_secs(1)).max(Duration::from_millis(200));
                if Instant::now() + wait > deadline {
                    return Err(format!(
                        "{e}\nsetup ran out of time (--setup-timeout) while rate limited; start the \
                         server with LOGIN_RATE_LIMIT_PER_MINUTE=0 for load tests, or use fewer --users"
                    ));
                }
                if !limit_hint_shown.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "setup: the server rate-limits logins (429); waiting it out. Start the server \
                         with LOGIN_RATE_LIMIT_PER_MINUTE=0 to make setup fast."
                    );
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.requested() => {}
                }
            }
            Err(e) => return Err(format!("user {name}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_meet_the_server_rules() {
        let id = random_run_id();
        assert_eq!(id.len(), 8);
        let name = username("lg", &id, 99_999);
        assert!((3..=32).contains(&name.len()));
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)));
        // The longest prefix the parser accepts still fits.
        assert!(username("abcdefghijkl", &id, 100_000).len() <= 32);
        let pw = password(&id);
        assert!(pw.len() >= 10);
        assert!(pw.bytes().any(|b| b.is_ascii_alphabetic()));
        assert!(pw.bytes().any(|b| b.is_ascii_digit()));
    }

    #[tokio::test]
    async fn pool_hands_each_user_to_one_holder_at_a_time() {
        let target = crate::args::parse_base_url("http://127.0.0.1:9").unwrap();
        let users = (0..2)
            .map(|n| User {
                name: format!("u{n}"),
                session: Session::new(&target, Duration::from_secs(1)).unwrap(),
                cart_loaded: false,
            })
            .collect();
        let pool = Arc::new(UserPool::new(users));
        let a = pool.acquire().await;
        let b = pool.acquire().await;
        assert_ne!(a.name, b.name);
        // A third acquire waits until someone is released.
        let waiter = tokio::spawn({
            let pool = pool.clone();
            async move { pool.acquire().await.name }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        pool.release(a);
        assert_eq!(waiter.await.unwrap(), "u0");
        pool.release(b);
    }
}
