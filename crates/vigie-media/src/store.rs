//! [`BlobStore`]: one interface over a local folder or an S3-compatible bucket.

use std::fmt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, ObjectStore, ObjectStoreExt as _, PutMode,
    PutOptions, PutPayload,
};
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::key::check_prefix;
use crate::{BlobKey, MediaError};

/// Where objects are stored, as read from the configuration.
///
/// `url` is one of:
///
/// - a plain path (`./data/files`, `/var/lib/vigie/files`) or a `file:///abs/path` URL: a local
///   folder, created if missing;
/// - `s3://BUCKET[/PREFIX]?endpoint=URL&region=REGION`: an S3-compatible bucket (AWS, MinIO,
///   SeaweedFS, Garage…). `endpoint` is optional (AWS when absent); `region` defaults to
///   `us-east-1`; an `http://` endpoint is allowed as is; requests are path-style
///   (`ENDPOINT/BUCKET/KEY`). With a `PREFIX`, every key is stored under it.
///
/// S3 credentials come from `access_key_id` and `secret_access_key` when set, otherwise from the
/// standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) environment
/// variables. Instance-profile and web-identity credentials are not used.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BlobStoreSettings {
    /// A path, a `file://` URL or an `s3://` URL (see the type's documentation).
    pub url: String,
    /// S3 access key id; `None` reads `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// S3 secret access key; `None` reads `AWS_SECRET_ACCESS_KEY`. Redacted in `Debug`.
    pub secret_access_key: Option<String>,
}

impl BlobStoreSettings {
    /// Settings for `url`, credentials from the environment.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// The same settings with explicit S3 credentials.
    #[must_use]
    pub fn with_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(secret_access_key.into());
        self
    }
}

impl fmt::Debug for BlobStoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStoreSettings")
            .field("url", &self.url)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What [`BlobStore::put`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// The key it is stored under.
    pub key: BlobKey,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

/// A stored object's bytes, as returned by [`BlobStore::get`]. `Debug` shows their size only.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob {
    /// The bytes.
    pub bytes: Bytes,
    /// The content type given to [`BlobStore::put`], when the backend keeps it (S3 does, a
    /// local folder does not: keep it in the database too).
    pub content_type: Option<String>,
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blob")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// A stored object's metadata, as returned by [`BlobStore::head`] and [`BlobStore::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Its key.
    pub key: BlobKey,
    /// Its size in bytes.
    pub size: u64,
    /// When it was written.
    pub last_modified: SystemTime,
}

/// Which kind of backend a [`BlobStore`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobBackend {
    /// A local folder.
    LocalFolder,
    /// An S3-compatible bucket.
    S3,
}

/// Object storage for uploaded files: a local folder or an S3-compatible bucket, chosen once
/// from [`BlobStoreSettings::url`].
///
/// Objects are written once and never replaced nor deleted: [`BlobStore::put`] on an existing
/// key fails with [`MediaError::AlreadyExists`]. Cloning is cheap (the client is shared).
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    backend: BlobBackend,
    description: Arc<str>,
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("backend", &self.backend)
            .field("description", &self.description)
            .finish()
    }
}

/// Says where the objects go, without secrets: `folder /var/lib/vigie/files` or
/// `s3://photos/prefix at http://127.0.0.1:8333`.
impl fmt::Display for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl BlobStore {
    /// Opens the store the settings name: creates the local folder if missing, or builds the S3
    /// client (no request is sent yet).
    pub fn open(settings: &BlobStoreSettings) -> Result<Self, MediaError> {
        let url = settings.url.trim();
        match parse_location(url)? {
            Location::Folder(path) => Self::open_folder(&path),
            Location::S3(s3) => Self::open_s3(s3, settings, &std_env),
        }
    }

    fn open_folder(path: &FsPath) -> Result<Self, MediaError> {
        let folder_error = |source| MediaError::Folder {
            path: path.to_owned(),
            source,
        };
        std::fs::create_dir_all(path).map_err(folder_error)?;
        let path = std::fs::canonicalize(path).map_err(folder_error)?;
        let store = LocalFileSystem::new_with_prefix(&path)
            .map_err(|e| MediaError::Backend {
                backend: format!("folder {}", path.display()),
                source: Box::new(e),
            })?
            // The database will point at these files: make each write durable before saying so.
            .with_fsync(true);
        Ok(Self {
            inner: Arc::new(store),
            backend: BlobBackend::LocalFolder,
            description: format!("folder {}", path.display()).into(),
        })
    }

    fn open_s3(
        s3: S3Location,
        settings: &BlobStoreSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, MediaError> {
        let credentials = S3Credentials::resolve(settings, env)?;
        let description = s3.describe();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_access_key_id(credentials.access_key_id)
            .with_secret_access_key(credentials.secret_access_key)
            .with_virtual_hosted_style_request(false)
            // A store that does not answer fails the call within seconds (the HTTP edge says
            // 503), instead of object_store's default of ten retries over up to 3 minutes.
            .with_retry(object_store::RetryConfig {
                backoff: object_store::BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: std::time::Duration::from_secs(10),
            });
        if let Some(token) = credentials.session_token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &s3.endpoint {
            builder = builder
                .with_endpoint(endpoint.as_str().trim_end_matches('/'))
                .with_allow_http(endpoint.scheme() == "http");
        }
        let store = builder.build().map_err(|e| MediaError::InvalidSettings {
            setting: description.clone(),
            reason: e.to_string(),
        })?;
        let inner: Arc<dyn ObjectStore> = match &s3.prefix {
            Some(prefix) => Arc::new(PrefixStore::new(store, prefix.as_str())),
            None => Arc::new(store),
        };
        Ok(Self {
            inner,
            backend: BlobBackend::S3,
            description: description.into(),
        })
    }

    /// Which kind of backend this is.
    pub fn backend(&self) -> BlobBackend {
        self.backend
    }

    /// Stores `bytes` under `key`, with its content type (kept by S3, ignored by a local
    /// folder). Fails with [`MediaError::AlreadyExists`] if the key is taken: nothing stored is
    /// ever replaced.
    pub async fn put(
        &self,
        key: &BlobKey,
        bytes: impl Into<Bytes>,
        content_type: &str,
    ) -> Result<StoredBlob, MediaError> {
        let bytes: Bytes = bytes.into();
        let size = bytes.len() as u64;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let mut attributes = Attributes::new();
        // object_store's local folder refuses attributes instead of ignoring them.
        if self.backend == BlobBackend::S3 {
            attributes.insert(
                Attribute::ContentType,
                AttributeValue::from(content_type.to_owned()),
            );
        }
        let options = PutOptions {
            mode: PutMode::Create,
            attributes,
            ..PutOptions::default()
        };
        self.inner
            .put_opts(&path(key), PutPayload::from_bytes(bytes), options)
            .await
            .map_err(|e| self.error(key.as_str(), e))?;
        Ok(StoredBlob {
            key: key.clone(),
            size,
            sha256,
        })
    }

    /// The bytes stored under `key` ([`MediaError::NotFound`] if none).
    pub async fn get(&self, key: &BlobKey) -> Result<Blob, MediaError> {
        let result = self
            .inner
            .get(&path(key))
            .await
            .map_err(|e| self.error(key.as_str(), e))?;
        let content_type = result
            .attributes
            .get(&Attribute::ContentType)
            .map(|value| value.as_ref().to_owned());
        let bytes = result
            .bytes()
            .await
            .map_err(|e| self.error(key.as_str(), e))?;
        Ok(Blob {
            bytes,
            content_type,
        })
    }

    /// The metadata of the object under `key` ([`MediaError::NotFound`] if none).
    pub async fn head(&self, key: &BlobKey) -> Result<BlobInfo, MediaError> {
        let meta = self
            .inner
            .get_opts(
                &path(key),
                GetOptions {
                    head: true,
                    ..GetOptions::default()
                },
            )
            .await
            .map_err(|e| self.error(key.as_str(), e))?
            .meta;
        Ok(BlobInfo {
            key: key.clone(),
            size: meta.size,
            last_modified: meta.last_modified.into(),
        })
    }

    /// Whether an object is stored under `key`.
    pub async fn exists(&self, key: &BlobKey) -> Result<bool, MediaError> {
        match self.head(key).await {
            Ok(_) => Ok(true),
            Err(MediaError::NotFound { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Every object whose key starts with the whole segments of `prefix` (`"a/b"` and `"a/b/"`
    /// both list `a/b/…`, not `a/bc`; `""` lists everything), sorted by key. Objects whose key
    /// does not follow the [`BlobKey`] rules (written by something else) are left out.
    pub async fn list(&self, prefix: &str) -> Result<Vec<BlobInfo>, MediaError> {
        let prefix = check_prefix(prefix)?;
        let prefix_path = (!prefix.is_empty()).then(|| Path::from(prefix));
        let metas: Vec<_> = self
            .inner
            .list(prefix_path.as_ref())
            .try_collect()
            .await
            .map_err(|e| self.error(prefix, e))?;
        let mut found: Vec<BlobInfo> = metas
            .into_iter()
            .filter_map(|meta| {
                let key = BlobKey::new(meta.location.as_ref()).ok()?;
                Some(BlobInfo {
                    key,
                    size: meta.size,
                    last_modified: meta.last_modified.into(),
                })
            })
            .collect();
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    fn error(&self, key: &str, error: object_store::Error) -> MediaError {
        MediaError::from_backend(&self.description, key, error)
    }
}

/// Our key charset needs no escaping, so the object path is the key itself.
fn path(key: &BlobKey) -> Path {
    Path::from(key.as_str())
}

fn std_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where the settings point.
#[derive(Debug, PartialEq, Eq)]
enum Location {
    Folder(PathBuf),
    S3(S3Location),
}

#[derive(Debug, PartialEq, Eq)]
struct S3Location {
    bucket: String,
    prefix: Option<String>,
    endpoint: Option<Url>,
    region: String,
}

impl S3Location {
    fn describe(&self) -> String {
        let mut text = format!("s3://{}", self.bucket);
        if let Some(prefix) = &self.prefix {
            text.push('/');
            text.push_str(prefix);
        }
        match &self.endpoint {
            Some(endpoint) => {
                text.push_str(" at ");
                text.push_str(endpoint.as_str().trim_end_matches('/'));
            }
            None => text.push_str(&format!(" in AWS {}", self.region)),
        }
        text
    }
}

const URL_HELP: &str = "expected a folder path, file:///absolute/path or \
     s3://bucket[/prefix]?endpoint=http://host:port&region=us-east-1";

fn parse_location(url: &str) -> Result<Location, MediaError> {
    let invalid = |reason: String| MediaError::InvalidSettings {
        setting: url.to_owned(),
        reason,
    };
    if url.is_empty() {
        return Err(invalid(format!(
            "the storage location is empty; {URL_HELP}"
        )));
    }
    if url.starts_with("file:") {
        let parsed = Url::parse(url).map_err(|e| invalid(format!("{e}; {URL_HELP}")))?;
        let path = parsed.to_file_path().map_err(|()| {
            invalid(format!(
                "a file URL must name an absolute local path, as in file:///var/lib/vigie/files; {URL_HELP}"
            ))
        })?;
        if parsed.query().is_some() {
            return Err(invalid("a file URL takes no query parameters".to_owned()));
        }
        return Ok(Location::Folder(path));
    }
    if url.starts_with("s3:") {
        return parse_s3(url).map(Location::S3).map_err(invalid);
    }
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(invalid(format!(
            "unknown storage scheme `{scheme}://`; {URL_HELP}"
        )));
    }
    Ok(Location::Folder(PathBuf::from(url)))
}

fn parse_s3(url: &str) -> Result<S3Location, String> {
    let parsed = Url::parse(url).map_err(|e| format!("{e}; {URL_HELP}"))?;
    let bucket = parsed.host_str().unwrap_or_default().to_owned();
    check_bucket(&bucket)?;
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.port().is_some() {
        return Err(
            "put credentials in the access key settings and the endpoint in ?endpoint=, not in the s3:// URL"
                .to_owned(),
        );
    }
    let prefix = parsed.path().trim_matches('/');
    let prefix = if prefix.is_empty() {
        None
    } else {
        check_prefix(prefix).map_err(|e| format!("bad prefix: {e}"))?;
        Some(prefix.to_owned())
    };
    let mut endpoint = None;
    let mut region = None;
    for (name, value) in parsed.query_pairs() {
        match name.as_ref() {
            "endpoint" => {
                let value = Url::parse(&value)
                    .map_err(|e| format!("endpoint {value:?} is not a URL: {e}"))?;
                if !matches!(value.scheme(), "http" | "https") || value.host_str().is_none() {
                    return Err(format!(
                        "endpoint {value} must be an http:// or https:// URL with a host"
                    ));
                }
                endpoint = Some(value);
            }
            "region" if !value.is_empty() => region = Some(value.into_owned()),
            "region" => return Err("region is empty".to_owned()),
            other => {
                return Err(format!(
                    "unknown parameter `{other}`; s3:// URLs take `endpoint` and `region`"
                ));
            }
        }
    }
    Ok(S3Location {
        bucket,
        prefix,
        endpoint,
        region: region.unwrap_or_else(|| "us-east-1".to_owned()),
    })
}

/// S3 bucket naming rules, so that a typo fails at start-up and not on the first upload.
fn check_bucket(bucket: &str) -> Result<(), String> {
    let ok_chars = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ok_ends = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "bucket name {bucket:?} is invalid: 3 to 63 lowercase letters, digits, `.` or `-`, \
             starting and ending with a letter or digit"
        ))
    }
}

struct S3Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl S3Credentials {
    fn resolve(
        settings: &BlobStoreSettings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, MediaError> {
        let explicit = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        match (
            explicit(&settings.access_key_id),
            explicit(&settings.secret_access_key),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => Ok(Self {
                access_key_id,
                secret_access_key,
                session_token: None,
            }),
            (None, None) => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                (Some(access_key_id), Some(secret_access_key)) => Ok(Self {
                    access_key_id,
                    secret_access_key,
                    session_token: env("AWS_SESSION_TOKEN"),
                }),
                _ => Err(MediaError::InvalidSettings {
                    setting: "S3 credentials".to_owned(),
                    reason: "none given: set the access key id and secret access key settings, \
                             or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment \
                             variables"
                        .to_owned(),
                }),
            },
            _ => Err(MediaError::InvalidSettings {
                setting: "S3 credentials".to_owned(),
                reason: "set both the access key id and the secret access key, or neither (to \
                         read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                    .to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(url: &str) -> S3Location {
        match parse_location(url).unwrap() {
            Location::S3(s3) => s3,
            other => panic!("{url} should be S3, got {other:?}"),
        }
    }

    fn refused(url: &str) -> String {
        match parse_location(url) {
            Err(e @ MediaError::InvalidSettings { .. }) => e.to_string(),
            other => panic!("{url} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn paths_and_file_urls_are_folders() {
        assert_eq!(
            parse_location("./data/files").unwrap(),
            Location::Folder(PathBuf::from("./data/files"))
        );
        assert_eq!(
            parse_location("/var/lib/vigie").unwrap(),
            Location::Folder(PathBuf::from("/var/lib/vigie"))
        );
        assert_eq!(
            parse_location("file:///var/lib/vigie%20files").unwrap(),
            Location::Folder(PathBuf::from("/var/lib/vigie files"))
        );
        assert!(refused("file://host/var/lib").contains("absolute local path"));
        assert!(refused("file:///x?y=1").contains("no query"));
    }

    #[test]
    fn s3_urls_name_bucket_prefix_endpoint_and_region() {
        let plain = s3("s3://photos");
        assert_eq!(plain.bucket, "photos");
        assert_eq!(plain.prefix, None);
        assert_eq!(plain.endpoint, None);
        assert_eq!(plain.region, "us-east-1");
        assert_eq!(plain.describe(), "s3://photos in AWS us-east-1");

        let local = s3("s3://vigie-media/prod/a?endpoint=http://127.0.0.1:8333&region=eu-west-3");
        assert_eq!(local.bucket, "vigie-media");
        assert_eq!(local.prefix.as_deref(), Some("prod/a"));
        assert_eq!(
            local.endpoint.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:8333/")
        );
        assert_eq!(local.region, "eu-west-3");
        assert_eq!(
            local.describe(),
            "s3://vigie-media/prod/a at http://127.0.0.1:8333"
        );
    }

    #[test]
    fn bad_locations_say_what_is_expected() {
        assert!(refused("").contains("empty"));
        assert!(refused("gs://bucket").contains("unknown storage scheme `gs://`"));
        assert!(refused("s3://Photos").contains("bucket name"));
        assert!(refused("s3://ab").contains("bucket name"));
        assert!(refused("s3://photos?endpoint=ftp://x").contains("http:// or https://"));
        assert!(refused("s3://photos?endpoint=nope").contains("not a URL"));
        assert!(refused("s3://photos?secret=x").contains("unknown parameter `secret`"));
        assert!(refused("s3://photos/.cache/x").contains("prefix"));
        assert!(refused("s3://key:secret@photos").contains("not in the s3:// URL"));
    }

    #[test]
    fn explicit_credentials_win_over_the_environment() {
        let env = |name: &str| Some(format!("env-{name}"));
        let no_env = |_: &str| None;
        let explicit = BlobStoreSettings::new("s3://b").with_credentials("id", "secret");
        let c = S3Credentials::resolve(&explicit, &env).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("id", "secret")
        );
        assert_eq!(c.session_token, None);

        let from_env = S3Credentials::resolve(&BlobStoreSettings::new("s3://b"), &env).unwrap();
        assert_eq!(from_env.access_key_id, "env-AWS_ACCESS_KEY_ID");
        assert_eq!(from_env.secret_access_key, "env-AWS_SECRET_ACCESS_KEY");
        assert_eq!(
            from_env.session_token.as_deref(),
            Some("env-AWS_SESSION_TOKEN")
        );

        let Err(missing) = S3Credentials::resolve(&BlobStoreSettings::new("s3://b"), &no_env)
        else {
            panic!("no credentials must be refused");
        };
        assert!(missing.to_string().contains("AWS_ACCESS_KEY_ID"));

        let half = BlobStoreSettings {
            access_key_id: Some("id".to_owned()),
            ..BlobStoreSettings::new("s3://b")
        };
        assert!(S3Credentials::resolve(&half, &env).is_err());
    }

    #[test]
    fn debug_redacts_the_secret() {
        let settings = BlobStoreSettings::new("s3://b").with_credentials("id", "hunter2");
        let text = format!("{settings:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn opening_s3_sends_nothing_and_describes_the_store() {
        let settings = BlobStoreSettings::new("s3://photos?endpoint=http://127.0.0.1:9")
            .with_credentials("id", "secret");
        let store = BlobStore::open(&settings).unwrap();
        assert_eq!(store.backend(), BlobBackend::S3);
        assert_eq!(store.to_string(), "s3://photos at http://127.0.0.1:9");
    }
}
