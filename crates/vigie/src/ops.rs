//! Moving and keeping data: `vigie db copy`, `vigie media copy`, `vigie backup`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use vigie_config::{Settings, redact_url};
use vigie_media::copy::{CopyOptions as MediaCopyOptions, CopyOutcome, copy_store};
use vigie_media::{BlobStore, BlobStoreSettings};
use vigie_storage::copy::{CopyOptions, CopyReport, DEFAULT_BATCH_ROWS, check_journals};
use vigie_storage::{Backend, Store};

/// `vigie db …`
#[derive(Subcommand)]
pub enum DbCommand {
    /// Copy a whole instance from one database to another (SQLite ↔ PostgreSQL), ids kept:
    /// migrates the target, copies every table in batches from one snapshot of the source,
    /// moves PostgreSQL's id sequences past the copied ids, then prints the row counts of both
    /// sides table by table and every collective's journal head on both sides. Fails if
    /// anything differs. Stop the servers writing to the source first.
    Copy {
        /// The source database URL (sqlite://PATH or postgres://…); only read.
        #[arg(long)]
        from: String,
        /// The target database URL; must be empty unless --force.
        #[arg(long)]
        to: String,
        /// Delete every row of every table of the target before copying (its schema stays).
        #[arg(long)]
        force: bool,
        /// Rows per insert.
        #[arg(long, default_value_t = DEFAULT_BATCH_ROWS)]
        batch_rows: usize,
    },
}

/// `vigie media …`
#[derive(Subcommand)]
pub enum MediaCommand {
    /// Copy every stored file from one store to another (a folder, file:///PATH or
    /// s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION, as `media.store`). Resumable: files
    /// already in the target with the same size are skipped; a file of another size under the
    /// same name stops the copy (nothing is ever replaced). S3 credentials come from
    /// `media.s3_access_key_id` / `media.s3_secret_access_key`, else AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY.
    Copy {
        /// The store to read.
        #[arg(long)]
        from: String,
        /// The store to write.
        #[arg(long)]
        to: String,
        /// Also compare the SHA-256 of files present on both sides (reads both).
        #[arg(long)]
        verify: bool,
    },
}

/// `vigie backup`
#[derive(Args)]
pub struct BackupArgs {
    /// A new (or empty) folder: receives `vigie.db` and `media/`.
    #[arg(long)]
    to: PathBuf,
}

/// Runs `vigie db …`.
pub async fn db(cmd: DbCommand) -> anyhow::Result<()> {
    let DbCommand::Copy {
        from,
        to,
        force,
        batch_rows,
    } = cmd;
    if from == to {
        bail!("--from and --to name the same database");
    }
    check_sqlite_file_exists(&from)?;
    let source = Store::connect(&from, 2)
        .await
        .with_context(|| format!("cannot open the source {}", redact_url(&from)))?;
    let target = Store::connect(&to, 2)
        .await
        .with_context(|| format!("cannot open the target {}", redact_url(&to)))?;
    println!(
        "copying {} ({}) to {} ({}), {batch_rows} rows per insert",
        redact_url(&from),
        source.backend().name(),
        redact_url(&to),
        target.backend().name()
    );
    let started = Instant::now();
    let options = CopyOptions {
        batch_rows: batch_rows.max(1),
        replace_target: force,
    };
    let mut total = 0;
    let report = vigie_storage::copy::copy_instance(&source, &target, options, &mut |t| {
        total += t.rows;
        println!(
            "  {:<28} {:>9} rows {:>8.2} s",
            t.table,
            t.rows,
            t.elapsed.as_secs_f64()
        );
    })
    .await?;
    println!(
        "copied {total} rows in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    print_report(&report);
    source.close().await;
    target.close().await;
    let differences = report.differences();
    if !differences.is_empty() {
        bail!(
            "the copy differs from the source:\n  {}",
            differences.join("\n  ")
        );
    }
    println!(
        "OK: {} tables with the same rows (counts and checksums), {} journal(s) verified with \
         the same heads",
        report.tables.len(),
        report.journals.len()
    );
    Ok(())
}

/// A SQLite source must exist: opening it would create an empty one.
fn check_sqlite_file_exists(url: &str) -> anyhow::Result<()> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = rest.trim_start_matches("//");
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if !path.is_empty() && !path.contains(":memory:") && !Path::new(path).is_file() {
        bail!("there is no SQLite database at {path}: check --from");
    }
    Ok(())
}

fn print_report(report: &CopyReport) {
    println!("{:<28} {:>9} {:>9}", "table", "source", "target");
    for t in &report.tables {
        let mark = if t.source == t.target {
            ""
        } else {
            "  DIFFERS"
        };
        println!("{:<28} {:>9} {:>9}{mark}", t.table, t.source, t.target);
    }
    for j in &report.journals {
        let verdict = if j.is_same() {
            "same head, verifies"
        } else {
            "DIFFERS"
        };
        println!(
            "journal {}: source {} entries, head {} {}; target {} entries, head {} {}: {verdict}",
            j.tenant,
            j.source.entries,
            j.source.head_seq,
            j.source.head_hash,
            j.target.entries,
            j.target.head_seq,
            j.target.head_hash,
        );
    }
}

/// Runs `vigie media …`.
pub async fn media(settings: &Settings, cmd: MediaCommand) -> anyhow::Result<()> {
    let MediaCommand::Copy { from, to, verify } = cmd;
    let source = open_store(settings, &from)?;
    let target = open_store(settings, &to)?;
    println!("copying files from {source} to {target}");
    copy_media(&source, &target, verify).await
}

async fn copy_media(source: &BlobStore, target: &BlobStore, verify: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = MediaCopyOptions {
        verify_hashes: verify,
        ..MediaCopyOptions::default()
    };
    let report = copy_store(source, target, options, &mut |info, outcome| {
        if outcome == CopyOutcome::Copied {
            println!("  copied {} ({} bytes)", info.key.as_str(), info.size);
        }
    })
    .await
    .with_context(|| format!("copying from {source} to {target} stopped"))?;
    println!(
        "{} file(s): {} copied ({} bytes), {} already there, in {:.2} s",
        report.objects,
        report.copied,
        report.bytes_copied,
        report.skipped,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A store named as `media.store` names one, with the configured S3 credentials if any.
fn open_store(settings: &Settings, url: &str) -> anyhow::Result<BlobStore> {
    let mut store = BlobStoreSettings::new(url);
    if !settings.media.s3_access_key_id.is_empty() {
        store = store.with_credentials(
            &settings.media.s3_access_key_id,
            &settings.media.s3_secret_access_key,
        );
    }
    Ok(BlobStore::open(&store)?)
}

/// Runs `vigie backup`: a snapshot of the SQLite database, checked, then the media files.
pub async fn backup(settings: &Settings, args: BackupArgs) -> anyhow::Result<()> {
    let url = settings.database_url();
    if Backend::from_url(&url)? != Backend::Sqlite {
        bail!(
            "vigie backup snapshots the embedded SQLite database only; this instance runs on \
             PostgreSQL: back it up with `pg_dump --format=custom --file=vigie.dump URL` and \
             the media with `vigie media copy` (see docs/operations.md, « Back up and restore »)"
        );
    }
    let db_file = prepare_folder(&args.to)?;
    let started = Instant::now();
    let store = Store::connect(&url, 1)
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
    store.snapshot_into(&db_file).await?;
    store.close().await;
    println!(
        "database snapshot written to {} in {:.2} s",
        db_file.display(),
        started.elapsed().as_secs_f64()
    );
    check_snapshot(&db_file).await?;
    let media = open_store(settings, &settings.media_store())?;
    let copy = open_store(settings, &args.to.join("media").display().to_string())?;
    println!("copying files from {media} to {copy}");
    copy_media(&media, &copy, false).await?;
    println!(
        "backup done in {:.2} s: restore it as docs/operations.md says (stop, put vigie.db and \
         the files back, remove vigie.db-wal and vigie.db-shm, start)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The snapshot's file in `folder`, which must be new or empty.
fn prepare_folder(folder: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the backup folder {}", folder.display()))?;
    let mut entries = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read the backup folder {}", folder.display()))?;
    if entries.next().is_some() {
        bail!(
            "the backup folder {} is not empty: give a new folder for each backup",
            folder.display()
        );
    }
    Ok(folder.join("vigie.db"))
}

/// Opens the snapshot read-only: its integrity and every journal must check.
async fn check_snapshot(file: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}?mode=ro", file.display());
    let snapshot = Store::connect(&url, 1).await?;
    let integrity = snapshot.integrity_check().await?;
    if integrity != "ok" {
        bail!("the snapshot {} is damaged: {integrity}", file.display());
    }
    for (slug, check) in check_journals(&snapshot).await? {
        if let Some(broken) = check.broken {
            bail!("the snapshot's journal of {slug} does not verify: {broken}");
        }
        println!(
            "  journal {slug}: {} entries, head {} verifies",
            check.entries, check.head_hash
        );
    }
    snapshot.close().await;
    Ok(())
}
