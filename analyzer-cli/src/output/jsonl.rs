//! JSON Lines: one [`Record`] object per line, UTF-8, `\n` terminated.

use std::io::{self, Write};
use std::path::Path;

use super::{Appender, Sink};
use crate::record::Record;

/// How every record line starts (`Record`'s first field is `id`).
const RECORD_START: &[u8] = b"{\"id\":";

/// Reads a JSON Lines output. Returns the records and the byte length of the valid prefix:
/// an unterminated or unparseable *last* line is a torn write and is left out if it could be one
/// ([`super::could_be_torn`]: it starts as a record does); an unparseable line before the last,
/// or a last one that could not be a torn record, is an error.
///
/// # Errors
/// I/O errors, or [`io::ErrorKind::InvalidData`] for a corrupt line that is not the last.
pub fn read(path: &Path) -> io::Result<(Vec<Record>, u64)> {
    let bytes = std::fs::read(path)?;
    parse(&bytes).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn parse(bytes: &[u8]) -> io::Result<(Vec<Record>, u64)> {
    super::parse_after_bom(bytes, parse_body)
}

fn parse_body(bytes: &[u8]) -> io::Result<(Vec<Record>, u64)> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut records = Vec::new();
    let mut valid = 0usize;
    let lines: Vec<&[u8]> = bytes[..complete].split_inclusive(|&b| b == b'\n').collect();
    if !super::could_be_torn(&bytes[complete..], RECORD_START) {
        return Err(not_a_record(lines.len() + 1));
    }
    for (n, line) in lines.iter().enumerate() {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if body.iter().all(u8::is_ascii_whitespace) {
            valid += line.len();
            continue;
        }
        match serde_json::from_slice::<Record>(body) {
            Ok(r) => {
                records.push(r);
                valid += line.len();
            }
            Err(_) if n + 1 == lines.len() && super::could_be_torn(body, RECORD_START) => break,
            Err(_) if n + 1 == lines.len() => return Err(not_a_record(n + 1)),
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, format!("line {}: {e}", n + 1))),
        }
    }
    Ok((records, valid as u64))
}

fn not_a_record(line: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "line {line}: the last line is not a record, nor what a crash leaves of one (not an output of audio-analyzer?)"
        ),
    )
}

/// Writes records as JSON Lines.
///
/// # Errors
/// Any write error.
pub fn write_all(out: &mut dyn Write, records: &[Record]) -> io::Result<()> {
    let mut buf = io::BufWriter::new(out);
    for r in records {
        serde_json::to_writer(&mut buf, r).map_err(io::Error::other)?;
        buf.write_all(b"\n")?;
    }
    buf.flush()
}

/// An appendable JSON Lines output file.
#[derive(Debug)]
pub struct JsonlSink {
    path: std::path::PathBuf,
    appender: Appender,
}

impl JsonlSink {
    /// Opens (creating if needed) `path` for appending, after dropping a torn last line.
    ///
    /// # Errors
    /// See [`read`].
    pub fn open(path: &Path) -> io::Result<(JsonlSink, Vec<Record>)> {
        let existing = if path.exists() {
            let (records, valid) = read(path)?;
            if valid < std::fs::metadata(path)?.len() {
                eprintln!("warning: {}: dropping a torn last line", path.display());
                super::truncate(path, valid)?;
            }
            records
        } else {
            Vec::new()
        };
        Ok((JsonlSink { path: path.to_path_buf(), appender: Appender::open(path)? }, existing))
    }
}

impl Sink for JsonlSink {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        self.appender.append(&line)
    }

    fn finish(&mut self, all: Option<&[Record]>) -> io::Result<()> {
        self.appender.sync()?;
        match all {
            Some(records) => super::write_atomic(&self.path, super::Format::Jsonl, records),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::sample_records;

    #[test]
    fn torn_last_line_is_dropped_and_corrupt_middle_line_is_an_error() {
        let recs = sample_records();
        let mut buf = Vec::new();
        write_all(&mut buf, &recs).unwrap();
        let full_len = buf.len() as u64;
        for cut in 0..buf.len() {
            let (got, valid) = parse(&buf[..cut]).unwrap();
            let first_len = buf.iter().position(|&b| b == b'\n').unwrap() + 1;
            let expect = if cut >= first_len { 1 } else { 0 };
            assert_eq!(got.len(), expect, "cut {cut}");
            assert_eq!(valid, if expect == 1 { first_len as u64 } else { 0 });
        }
        assert_eq!(parse(&buf).unwrap(), (recs.clone(), full_len));
        let mut bad = b"{not json}\n".to_vec();
        bad.extend_from_slice(&buf);
        assert_eq!(parse(&bad).unwrap_err().kind(), io::ErrorKind::InvalidData);
        let (got, _) = parse(b"\n\n").unwrap();
        assert!(got.is_empty());
        // Zeros after the last record (a power cut) are torn too.
        let mut zeros = buf.clone();
        zeros.extend_from_slice(&[0; 40]);
        assert_eq!(parse(&zeros).unwrap(), (recs.clone(), full_len));
    }

    #[test]
    fn a_last_line_that_no_crash_could_leave_is_an_error() {
        // Before, each of these files was "repaired" to nothing when given as `-o`.
        let recs = sample_records();
        let mut buf = Vec::new();
        write_all(&mut buf, &recs).unwrap();
        for tail in [&b"hello world"[..], b"my notes\n", b"{\"unrelated\": 1}\n", b"{\"id\" : 1}"] {
            assert_eq!(parse(tail).unwrap_err().kind(), io::ErrorKind::InvalidData, "{tail:?}");
            let mut after = buf.clone();
            after.extend_from_slice(tail);
            assert_eq!(parse(&after).unwrap_err().kind(), io::ErrorKind::InvalidData, "{tail:?}");
        }
    }

    #[test]
    fn open_repairs_a_torn_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.jsonl");
        let recs = sample_records();
        let mut buf = Vec::new();
        write_all(&mut buf, &recs).unwrap();
        let keep = buf.iter().position(|&b| b == b'\n').unwrap() + 1;
        std::fs::write(&p, &buf[..keep + 5]).unwrap();
        let (mut sink, existing) = JsonlSink::open(&p).unwrap();
        assert_eq!(existing, recs[..1]);
        sink.write(&recs[1]).unwrap();
        sink.finish(None).unwrap();
        assert_eq!(read(&p).unwrap().0, recs);
    }
}
