//! Reads the edit list of an MP4/M4A audio track, to trim encoder priming and padding.
//!
//! symphonia 0.6 does not apply MP4 edit lists, so AAC in M4A decodes with its priming samples
//! (typically 1024 or 2112) in front and padding at the end. The container states the real
//! start and length in the `elst` box of the audio `trak`: the first non-empty edit has a
//! `media_time` (the priming, in the media timescale of `mdhd`) and a `segment_duration` (the
//! playable length, in the movie timescale of `mvhd`).
//!
//! # References
//! - ISO/IEC 14496-12 (ISO base media file format), §8.6.6 Edit List Box.
//! - Apple, "QuickTime File Format Specification", Edit list atoms; and Technical Note TN2258,
//!   "AAC Audio - Encoder Delay and Synchronization".

use std::io::{Read, Seek, SeekFrom};

/// Largest `moov` box read into memory (64 MiB): larger is almost surely a lie in the header.
const MAX_MOOV_BYTES: u64 = 64 << 20;
/// Most top-level boxes inspected before giving up on finding `moov`.
const MAX_TOP_LEVEL_BOXES: usize = 4096;

/// The playable range of the audio track, in the track's own sample units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EditRange {
    /// Samples (at the media timescale) to drop at the start.
    pub skip: u64,
    /// Samples (at the media timescale) to keep after the skip, when stated.
    pub length: Option<u64>,
    /// The media timescale (normally the sample rate).
    pub media_timescale: u32,
}

impl EditRange {
    /// The range converted to frames at `sample_rate`.
    pub fn at_rate(&self, sample_rate: u32) -> (u64, Option<u64>) {
        let conv = |v: u64| {
            if self.media_timescale == sample_rate || self.media_timescale == 0 {
                v
            } else {
                (v as u128 * sample_rate as u128 / self.media_timescale as u128) as u64
            }
        };
        (conv(self.skip), self.length.map(conv))
    }
}

/// Scans `source` for the audio track's edit list. Leaves the position at the start.
/// Any parsing problem gives `None`: the edit list is an optimisation of accuracy, never a
/// reason to fail decoding.
pub(crate) fn audio_edit_range<R: Read + Seek + ?Sized>(source: &mut R) -> Option<EditRange> {
    let found = find_moov(source).and_then(|moov| parse_moov(&moov));
    let _ = source.seek(SeekFrom::Start(0));
    found
}

fn find_moov<R: Read + Seek + ?Sized>(source: &mut R) -> Option<Vec<u8>> {
    let end = source.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        if pos + 8 > end {
            return None;
        }
        source.seek(SeekFrom::Start(pos)).ok()?;
        let mut hdr = [0u8; 16];
        source.read_exact(&mut hdr[..8]).ok()?;
        let size32 = u32::from_be_bytes(hdr[0..4].try_into().ok()?) as u64;
        let kind: [u8; 4] = hdr[4..8].try_into().ok()?;
        let (size, header_len) = match size32 {
            0 => (end - pos, 8),
            1 => {
                source.read_exact(&mut hdr[8..16]).ok()?;
                (u64::from_be_bytes(hdr[8..16].try_into().ok()?), 16)
            }
            s => (s, 8),
        };
        if size < header_len || pos.checked_add(size)? > end {
            return None;
        }
        if &kind == b"moov" {
            let body = size - header_len;
            if body > MAX_MOOV_BYTES {
                return None;
            }
            let mut buf = vec![0u8; body as usize];
            source.read_exact(&mut buf).ok()?;
            return Some(buf);
        }
        pos += size;
    }
    None
}

/// Iterates over the child boxes in `data`, yielding `(type, body)`.
fn boxes(data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let hdr = data.get(pos..pos + 8)?;
        let size32 = u32::from_be_bytes(hdr[0..4].try_into().ok()?) as usize;
        let kind = &hdr[4..8];
        let (size, header_len) = match size32 {
            0 => (data.len() - pos, 8),
            1 => (u64::from_be_bytes(data.get(pos + 8..pos + 16)?.try_into().ok()?) as usize, 16),
            s => (s, 8),
        };
        if size < header_len || pos.checked_add(size)? > data.len() {
            return None;
        }
        let body = &data[pos + header_len..pos + size];
        pos += size;
        Some((kind, body))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| *k == kind).map(|(_, b)| b)
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// Timescale of an `mvhd` or `mdhd` body.
fn header_timescale(body: &[u8]) -> Option<u32> {
    match *body.first()? {
        0 => be_u32(body, 12),
        1 => be_u32(body, 20),
        _ => None,
    }
}

fn parse_moov(moov: &[u8]) -> Option<EditRange> {
    let movie_timescale = header_timescale(child(moov, b"mvhd")?)?;
    for (kind, trak) in boxes(moov) {
        if kind != b"trak" {
            continue;
        }
        let mdia = child(trak, b"mdia")?;
        let hdlr = child(mdia, b"hdlr")?;
        if hdlr.get(8..12)? != b"soun" {
            continue;
        }
        let media_timescale = header_timescale(child(mdia, b"mdhd")?)?;
        let elst = child(child(trak, b"edts")?, b"elst")?;
        return parse_elst(elst, movie_timescale, media_timescale);
    }
    None
}

fn parse_elst(elst: &[u8], movie_timescale: u32, media_timescale: u32) -> Option<EditRange> {
    let version = *elst.first()?;
    let count = be_u32(elst, 4)? as usize;
    let entry_len = if version == 1 { 20 } else { 12 };
    for i in 0..count.min(elst.len() / entry_len) {
        let at = 8 + i * entry_len;
        let (duration, media_time) = if version == 1 {
            (be_u64(elst, at)?, be_u64(elst, at + 8)? as i64)
        } else {
            (be_u32(elst, at)? as u64, be_u32(elst, at + 4)? as i32 as i64)
        };
        if media_time < 0 {
            continue; // an empty edit (inserted silence): not audio to trim
        }
        let length = (duration > 0 && movie_timescale > 0)
            .then(|| (duration as u128 * media_timescale as u128 / movie_timescale as u128) as u64);
        return Some(EditRange { skip: media_time as u64, length, media_timescale });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn mk_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn mvhd(ts: u32) -> Vec<u8> {
        let mut b = vec![0u8; 100];
        b[12..16].copy_from_slice(&ts.to_be_bytes());
        mk_box(b"mvhd", &b)
    }

    fn audio_trak(media_ts: u32, elst_body: &[u8]) -> Vec<u8> {
        let mut mdhd = vec![0u8; 24];
        mdhd[12..16].copy_from_slice(&media_ts.to_be_bytes());
        let mut hdlr = vec![0u8; 24];
        hdlr[8..12].copy_from_slice(b"soun");
        let mdia = mk_box(b"mdia", &[mk_box(b"mdhd", &mdhd), mk_box(b"hdlr", &hdlr)].concat());
        let edts = mk_box(b"edts", &mk_box(b"elst", elst_body));
        mk_box(b"trak", &[edts, mdia].concat())
    }

    #[test]
    fn reads_priming_and_length_from_v0_edit_list() {
        let mut elst = vec![0u8, 0, 0, 0, 0, 0, 0, 1];
        elst.extend_from_slice(&44100u32.to_be_bytes()); // 1 s at movie timescale 1000? below
        elst.extend_from_slice(&2112u32.to_be_bytes());
        elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        let moov = mk_box(b"moov", &[mvhd(44100), audio_trak(44100, &elst)].concat());
        let file = [mk_box(b"ftyp", b"M4A \0\0\0\0"), moov, mk_box(b"mdat", &[0u8; 16])].concat();
        let got = audio_edit_range(&mut Cursor::new(file)).unwrap();
        assert_eq!(got, EditRange { skip: 2112, length: Some(44100), media_timescale: 44100 });
        assert_eq!(got.at_rate(22050), (1056, Some(22050)));
    }

    #[test]
    fn skips_empty_edits_and_survives_garbage() {
        let mut elst = vec![0u8, 0, 0, 0, 0, 0, 0, 2];
        for (d, t) in [(500u32, -1i32), (1000, 1024)] {
            elst.extend_from_slice(&d.to_be_bytes());
            elst.extend_from_slice(&t.to_be_bytes());
            elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        }
        let moov = mk_box(b"moov", &[mvhd(1000), audio_trak(48000, &elst)].concat());
        let got = audio_edit_range(&mut Cursor::new(moov.clone())).unwrap();
        assert_eq!(got, EditRange { skip: 1024, length: Some(48000), media_timescale: 48000 });
        // Truncated, lying sizes and random bytes: None, never a panic.
        for cut in [0, 7, 8, 20, moov.len() / 2, moov.len() - 1] {
            let _ = audio_edit_range(&mut Cursor::new(moov[..cut].to_vec()));
        }
        let mut liar = moov.clone();
        liar[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(audio_edit_range(&mut Cursor::new(liar)).is_none());
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let _ = audio_edit_range(&mut Cursor::new(noise));
    }
}
