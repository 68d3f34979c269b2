//! `MediaPolicy::prepare_upload` on real files: images carrying EXIF (with a GPS position),
//! XMP, IPTC, comments and PNG text chunks come out without any of them, still decodable and
//! upright; oversized files and images are refused with a message that says the limit.

// Tests fail loudly on purpose: unwrap/expect are the point here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, GenericImageView as _, ImageFormat, Rgb, RgbImage, RgbaImage};
use vigie_media::{Dimensions, MediaError, MediaKind, MediaPolicy};

// ---------------------------------------------------------------------------------------------
// Building test files

/// A 64×32 picture: left half red, right half blue, so a rotation shows.
fn two_colour_image(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    })
}

fn encode_jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 95))
        .unwrap();
    out
}

fn encode_png(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    out
}

fn encode_webp(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .unwrap();
    out
}

/// One TIFF IFD entry: tag, type, count and the value bytes (big-endian).
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

const BYTE: u16 = 1;
const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const UNDEFINED: u16 = 7;

fn ascii(text: &str) -> Entry {
    let mut data = text.as_bytes().to_vec();
    data.push(0);
    Entry {
        tag: 0,
        kind: ASCII,
        count: data.len() as u32,
        data,
    }
}

fn tagged(tag: u16, entry: Entry) -> Entry {
    Entry { tag, ..entry }
}

fn rationals(values: &[(u32, u32)]) -> Entry {
    let data = values
        .iter()
        .flat_map(|(n, d)| [n.to_be_bytes(), d.to_be_bytes()].concat())
        .collect();
    Entry {
        tag: 0,
        kind: RATIONAL,
        count: values.len() as u32,
        data,
    }
}

fn padded(len: usize) -> usize {
    len + len % 2
}

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len()
        + 4
        + entries
            .iter()
            .filter(|e| e.data.len() > 4)
            .map(|e| padded(e.data.len()))
            .sum::<usize>()
}

/// Writes an IFD starting at TIFF offset `start`, its out-of-line values right after it.
fn write_ifd(out: &mut Vec<u8>, start: usize, entries: &[Entry]) {
    let mut data_offset = start + 2 + 12 * entries.len() + 4;
    let mut data = Vec::new();
    out.extend((entries.len() as u16).to_be_bytes());
    for entry in entries {
        out.extend(entry.tag.to_be_bytes());
        out.extend(entry.kind.to_be_bytes());
        out.extend(entry.count.to_be_bytes());
        if entry.data.len() <= 4 {
            let mut inline = entry.data.clone();
            inline.resize(4, 0);
            out.extend(inline);
        } else {
            out.extend((data_offset as u32).to_be_bytes());
            data.extend(&entry.data);
            if entry.data.len() % 2 == 1 {
                data.push(0);
            }
            data_offset += padded(entry.data.len());
        }
    }
    out.extend(0u32.to_be_bytes());
    out.extend(data);
}

/// A big-endian TIFF block as found in EXIF: camera make, optional orientation, and a GPS IFD
/// placing the photo in Marseille (43°17'50"N 5°22'30"E), WGS-84, "GPS" processing method.
fn exif_tiff(orientation: Option<u16>) -> Vec<u8> {
    let gps = vec![
        Entry {
            tag: 0x0000,
            kind: BYTE,
            count: 4,
            data: vec![2, 3, 0, 0],
        },
        tagged(0x0001, ascii("N")),
        tagged(0x0002, rationals(&[(43, 1), (17, 1), (5000, 100)])),
        tagged(0x0003, ascii("E")),
        tagged(0x0004, rationals(&[(5, 1), (22, 1), (3000, 100)])),
        tagged(0x0012, ascii("WGS-84")),
        Entry {
            tag: 0x001B,
            kind: UNDEFINED,
            count: 11,
            data: b"ASCII\0\0\0GPS".to_vec(),
        },
    ];
    let mut ifd0 = vec![tagged(0x010F, ascii("VigieTestCam"))];
    if let Some(orientation) = orientation {
        ifd0.push(Entry {
            tag: 0x0112,
            kind: SHORT,
            count: 1,
            data: orientation.to_be_bytes().to_vec(),
        });
    }
    // The GPS IFD follows IFD0 and its values.
    let placeholder = Entry {
        tag: 0x8825,
        kind: LONG,
        count: 1,
        data: vec![0; 4],
    };
    ifd0.push(placeholder);
    let gps_offset = 8 + ifd_len(&ifd0);
    if let Some(last) = ifd0.last_mut() {
        last.data = (gps_offset as u32).to_be_bytes().to_vec();
    }

    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend(8u32.to_be_bytes());
    write_ifd(&mut tiff, 8, &ifd0);
    assert_eq!(tiff.len(), gps_offset);
    write_ifd(&mut tiff, gps_offset, &gps);
    tiff
}

const XMP: &str = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
    xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
    xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
    exif:GPSLatitude=\"43,17.8333N\" exif:GPSLongitude=\"5,22.5E\" dc:creator=\"Jane Doe\"/>\
    </rdf:RDF></x:xmpmeta>";

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend(((payload.len() + 2) as u16).to_be_bytes());
    segment.extend(payload);
    segment
}

/// EXIF (APP1), XMP (APP1), IPTC (APP13) and a comment (COM), as a phone or editor writes them.
fn metadata_segments(orientation: Option<u16>) -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_tiff(orientation));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(XMP.as_bytes());
    // Photoshop IRB with one IPTC record: 2:80 By-line "Jane Doe".
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    let record = b"\x1c\x02\x50\x00\x08Jane Doe";
    iptc.extend((record.len() as u32).to_be_bytes());
    iptc.extend(record);
    iptc.push(0);
    [
        jpeg_segment(0xE1, &exif),
        jpeg_segment(0xE1, &xmp),
        jpeg_segment(0xED, &iptc),
        jpeg_segment(0xFE, b"Taken from Jane Doe's balcony"),
    ]
    .concat()
}

fn insert_after_soi(jpeg: &[u8], segments: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    [&jpeg[..2], segments, &jpeg[2..]].concat()
}

/// The markers of a JPEG's segments before the image data (SOS).
fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
    let mut markers = Vec::new();
    let mut pos = 2;
    loop {
        assert_eq!(jpeg[pos], 0xFF, "segment expected at {pos}");
        let marker = jpeg[pos + 1];
        markers.push(marker);
        if marker == 0xDA {
            return markers;
        }
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        pos += 2 + len;
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend(kind);
    chunk.extend(data);
    chunk.extend(crc32(&[kind.as_slice(), data].concat()).to_be_bytes());
    chunk
}

/// The chunk types of a PNG, in order.
fn png_chunks(png: &[u8]) -> Vec<String> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut kinds = Vec::new();
    let mut pos = 8;
    while pos < png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&png[pos + 4..pos + 8]).into_owned());
        pos += 12 + len;
    }
    kinds
}

fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = kind.to_vec();
    chunk.extend((data.len() as u32).to_le_bytes());
    chunk.extend(data);
    if data.len() % 2 == 1 {
        chunk.push(0);
    }
    chunk
}

/// The chunk types of a WebP file, in order.
fn webp_chunks(webp: &[u8]) -> Vec<String> {
    assert_eq!((&webp[..4], &webp[8..12]), (&b"RIFF"[..], &b"WEBP"[..]));
    let mut kinds = Vec::new();
    let mut pos = 12;
    while pos < webp.len() {
        let len = u32::from_le_bytes(webp[pos + 4..pos + 8].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&webp[pos..pos + 4]).into_owned());
        pos += 8 + padded(len);
    }
    kinds
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Personal data planted in the test files; none may survive.
const PLANTED: [&str; 7] = [
    "GPS",
    "Exif",
    "WGS-84",
    "VigieTestCam",
    "Jane Doe",
    "xmpmeta",
    "Photoshop",
];

fn assert_nothing_planted(bytes: &[u8]) {
    for needle in PLANTED {
        assert!(
            !contains(bytes, needle.as_bytes()),
            "{needle:?} survived in the prepared file"
        );
    }
}

fn decode(bytes: &[u8], format: ImageFormat) -> DynamicImage {
    image::load(Cursor::new(bytes), format).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Metadata removal

#[test]
fn jpeg_with_exif_gps_xmp_iptc_and_comment_comes_out_clean() {
    let original = insert_after_soi(
        &encode_jpeg(&two_colour_image(64, 32)),
        &metadata_segments(None),
    );
    // The test file really carries what we want gone, and still decodes.
    assert!(contains(&original, b"GPS") && contains(&original, b"Exif\0\0"));
    assert!(jpeg_markers(&original).contains(&0xE1));
    assert_eq!(decode(&original, ImageFormat::Jpeg).dimensions(), (64, 32));

    let prepared = MediaPolicy::default()
        .prepare_upload(&original, Some("IMG_2041.JPG"), Some("image/jpeg"))
        .unwrap();

    assert_eq!(prepared.kind, MediaKind::Jpeg);
    assert_eq!(prepared.content_type(), "image/jpeg");
    assert_eq!(prepared.extension(), "jpg");
    assert_eq!(prepared.file_name, "IMG_2041.jpg");
    assert!(prepared.metadata_removed);
    assert!(!prepared.declared_type_mismatch);
    assert_eq!(
        prepared.dimensions,
        Some(Dimensions {
            width: 64,
            height: 32
        })
    );
    let markers = jpeg_markers(&prepared.bytes);
    assert!(
        markers
            .iter()
            .all(|m| !(0xE1..=0xEF).contains(m) && *m != 0xFE),
        "application or comment segments left: {markers:02X?}"
    );
    assert_nothing_planted(&prepared.bytes);
    assert_eq!(
        decode(&prepared.bytes, ImageFormat::Jpeg).dimensions(),
        (64, 32)
    );
    assert_eq!(prepared.size(), prepared.bytes.len() as u64);
    assert_eq!(prepared.sha256.len(), 64);
}

#[test]
fn jpeg_orientation_is_applied_to_the_pixels_before_exif_is_dropped() {
    // Orientation 6: the camera was turned; viewers rotate 90° clockwise to display.
    let original = insert_after_soi(
        &encode_jpeg(&two_colour_image(64, 32)),
        &metadata_segments(Some(6)),
    );
    let prepared = MediaPolicy::default()
        .prepare_upload(&original, None, None)
        .unwrap();
    assert_eq!(
        prepared.dimensions,
        Some(Dimensions {
            width: 32,
            height: 64
        })
    );
    let upright = decode(&prepared.bytes, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(upright.dimensions(), (32, 64));
    // The red left half is now on top, the blue right half at the bottom.
    let top = upright.get_pixel(16, 8);
    let bottom = upright.get_pixel(16, 56);
    assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue: {bottom:?}"
    );
    assert_nothing_planted(&prepared.bytes);
}

#[test]
fn png_with_text_xmp_time_and_exif_chunks_comes_out_clean() {
    let image = DynamicImage::ImageRgba8(RgbaImage::from_fn(40, 30, |x, y| {
        image::Rgba([
            (x * 6) as u8,
            (y * 8) as u8,
            90,
            if x < 5 { 128 } else { 255 },
        ])
    }));
    let plain = encode_png(&image);
    let ihdr_end = 8 + 12 + 13;
    assert_eq!(&plain[12..16], b"IHDR");
    let mut xmp = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    xmp.extend(XMP.as_bytes());
    let metadata = [
        png_chunk(b"tEXt", b"Author\0Jane Doe"),
        png_chunk(b"tEXt", b"Comment\0GPS 43.2972,5.3750"),
        png_chunk(b"iTXt", &xmp),
        png_chunk(b"tIME", &[0x07, 0xEA, 11, 28, 15, 36, 0]),
        png_chunk(b"eXIf", &exif_tiff(None)),
    ]
    .concat();
    let original = [&plain[..ihdr_end], &metadata, &plain[ihdr_end..]].concat();
    let chunks = png_chunks(&original);
    for kind in ["tEXt", "iTXt", "tIME", "eXIf"] {
        assert!(chunks.iter().any(|c| c == kind), "test file lacks {kind}");
    }
    assert_eq!(decode(&original, ImageFormat::Png).dimensions(), (40, 30));

    let prepared = MediaPolicy::default()
        .prepare_upload(&original, Some("plan.png"), Some("image/png"))
        .unwrap();

    assert_eq!(prepared.kind, MediaKind::Png);
    let chunks = png_chunks(&prepared.bytes);
    assert!(
        chunks
            .iter()
            .all(|c| ["IHDR", "PLTE", "tRNS", "IDAT", "IEND"].contains(&c.as_str())),
        "metadata chunks left: {chunks:?}"
    );
    assert_nothing_planted(&prepared.bytes);
    assert_eq!(
        prepared.dimensions,
        Some(Dimensions {
            width: 40,
            height: 30
        })
    );
    // PNG is re-encoded losslessly: the pixels, alpha included, are untouched.
    assert_eq!(decode(&prepared.bytes, ImageFormat::Png), image);
}

#[test]
fn webp_with_exif_and_xmp_chunks_comes_out_clean() {
    let image = two_colour_image(48, 24);
    let simple = encode_webp(&image);
    assert_eq!(&simple[12..16], b"VP8L", "expected a simple lossless WebP");
    let mut vp8x = vec![0x08 | 0x04, 0, 0, 0];
    vp8x.extend(&(48u32 - 1).to_le_bytes()[..3]);
    vp8x.extend(&(24u32 - 1).to_le_bytes()[..3]);
    let body = [
        b"WEBP".to_vec(),
        riff_chunk(b"VP8X", &vp8x),
        simple[12..].to_vec(),
        riff_chunk(b"EXIF", &exif_tiff(None)),
        riff_chunk(b"XMP ", XMP.as_bytes()),
    ]
    .concat();
    let mut original = b"RIFF".to_vec();
    original.extend((body.len() as u32).to_le_bytes());
    original.extend(body);
    assert_eq!(
        webp_chunks(&original),
        ["VP8X", "VP8L", "EXIF", "XMP "].map(str::to_owned)
    );
    assert_eq!(decode(&original, ImageFormat::WebP).dimensions(), (48, 24));

    let prepared = MediaPolicy::default()
        .prepare_upload(&original, Some("façade.webp"), None)
        .unwrap();

    assert_eq!(prepared.kind, MediaKind::Webp);
    assert_eq!(prepared.file_name, "façade.webp");
    let chunks = webp_chunks(&prepared.bytes);
    assert!(
        !chunks
            .iter()
            .any(|c| c == "EXIF" || c == "XMP " || c == "ICCP"),
        "metadata chunks left: {chunks:?}"
    );
    assert_nothing_planted(&prepared.bytes);
    // Lossless WebP: same pixels.
    assert_eq!(decode(&prepared.bytes, ImageFormat::WebP).to_rgb8(), image);
}

#[test]
fn pdf_is_stored_as_uploaded() {
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let prepared = MediaPolicy::default()
        .prepare_upload(pdf, Some("Compte rendu conseil d'école.pdf"), None)
        .unwrap();
    assert_eq!(prepared.kind, MediaKind::Pdf);
    assert_eq!(prepared.content_type(), "application/pdf");
    assert_eq!(&prepared.bytes[..], &pdf[..]);
    assert_eq!(prepared.dimensions, None);
    assert!(!prepared.metadata_removed);
    assert_eq!(prepared.file_name, "Compte-rendu-conseil-d-école.pdf");
}

#[test]
fn the_content_decides_the_type_not_the_declared_name_or_type() {
    let jpeg = encode_jpeg(&two_colour_image(16, 16));
    let prepared = MediaPolicy::default()
        .prepare_upload(&jpeg, Some("report.pdf"), Some("application/pdf"))
        .unwrap();
    assert_eq!(prepared.kind, MediaKind::Jpeg);
    assert_eq!(prepared.file_name, "report.jpg");
    assert!(prepared.declared_type_mismatch);
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn files_over_the_size_limit_are_refused_with_the_limit() {
    let jpeg = encode_jpeg(&two_colour_image(64, 64));
    assert!(jpeg.len() > 300);
    let policy = MediaPolicy {
        max_upload_bytes: 300,
        ..MediaPolicy::default()
    };
    let error = policy.prepare_upload(&jpeg, None, None).unwrap_err();
    assert!(matches!(error, MediaError::TooLarge { limit: 300, .. }));
    assert!(
        error.to_string().ends_with("the limit is 300 bytes"),
        "{error}"
    );
    assert!(error.is_rejected_upload());
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    // A small JPEG whose frame header claims 20000×20000 pixels.
    let mut jpeg = encode_jpeg(&two_colour_image(16, 16));
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&20_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&20_000u16.to_be_bytes());
    let error = MediaPolicy::default()
        .prepare_upload(&jpeg, None, None)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the image is 20000×20000 pixels; the maximum is 12000×12000 pixels"
    );
    assert!(error.is_rejected_upload());

    // A real, valid PNG one pixel wider than allowed.
    let wide = encode_png(&DynamicImage::ImageLuma8(image::GrayImage::new(12_001, 1)));
    let error = MediaPolicy::default()
        .prepare_upload(&wide, None, None)
        .unwrap_err();
    assert!(
        matches!(
            error,
            MediaError::ImageTooLarge {
                width: 12_001,
                height: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn images_needing_too_much_memory_are_refused() {
    let jpeg = encode_jpeg(&two_colour_image(100, 100));
    let policy = MediaPolicy {
        max_decode_bytes: 10_000,
        ..MediaPolicy::default()
    };
    let error = policy.prepare_upload(&jpeg, None, None).unwrap_err();
    assert!(
        matches!(error, MediaError::ImageNeedsTooMuchMemory { limit: 10_000 }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "decoding this image would need more than 9.7 KiB of memory"
    );
}

#[test]
fn corrupt_images_are_refused_as_unreadable() {
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x03];
    broken.extend(b"this is not image data at all");
    let error = MediaPolicy::default()
        .prepare_upload(&broken, None, None)
        .unwrap_err();
    assert!(
        matches!(
            error,
            MediaError::InvalidImage {
                kind: MediaKind::Jpeg,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_rejected_upload());
    assert!(
        error
            .to_string()
            .starts_with("the JPEG image cannot be read: ")
    );
}

// ---------------------------------------------------------------------------------------------
// PDFs that are not PDFs

#[test]
fn html_dressed_up_as_a_pdf_is_refused() {
    let polyglots: [&[u8]; 3] = [
        b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n<!DOCTYPE html><p>hi</p>\n%%EOF",
        b"%PDF-2.0\n1 0 obj << >> endobj\n<SVG onload=alert(1)>\n%%EOF\n",
    ];
    for bytes in polyglots {
        let error = MediaPolicy::default()
            .prepare_upload(bytes, Some("devis.pdf"), Some("application/pdf"))
            .unwrap_err();
        assert!(
            matches!(error, MediaError::InvalidPdf { reason } if reason.contains("HTML")),
            "{error}"
        );
        assert!(error.is_rejected_upload());
        assert!(
            error
                .to_string()
                .starts_with("this file starts like a PDF but is not one"),
            "{error}"
        );
    }
}

#[test]
fn a_pdf_needs_a_version_and_an_end_marker() {
    let no_version = b"%PDF-\n1 0 obj << >> endobj\n%%EOF\n";
    let error = MediaPolicy::default()
        .prepare_upload(no_version, None, None)
        .unwrap_err();
    assert!(error.to_string().contains("version header"), "{error}");

    let cut_short = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n";
    let error = MediaPolicy::default()
        .prepare_upload(cut_short, None, None)
        .unwrap_err();
    assert!(error.to_string().contains("%%EOF"), "{error}");

    // A real PDF's end marker may be followed by a little padding, and HTML-like text later
    // in the file (past its first KiB) is content, not a disguise.
    let mut padded = b"%PDF-1.5\n".to_vec();
    padded.extend(std::iter::repeat_n(b'%', 2000));
    padded.extend_from_slice(b"\n(<html> in a text string)\n%%EOF\r\n\0\0\0\0");
    assert!(
        MediaPolicy::default()
            .prepare_upload(&padded, None, None)
            .is_ok()
    );
}
