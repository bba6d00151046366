//! Ctrl+C handling. First press: stop offering new iterations and let in-flight ones finish
//! (bounded). Second: abandon in-flight iterations (scenarios still restore server settings).
//! Third: exit at once.

use tokio::sync::watch;

#[derive(Clone)]
pub struct Stop {
    presses: watch::Receiver<u8>,
}

impl Stop {
    /// Listens for Ctrl+C for the rest of the process.
    pub fn install() -> Stop {
        let (tx, rx) = watch::channel(0u8);
        tokio::spawn(async move {
            let mut presses = 0u8;
            while tokio::signal::ctrl_c().await.is_ok() {
                presses += 1;
                match presses {
                    1 => {
                        eprintln!("\ninterrupted: stopping; in-flight iterations finish (Ctrl+C again to abandon them)")
                    }
                    2 => eprintln!("\nabandoning in-flight iterations (Ctrl+C once more to quit without cleanup)"),
                    _ => {
                        eprintln!("\nquitting at once; server settings changed by a scenario are NOT restored");
                        std::process::exit(130);
                    }
                }
                let _ = tx.send(presses);
            }
        });
        Stop { presses: rx }
    }

    pub fn is_requested(&self) -> bool {
        self.presses() >= 1
    }

    pub fn presses(&self) -> u8 {
        *self.presses.borrow()
    }

    /// Resolves on the first Ctrl+C (at once if it already happened).
    pub async fn requested(&self) {
        self.at_least(1).await
    }

    /// Resolves on the second Ctrl+C.
    pub async fn abandoned(&self) {
        self.at_least(2).await
    }

    /// Resolves once Ctrl+C has been pressed at least `presses` times in all.
    pub async fn at_least(&self, presses: u8) {
        let mut rx = self.presses.clone();
        if rx.wait_for(|&n| n >= presses).await.is_err() {
            // The listener is gone: no further presses can arrive.
            std::future::pending::<()>().await;
        }
    }
}
