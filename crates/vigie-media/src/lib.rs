//! Vigie's media layer: where uploaded files are stored and how they are made safe to store.
//!
//! - [`BlobStore`] keeps objects in a local folder or an S3-compatible bucket, chosen once from
//!   a URL-like setting ([`BlobStoreSettings`]). Objects are written once under keys the
//!   caller generates ([`BlobKey`]) and are never replaced nor deleted.
//! - [`MediaPolicy::prepare_upload`] checks an upload — size, type from the content's magic
//!   bytes — and re-encodes images so that no metadata (EXIF GPS position first of all)
//!   reaches the store. PDFs are stored as uploaded.
//!
//! - [`copy::copy_store`] copies every object of one store into another, resumably.
//!
//! The documents and photos features store a [`PreparedUpload`]'s bytes with [`BlobStore::put`]
//! and keep the key, content type, size, SHA-256 and dimensions in the database.

#![warn(missing_docs)]

pub mod copy;
mod error;
mod key;
mod store;
pub mod svg;
mod upload;

pub use error::MediaError;
pub use key::BlobKey;
pub use store::{Blob, BlobBackend, BlobInfo, BlobStore, BlobStoreSettings, StoredBlob};
pub use upload::{Dimensions, MediaKind, MediaPolicy, PreparedUpload, check_pdf};

/// A byte count for people: `20 MiB`, `25.3 MiB`, `900 KiB`, `12 bytes` (rounded down to a
/// tenth, so a size just over a limit may print like the limit; messages add the exact count).
pub(crate) fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const UNITS: [(u64, &str); 3] = [(KIB * KIB * KIB, "GiB"), (KIB * KIB, "MiB"), (KIB, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let whole = bytes / unit;
            let tenth = (bytes % unit) * 10 / unit;
            return if tenth == 0 {
                format!("{whole} {name}")
            } else {
                format!("{whole}.{tenth} {name}")
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(900 * 1024), "900 KiB");
        assert_eq!(human_size(20 * 1024 * 1024), "20 MiB");
        assert_eq!(human_size(25 * 1024 * 1024 + 300 * 1024), "25.2 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3 GiB");
    }
}
