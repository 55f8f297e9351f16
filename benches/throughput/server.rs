//! `brug serve` as a child process: started on a free port, waited for,
//! stopped with SIGTERM; its peak resident memory read from `/proc`.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

pub struct Server {
    pub label: &'static str,
    pub base: String,
    child: Child,
    log: PathBuf,
}

/// How the server is started.
pub struct Options<'a> {
    pub label: &'static str,
    pub database_url: &'a str,
    pub work: &'a Path,
    /// `false`: `RUST_LOG=off`.
    pub logging: bool,
    /// `false`: `--no-worker`.
    pub worker: bool,
}

fn free_addr() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(format!("127.0.0.1:{}", listener.local_addr()?.port()))
}

impl Server {
    pub async fn start(options: Options<'_>) -> anyhow::Result<Self> {
        let addr = free_addr()?;
        let log = options.work.join(format!("{}.log", options.label));
        let mut command = Command::new(env!("CARGO_BIN_EXE_brug"));
        for var in [
            "DATABASE_URL",
            "BRUG_DATABASE_URL",
            "BRUG_CONFIG",
            "BRUG_ADDR",
            "BRUG_PARTNERS_DIR",
            "BRUG_LOG_FORMAT",
            "RUST_LOG",
        ] {
            command.env_remove(var);
        }
        command
            .arg("serve")
            .env("DATABASE_URL", options.database_url)
            .env("BRUG_ADDR", &addr)
            .env(
                "BRUG_PARTNERS_DIR",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("partners"),
            )
            .env("BRUG_WEBHOOK_ALLOW_LOCAL", "1")
            // As in production: one JSON line per request, to a file.
            .env("BRUG_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log)?);
        if !options.logging {
            command.env("RUST_LOG", "off");
        }
        if !options.worker {
            command.arg("--no-worker");
        }
        let child = command.spawn().context("start brug serve")?;
        let mut server = Self {
            label: options.label,
            base: format!("http://{addr}"),
            child,
            log,
        };
        server.wait_until_ready().await?;
        Ok(server)
    }

    async fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "brug serve ({}) exited with {status} before it was ready:\n{}",
                    self.label,
                    self.log_tail(20)
                );
            }
            if let Ok(response) = client.get(format!("{}/readyz", self.base)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("brug serve ({}) not ready within 60 s", self.label)
    }

    /// A `/proc/PID/status` figure in kB (`VmHWM`, `RssAnon`, ...), in bytes.
    pub fn status(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status
            .lines()
            .find(|l| l.split(':').next() == Some(field))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// The peak resident set (VmHWM) so far, in bytes.
    pub fn peak_rss(&self) -> Option<u64> {
        self.status("VmHWM")
    }

    /// The last lines the server logged, to show beside an error.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Lines at `error` or `warn` in the server's log.
    pub fn log_problems(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"level\":\"ERROR\"") || l.contains("\"level\":\"WARN\""))
            .map(str::to_owned)
            .collect()
    }

    pub fn still_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits (SIGKILL after 30 s).
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::ensure!(
                    status.success(),
                    "brug serve ({}) stopped with {status}",
                    self.label
                );
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                anyhow::bail!("brug serve ({}) did not stop on SIGTERM", self.label);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
