//! Apache Parquet output with the Arrow schema of [`schema`] (zstd compressed).
//!
//! While a batch runs, records are written in parts: `OUT.parts/part-NNNNNN.parquet`, each a
//! complete Parquet file written under a temporary name and renamed, every
//! [`ParquetSink::rows_per_part`] records or [`PART_FLUSH_INTERVAL`], whichever comes first.
//! At the end the previous `OUT`, the parts and the new records are written into a temporary
//! file that is renamed over `OUT`, and the parts directory is removed. A killed run loses at
//! most the records not yet in a part; the next run reads `OUT` and the parts back.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Array, ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::Sink;
use crate::record::{FIELDS, Record};

/// Default records per part file while a batch runs.
pub const DEFAULT_PART_ROWS: usize = 1024;
/// Longest time records wait in memory before they are written as a part.
pub const PART_FLUSH_INTERVAL: Duration = Duration::from_secs(30);
/// Rows per Arrow batch handed to the writer.
const WRITE_BATCH_ROWS: usize = 8192;
/// Rows per Parquet row group in the final file.
const ROW_GROUP_ROWS: usize = 65_536;
/// Suffix of the directory holding the parts of an unfinished run.
const PARTS_SUFFIX: &str = "parts";
/// File-name prefix of a part.
const PART_PREFIX: &str = "part-";
/// File-name extension of a finished part.
const PART_EXT: &str = "parquet";
/// Suffix of a part being written (renamed to its final name once whole).
const PART_TMP_SUFFIX: &str = ".tmp";

/// The Arrow schema of the Parquet output, column for column the [`FIELDS`] of [`Record`].
pub fn schema() -> SchemaRef {
    use DataType::{Float64, Int32, Int64, Utf8};
    let types: [(DataType, bool); 24] = [
        (Utf8, false),
        (Utf8, false),
        (Utf8, false),
        (Utf8, false),
        (Int64, false),
        (Int32, false),
        (Int32, false),
        (Utf8, false),
        (Float64, true),
        (Float64, true),
        (Int32, true),
        (Float64, true),
        (Int32, true),
        (Float64, true),
        (Int32, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
        (Float64, true),
    ];
    let fields: Vec<Field> =
        FIELDS.iter().zip(types).map(|(name, (dt, nullable))| Field::new(*name, dt, nullable)).collect();
    Arc::new(Schema::new(fields))
}

fn to_batch(records: &[Record]) -> io::Result<RecordBatch> {
    fn s(records: &[Record], f: impl Fn(&Record) -> &str) -> ArrayRef {
        Arc::new(StringArray::from_iter_values(records.iter().map(f)))
    }
    fn f64s(records: &[Record], f: impl Fn(&Record) -> Option<f64>) -> ArrayRef {
        Arc::new(records.iter().map(f).collect::<Float64Array>())
    }
    fn i32s(records: &[Record], f: impl Fn(&Record) -> Option<i32>) -> ArrayRef {
        Arc::new(records.iter().map(f).collect::<Int32Array>())
    }
    let duration: Int64Array = records.iter().map(|r| Some(i64::try_from(r.duration_ms).unwrap_or(i64::MAX))).collect();
    let columns: Vec<ArrayRef> = vec![
        s(records, |r| &r.id),
        s(records, |r| &r.path),
        s(records, |r| &r.content_hash),
        s(records, |r| &r.analyzer_version),
        Arc::new(duration),
        i32s(records, |r| Some(i32::try_from(r.sample_rate).unwrap_or(i32::MAX))),
        i32s(records, |r| Some(i32::from(r.channels))),
        s(records, |r| &r.codec),
        f64s(records, |r| r.tempo),
        f64s(records, |r| r.tempo_confidence),
        i32s(records, |r| r.time_signature),
        f64s(records, |r| r.time_signature_confidence),
        i32s(records, |r| r.key),
        f64s(records, |r| r.key_confidence),
        i32s(records, |r| r.mode),
        f64s(records, |r| r.mode_confidence),
        f64s(records, |r| r.loudness),
        f64s(records, |r| r.energy),
        f64s(records, |r| r.danceability),
        f64s(records, |r| r.speechiness),
        f64s(records, |r| r.acousticness),
        f64s(records, |r| r.instrumentalness),
        f64s(records, |r| r.liveness),
        f64s(records, |r| r.valence),
    ];
    RecordBatch::try_new(schema(), columns).map_err(io::Error::other)
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> io::Result<&'a T> {
    batch
        .column_by_name(name)
        .ok_or_else(|| invalid(format!("missing column {name}")))?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| {
            invalid(format!("column {name} has type {:?}", batch.column_by_name(name).map(|c| c.data_type())))
        })
}

fn from_batch(batch: &RecordBatch, out: &mut Vec<Record>) -> io::Result<()> {
    let text = |name: &str| column::<StringArray>(batch, name);
    let float = |name: &str| column::<Float64Array>(batch, name);
    let int = |name: &str| column::<Int32Array>(batch, name);
    let (id, path, hash, version, codec) =
        (text("id")?, text("path")?, text("content_hash")?, text("analyzer_version")?, text("codec")?);
    let duration = column::<Int64Array>(batch, "duration_ms")?;
    let (sr, ch) = (int("sample_rate")?, int("channels")?);
    let of = |a: &Float64Array, i: usize| if a.is_null(i) { None } else { Some(a.value(i)) };
    let oi = |a: &Int32Array, i: usize| if a.is_null(i) { None } else { Some(a.value(i)) };
    let floats = [
        "tempo",
        "tempo_confidence",
        "time_signature_confidence",
        "key_confidence",
        "mode_confidence",
        "loudness",
        "energy",
        "danceability",
        "speechiness",
        "acousticness",
        "instrumentalness",
        "liveness",
        "valence",
    ]
    .map(float);
    let [tempo, tempo_c, ts_c, key_c, mode_c, loud, energy, dance, speech, acoustic, instr, live, valence] = floats;
    let (tempo, tempo_c, ts_c, key_c, mode_c) = (tempo?, tempo_c?, ts_c?, key_c?, mode_c?);
    let (loud, energy, dance, speech, acoustic, instr, live, valence) =
        (loud?, energy?, dance?, speech?, acoustic?, instr?, live?, valence?);
    let (ts, key, mode) = (int("time_signature")?, int("key")?, int("mode")?);
    for i in 0..batch.num_rows() {
        out.push(Record {
            id: id.value(i).to_string(),
            path: path.value(i).to_string(),
            content_hash: hash.value(i).to_string(),
            analyzer_version: version.value(i).to_string(),
            duration_ms: u64::try_from(duration.value(i)).map_err(|_| invalid("negative duration_ms"))?,
            sample_rate: u32::try_from(sr.value(i)).map_err(|_| invalid("negative sample_rate"))?,
            channels: u16::try_from(ch.value(i)).map_err(|_| invalid("channels out of range"))?,
            codec: codec.value(i).to_string(),
            tempo: of(tempo, i),
            tempo_confidence: of(tempo_c, i),
            time_signature: oi(ts, i),
            time_signature_confidence: of(ts_c, i),
            key: oi(key, i),
            key_confidence: of(key_c, i),
            mode: oi(mode, i),
            mode_confidence: of(mode_c, i),
            loudness: of(loud, i),
            energy: of(energy, i),
            danceability: of(dance, i),
            speechiness: of(speech, i),
            acousticness: of(acoustic, i),
            instrumentalness: of(instr, i),
            liveness: of(live, i),
            valence: of(valence, i),
        });
    }
    Ok(())
}

/// Reads one Parquet file written by this module.
///
/// # Errors
/// I/O errors, or [`io::ErrorKind::InvalidData`] for a file that is not Parquet or has another
/// schema.
pub fn read(path: &Path) -> io::Result<Vec<Record>> {
    let ctx = |e: &dyn std::fmt::Display| invalid(format!("{}: {e}", path.display()));
    let file = File::open(path)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| ctx(&e))?.build().map_err(|e| ctx(&e))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| ctx(&e))?;
        from_batch(&batch, &mut out).map_err(|e| ctx(&e))?;
    }
    Ok(out)
}

/// Writes records as one Parquet file.
///
/// # Errors
/// Any write error.
pub fn write_all<W: Write + Send>(out: &mut W, records: &[Record]) -> io::Result<()> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut writer = ArrowWriter::try_new(out, schema(), Some(props)).map_err(io::Error::other)?;
    for chunk in records.chunks(WRITE_BATCH_ROWS) {
        writer.write(&to_batch(chunk)?).map_err(io::Error::other)?;
    }
    writer.close().map_err(io::Error::other)?;
    Ok(())
}

/// The parts directory of an output path.
pub fn parts_dir(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{name}.{PARTS_SUFFIX}"))
}

/// Finished parts in order, by number.
fn list_parts(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut parts = Vec::new();
    if !dir.is_dir() {
        return Ok(parts);
    }
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let number = name
            .strip_prefix(PART_PREFIX)
            .and_then(|n| n.strip_suffix(&format!(".{PART_EXT}")))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = number {
            parts.push((n, p));
        }
    }
    parts.sort();
    Ok(parts)
}

/// Reads `path` (when it exists) followed by the finished parts of an interrupted run.
///
/// # Errors
/// See [`read`].
pub fn read_with_parts(path: &Path) -> io::Result<Vec<Record>> {
    let mut out = if path.exists() { read(path)? } else { Vec::new() };
    for (_, part) in list_parts(&parts_dir(path))? {
        out.extend(read(&part)?);
    }
    Ok(out)
}

/// A Parquet output being written in parts.
#[derive(Debug)]
pub struct ParquetSink {
    path: PathBuf,
    parts: PathBuf,
    buffer: Vec<Record>,
    next_part: u64,
    last_flush: Instant,
    /// Records per part file.
    pub rows_per_part: usize,
}

impl ParquetSink {
    /// Opens `path` for a run: reads it and any parts left by an interrupted run, and removes
    /// half-written part files (only those: other files in the parts directory are not ours
    /// and are left alone).
    ///
    /// # Errors
    /// See [`read`]; also when the parts directory cannot be created.
    pub fn open(path: &Path) -> io::Result<(ParquetSink, Vec<Record>)> {
        let parts = parts_dir(path);
        std::fs::create_dir_all(&parts)?;
        for entry in std::fs::read_dir(&parts)? {
            let p = entry?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with(PART_PREFIX) && name.ends_with(PART_TMP_SUFFIX) && p.is_file() {
                std::fs::remove_file(&p)?;
            }
        }
        let existing = read_with_parts(path)?;
        let next_part = list_parts(&parts)?.last().map_or(0, |(n, _)| n + 1);
        let sink = ParquetSink {
            path: path.to_path_buf(),
            parts,
            buffer: Vec::new(),
            next_part,
            last_flush: Instant::now(),
            rows_per_part: DEFAULT_PART_ROWS,
        };
        Ok((sink, existing))
    }

    fn flush_part(&mut self) -> io::Result<()> {
        self.last_flush = Instant::now();
        if self.buffer.is_empty() {
            return Ok(());
        }
        let name = format!("{PART_PREFIX}{:06}.{PART_EXT}", self.next_part);
        let tmp = self.parts.join(format!("{name}{PART_TMP_SUFFIX}"));
        let mut f = File::create(&tmp)?;
        write_all(&mut f, &self.buffer)?;
        f.sync_all()?;
        drop(f);
        let part = self.parts.join(&name);
        std::fs::rename(&tmp, &part)?;
        super::sync_dir(&part);
        self.next_part += 1;
        self.buffer.clear();
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        self.buffer.push(record.clone());
        if self.buffer.len() >= self.rows_per_part.max(1) || self.last_flush.elapsed() >= PART_FLUSH_INTERVAL {
            self.flush_part()?;
        }
        Ok(())
    }

    fn finish(&mut self, all: Option<&[Record]>) -> io::Result<()> {
        match all {
            Some(records) => {
                super::write_atomic(&self.path, super::Format::Parquet, records)?;
                self.buffer.clear();
                // The parts are in the output now; the directory goes if nothing else is in it.
                for (_, part) in list_parts(&self.parts)? {
                    std::fs::remove_file(part)?;
                }
                if std::fs::remove_dir(&self.parts).is_err() {
                    eprintln!("warning: {}: left in place, it holds files that are not parts", self.parts.display());
                }
                Ok(())
            }
            None => self.flush_part(),
        }
    }

    fn needs_full_list(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::sample_records;

    #[test]
    fn parts_survive_an_unfinished_run_and_are_folded_in_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("o.parquet");
        let recs = sample_records();
        let (mut sink, existing) = ParquetSink::open(&p).unwrap();
        assert!(existing.is_empty());
        sink.rows_per_part = 1;
        sink.write(&recs[0]).unwrap();
        sink.write(&recs[1]).unwrap();
        drop(sink);
        std::fs::write(parts_dir(&p).join("part-000009.parquet.tmp"), b"torn").unwrap();
        assert!(!p.exists());
        // Files that are not parts are not ours: never removed.
        let stranger = parts_dir(&p).join("notes.txt");
        std::fs::write(&stranger, b"keep me").unwrap();
        assert_eq!(read_with_parts(&p).unwrap(), recs);
        let (mut sink, existing) = ParquetSink::open(&p).unwrap();
        assert_eq!(existing, recs);
        assert_eq!(sink.next_part, 2);
        assert!(!parts_dir(&p).join("part-000009.parquet.tmp").exists());
        sink.finish(Some(&existing)).unwrap();
        assert_eq!(std::fs::read_dir(parts_dir(&p)).unwrap().count(), 1);
        assert_eq!(std::fs::read(&stranger).unwrap(), b"keep me");
        std::fs::remove_file(&stranger).unwrap();
        let (mut sink, existing) = ParquetSink::open(&p).unwrap();
        sink.finish(Some(&existing)).unwrap();
        assert!(!parts_dir(&p).exists());
        assert_eq!(read(&p).unwrap(), recs);
    }

    #[test]
    fn schema_matches_the_documented_columns() {
        let s = schema();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, FIELDS);
        assert_eq!(s.field_with_name("duration_ms").unwrap().data_type(), &DataType::Int64);
        assert!(!s.field_with_name("id").unwrap().is_nullable());
        assert!(s.field_with_name("valence").unwrap().is_nullable());
        assert_eq!(s.field_with_name("key").unwrap().data_type(), &DataType::Int32);
    }

    #[test]
    fn a_file_that_is_not_parquet_is_invalid_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.parquet");
        std::fs::write(&p, b"not parquet at all").unwrap();
        assert_eq!(read(&p).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
