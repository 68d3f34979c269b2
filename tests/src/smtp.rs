//! A real SMTP server for the tests: aiosmtpd from PyPI (installed by `make test-tools`),
//! started by the test itself on a port of its own, with `tests/tools/smtp_sink.py` writing
//! each message it receives to a folder as JSON. It can be stopped and started again on the
//! same port (the server "down", then "back"), and speak STARTTLS with a self-signed
//! certificate made by the test (openssl).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::Value;

/// A self-signed certificate for `localhost` and `127.0.0.1`, and its key (PEM files).
pub struct SelfSigned {
    /// The certificate: what a client is told to trust.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
}

impl SelfSigned {
    /// Makes one in `dir` with the openssl command-line tool (P-256, valid two days, not a
    /// CA: the certificate itself is what is trusted).
    pub fn create(dir: &Path) -> anyhow::Result<Self> {
        let cert = dir.join("smtp-cert.pem");
        let key = dir.join("smtp-key.pem");
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-addext", "extendedKeyUsage=serverAuth"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .context("cannot run openssl to make a test certificate")?;
        anyhow::ensure!(
            out.status.success(),
            "openssl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(Self { cert, key })
    }
}

/// An SMTP server that keeps what it receives.
pub struct SmtpSink {
    /// The port it listens on (127.0.0.1), also while it is stopped.
    pub port: u16,
    /// Where the received messages land, one JSON file each.
    pub dir: PathBuf,
    tls: Option<(PathBuf, PathBuf)>,
    delay_ms: u64,
    child: Option<Child>,
    _tmp: tempfile::TempDir,
}

/// A free TCP port on 127.0.0.1 (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

impl SmtpSink {
    /// A server on a free port, not started yet; with `tls`, it offers STARTTLS with that
    /// certificate (and requires it before mail).
    pub fn new(tls: Option<&SelfSigned>) -> anyhow::Result<Self> {
        let tmp = tempfile::tempdir()?;
        Ok(Self {
            port: free_port(),
            dir: tmp.path().join("received"),
            tls: tls.map(|t| (t.cert.clone(), t.key.clone())),
            delay_ms: 0,
            child: None,
            _tmp: tmp,
        })
    }

    /// The same server, answering each message `ms` milliseconds late (once started).
    pub fn slow(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }

    /// A started server.
    pub async fn start_new(tls: Option<&SelfSigned>) -> anyhow::Result<Self> {
        let mut sink = Self::new(tls)?;
        sink.start().await?;
        Ok(sink)
    }

    /// `smtp://127.0.0.1:PORT` (with `?tls=starttls&ca=CERT` when it speaks TLS).
    pub fn url(&self) -> String {
        match &self.tls {
            None => format!("smtp://127.0.0.1:{}?timeout=5", self.port),
            Some((cert, _)) => format!(
                "smtp://localhost:{}?tls=starttls&ca={}&timeout=5",
                self.port,
                cert.display()
            ),
        }
    }

    /// Starts the server and waits until it answers.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools");
        let mut cmd = Command::new("python3");
        cmd.env("PYTHONPATH", &tools)
            .env("SMTP_SINK_DELAY_MS", self.delay_ms.to_string())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "smtp_sink.FolderHandler"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some((cert, key)) = &self.tls {
            cmd.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
        }
        cmd.arg(&self.dir);
        let mut child = cmd
            .spawn()
            .context("cannot start python3 -m aiosmtpd (run `make test-tools`)")?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait()? {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read as _;
                    let _ = e.read_to_string(&mut err);
                }
                anyhow::bail!(
                    "aiosmtpd exited ({status}): {err}\nis it installed? `make test-tools` \
                     (python3 -m pip install aiosmtpd)"
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "aiosmtpd did not start in 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child = Some(child);
        Ok(())
    }

    /// Stops the server (its port then refuses connections).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect()
    }

    /// The messages to `to` received so far.
    pub fn messages_to(&self, to: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| {
                m["rcpt_tos"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|a| a.as_str() == Some(to)))
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived (or `within` passed), then answers them all.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
