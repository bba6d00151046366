//! Evidence photos: the type is decided from the content (JPEG, PNG or WebP; never the file
//! name or the declared type), and metadata that can locate the customer is removed before a
//! photo is stored. Both work on a stream of chunks, so an upload is never held whole in memory.
//!
//! Removed: JPEG APP1 (Exif, including GPS, and XMP) and APP13 (IPTC) segments; PNG `eXIf`,
//! `tEXt`, `zTXt` and `iTXt` chunks; WebP `EXIF` and `XMP ` chunks (and their flags in `VP8X`).
//! Pixels, colour profiles and everything else are copied unchanged.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("this file is not a JPEG, PNG or WebP image")]
    UnsupportedType,
    #[error("this image file is damaged or incomplete")]
    Malformed,
}

/// Bytes needed to recognise a type.
pub const SNIFF_LEN: usize = 12;

/// The image type of a file starting with `head` (at least `SNIFF_LEN` bytes when available).
pub fn sniff(head: &[u8]) -> Option<ImageKind> {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Some(ImageKind::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageKind::Png),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageKind::Webp),
        _ => None,
    }
}

/// A 4-byte value to write at `offset` of the output once the stream is complete (WebP's
/// RIFF size changes when chunks are removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Patch {
    pub offset: u64,
    pub bytes: [u8; 4],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Collect this many bytes in `pending`, then decide.
    Need(usize),
    Copy(u64),
    Skip(u64),
    CopyRest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    JpegStart,
    JpegMarker,
    JpegSegment,
    PngSignature,
    PngChunk,
    WebpHeader,
    WebpChunk,
}

/// Removes location-bearing metadata from an image as it streams through.
#[derive(Debug)]
pub struct Scrubber {
    stage: Stage,
    mode: Mode,
    pending: Vec<u8>,
    /// After the current copy, copy everything else (JPEG image data, PNG after IEND).
    rest_after_copy: bool,
    /// Clear WebP's EXIF/XMP flags in the next byte copied (the first byte of VP8X).
    clear_webp_flags: bool,
    /// Bytes of WebP chunks kept, for the RIFF size.
    webp_kept: u64,
}

impl Scrubber {
    pub fn new(kind: ImageKind) -> Self {
        let (stage, need) = match kind {
            ImageKind::Jpeg => (Stage::JpegStart, 2),
            ImageKind::Png => (Stage::PngSignature, 8),
            ImageKind::Webp => (Stage::WebpHeader, 12),
        };
        Self {
            stage,
            mode: Mode::Need(need),
            pending: Vec::with_capacity(12),
            rest_after_copy: false,
            clear_webp_flags: false,
            webp_kept: 0,
        }
    }

    /// Feeds the next chunk of the file; what is kept is appended to `out`.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), PhotoError> {
        while !input.is_empty() {
            match self.mode {
                Mode::CopyRest => {
                    out.extend_from_slice(input);
                    return Ok(());
                }
                Mode::Copy(n) | Mode::Skip(n) => {
                    let take = usize::try_from(n).unwrap_or(usize::MAX).min(input.len());
                    let (now, later) = input.split_at(take);
                    if matches!(self.mode, Mode::Copy(_)) {
                        self.copy_out(now, out);
                    }
                    input = later;
                    let left = n.saturating_sub(take as u64);
                    self.mode = if matches!(self.mode, Mode::Copy(_)) { Mode::Copy(left) } else { Mode::Skip(left) };
                    if left == 0 {
                        self.after_segment();
                    }
                }
                Mode::Need(k) => {
                    let take = k.saturating_sub(self.pending.len()).min(input.len());
                    let (now, later) = input.split_at(take);
                    self.pending.extend_from_slice(now);
                    input = later;
                    if self.pending.len() >= k {
                        self.decide(out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the stream: an image cut short is an error; returns the patches to apply.
    pub fn finish(self) -> Result<Vec<Patch>, PhotoError> {
        let complete = match (self.stage, self.mode) {
            (_, Mode::CopyRest) => true,
            (Stage::PngChunk | Stage::WebpChunk, Mode::Need(_)) => self.pending.is_empty(),
            _ => false,
        };
        if !complete {
            return Err(PhotoError::Malformed);
        }
        if self.stage != Stage::WebpChunk {
            return Ok(Vec::new());
        }
        let size = u32::try_from(self.webp_kept.saturating_add(4)).map_err(|_| PhotoError::Malformed)?;
        Ok(vec![Patch { offset: 4, bytes: size.to_le_bytes() }])
    }

    fn copy_out(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(bytes);
        if self.clear_webp_flags {
            if let Some(first) = out.get_mut(start) {
                *first &= !0x0C;
                self.clear_webp_flags = false;
            }
        }
    }

    fn after_segment(&mut self) {
        self.mode = if self.rest_after_copy {
            Mode::CopyRest
        } else {
            match self.stage {
                Stage::JpegMarker | Stage::JpegSegment => {
                    self.stage = Stage::JpegMarker;
                    Mode::Need(2)
                }
                _ => Mode::Need(8),
            }
        };
    }

    fn emit_pending(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.pending);
    }

    fn decide(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        match self.stage {
            Stage::JpegStart => self.jpeg_start(out),
            Stage::JpegMarker => self.jpeg_marker(out),
            Stage::JpegSegment => self.jpeg_segment(out),
            Stage::PngSignature => self.png_signature(out),
            Stage::PngChunk => self.png_chunk(out),
            Stage::WebpHeader => self.webp_header(out),
            Stage::WebpChunk => self.webp_chunk(out),
        }
    }

    fn jpeg_start(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        if self.pending.as_slice() != [0xFF, 0xD8] {
            return Err(PhotoError::UnsupportedType);
        }
        self.emit_pending(out);
        self.stage = Stage::JpegMarker;
        self.mode = Mode::Need(2);
        Ok(())
    }

    fn jpeg_marker(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        let (0xFF, marker) = (self.pending.first().copied().unwrap_or(0), self.pending.get(1).copied().unwrap_or(0))
        else {
            return Err(PhotoError::Malformed);
        };
        match marker {
            // Fill byte: keep one 0xFF and read the marker again.
            0xFF => {
                self.pending.truncate(1);
                self.mode = Mode::Need(2);
            }
            0x01 | 0xD0..=0xD7 => {
                self.emit_pending(out);
                self.mode = Mode::Need(2);
            }
            0xD9 => {
                self.emit_pending(out);
                self.mode = Mode::CopyRest;
            }
            _ => {
                self.stage = Stage::JpegSegment;
                self.mode = Mode::Need(4);
            }
        }
        Ok(())
    }

    fn jpeg_segment(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        let [_, marker, hi, lo] = self.pending.as_slice() else {
            return Err(PhotoError::Malformed);
        };
        let (marker, length) = (*marker, u64::from(u16::from_be_bytes([*hi, *lo])));
        if length < 2 {
            return Err(PhotoError::Malformed);
        }
        let payload = length - 2;
        // Image data follows the start-of-scan header: copied as is, to the end.
        self.rest_after_copy = marker == 0xDA;
        if matches!(marker, 0xE1 | 0xED) {
            self.pending.clear();
            self.mode = Mode::Skip(payload);
        } else {
            self.emit_pending(out);
            self.mode = Mode::Copy(payload);
        }
        if payload == 0 {
            self.after_segment();
        }
        Ok(())
    }

    fn png_signature(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        if sniff(&self.pending) != Some(ImageKind::Png) {
            return Err(PhotoError::UnsupportedType);
        }
        self.emit_pending(out);
        self.stage = Stage::PngChunk;
        self.mode = Mode::Need(8);
        Ok(())
    }

    fn png_chunk(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        let [l0, l1, l2, l3, t0, t1, t2, t3] = self.pending.as_slice() else {
            return Err(PhotoError::Malformed);
        };
        let length = u64::from(u32::from_be_bytes([*l0, *l1, *l2, *l3]));
        let kind = [*t0, *t1, *t2, *t3];
        let with_crc = length.saturating_add(4);
        self.rest_after_copy = &kind == b"IEND";
        if matches!(&kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt") {
            self.pending.clear();
            self.mode = Mode::Skip(with_crc);
        } else {
            self.emit_pending(out);
            self.mode = Mode::Copy(with_crc);
        }
        Ok(())
    }

    fn webp_header(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        if sniff(&self.pending) != Some(ImageKind::Webp) {
            return Err(PhotoError::UnsupportedType);
        }
        self.emit_pending(out);
        self.stage = Stage::WebpChunk;
        self.mode = Mode::Need(8);
        Ok(())
    }

    fn webp_chunk(&mut self, out: &mut Vec<u8>) -> Result<(), PhotoError> {
        let [f0, f1, f2, f3, s0, s1, s2, s3] = self.pending.as_slice() else {
            return Err(PhotoError::Malformed);
        };
        let fourcc = [*f0, *f1, *f2, *f3];
        let size = u64::from(u32::from_le_bytes([*s0, *s1, *s2, *s3]));
        let padded = size.saturating_add(size & 1);
        if matches!(&fourcc, b"EXIF" | b"XMP ") {
            self.pending.clear();
            self.mode = Mode::Skip(padded);
        } else {
            self.clear_webp_flags = &fourcc == b"VP8X";
            self.webp_kept = self.webp_kept.saturating_add(8).saturating_add(padded);
            self.emit_pending(out);
            self.mode = Mode::Copy(padded);
        }
        if padded == 0 {
            self.after_segment();
        }
        Ok(())
    }
}

/// Scrubs a whole file held in memory (tests and small callers), returning the clean bytes.
pub fn scrub_all(bytes: &[u8], chunk: usize) -> Result<Vec<u8>, PhotoError> {
    let kind = sniff(bytes).ok_or(PhotoError::UnsupportedType)?;
    let mut scrubber = Scrubber::new(kind);
    let mut out = Vec::with_capacity(bytes.len());
    for part in bytes.chunks(chunk.max(1)) {
        scrubber.push(part, &mut out)?;
    }
    for patch in scrubber.finish()? {
        let at = usize::try_from(patch.offset).map_err(|_| PhotoError::Malformed)?;
        let target = out.get_mut(at..at.saturating_add(4)).ok_or(PhotoError::Malformed)?;
        target.copy_from_slice(&patch.bytes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() + 2) as u16;
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    fn jpeg_with_gps() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x02"));
        j.extend(segment(0xE1, b"Exif\0\0GPSLatitude=52.37;GPSLongitude=4.89"));
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xDA, &[1, 2, 3, 4, 5, 6]));
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]);
        j
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0xAA, 0xBB, 0xCC, 0xDD]);
        c
    }

    fn png_with_text() -> Vec<u8> {
        let mut p = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        p.extend(png_chunk(b"IHDR", &[0; 13]));
        p.extend(png_chunk(b"eXIf", b"MM\0*GPS 52.37 4.89"));
        p.extend(png_chunk(b"tEXt", b"Location\0Amsterdam"));
        p.extend(png_chunk(b"IDAT", &[9; 20]));
        p.extend(png_chunk(b"IEND", &[]));
        p
    }

    fn webp_chunk(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = fourcc.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn webp_with_exif() -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        body.extend(webp_chunk(b"VP8X", &[0x0C | 0x10, 0, 0, 0, 9, 0, 0, 9, 0, 0]));
        body.extend(webp_chunk(b"VP8 ", &[7; 15]));
        body.extend(webp_chunk(b"EXIF", b"GPS 52.37 4.89"));
        let mut w = b"RIFF".to_vec();
        w.extend_from_slice(&(body.len() as u32).to_le_bytes());
        w.extend(body);
        w
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn the_type_comes_from_the_content() {
        assert_eq!(sniff(&jpeg_with_gps()), Some(ImageKind::Jpeg));
        assert_eq!(sniff(&png_with_text()), Some(ImageKind::Png));
        assert_eq!(sniff(&webp_with_exif()), Some(ImageKind::Webp));
        assert_eq!(sniff(b"just some text, named photo.jpg"), None);
        assert_eq!(sniff(b"GIF89a......"), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None, "too short to tell");
    }

    #[test]
    fn jpeg_location_data_is_removed_whatever_the_chunk_size() {
        let original = jpeg_with_gps();
        for chunk in [1, 3, 7, 64, 4096] {
            let clean = scrub_all(&original, chunk).expect("valid jpeg");
            assert!(!contains(&clean, b"GPSLatitude"), "chunk {chunk}");
            assert!(contains(&clean, b"JFIF"), "other segments kept");
            assert!(clean.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]), "image data untouched");
            let exif_len = segment(0xE1, b"Exif\0\0GPSLatitude=52.37;GPSLongitude=4.89").len();
            assert_eq!(clean.len(), original.len() - exif_len);
        }
    }

    #[test]
    fn png_and_webp_metadata_chunks_are_removed() {
        let clean = scrub_all(&png_with_text(), 5).expect("valid png");
        assert!(!contains(&clean, b"GPS") && !contains(&clean, b"Amsterdam"));
        assert!(contains(&clean, b"IHDR") && contains(&clean, b"IDAT") && contains(&clean, b"IEND"));

        let original = webp_with_exif();
        let clean = scrub_all(&original, 4).expect("valid webp");
        assert!(!contains(&clean, b"GPS"));
        let riff_size = u32::from_le_bytes([clean[4], clean[5], clean[6], clean[7]]) as usize;
        assert_eq!(riff_size, clean.len() - 8, "RIFF size patched");
        assert_eq!(clean[20] & 0x0C, 0, "EXIF and XMP flags cleared");
        assert_eq!(clean[20] & 0x10, 0x10, "other flags kept");
    }

    #[test]
    fn truncated_or_mislabelled_files_are_refused() {
        let jpeg = jpeg_with_gps();
        assert_eq!(scrub_all(&jpeg[..20], 8), Err(PhotoError::Malformed));
        let png = png_with_text();
        assert_eq!(scrub_all(&png[..png.len() - 3], 8), Err(PhotoError::Malformed));
        assert_eq!(scrub_all(b"hello world, this is text", 8), Err(PhotoError::UnsupportedType));
        let mut scrubber = Scrubber::new(ImageKind::Jpeg);
        let mut out = Vec::new();
        assert_eq!(scrubber.push(&png, &mut out), Err(PhotoError::UnsupportedType), "a PNG declared as JPEG");
    }
}
