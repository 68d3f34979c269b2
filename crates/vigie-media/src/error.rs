//! The crate's one error type.

use std::path::PathBuf;

use crate::MediaKind;

/// Why a storage operation or an upload failed.
///
/// Variants for which [`MediaError::is_rejected_upload`] is true come from the uploaded content
/// itself: the HTTP edge answers them with a 4xx and the message as is. `NotFound` and
/// `AlreadyExists` are the caller's business; the rest are server-side failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// A storage key (or list prefix) does not follow the key rules of [`crate::BlobKey`].
    #[error("invalid storage key {key:?}: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The object storage settings cannot be used.
    #[error("invalid object storage setting {setting:?}: {reason}")]
    InvalidSettings {
        /// The setting, or the part of it, at fault (secrets are never quoted).
        setting: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// No object is stored under this key.
    #[error("no stored object under the key {key}")]
    NotFound {
        /// The key.
        key: String,
    },
    /// An object is already stored under this key; stored objects are never replaced.
    #[error("an object is already stored under the key {key}; stored objects are never replaced")]
    AlreadyExists {
        /// The key.
        key: String,
    },
    /// A copy found a different object under the same key in the target store.
    #[error(
        "{key} differs between the stores ({reason}): stored objects are never replaced; \
         look at both copies and remove the wrong one by hand"
    )]
    CopyConflict {
        /// The key.
        key: String,
        /// How they differ (sizes or hashes).
        reason: String,
    },
    /// The storage folder could not be created.
    #[error("cannot create the storage folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The object storage backend failed (network, permissions, disk…).
    #[error("object storage ({backend}) failed: {source}")]
    Backend {
        /// Which store, without secrets (e.g. `s3://photos at http://127.0.0.1:8333`).
        backend: String,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The uploaded file is empty.
    #[error("the file is empty")]
    EmptyUpload,
    /// The uploaded file is larger than the policy allows.
    #[error(
        "the file is too large: {} ({size} bytes); the limit is {}",
        crate::human_size(*size),
        crate::human_size(*limit)
    )]
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The uploaded file's content is not one of the accepted types (whatever its name or
    /// declared type said).
    #[error(
        "{}; accepted types: {}",
        match detected {
            Some(name) => format!("{name} files are not accepted"),
            None => "this file type is not recognised".to_owned(),
        },
        crate::upload::kind_list(accepted)
    )]
    UnsupportedType {
        /// What the content looks like, when recognised (e.g. `"GIF"`, `"HEIC"`, `"PDF"`).
        detected: Option<&'static str>,
        /// What the policy accepts.
        accepted: Vec<MediaKind>,
    },
    /// The image's dimensions exceed the policy's cap (a guard against decompression bombs).
    #[error("the image is {width}×{height} pixels; the maximum is {max_width}×{max_height} pixels")]
    ImageTooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The width cap.
        max_width: u32,
        /// The height cap.
        max_height: u32,
    },
    /// Decoding the image would take more memory than the policy allows.
    #[error("decoding this image would need more than {} of memory", crate::human_size(*limit))]
    ImageNeedsTooMuchMemory {
        /// The memory cap in bytes.
        limit: u64,
    },
    /// The image is corrupt or uses a variant of its format that cannot be decoded.
    #[error("the {kind} image cannot be read: {reason}")]
    InvalidImage {
        /// The detected type.
        kind: MediaKind,
        /// The decoder's explanation.
        reason: String,
    },
    /// The file starts like a PDF (`%PDF-`) but is not one: no version, no `%%EOF` end marker,
    /// or HTML markup at its start (a page dressed up as a PDF, which a browser could render).
    #[error("this file starts like a PDF but is not one: {reason}")]
    InvalidPdf {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Re-encoding a decoded image failed (a server-side failure).
    #[error("the {kind} image cannot be re-encoded: {reason}")]
    Encode {
        /// The output type.
        kind: MediaKind,
        /// The encoder's explanation.
        reason: String,
    },
}

impl MediaError {
    /// True when the error is about the uploaded content (empty, too large, refused type,
    /// oversized or unreadable image): the uploader must fix the file, the server is fine.
    pub fn is_rejected_upload(&self) -> bool {
        matches!(
            self,
            Self::EmptyUpload
                | Self::TooLarge { .. }
                | Self::UnsupportedType { .. }
                | Self::ImageTooLarge { .. }
                | Self::ImageNeedsTooMuchMemory { .. }
                | Self::InvalidImage { .. }
                | Self::InvalidPdf { .. }
        )
    }

    /// Maps an `object_store` error, keeping `NotFound` and `AlreadyExists` distinct.
    pub(crate) fn from_backend(backend: &str, key: &str, error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => Self::NotFound {
                key: key.to_owned(),
            },
            object_store::Error::AlreadyExists { .. } => Self::AlreadyExists {
                key: key.to_owned(),
            },
            other => Self::Backend {
                backend: backend.to_owned(),
                source: Box::new(other),
            },
        }
    }
}
