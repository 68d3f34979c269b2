//! Upload preparation: size limit, type detection by content, metadata removal.

use std::fmt;
use std::io::Cursor;

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder as _, ImageError, ImageFormat, ImageReader, Limits};
use sha2::{Digest as _, Sha256};

use crate::MediaError;

/// A file type Vigie accepts, recognised from the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaKind {
    /// JPEG photo (`image/jpeg`), re-encoded.
    Jpeg,
    /// PNG image (`image/png`), re-encoded losslessly.
    Png,
    /// WebP image (`image/webp`), re-encoded as lossless WebP.
    Webp,
    /// PDF document (`application/pdf`), stored as uploaded.
    Pdf,
}

impl MediaKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [MediaKind; 4] = [Self::Jpeg, Self::Png, Self::Webp, Self::Pdf];

    /// The kind the content's magic bytes announce, if it is one we know.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    /// The MIME type to store and serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
        }
    }

    /// The file extension to use, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
        }
    }

    /// Its usual name: `JPEG`, `PNG`, `WebP`, `PDF`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
            Self::Pdf => "PDF",
        }
    }

    /// Whether it is an image (decoded and re-encoded on upload).
    pub fn is_image(self) -> bool {
        self.image_format().is_some()
    }

    /// The kind a declared MIME type names (`image/jpg` and `image/pjpeg` count as JPEG;
    /// parameters and case are ignored).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" | "image/x-png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            "application/pdf" | "application/x-pdf" => Some(Self::Pdf),
            _ => None,
        }
    }

    fn image_format(self) -> Option<ImageKind> {
        match self {
            Self::Jpeg => Some(ImageKind::Jpeg),
            Self::Png => Some(ImageKind::Png),
            Self::Webp => Some(ImageKind::Webp),
            Self::Pdf => None,
        }
    }
}

/// The kinds that are decoded and re-encoded.
#[derive(Debug, Clone, Copy)]
enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    fn format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Webp => ImageFormat::WebP,
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How far from the end a PDF's `%%EOF` marker may be (some writers add trailing bytes).
const PDF_EOF_WINDOW: usize = 1024;

/// How much of a PDF's start is searched for HTML markup.
const PDF_HTML_WINDOW: usize = 1024;

/// Tags whose presence at the start of a "PDF" betrays an HTML page: browsers that sniff
/// content would render it as a page of Vigie's origin.
const HTML_MARKERS: [&[u8]; 12] = [
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<img",
    b"<meta",
    b"<style",
    b"<object",
    b"<embed",
];

/// Checks that a file starting with `%PDF-` is a PDF: a version header `%PDF-1.` or
/// `%PDF-2.`, an `%%EOF` marker in its last KiB, and no HTML markup in its first KiB after
/// the header.
pub fn check_pdf(bytes: &[u8]) -> Result<(), MediaError> {
    if !(bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.")) {
        return Err(MediaError::InvalidPdf {
            reason: "it has no PDF version header (%PDF-1.x or %PDF-2.x)",
        });
    }
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(MediaError::InvalidPdf {
            reason: "it has no %%EOF end marker: it is cut short or not a PDF",
        });
    }
    let head = &bytes[..bytes.len().min(PDF_HTML_WINDOW + 8)];
    let head = head.to_ascii_lowercase();
    if HTML_MARKERS
        .iter()
        .any(|marker| head.windows(marker.len()).any(|w| w == *marker))
    {
        return Err(MediaError::InvalidPdf {
            reason: "it contains HTML markup",
        });
    }
    Ok(())
}

/// Names formats we refuse but can recognise, so the refusal says what the file is.
fn sniff_refused(bytes: &[u8]) -> Option<&'static str> {
    let brand = bytes.get(8..12);
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("GIF")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        match brand {
            Some(b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1") => {
                Some("HEIC/HEIF")
            }
            Some(b"avif" | b"avis") => Some("AVIF"),
            _ => Some("MP4/QuickTime video"),
        }
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("TIFF")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("ZIP (including Word and OpenDocument)")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some("Microsoft Office 97-2003")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" {
        Some("RIFF (audio or video)")
    } else {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
        head.contains("<svg").then_some("SVG")
    }
}

/// Comma-separated names of `kinds`, e.g. `JPEG, PNG, WebP, PDF`.
pub(crate) fn kind_list(kinds: &[MediaKind]) -> String {
    kinds
        .iter()
        .map(|kind| kind.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pixel dimensions of an image, as stored (after applying its EXIF orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dimensions {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// An upload checked and made safe to store, as returned by [`MediaPolicy::prepare_upload`].
/// `Debug` shows the size of the bytes, not the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedUpload {
    /// The bytes to store: the re-encoded image, or the PDF as uploaded.
    pub bytes: Bytes,
    /// The type found in the content (the declared name and type are not trusted).
    pub kind: MediaKind,
    /// Width and height of an image; `None` for a PDF.
    pub dimensions: Option<Dimensions>,
    /// SHA-256 of [`PreparedUpload::bytes`], lowercase hex.
    pub sha256: String,
    /// A file name safe to show and to offer in `Content-Disposition`: the declared name's stem
    /// reduced to letters, digits, `-` and `_` (at most 80 characters, `file` if nothing is
    /// left) with the extension of the detected type, e.g. `compte-rendu-réunion.pdf`.
    pub file_name: String,
    /// True when a specific declared type named a different kind than the content (worth
    /// logging; the content wins). `application/octet-stream` or no type is not a mismatch.
    pub declared_type_mismatch: bool,
    /// True when the bytes were re-encoded so that no metadata (EXIF with GPS, XMP, IPTC,
    /// comments, ICC profile, text chunks) survives; false for a PDF, stored as uploaded.
    pub metadata_removed: bool,
}

impl fmt::Debug for PreparedUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedUpload")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("kind", &self.kind)
            .field("dimensions", &self.dimensions)
            .field("sha256", &self.sha256)
            .field("file_name", &self.file_name)
            .field("declared_type_mismatch", &self.declared_type_mismatch)
            .field("metadata_removed", &self.metadata_removed)
            .finish()
    }
}

impl PreparedUpload {
    /// The MIME type to store and serve the bytes with.
    pub fn content_type(&self) -> &'static str {
        self.kind.content_type()
    }

    /// The file extension for the bytes, without the dot.
    pub fn extension(&self) -> &'static str {
        self.kind.extension()
    }

    /// The size of the bytes to store.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// What uploads are accepted and how far images may go.
///
/// [`MediaPolicy::prepare_upload`] is CPU-bound (image decoding and encoding take tens to
/// hundreds of milliseconds): call it from `tokio::task::spawn_blocking`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPolicy {
    /// Largest accepted upload in bytes (default 20 MiB).
    pub max_upload_bytes: u64,
    /// Widest accepted image in pixels (default 12000).
    pub max_image_width: u32,
    /// Tallest accepted image in pixels (default 12000).
    pub max_image_height: u32,
    /// Most memory one image may take to decode, in bytes (default 512 MiB; a 12000×12000
    /// RGB photo needs 412 MiB).
    pub max_decode_bytes: u64,
    /// JPEG re-encoding quality, 1–100 (default 90).
    pub jpeg_quality: u8,
    /// Accepted kinds (default: all of [`MediaKind::ALL`]).
    pub accepted: Vec<MediaKind>,
}

impl Default for MediaPolicy {
    fn default() -> Self {
        Self {
            max_upload_bytes: Self::DEFAULT_MAX_UPLOAD_BYTES,
            max_image_width: Self::DEFAULT_MAX_IMAGE_SIDE,
            max_image_height: Self::DEFAULT_MAX_IMAGE_SIDE,
            max_decode_bytes: Self::DEFAULT_MAX_DECODE_BYTES,
            jpeg_quality: Self::DEFAULT_JPEG_QUALITY,
            accepted: MediaKind::ALL.to_vec(),
        }
    }
}

impl MediaPolicy {
    /// Default [`MediaPolicy::max_upload_bytes`]: 20 MiB.
    pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 20 * 1024 * 1024;
    /// Default [`MediaPolicy::max_image_width`] and [`MediaPolicy::max_image_height`].
    pub const DEFAULT_MAX_IMAGE_SIDE: u32 = 12_000;
    /// Default [`MediaPolicy::max_decode_bytes`]: 512 MiB.
    pub const DEFAULT_MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
    /// Default [`MediaPolicy::jpeg_quality`].
    pub const DEFAULT_JPEG_QUALITY: u8 = 90;

    /// The default policy restricted to images (JPEG, PNG, WebP), e.g. for photos.
    pub fn images_only() -> Self {
        Self {
            accepted: MediaKind::ALL
                .into_iter()
                .filter(|kind| kind.is_image())
                .collect(),
            ..Self::default()
        }
    }

    /// Whether the policy accepts `kind`.
    pub fn accepts(&self, kind: MediaKind) -> bool {
        self.accepted.contains(&kind)
    }

    /// Checks an upload and returns what to store.
    ///
    /// In order: refuses an empty file and one over [`MediaPolicy::max_upload_bytes`]; detects
    /// the type from the content (`declared_name` and `declared_type` are not trusted) and
    /// refuses kinds the policy does not accept, listing those it does; then
    ///
    /// - an image is decoded — refused if wider or taller than the caps or needing more than
    ///   [`MediaPolicy::max_decode_bytes`], checked on its header before any pixel is decoded —
    ///   turned upright per its EXIF orientation, and re-encoded in its own format (JPEG at
    ///   [`MediaPolicy::jpeg_quality`], PNG, lossless WebP), so that no metadata block survives:
    ///   EXIF (GPS position, camera, date), XMP, IPTC, comments, ICC profile, PNG text chunks.
    ///   Only the first frame of an animated PNG or WebP is kept;
    /// - a PDF must look like one (see [`check_pdf`]), then is stored as uploaded: its own
    ///   metadata (author, software, XMP) is kept.
    pub fn prepare_upload(
        &self,
        bytes: &[u8],
        declared_name: Option<&str>,
        declared_type: Option<&str>,
    ) -> Result<PreparedUpload, MediaError> {
        let size = bytes.len() as u64;
        if size == 0 {
            return Err(MediaError::EmptyUpload);
        }
        if size > self.max_upload_bytes {
            return Err(MediaError::TooLarge {
                size,
                limit: self.max_upload_bytes,
            });
        }
        let kind = match MediaKind::sniff(bytes) {
            Some(kind) if self.accepts(kind) => kind,
            sniffed => {
                return Err(MediaError::UnsupportedType {
                    detected: sniffed
                        .map(MediaKind::name)
                        .or_else(|| sniff_refused(bytes)),
                    accepted: self.accepted.clone(),
                });
            }
        };
        if kind == MediaKind::Pdf {
            check_pdf(bytes)?;
        }
        let (stored, dimensions) = match kind.image_format() {
            Some(image_kind) => {
                let (stored, dimensions) = self.reencode(kind, image_kind, bytes)?;
                (Bytes::from(stored), Some(dimensions))
            }
            None => (Bytes::copy_from_slice(bytes), None),
        };
        let declared_type_mismatch = declared_type
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("application/octet-stream"))
            .is_some_and(|t| MediaKind::from_content_type(t) != Some(kind));
        Ok(PreparedUpload {
            sha256: hex::encode(Sha256::digest(&stored)),
            bytes: stored,
            kind,
            dimensions,
            file_name: safe_file_name(declared_name, kind),
            declared_type_mismatch,
            metadata_removed: kind.is_image(),
        })
    }

    fn reencode(
        &self,
        kind: MediaKind,
        image_kind: ImageKind,
        bytes: &[u8],
    ) -> Result<(Vec<u8>, Dimensions), MediaError> {
        let memory_limit = self.max_decode_bytes;
        let decode_error = |error: ImageError| match error {
            ImageError::Limits(_) => MediaError::ImageNeedsTooMuchMemory {
                limit: memory_limit,
            },
            other => MediaError::InvalidImage {
                kind,
                reason: other.to_string(),
            },
        };
        let mut limits = Limits::default();
        limits.max_alloc = Some(memory_limit);
        let mut reader = ImageReader::with_format(Cursor::new(bytes), image_kind.format());
        reader.limits(limits.clone());
        // Reads the header only: the dimensions are checked before any pixel is decoded.
        let mut decoder = reader.into_decoder().map_err(decode_error)?;
        let (width, height) = decoder.dimensions();
        if width > self.max_image_width || height > self.max_image_height {
            return Err(MediaError::ImageTooLarge {
                width,
                height,
                max_width: self.max_image_width,
                max_height: self.max_image_height,
            });
        }
        if width == 0 || height == 0 {
            return Err(MediaError::InvalidImage {
                kind,
                reason: "it has no pixels".to_owned(),
            });
        }
        if decoder.total_bytes() > memory_limit {
            return Err(MediaError::ImageNeedsTooMuchMemory {
                limit: memory_limit,
            });
        }
        limits.max_image_width = Some(self.max_image_width);
        limits.max_image_height = Some(self.max_image_height);
        decoder.set_limits(limits).map_err(decode_error)?;
        // A malformed EXIF block must not refuse an otherwise good photo: keep it as drawn.
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
        image.apply_orientation(orientation);
        let dimensions = Dimensions {
            width: image.width(),
            height: image.height(),
        };

        let mut out = Vec::new();
        let encoded = match image_kind {
            ImageKind::Jpeg => {
                let image = match image {
                    DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
                    other => DynamicImage::ImageRgb8(other.to_rgb8()),
                };
                let quality = self.jpeg_quality.clamp(1, 100);
                image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
            }
            ImageKind::Png => {
                let image = match image {
                    DynamicImage::ImageLuma8(_)
                    | DynamicImage::ImageLumaA8(_)
                    | DynamicImage::ImageRgb8(_)
                    | DynamicImage::ImageRgba8(_)
                    | DynamicImage::ImageLuma16(_)
                    | DynamicImage::ImageLumaA16(_)
                    | DynamicImage::ImageRgb16(_)
                    | DynamicImage::ImageRgba16(_) => image,
                    other => DynamicImage::ImageRgba8(other.to_rgba8()),
                };
                image.write_with_encoder(PngEncoder::new_with_quality(
                    &mut out,
                    CompressionType::Default,
                    FilterType::Adaptive,
                ))
            }
            ImageKind::Webp => {
                let image = match image {
                    DynamicImage::ImageLuma8(_)
                    | DynamicImage::ImageLumaA8(_)
                    | DynamicImage::ImageRgb8(_)
                    | DynamicImage::ImageRgba8(_) => image,
                    other if other.color().has_alpha() => {
                        DynamicImage::ImageRgba8(other.to_rgba8())
                    }
                    other => DynamicImage::ImageRgb8(other.to_rgb8()),
                };
                image.write_with_encoder(WebPEncoder::new_lossless(&mut out))
            }
        };
        encoded.map_err(|e| MediaError::Encode {
            kind,
            reason: e.to_string(),
        })?;
        Ok((out, dimensions))
    }
}

/// The declared name's stem, reduced to letters, digits, `-` and `_`, with `kind`'s extension.
fn safe_file_name(declared_name: Option<&str>, kind: MediaKind) -> String {
    const MAX_STEM_CHARS: usize = 80;
    let base = declared_name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base,
    };
    let mut safe = String::new();
    let mut pending_dash = false;
    for c in stem.chars() {
        if c.is_alphanumeric() || c == '_' {
            if pending_dash && !safe.is_empty() {
                safe.push('-');
            }
            pending_dash = false;
            safe.push(c);
        } else {
            // Spaces, dots, dashes, punctuation, control and bidi characters: one dash.
            pending_dash = true;
        }
        if safe.chars().count() >= MAX_STEM_CHARS {
            break;
        }
    }
    if safe.is_empty() {
        safe.push_str("file");
    }
    format!("{safe}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_accepted_kinds_from_magic_bytes() {
        assert_eq!(
            MediaKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(MediaKind::Jpeg)
        );
        assert_eq!(
            MediaKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaKind::Png)
        );
        assert_eq!(
            MediaKind::sniff(b"RIFF\x24\0\0\0WEBPVP8L"),
            Some(MediaKind::Webp)
        );
        assert_eq!(
            MediaKind::sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"),
            Some(MediaKind::Pdf)
        );
        assert_eq!(MediaKind::sniff(b""), None);
        assert_eq!(MediaKind::sniff(&[0xFF, 0xD8]), None);
        assert_eq!(MediaKind::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(MediaKind::sniff(b"  %PDF-1.4"), None);
        assert_eq!(MediaKind::sniff(b"hello, world"), None);
    }

    #[test]
    fn names_refused_formats() {
        assert_eq!(sniff_refused(b"GIF89a\x01\0\x01\0"), Some("GIF"));
        assert_eq!(
            sniff_refused(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some("HEIC/HEIF")
        );
        assert_eq!(sniff_refused(b"\0\0\0\x1cftypavif\0\0\0\0"), Some("AVIF"));
        assert_eq!(sniff_refused(b"II*\0\x08\0\0\0"), Some("TIFF"));
        assert_eq!(
            sniff_refused(b"PK\x03\x04\x14\0"),
            Some("ZIP (including Word and OpenDocument)")
        );
        assert_eq!(
            sniff_refused(b"<?xml version=\"1.0\"?><svg xmlns=\"\">"),
            Some("SVG")
        );
        assert_eq!(sniff_refused(b"just text"), None);
    }

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(
            MediaKind::from_content_type("image/JPG"),
            Some(MediaKind::Jpeg)
        );
        assert_eq!(
            MediaKind::from_content_type("application/pdf; charset=binary"),
            Some(MediaKind::Pdf)
        );
        assert_eq!(MediaKind::from_content_type("image/gif"), None);
        for kind in MediaKind::ALL {
            assert_eq!(
                MediaKind::from_content_type(kind.content_type()),
                Some(kind)
            );
        }
    }

    #[test]
    fn file_names_are_reduced_to_safe_characters() {
        let name = |declared| safe_file_name(declared, MediaKind::Pdf);
        assert_eq!(
            name(Some("Compte rendu réunion.PDF")),
            "Compte-rendu-réunion.pdf"
        );
        assert_eq!(
            name(Some("C:\\Users\\x\\photo.final.exe")),
            "photo-final.pdf"
        );
        assert_eq!(name(Some("../../etc/passwd")), "passwd.pdf");
        assert_eq!(name(Some(".bashrc")), "bashrc.pdf");
        assert_eq!(name(Some("a\u{202e}gpj.exe")), "a-gpj.pdf");
        assert_eq!(name(Some("<script>")), "script.pdf");
        assert_eq!(name(Some("...")), "file.pdf");
        assert_eq!(name(None), "file.pdf");
        assert_eq!(name(Some(&"x".repeat(300))).len(), 80 + ".pdf".len());
    }

    #[test]
    fn refusals_list_what_is_accepted() {
        let policy = MediaPolicy::default();
        let error = policy
            .prepare_upload(b"GIF89a\x01\0\x01\0", Some("a.gif"), None)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "GIF files are not accepted; accepted types: JPEG, PNG, WebP, PDF"
        );
        assert!(error.is_rejected_upload());
        let error = policy
            .prepare_upload(b"plain text", Some("a.jpg"), Some("image/jpeg"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "this file type is not recognised; accepted types: JPEG, PNG, WebP, PDF"
        );
        let error = MediaPolicy::images_only()
            .prepare_upload(b"%PDF-1.4\n%%EOF\n", None, None)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "PDF files are not accepted; accepted types: JPEG, PNG, WebP"
        );
    }

    #[test]
    fn size_limit_is_checked_first_and_named() {
        let policy = MediaPolicy::default();
        let big = vec![0u8; (MediaPolicy::DEFAULT_MAX_UPLOAD_BYTES + 1) as usize];
        let error = policy.prepare_upload(&big, None, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the file is too large: 20 MiB (20971521 bytes); the limit is 20 MiB"
        );
        assert!(matches!(
            policy.prepare_upload(b"", None, None),
            Err(MediaError::EmptyUpload)
        ));
    }
}
