//! A zip archive written as a stream: each file's bytes are deflated as they come and handed
//! on at once, its CRC and sizes follow it in a data descriptor, and the central directory
//! closes the archive. Nothing but the directory (a few dozen bytes per file) is kept, so an
//! archive of a large collective streams in flat memory. No ZIP64: an archive (and each of
//! its files) stays under 4 GiB, far above a collective's size.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::DeflateEncoder;

const LOCAL: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
/// Sizes in a data descriptor; names in UTF-8.
const FLAGS: u16 = 0x0008 | 0x0800;
const DEFLATE: u16 = 8;
const VERSION: u16 = 20;

struct Entry {
    name: String,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

struct Open {
    name: String,
    offset: u32,
    crc: flate2::Crc,
    size: u64,
    compressed: u64,
    encoder: DeflateEncoder<Vec<u8>>,
}

/// A zip archive being written; each call returns the bytes to send next.
pub struct ZipStream {
    written: u64,
    entries: Vec<Entry>,
    open: Option<Open>,
    /// DOS time and date of every entry.
    time: u16,
    date: u16,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn small(v: u64) -> std::io::Result<u32> {
    u32::try_from(v).map_err(|_| std::io::Error::other("the archive outgrew 4 GiB"))
}

impl ZipStream {
    /// An empty archive whose entries are dated `at` (UTC).
    pub fn new(at: time::OffsetDateTime) -> Self {
        let year = u16::try_from(at.year().clamp(1980, 2107) - 1980).unwrap_or(0);
        Self {
            written: 0,
            entries: Vec::new(),
            open: None,
            time: (u16::from(at.hour()) << 11)
                | (u16::from(at.minute()) << 5)
                | u16::from(at.second() / 2),
            date: (year << 9) | (u16::from(u8::from(at.month())) << 5) | u16::from(at.day()),
        }
    }

    fn emit(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.written += bytes.len() as u64;
        bytes
    }

    /// Starts a file (closing the one open).
    pub fn start(&mut self, name: &str) -> std::io::Result<Vec<u8>> {
        let mut out = self.finish_file()?;
        let offset = small(self.written)?;
        let mut header = Vec::with_capacity(30 + name.len());
        u32le(&mut header, LOCAL);
        u16le(&mut header, VERSION);
        u16le(&mut header, FLAGS);
        u16le(&mut header, DEFLATE);
        u16le(&mut header, self.time);
        u16le(&mut header, self.date);
        u32le(&mut header, 0); // CRC, sizes: in the data descriptor
        u32le(&mut header, 0);
        u32le(&mut header, 0);
        u16le(&mut header, u16::try_from(name.len()).unwrap_or(u16::MAX));
        u16le(&mut header, 0);
        header.extend_from_slice(name.as_bytes());
        self.written += header.len() as u64;
        out.extend_from_slice(&header);
        self.open = Some(Open {
            name: name.to_owned(),
            offset,
            crc: flate2::Crc::new(),
            size: 0,
            compressed: 0,
            encoder: DeflateEncoder::new(Vec::new(), Compression::fast()),
        });
        Ok(out)
    }

    /// Adds bytes to the open file; returns what is ready to send.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let Some(open) = self.open.as_mut() else {
            return Err(std::io::Error::other("no file is open in the archive"));
        };
        open.crc.update(bytes);
        open.size += bytes.len() as u64;
        open.encoder.write_all(bytes)?;
        let ready = std::mem::take(open.encoder.get_mut());
        open.compressed += ready.len() as u64;
        Ok(self.emit(ready))
    }

    fn finish_file(&mut self) -> std::io::Result<Vec<u8>> {
        let Some(open) = self.open.take() else {
            return Ok(Vec::new());
        };
        let mut out = open.encoder.finish()?;
        let compressed = small(open.compressed + out.len() as u64)?;
        let size = small(open.size)?;
        let crc = open.crc.sum();
        u32le(&mut out, DESCRIPTOR);
        u32le(&mut out, crc);
        u32le(&mut out, compressed);
        u32le(&mut out, size);
        self.entries.push(Entry {
            name: open.name,
            crc,
            compressed,
            size,
            offset: open.offset,
        });
        Ok(self.emit(out))
    }

    /// Closes the open file and writes the central directory: the archive's last bytes.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        let mut out = self.finish_file()?;
        let start = small(self.written)?;
        let mut directory = Vec::new();
        for e in &self.entries {
            u32le(&mut directory, CENTRAL);
            u16le(&mut directory, VERSION);
            u16le(&mut directory, VERSION);
            u16le(&mut directory, FLAGS);
            u16le(&mut directory, DEFLATE);
            u16le(&mut directory, self.time);
            u16le(&mut directory, self.date);
            u32le(&mut directory, e.crc);
            u32le(&mut directory, e.compressed);
            u32le(&mut directory, e.size);
            u16le(
                &mut directory,
                u16::try_from(e.name.len()).unwrap_or(u16::MAX),
            );
            u16le(&mut directory, 0); // extra
            u16le(&mut directory, 0); // comment
            u16le(&mut directory, 0); // disk
            u16le(&mut directory, 0); // internal attributes
            u32le(&mut directory, 0); // external attributes
            u32le(&mut directory, e.offset);
            directory.extend_from_slice(e.name.as_bytes());
        }
        let count = u16::try_from(self.entries.len()).unwrap_or(u16::MAX);
        let size = small(directory.len() as u64)?;
        out.extend_from_slice(&directory);
        u32le(&mut out, END);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, count);
        u16le(&mut out, count);
        u32le(&mut out, size);
        u32le(&mut out, start);
        u16le(&mut out, 0);
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_is_its_files() {
        let mut z = ZipStream::new(time::macros::datetime!(2026-12-02 12:00 UTC));
        let mut out = z.start("a.csv").unwrap();
        out.extend(z.write(b"id,name\r\n").unwrap());
        out.extend(z.write(&b"1,x\r\n".repeat(1000)).unwrap());
        out.extend(z.start("b.json").unwrap());
        out.extend(z.write(b"{}").unwrap());
        out.extend(z.finish().unwrap());
        // The end record names two files and where the directory starts.
        let end = out.len() - 22;
        assert_eq!(&out[end..end + 4], &END.to_le_bytes());
        assert_eq!(u16::from_le_bytes([out[end + 10], out[end + 11]]), 2);
        let start = u32::from_le_bytes(out[end + 16..end + 20].try_into().unwrap()) as usize;
        assert_eq!(&out[start..start + 4], &CENTRAL.to_le_bytes());
        // The first file's data inflates back to what was written.
        let data = &out[30 + 5..];
        let mut inflated = Vec::new();
        let mut d = flate2::write::DeflateDecoder::new(&mut inflated);
        let _ = d.write_all(data);
        let _ = d.finish();
        assert!(inflated.starts_with(b"id,name\r\n1,x\r\n"));
        assert_eq!(inflated.len(), 9 + 5000);
    }
}
