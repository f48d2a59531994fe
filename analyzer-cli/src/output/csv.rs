//! CSV (RFC 4180): a header line with the [`FIELDS`] names, one row per [`Record`], empty cells
//! for nulls.

use std::io::{self, Write};
use std::path::Path;

use super::{Appender, Sink};
use crate::record::{FIELDS, Record};

/// Reads a CSV output. Returns the records and the byte length of the valid prefix: a torn
/// last row (or a torn header, in a file of one unterminated line) is left out; a bad header,
/// a bad row before the last, or a one-line file that is not a part of the header is an error.
///
/// # Errors
/// I/O errors, or [`io::ErrorKind::InvalidData`].
pub fn read(path: &Path) -> io::Result<(Vec<Record>, u64)> {
    let bytes = std::fs::read(path)?;
    parse(&bytes).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn parse(bytes: &[u8]) -> io::Result<(Vec<Record>, u64)> {
    super::parse_after_bom(bytes, parse_body)
}

fn parse_body(bytes: &[u8]) -> io::Result<(Vec<Record>, u64)> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete == 0 {
        // Not even the header line is whole: a crash while writing it, or not our file.
        return if super::could_be_torn(bytes, &header_bytes()?) {
            Ok((Vec::new(), 0))
        } else {
            Err(invalid("the first line is neither the header nor a part of it (not an output of audio-analyzer?)"))
        };
    }
    let mut reader = ::csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(&bytes[..complete]);
    let header = reader.headers().map_err(|e| invalid(e.to_string()))?.clone();
    if header.iter().ne(FIELDS.iter().copied()) {
        return Err(invalid(format!("unexpected CSV header {:?}", header.iter().collect::<Vec<_>>())));
    }
    let mut records = Vec::new();
    let mut valid = reader.position().byte();
    let mut raw = ::csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        match reader.read_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return if reader.is_done() { Ok((records, start)) } else { Err(invalid(e.to_string())) };
            }
        }
        let end = reader.position().byte();
        match raw.deserialize::<Record>(Some(&header)) {
            Ok(r) => {
                records.push(r);
                valid = end;
            }
            Err(_) if end >= complete as u64 => return Ok((records, start)),
            Err(e) => return Err(invalid(e.to_string())),
        }
    }
    Ok((records, valid))
}

fn header_bytes() -> io::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(FIELDS).map_err(io::Error::other)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

fn row_bytes(record: &Record) -> io::Result<Vec<u8>> {
    let mut w = ::csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.serialize(record).map_err(io::Error::other)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Writes a header and the records.
///
/// # Errors
/// Any write error.
pub fn write_all(out: &mut dyn Write, records: &[Record]) -> io::Result<()> {
    let mut buf = io::BufWriter::new(out);
    buf.write_all(&header_bytes()?)?;
    for r in records {
        buf.write_all(&row_bytes(r)?)?;
    }
    buf.flush()
}

/// An appendable CSV output file.
#[derive(Debug)]
pub struct CsvSink {
    path: std::path::PathBuf,
    appender: Appender,
}

impl CsvSink {
    /// Opens (creating if needed, with a header) `path` for appending, after dropping a torn
    /// last row.
    ///
    /// # Errors
    /// See [`read`].
    pub fn open(path: &Path) -> io::Result<(CsvSink, Vec<Record>)> {
        let (existing, valid) = if path.exists() { read(path)? } else { (Vec::new(), 0) };
        if path.exists() && valid < std::fs::metadata(path)?.len() {
            eprintln!("warning: {}: dropping a torn last row", path.display());
            super::truncate(path, valid)?;
        }
        let mut appender = Appender::open(path)?;
        if valid == 0 {
            appender.append(&header_bytes()?)?;
        }
        Ok((CsvSink { path: path.to_path_buf(), appender }, existing))
    }
}

impl Sink for CsvSink {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        self.appender.append(&row_bytes(record)?)
    }

    fn finish(&mut self, all: Option<&[Record]>) -> io::Result<()> {
        self.appender.sync()?;
        match all {
            Some(records) => super::write_atomic(&self.path, super::Format::Csv, records),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::sample_records;

    #[test]
    fn every_prefix_parses_to_whole_records_only() {
        let recs = sample_records();
        let mut buf = Vec::new();
        write_all(&mut buf, &recs).unwrap();
        let (all, len) = parse(&buf).unwrap();
        assert_eq!((all, len), (recs.clone(), buf.len() as u64));
        for cut in 0..buf.len() {
            let (got, valid) = parse(&buf[..cut]).unwrap();
            assert!(got.len() <= 1 || cut == buf.len(), "cut {cut}");
            assert_eq!(got[..], recs[..got.len()], "cut {cut}");
            let (again, _) = parse(&buf[..valid as usize]).unwrap();
            assert_eq!(again, got, "cut {cut}");
        }
    }

    #[test]
    fn wrong_header_is_an_error() {
        assert_eq!(parse(b"a,b\n1,2\n").unwrap_err().kind(), io::ErrorKind::InvalidData);
        // One unterminated line: a torn header is empty, anything else is not our file (before,
        // it was cut away when given as `-o`).
        assert_eq!(parse(b"name,value").unwrap_err().kind(), io::ErrorKind::InvalidData);
        assert_eq!(parse(b"id,path,con").unwrap(), (Vec::new(), 0));
        assert_eq!(parse(&[0; 16]).unwrap(), (Vec::new(), 0));
    }
}
