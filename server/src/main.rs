use server::configuration::Settings;
use server::startup::Application;
use server::telemetry;

fn main() {
    limit_allocator_retention();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    runtime.block_on(serve());
}

async fn serve() {
    // `.env` fills in what the real environment does not set.
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(2);
        }
    };
    telemetry::init(&settings.log_filter);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "start-up failed");
            eprintln!("start-up failed: {err}");
            std::process::exit(1);
        }
    };
    match app.local_addr() {
        Ok(addr) => tracing::info!(url = %format!("http://{addr}"), "listening"),
        Err(err) => tracing::warn!(error = %err, "listening on an unknown address"),
    }
    if let Err(err) = app.run_until_stopped(shutdown_signal()).await {
        tracing::error!(error = %err, "server stopped with an error");
        std::process::exit(1);
    }
    tracing::info!("server stopped");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// glibc raises its mmap threshold after large blocks are freed, after which big short-lived
/// buffers (a password hash needs 12 MiB) come from per-thread arenas and are never returned:
/// the process would keep hundreds of MiB after a burst of logins. A fixed threshold keeps
/// such blocks in mmap, returned to the system when freed.
fn limit_allocator_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_MMAP_THRESHOLD: i32 = -3;
        // The project's one `unsafe` (the workspace denies it elsewhere).
        // SAFETY: mallopt only changes allocator tuning; it runs once, before any other thread.
        #[allow(unsafe_code)]
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
        }
    }
}
