//! Copying every object of one store into another (folder ↔ S3), resumable.
//!
//! An object already in the target with the same size (and, when asked, the same SHA-256) is
//! skipped, so a second run copies nothing and an interrupted run goes on where it stopped.
//! Nothing in the target is ever replaced: an object of another size (or hash) under the same
//! key stops the copy with [`MediaError::CopyConflict`]. Writes are whole-object (a folder
//! writes a temporary file and renames it, S3 puts atomically), so an interruption leaves no
//! half-written object behind.

use futures::{StreamExt as _, TryStreamExt as _};
use sha2::{Digest as _, Sha256};

use crate::{BlobInfo, BlobStore, MediaError};

/// How to copy.
#[derive(Debug, Clone, Copy)]
pub struct CopyOptions {
    /// Also compare SHA-256 of objects present on both sides (reads both).
    pub verify_hashes: bool,
    /// Objects copied at once.
    pub parallel: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            verify_hashes: false,
            parallel: 4,
        }
    }
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyOutcome {
    /// Written to the target.
    Copied,
    /// Already in the target, the same.
    Skipped,
}

/// What a copy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Objects in the source.
    pub objects: u64,
    /// Objects written.
    pub copied: u64,
    /// Objects already there.
    pub skipped: u64,
    /// Bytes written.
    pub bytes_copied: u64,
}

/// Copies every object of `from` into `to` (see the module); `progress` hears of each object.
pub async fn copy_store(
    from: &BlobStore,
    to: &BlobStore,
    options: CopyOptions,
    progress: &mut dyn FnMut(&BlobInfo, CopyOutcome),
) -> Result<CopyReport, MediaError> {
    let objects = from.list("").await?;
    let mut report = CopyReport {
        objects: objects.len() as u64,
        ..CopyReport::default()
    };
    let mut done = futures::stream::iter(objects)
        .map(|info| async move {
            let outcome = copy_one(from, to, &info, options.verify_hashes).await?;
            Ok::<_, MediaError>((info, outcome))
        })
        .buffer_unordered(options.parallel.max(1));
    while let Some((info, outcome)) = done.try_next().await? {
        match outcome {
            CopyOutcome::Copied => {
                report.copied += 1;
                report.bytes_copied += info.size;
            }
            CopyOutcome::Skipped => report.skipped += 1,
        }
        progress(&info, outcome);
    }
    Ok(report)
}

async fn copy_one(
    from: &BlobStore,
    to: &BlobStore,
    info: &BlobInfo,
    verify_hashes: bool,
) -> Result<CopyOutcome, MediaError> {
    match to.head(&info.key).await {
        Ok(there) => return same_object(from, to, info, &there, verify_hashes).await,
        Err(MediaError::NotFound { .. }) => {}
        Err(other) => return Err(other),
    }
    let blob = from.get(&info.key).await?;
    let content_type = blob
        .content_type
        .clone()
        .unwrap_or_else(|| content_type_of(info.key.as_str()).to_owned());
    match to.put(&info.key, blob.bytes, &content_type).await {
        Ok(_) => Ok(CopyOutcome::Copied),
        // Written meanwhile (another copy running): the same checks as if found first.
        Err(MediaError::AlreadyExists { .. }) => {
            let there = to.head(&info.key).await?;
            same_object(from, to, info, &there, verify_hashes).await
        }
        Err(other) => Err(other),
    }
}

/// Skips an object present on both sides if it is the same; a conflict otherwise.
async fn same_object(
    from: &BlobStore,
    to: &BlobStore,
    info: &BlobInfo,
    there: &BlobInfo,
    verify_hashes: bool,
) -> Result<CopyOutcome, MediaError> {
    let conflict = |reason: String| MediaError::CopyConflict {
        key: info.key.as_str().to_owned(),
        reason,
    };
    if there.size != info.size {
        return Err(conflict(format!(
            "{} bytes in the source, {} in the target",
            info.size, there.size
        )));
    }
    if verify_hashes {
        let source = Sha256::digest(&from.get(&info.key).await?.bytes);
        let target = Sha256::digest(&to.get(&info.key).await?.bytes);
        if source != target {
            return Err(conflict(format!(
                "SHA-256 {} in the source, {} in the target",
                hex::encode(source),
                hex::encode(target)
            )));
        }
    }
    Ok(CopyOutcome::Skipped)
}

/// The content type of a key's extension, for stores that do not keep it (a folder); the
/// database keeps every document's own type, this is only S3's metadata.
fn content_type_of(key: &str) -> &'static str {
    let extension = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{BlobKey, BlobStoreSettings};

    fn folder(dir: &std::path::Path) -> BlobStore {
        BlobStore::open(&BlobStoreSettings::new(dir.display().to_string())).unwrap()
    }

    /// A second run copies nothing; a different object under a taken key is a conflict.
    #[tokio::test]
    async fn copy_skips_what_is_there_and_refuses_to_replace() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (from, to) = (folder(a.path()), folder(b.path()));
        for n in 0..5 {
            let key = BlobKey::new(format!("t/photos/{n}.jpg")).unwrap();
            from.put(&key, vec![n; 100 + usize::from(n)], "image/jpeg")
                .await
                .unwrap();
        }
        let options = CopyOptions {
            verify_hashes: true,
            parallel: 2,
        };
        let first = copy_store(&from, &to, options, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!((first.objects, first.copied, first.skipped), (5, 5, 0));
        assert_eq!(first.bytes_copied, 510);
        let second = copy_store(&from, &to, options, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!((second.copied, second.skipped), (0, 5));
        // An interrupted run (two objects never made it) goes on where it stopped.
        for n in [1, 3] {
            std::fs::remove_file(b.path().join(format!("t/photos/{n}.jpg"))).unwrap();
        }
        let resumed = copy_store(&from, &to, options, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!((resumed.copied, resumed.skipped), (2, 3));

        let odd = BlobKey::new("t/photos/9.jpg").unwrap();
        from.put(&odd, &b"source"[..], "image/jpeg").await.unwrap();
        to.put(&odd, &b"target!"[..], "image/jpeg").await.unwrap();
        let err = copy_store(&from, &to, options, &mut |_, _| {})
            .await
            .unwrap_err();
        assert!(matches!(err, MediaError::CopyConflict { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("6 bytes in the source, 7 in the target"),
            "{err}"
        );
        assert_eq!(content_type_of("a/b.PDF"), "application/pdf");
    }
}
