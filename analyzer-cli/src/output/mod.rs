//! Output formats: JSON Lines, CSV and Parquet, each readable back (for resume, `--snapshot`
//! and `merge`) and each crash safe.
//!
//! * JSON Lines and CSV are appended one whole record per `write` call and flushed to the
//!   kernel after each record, so a `kill -9` loses at most the record being written; a torn
//!   last line is dropped when the file is opened again. A record whose write fails (a full
//!   disk) is cut off again before the error stops the batch, so the file still ends with a
//!   whole record. They are fsynced every [`SYNC_EVERY_RECORDS`] records and at the end.
//! * Parquet is written as complete part files (`OUT.parts/part-NNNNNN.parquet`, each written
//!   to a temporary name and renamed) and finalized into `OUT` with an atomic rename; a run
//!   that is killed leaves the previous `OUT` (if any) and the finished parts, which the next
//!   run picks up.
//!
//! Whole-file rewrites (merge, compaction, Parquet finalization) go through
//! [`write_atomic`]: a temporary file in the same directory, fsync, rename.

pub mod csv;
pub mod jsonl;
pub mod parquet;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::record::Record;

/// Records between two fsyncs of an appended JSON Lines / CSV output.
pub const SYNC_EVERY_RECORDS: usize = 64;

/// The UTF-8 byte-order mark that Windows editors (Notepad, Excel's "CSV UTF-8") put at the start
/// of a text file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Length of a UTF-8 byte-order mark at the start of `bytes` (3 or 0): read files skip it, so
/// that a snapshot or manifest saved by such an editor reads as it was written (a JSON line
/// behind a mark does not parse, a CSV header does not match, a manifest id would carry it).
pub(crate) fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 }
}

/// Whether `tail`, the end of a text output that is not a whole record, can be what a crash left
/// of one being appended, whose line starts with `start`: a prefix of such a line, or zeros (a
/// power cut after the file grew but before its data reached the disk). Anything else means the
/// file is not an output of this program (an unrelated one-line file given as `-o`), and it is
/// an error rather than "repaired" by cutting it away.
pub(crate) fn could_be_torn(tail: &[u8], start: &[u8]) -> bool {
    tail.iter().all(|&b| b == 0) || tail.starts_with(start) || start.starts_with(tail)
}

/// `parse` (records and the byte length of their valid prefix) on `bytes` after a byte-order
/// mark, if any; the mark counts in the valid prefix once something after it does, so that a
/// file holding only the mark is rewritten from its start.
pub(crate) fn parse_after_bom(
    bytes: &[u8],
    parse: impl Fn(&[u8]) -> io::Result<(Vec<Record>, u64)>,
) -> io::Result<(Vec<Record>, u64)> {
    let bom = bom_len(bytes);
    let (records, valid) = parse(&bytes[bom..])?;
    Ok((records, if valid > 0 { valid + bom as u64 } else { 0 }))
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON Lines: one JSON object per line.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet (zstd-compressed).
    Parquet,
}

impl Format {
    /// The format implied by a file name's extension (`.jsonl`/`.ndjson`/`.json`, `.csv`,
    /// `.parquet`/`.pq`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }
}

/// Where records go while a batch runs.
pub trait Sink {
    /// Appends one record durably enough to survive the process being killed afterwards
    /// (JSON Lines, CSV) or buffers it for the next part (Parquet).
    ///
    /// # Errors
    /// The write failed.
    fn write(&mut self, record: &Record) -> io::Result<()>;

    /// Ends the run. `all` is the complete, deduplicated content the output must hold when
    /// it differs from what was appended (a superseded or pruned record), and always for
    /// Parquet; `None` keeps the appended file as it is.
    ///
    /// # Errors
    /// The write or rename failed.
    fn finish(&mut self, all: Option<&[Record]>) -> io::Result<()>;

    /// Whether [`Sink::finish`] needs the complete record list even when nothing was
    /// superseded.
    fn needs_full_list(&self) -> bool {
        false
    }
}

/// Opens an output for a run, repairing a torn tail, and returns the records it already holds
/// (from an earlier, possibly interrupted, run of the same command).
///
/// # Errors
/// The output exists but cannot be read or repaired, or cannot be created.
pub fn open_sink(path: &Path, format: Format) -> io::Result<(Box<dyn Sink>, Vec<Record>)> {
    match format {
        Format::Jsonl => {
            let (s, r) = jsonl::JsonlSink::open(path)?;
            Ok((Box::new(s), r))
        }
        Format::Csv => {
            let (s, r) = csv::CsvSink::open(path)?;
            Ok((Box::new(s), r))
        }
        Format::Parquet => {
            let (s, r) = parquet::ParquetSink::open(path)?;
            Ok((Box::new(s), r))
        }
    }
}

/// Reads every record of an output file without modifying it (a torn last JSON Lines / CSV
/// record is left out with a warning on stderr; for Parquet, finished parts of an interrupted
/// run are included).
///
/// # Errors
/// The file cannot be read or is not a valid output of this format.
pub fn read_records(path: &Path, format: Format) -> io::Result<Vec<Record>> {
    match format {
        Format::Jsonl => warn_torn(path, jsonl::read(path)?),
        Format::Csv => warn_torn(path, csv::read(path)?),
        Format::Parquet => parquet::read_with_parts(path),
    }
}

/// The records of a text output read as `(records, valid prefix length)`, with a warning when
/// the file goes on past the valid prefix (a torn last record, left out).
fn warn_torn(path: &Path, (records, valid): (Vec<Record>, u64)) -> io::Result<Vec<Record>> {
    let len = std::fs::metadata(path)?.len();
    if valid < len {
        eprintln!("warning: {}: leaving out a torn last record ({} bytes)", path.display(), len - valid);
    }
    Ok(records)
}

/// Writes `records` to `path` atomically: temporary file, fsync, rename.
///
/// # Errors
/// Any I/O error; `path` is then unchanged.
pub fn write_atomic(path: &Path, format: Format, records: &[Record]) -> io::Result<()> {
    write_file_atomic(path, |file| match format {
        Format::Jsonl => jsonl::write_all(file, records),
        Format::Csv => csv::write_all(file, records),
        Format::Parquet => parquet::write_all(file, records),
    })
}

/// Writes `path` atomically with `write`: a temporary file, fsync, rename (and the directory
/// synced), so that a reader never sees half of it.
///
/// # Errors
/// Any I/O error; `path` is then unchanged.
pub fn write_file_atomic(path: &Path, write: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = File::create(&tmp)?;
        write(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A temporary sibling of `path` (same directory, so a rename is atomic).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Best-effort fsync of the directory holding `path`, so a rename survives a power cut.
pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Truncates `path` to `len` bytes (dropping a torn tail) and syncs it.
pub(crate) fn truncate(path: &Path, len: u64) -> io::Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

/// What an [`Appender`] writes to: the output file (or, in tests, a disk double).
pub(crate) trait AppendTarget: Write {
    /// The current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Cuts (or extends) the target to `len` bytes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// Flushes the data to the device.
    fn sync_data(&mut self) -> io::Result<()>;
    /// Flushes the data and metadata to the device.
    fn sync_all(&mut self) -> io::Result<()>;
}

impl AppendTarget for File {
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }
    fn sync_all(&mut self) -> io::Result<()> {
        File::sync_all(self)
    }
}

/// Appends pre-serialized records to a file: one `write_all` per record, flushed each time,
/// fsynced every [`SYNC_EVERY_RECORDS`]. A record whose write fails (a full disk, a quota, an
/// I/O error) may have been written in part; the file is then cut back to the length it had
/// before that record, so that it always ends with a whole record, and the error is returned.
#[derive(Debug)]
pub(crate) struct Appender<T: AppendTarget = File> {
    file: T,
    unsynced: usize,
}

impl Appender<File> {
    pub(crate) fn open(path: &Path) -> io::Result<Appender> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Appender::new(file))
    }
}

impl<T: AppendTarget> Appender<T> {
    pub(crate) fn new(file: T) -> Appender<T> {
        Appender { file, unsynced: 0 }
    }

    pub(crate) fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let before = self.file.len()?;
        if let Err(e) = self.file.write_all(bytes).and_then(|()| self.file.flush()) {
            // Best effort: when even the cut fails, the next open drops the torn line.
            let _ = self.file.set_len(before);
            return Err(e);
        }
        self.unsynced += 1;
        if self.unsynced >= SYNC_EVERY_RECORDS {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(())
    }

    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.unsynced = 0;
        self.file.sync_all()
    }
}

/// JSON Lines on standard output: no resume, flushed per record.
#[derive(Debug)]
pub struct StdoutSink {
    out: io::Stdout,
}

impl StdoutSink {
    /// Standard output.
    pub fn new() -> StdoutSink {
        StdoutSink { out: io::stdout() }
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        Self::new()
    }
}

impl Sink for StdoutSink {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut lock = self.out.lock();
        lock.write_all(&line)?;
        lock.flush()
    }

    fn finish(&mut self, _all: Option<&[Record]>) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::record::Record;

    /// Records exercising every column: nulls, unicode, commas, quotes and a newline.
    pub fn sample_records() -> Vec<Record> {
        let full = Record {
            id: "a,\"b\"\nc é".into(),
            path: "/x/a b.mp3".into(),
            content_hash: "00ff".into(),
            analyzer_version: "0.1.0".into(),
            duration_ms: 123_456,
            sample_rate: 44100,
            channels: 2,
            codec: "mp3".into(),
            tempo: Some(120.5),
            tempo_confidence: Some(0.75),
            time_signature: Some(4),
            time_signature_confidence: Some(0.5),
            key: Some(9),
            key_confidence: Some(0.25),
            mode: Some(0),
            mode_confidence: Some(1.0),
            loudness: Some(-7.125),
            energy: Some(0.1),
            danceability: Some(0.2),
            speechiness: Some(0.3),
            acousticness: Some(0.4),
            instrumentalness: Some(0.5),
            liveness: Some(0.6),
            valence: Some(0.7),
        };
        let empty = Record { id: "2".into(), path: "p".into(), codec: "flac".into(), ..Record::default() };
        vec![full, empty]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_round_trips_through_write_atomic_and_read() {
        let dir = tempfile::tempdir().unwrap();
        let recs = test_support::sample_records();
        for (name, fmt) in [("o.jsonl", Format::Jsonl), ("o.csv", Format::Csv), ("o.parquet", Format::Parquet)] {
            let p = dir.path().join(name);
            assert_eq!(Format::from_path(&p), Some(fmt));
            write_atomic(&p, fmt, &recs).unwrap();
            assert_eq!(read_records(&p, fmt).unwrap(), recs, "{name}");
            write_atomic(&p, fmt, &[]).unwrap();
            assert_eq!(read_records(&p, fmt).unwrap(), Vec::<Record>::new(), "{name} empty");
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 3, "{leftovers:?}");
        assert_eq!(Format::from_path(Path::new("x.txt")), None);
    }

    /// A JSON Lines or CSV file saved by an editor that adds a UTF-8 byte-order mark (Notepad,
    /// Excel's "CSV UTF-8") reads as without it, the mark kept in the valid prefix (appending
    /// goes after it); a mark alone is an empty file, rewritten from its start.
    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        type Reader = fn(&Path) -> io::Result<(Vec<Record>, u64)>;
        let dir = tempfile::tempdir().unwrap();
        let recs = test_support::sample_records();
        let readers: [(&str, Format, Reader); 2] =
            [("o.jsonl", Format::Jsonl, jsonl::read), ("o.csv", Format::Csv, csv::read)];
        for (name, fmt, read) in readers {
            let p = dir.path().join(name);
            write_atomic(&p, fmt, &recs).unwrap();
            let marked = [UTF8_BOM, &std::fs::read(&p).unwrap()].concat();
            std::fs::write(&p, &marked).unwrap();
            assert_eq!(read(&p).unwrap(), (recs.clone(), marked.len() as u64), "{name}");
            std::fs::write(&p, UTF8_BOM).unwrap();
            assert_eq!(read(&p).unwrap(), (Vec::new(), 0), "{name}: a mark alone");
        }
    }

    #[test]
    fn sinks_append_resume_and_compact() {
        let dir = tempfile::tempdir().unwrap();
        let recs = test_support::sample_records();
        for (name, fmt) in [("s.jsonl", Format::Jsonl), ("s.csv", Format::Csv), ("s.parquet", Format::Parquet)] {
            let p = dir.path().join(name);
            let (mut sink, existing) = open_sink(&p, fmt).unwrap();
            assert!(existing.is_empty());
            sink.write(&recs[0]).unwrap();
            let full = sink.needs_full_list();
            sink.finish(if full { Some(&recs[..1]) } else { None }).unwrap();
            let (mut sink, existing) = open_sink(&p, fmt).unwrap();
            assert_eq!(existing, recs[..1], "{name}");
            sink.write(&recs[1]).unwrap();
            sink.finish(Some(&recs[1..])).unwrap();
            assert_eq!(read_records(&p, fmt).unwrap(), recs[1..], "{name} compacted");
        }
    }
}

#[cfg(test)]
mod appender_tests {
    use super::*;

    /// A disk with `capacity` bytes: a write takes what fits and then fails as a full disk does.
    #[derive(Debug)]
    struct Disk {
        data: Vec<u8>,
        capacity: usize,
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let room = self.capacity.saturating_sub(self.data.len());
            if room == 0 && !buf.is_empty() {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = room.min(buf.len());
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl AppendTarget for Disk {
        fn len(&self) -> io::Result<u64> {
            Ok(self.data.len() as u64)
        }
        fn set_len(&mut self, len: u64) -> io::Result<()> {
            self.data.resize(len as usize, 0);
            Ok(())
        }
        fn sync_data(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn sync_all(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_leaves_whole_records_only() {
        let line = |i: u8| {
            let mut l = vec![b'a' + i; 39];
            l.push(b'\n');
            l
        };
        let mut app = Appender::new(Disk { data: Vec::new(), capacity: 100 });
        app.append(&line(0)).unwrap();
        app.append(&line(1)).unwrap();
        // The third record fits only in part: the error is the disk's, and the part is cut.
        let err = app.append(&line(2)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert_eq!(app.file.data, [line(0), line(1)].concat());
        // Space freed: appending goes on after the last whole record.
        app.file.capacity = 1000;
        app.append(&line(2)).unwrap();
        assert_eq!(app.file.data, [line(0), line(1), line(2)].concat());
    }

    #[test]
    fn a_write_to_a_full_device_is_its_enospc_error() {
        // /dev/full fails every write with ENOSPC (Linux); the cut is then best effort.
        let Ok(mut app) = Appender::open(Path::new("/dev/full")) else { return };
        assert_eq!(app.append(b"x\n").unwrap_err().raw_os_error(), Some(28));
    }
}
