//! One storage suite, run against a local folder and against a real S3-compatible server
//! (SeaweedFS, started by the test; see `support/seaweedfs.rs`).

// Tests fail loudly on purpose: unwrap/expect are the point here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, SystemTime};

use support::seaweedfs::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, SeaweedFs};
use vigie_media::{BlobBackend, BlobKey, BlobStore, BlobStoreSettings, MediaError, MediaPolicy};

/// SHA-256 of `hello`.
const HELLO_SHA256: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

fn key(text: &str) -> BlobKey {
    BlobKey::new(text).unwrap()
}

/// Every case, under `run/` so that a shared bucket or folder never mixes runs.
async fn storage_suite(store: &BlobStore, run: &str) {
    put_then_get_round_trips(store, run).await;
    large_objects_round_trip(store, run).await;
    missing_objects_are_not_found(store, run).await;
    stored_objects_are_never_replaced(store, run).await;
    list_by_whole_segments(store, run).await;
    prepared_upload_is_stored_with_its_type(store, run).await;
}

async fn put_then_get_round_trips(store: &BlobStore, run: &str) {
    let key = key(&format!("{run}/documents/2026/hello.txt"));
    let stored = store.put(&key, &b"hello"[..], "text/plain").await.unwrap();
    assert_eq!(stored.key, key);
    assert_eq!(stored.size, 5);
    assert_eq!(stored.sha256, HELLO_SHA256);

    let blob = store.get(&key).await.unwrap();
    assert_eq!(&blob.bytes[..], b"hello");
    let expected_type = match store.backend() {
        BlobBackend::S3 => Some("text/plain".to_owned()),
        BlobBackend::LocalFolder => None,
    };
    assert_eq!(blob.content_type, expected_type);

    assert!(store.exists(&key).await.unwrap());
    let info = store.head(&key).await.unwrap();
    assert_eq!((info.key.as_str(), info.size), (key.as_str(), 5));
    let age = SystemTime::now()
        .duration_since(info.last_modified)
        .unwrap_or(Duration::ZERO);
    assert!(
        age < Duration::from_secs(600),
        "last_modified is {age:?} old"
    );
    eprintln!("[{store}] put then get round-trips: ok");
}

async fn large_objects_round_trip(store: &BlobStore, run: &str) {
    // 6 MiB: larger than SeaweedFS's 4 MiB chunk size, so it is split and reassembled.
    let bytes: Vec<u8> = (0..6 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let key = key(&format!("{run}/photos/large.bin"));
    let stored = store
        .put(&key, bytes.clone(), "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(store.head(&key).await.unwrap().size, bytes.len() as u64);
    assert!(store.get(&key).await.unwrap().bytes == bytes);
    eprintln!("[{store}] a 6 MiB object round-trips: ok");
}

async fn missing_objects_are_not_found(store: &BlobStore, run: &str) {
    let key = key(&format!("{run}/nothing/here.jpg"));
    assert!(!store.exists(&key).await.unwrap());
    match store.get(&key).await {
        Err(MediaError::NotFound { key: missing }) => assert_eq!(missing, key.as_str()),
        other => panic!("get of a missing key: {other:?}"),
    }
    assert!(matches!(
        store.head(&key).await,
        Err(MediaError::NotFound { .. })
    ));
    eprintln!("[{store}] missing objects are NotFound: ok");
}

async fn stored_objects_are_never_replaced(store: &BlobStore, run: &str) {
    let key = key(&format!("{run}/once.txt"));
    store.put(&key, &b"first"[..], "text/plain").await.unwrap();
    let error = store
        .put(&key, &b"second"[..], "text/plain")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, MediaError::AlreadyExists { key: k } if k == key.as_str()),
        "{error:?}"
    );
    assert_eq!(&store.get(&key).await.unwrap().bytes[..], b"first");
    eprintln!("[{store}] stored objects are never replaced: ok");
}

async fn list_by_whole_segments(store: &BlobStore, run: &str) {
    let base = format!("{run}/list");
    for name in ["a/1.txt", "a/2.txt", "a/sub/3.txt", "ab/4.txt"] {
        store
            .put(&key(&format!("{base}/{name}")), &b"x"[..], "text/plain")
            .await
            .unwrap();
    }
    let names = |found: Vec<vigie_media::BlobInfo>| -> Vec<String> {
        found
            .into_iter()
            .map(|info| info.key.into_string().replace(&format!("{base}/"), ""))
            .collect()
    };
    let expected = ["a/1.txt", "a/2.txt", "a/sub/3.txt"];
    assert_eq!(
        names(store.list(&format!("{base}/a")).await.unwrap()),
        expected
    );
    assert_eq!(
        names(store.list(&format!("{base}/a/")).await.unwrap()),
        expected
    );
    assert_eq!(store.list(&base).await.unwrap().len(), 4);
    assert!(
        store
            .list(&format!("{base}/none"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.list("../etc").await,
        Err(MediaError::InvalidKey { .. })
    ));
    eprintln!("[{store}] list by whole segments: ok");
}

async fn prepared_upload_is_stored_with_its_type(store: &BlobStore, run: &str) {
    let pdf = b"%PDF-1.4\n%%EOF\n";
    let prepared = MediaPolicy::default()
        .prepare_upload(pdf, Some("compte-rendu.pdf"), Some("application/pdf"))
        .unwrap();
    let key = key(&format!(
        "{run}/documents/{}.{}",
        prepared.sha256,
        prepared.extension()
    ));
    let stored = store
        .put(&key, prepared.bytes.clone(), prepared.content_type())
        .await
        .unwrap();
    assert_eq!(stored.sha256, prepared.sha256);
    assert_eq!(stored.size, prepared.size());
    assert_eq!(store.get(&key).await.unwrap().bytes, prepared.bytes);
    eprintln!("[{store}] a prepared upload is stored as prepared: ok");
}

// ---------------------------------------------------------------------------------------------
// Local folder

#[tokio::test]
async fn local_folder_passes_the_storage_suite() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist yet: opening creates it.
    let folder = dir.path().join("data/files");
    let store = BlobStore::open(&BlobStoreSettings::new(folder.to_str().unwrap())).unwrap();
    assert_eq!(store.backend(), BlobBackend::LocalFolder);
    storage_suite(&store, "suite").await;
}

#[tokio::test]
async fn local_folder_from_a_file_url_keeps_objects_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::from_directory_path(dir.path().join("uploads")).unwrap();
    assert!(url.as_str().starts_with("file:///"));
    let store = BlobStore::open(&BlobStoreSettings::new(url.as_str())).unwrap();
    let key = key("ecoles-marseille/photos/a1.jpg");
    store.put(&key, &b"hello"[..], "image/jpeg").await.unwrap();
    let on_disk = dir.path().join("uploads/ecoles-marseille/photos/a1.jpg");
    assert_eq!(std::fs::read(on_disk).unwrap(), b"hello");

    // Objects outlive the store: a new one on the same folder sees them.
    drop(store);
    let reopened = BlobStore::open(&BlobStoreSettings::new(url.as_str())).unwrap();
    assert_eq!(&reopened.get(&key).await.unwrap().bytes[..], b"hello");
}

#[test]
fn a_folder_that_cannot_be_created_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let error =
        BlobStore::open(&BlobStoreSettings::new(file.join("sub").to_str().unwrap())).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot create the storage folder"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// S3 (SeaweedFS)

fn s3_store(weed: &SeaweedFs, prefix: &str, secret: &str) -> BlobStore {
    let url = format!(
        "s3://{}{prefix}?endpoint={}&region=us-east-1",
        weed.bucket, weed.endpoint
    );
    BlobStore::open(&BlobStoreSettings::new(url).with_credentials(ACCESS_KEY_ID, secret)).unwrap()
}

/// Waits until the server accepts writes (its volume server may register after S3 answers).
async fn wait_until_writable(store: &BlobStore, weed: &SeaweedFs) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let probe = key("readiness/probe.txt");
    loop {
        match store.put(&probe, &b"ready"[..], "text/plain").await {
            Ok(_) | Err(MediaError::AlreadyExists { .. }) => return,
            Err(error) if std::time::Instant::now() > deadline => panic!(
                "SeaweedFS never accepted a write: {error}\n{}",
                weed.log_tail()
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seaweedfs_s3_passes_the_storage_suite() {
    let Some(weed) = SeaweedFs::start() else {
        return;
    };
    let store = s3_store(&weed, "", SECRET_ACCESS_KEY);
    assert_eq!(store.backend(), BlobBackend::S3);
    wait_until_writable(&store, &weed).await;
    storage_suite(&store, "suite").await;

    // A prefix in the URL keeps a store inside its part of the bucket.
    let tenant = s3_store(&weed, "/tenants/ecoles", SECRET_ACCESS_KEY);
    let inside = key("photos/p1.jpg");
    tenant
        .put(&inside, &b"hello"[..], "image/jpeg")
        .await
        .unwrap();
    let seen_from_root = key("tenants/ecoles/photos/p1.jpg");
    assert_eq!(
        &store.get(&seen_from_root).await.unwrap().bytes[..],
        b"hello"
    );
    let listed: Vec<String> = tenant
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|info| info.key.into_string())
        .collect();
    assert_eq!(listed, ["photos/p1.jpg"]);
    eprintln!("[{tenant}] a prefixed store stays in its prefix: ok");

    // Wrong credentials are a backend failure, not a missing object.
    let intruder = s3_store(&weed, "", "not-the-secret");
    let error = intruder.get(&seen_from_root).await.unwrap_err();
    assert!(matches!(error, MediaError::Backend { .. }), "{error:?}");
    eprintln!("[{intruder}] wrong credentials are refused: ok ({error})");
}
