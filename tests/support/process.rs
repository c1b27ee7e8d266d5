//! The `kenshu` binary as a served process: a free port, waiting until it is ready, and
//! stopping it as an operator would (SIGTERM).

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `base/readyz` answers 200; panics if the process exits first or after a minute.
pub async fn wait_ready(base: &str, child: &mut Child) {
    let started = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("kenshu exited early with {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "kenshu did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends SIGTERM and waits (at most 30 s) for the process to exit.
pub fn terminate(child: &mut Child) -> ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "kenshu did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
