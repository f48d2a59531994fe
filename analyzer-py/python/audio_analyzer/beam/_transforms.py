"""The Beam transforms: ``AnalyzeAudio``, ``ReadSnapshot``, ``WriteSnapshot``.

Records are made by the extension's ``track_record`` (the batch CLI's own Rust record builder),
so a record written here is the record ``audio-analyzer analyze`` writes for the same file and
id. Python only moves bytes and dicts around.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from .. import _core

#: Namespace of every Beam metric of this module.
METRICS_NAMESPACE = "audio_analyzer"
#: The tag of the dead-letter output of :class:`AnalyzeAudio`.
DEAD_LETTER = "dead_letter"
#: The tag of the main output (the new full snapshot).
RECORDS = "records"
#: Columns of a dead-letter row (the CLI's ``--errors`` rows).
ERROR_FIELDS = ("id", "path", "kind", "message")
#: The CLI's record schema: ``(name, pyarrow type name, nullable)`` in column order, from the
#: CLI's Parquet schema in Rust.
RECORD_SCHEMA: Tuple[Tuple[str, str, bool], ...] = tuple(tuple(c) for c in _core.RECORD_SCHEMA)  # type: ignore[misc]
#: Column names in output order.
FIELDS: Tuple[str, ...] = tuple(name for name, _, _ in RECORD_SCHEMA)
_TYPES = {name: typ for name, typ, _ in RECORD_SCHEMA}
#: Largest input file read (bytes), by default: a worker holds a file in memory while it is
#: analysed, so an unbounded read of a huge object (a 50 GB upload in the bucket) would take the
#: worker down. 2 GiB covers three hours of CD-quality WAV (1.9 GB), the default duration limit
#: of the Python API.
DEFAULT_MAX_FILE_BYTES = 2 << 30
#: Bytes read per call when a size bound applies.
_READ_CHUNK_BYTES = 8 << 20
#: The timing counters count microseconds: an analysis of a short file takes well under a
#: millisecond, and whole milliseconds rounded per file summed to 0.
_US_PER_S = 1_000_000.0

_log = logging.getLogger(__name__)

Record = Dict[str, Any]


def arrow_schema():  # type: ignore[no-untyped-def]
    """The pyarrow schema of the CLI's Parquet output (needs pyarrow, which Beam installs)."""
    import pyarrow as pa

    return pa.schema([pa.field(name, getattr(pa, typ)(), nullable=nullable) for name, typ, nullable in RECORD_SCHEMA])


def read_bytes(uri: str, max_bytes: Optional[int] = None) -> bytes:
    """The bytes of ``uri`` through Beam's ``FileSystems`` (local, gs://, s3://, hdfs:// ...),
    never decompressed (a ``.gz`` is read as it is, as the CLI does). With ``max_bytes``, a
    longer file raises :class:`audio_analyzer.LimitExceededError` once that much has been read
    (in chunks: at most ``max_bytes`` plus one chunk is read; the bytes returned are one more
    copy of what was read)."""
    with FileSystems.open(uri, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        if max_bytes is None:
            return f.read()
        buf = bytearray()
        while True:
            chunk = f.read(_READ_CHUNK_BYTES)
            if not chunk:
                return bytes(buf)
            buf += chunk
            if len(buf) > max_bytes:
                raise _core.LimitExceededError(f"{uri}: the file is larger than max_file_bytes = {max_bytes} bytes")


def _read_error_kind(e: BaseException) -> str:
    """The CLI's error kind for a failed read: ``not_found`` or ``io``."""
    seen = [e]
    # BeamIOError carries the per-path exceptions in ``exception_details``.
    details = getattr(e, "exception_details", None)
    if isinstance(details, dict):
        seen.extend(v for v in details.values() if isinstance(v, BaseException))
    if any(isinstance(x, FileNotFoundError) for x in seen):
        return "not_found"
    return "io"


def normalize_record(raw: Dict[str, Any]) -> Record:
    """A record with exactly the CLI's columns in order; columns missing from older snapshots
    are ``None``, and CSV text cells are converted to the column's type."""
    out: Record = {}
    for name in FIELDS:
        v = raw.get(name)
        if isinstance(v, str) and _TYPES[name] != "string":
            v = None if v == "" else (float(v) if _TYPES[name] == "float64" else int(v))
        out[name] = v
    return out


def _as_input(element: Any) -> Tuple[str, str]:
    """``"uri"`` → ``(uri, uri)`` (the id is the path as given, as in the CLI); ``(id, uri)``
    stays."""
    if isinstance(element, str):
        return element, element
    if isinstance(element, (tuple, list)) and len(element) == 2:
        return str(element[0]), str(element[1])
    raise TypeError(f"AnalyzeAudio inputs are paths/URIs or (id, uri) pairs, not {element!r}")


class _AnalyzeFn(beam.DoFn):
    """Per id: the inputs that have it and the previous snapshot's records for it (after the
    join). Emits the new snapshot record (or none) and dead-letter rows."""

    def __init__(
        self, force: bool, sr: int, max_duration: Optional[float], max_file_bytes: Optional[int], prune_missing: bool
    ) -> None:
        self.force = force
        self.sr = sr
        self.max_duration = max_duration
        self.max_file_bytes = max_file_bytes
        self.prune_missing = prune_missing
        m = METRICS_NAMESPACE
        self.analysed = Metrics.counter(m, "analysed")
        self.skipped = Metrics.counter(m, "skipped")
        self.failed = Metrics.counter(m, "failed")
        self.kept = Metrics.counter(m, "kept")
        self.pruned = Metrics.counter(m, "pruned")
        self.decoded = Metrics.counter(m, "decoded")
        self.duplicate_ids = Metrics.counter(m, "duplicate_ids")
        self.audio_ms = Metrics.counter(m, "audio_ms")
        self.read_us = Metrics.counter(m, "read_us")
        self.decode_us = Metrics.counter(m, "decode_us")
        self.analysis_us = Metrics.counter(m, "analysis_us")
        self.bytes_read = Metrics.counter(m, "bytes_read")

    def _dead(self, id_: str, uri: str, kind: str, message: str) -> TaggedOutput:
        self.failed.inc()
        _log.warning("error: %s: [%s] %s", uri, kind, message)
        return TaggedOutput(DEAD_LETTER, {"id": id_, "path": uri, "kind": kind, "message": message})

    def process(self, element: Tuple[str, Dict[str, Iterable[Any]]]) -> Iterator[Any]:
        id_, grouped = element
        uris = sorted(set(grouped["inputs"]))
        previous = [normalize_record(r) for r in grouped["previous"]]
        if not uris:
            # An id that is no longer an input: the snapshot keeps it unless pruning.
            if self.prune_missing:
                self.pruned.inc()
            elif previous:
                self.kept.inc()
                yield previous[-1]
            return
        if len(uris) > 1:
            # The CLI analyses a repeated id once; here the smallest URI wins (deterministic).
            self.duplicate_ids.inc()
            _log.warning("id %r is given for %d inputs; analysing %s only", id_, len(uris), uris[0])
        uri = uris[0]
        started = time.perf_counter()
        try:
            data = read_bytes(uri, self.max_file_bytes)
        except _core.LimitExceededError as e:
            yield self._dead(id_, uri, "limit_exceeded", str(e))
            yield from self._keep_previous(previous)
            return
        except Exception as e:  # noqa: BLE001 - a bad input never fails the bundle
            yield self._dead(id_, uri, _read_error_kind(e), str(e))
            yield from self._keep_previous(previous)
            return
        self.read_us.inc(round((time.perf_counter() - started) * _US_PER_S))
        self.bytes_read.inc(len(data))
        content_hash = None
        if previous and not self.force:
            # The CLI's rule: same id, same BLAKE3 of the bytes, same analyzer version.
            content_hash = _core.content_hash(data)
            for prev in reversed(previous):
                if prev["content_hash"] == content_hash and prev["analyzer_version"] == _core.ANALYZER_VERSION:
                    self.skipped.inc()
                    yield dict(prev, path=uri)
                    return
        self.decoded.inc()
        try:
            out = _core.track_record(
                data, id=id_, path=uri, content_hash=content_hash, sr=self.sr, max_duration=self.max_duration
            )
        except Exception as e:  # noqa: BLE001 - a bad input never fails the bundle
            yield self._dead(id_, uri, getattr(e, "kind", "internal"), str(e))
            yield from self._keep_previous(previous)
            return
        for w in out["warnings"]:
            _log.warning("warning: %s: %s", uri, w)
        record = out["record"]
        self.analysed.inc()
        self.audio_ms.inc(int(record["duration_ms"]))
        self.decode_us.inc(round(out["decode_seconds"] * _US_PER_S))
        self.analysis_us.inc(round(out["analysis_seconds"] * _US_PER_S))
        yield record

    def _keep_previous(self, previous: List[Record]) -> Iterator[Record]:
        # As the CLI: an input that fails now keeps its previous record.
        if previous:
            self.kept.inc()
            yield previous[-1]


class AnalyzeAudio(beam.PTransform):
    """Audio files → the CLI's records, with a dead-letter output and incremental snapshots.

    Input: a PCollection of paths/URIs (the id is the path as given, as in the CLI) or of
    ``(id, uri)`` pairs (as a CLI manifest). Bytes are read through Beam's ``FileSystems``.

    Output: a ``DoOutputsTuple`` with ``records`` (the new full snapshot: analysed, carried over
    and kept records, one per id) and ``dead_letter`` (``{"id", "path", "kind", "message"}``
    rows with the CLI's error kinds). A failing file never fails the bundle.

    ``previous``: a PCollection of records of an earlier snapshot (see :class:`ReadSnapshot`).
    It is joined with the inputs by id (a shuffle, so a catalogue-sized snapshot never has to
    fit in a worker's memory). As in the CLI, an input whose id has a previous record with the
    same content hash (BLAKE3 of the bytes: the file is read and hashed, not decoded) and the
    same analyzer version is carried over with ``path`` set to the current URI; other inputs are
    analysed; previous records whose ids are no longer inputs are kept (``prune_missing=False``);
    an input that fails now keeps its previous record. ``force=True`` analyses every input.

    ``sr`` and ``max_duration`` are the CLI's ``--sr`` and ``--max-duration``: ``sr`` can only be
    :data:`audio_analyzer.DEFAULT_SAMPLE_RATE` (22050 Hz, the rate the fitted models were trained
    at; files at any rate are resampled to it), and another value raises :class:`ParameterError`
    here, before the pipeline runs.
    ``max_file_bytes`` (default :data:`DEFAULT_MAX_FILE_BYTES`, 2 GiB; ``None`` lifts it) bounds
    the file read into a worker's memory: a larger file is a dead-letter row of kind
    ``limit_exceeded``. (The CLI streams files from disk and needs no such bound.)
    """

    def __init__(
        self,
        previous: Optional[beam.PCollection] = None,
        *,
        force: bool = False,
        sr: int = _core.DEFAULT_SAMPLE_RATE,
        max_duration: Optional[float] = None,
        max_file_bytes: Optional[int] = DEFAULT_MAX_FILE_BYTES,
        prune_missing: bool = False,
    ) -> None:
        super().__init__()
        # The core checks the options (the analysis rate among them) before the pipeline runs.
        _core.check_record_options(sr=sr, max_duration=max_duration)
        self.previous = previous
        self.force = force
        self.sr = sr
        self.max_duration = max_duration
        self.max_file_bytes = max_file_bytes
        self.prune_missing = prune_missing

    def expand(self, pcoll):  # type: ignore[no-untyped-def]
        keyed_inputs = pcoll | "KeyInputs" >> beam.Map(_as_input)
        if self.previous is None:
            previous = pcoll.pipeline | "NoSnapshot" >> beam.Create([])
        else:
            previous = self.previous
        keyed_previous = previous | "KeyPrevious" >> beam.Map(lambda r: (r["id"], r))
        # The join also redistributes the files over the workers (it breaks fusion with the
        # file matching, which would otherwise run every analysis in one bundle).
        joined = {"inputs": keyed_inputs, "previous": keyed_previous} | "JoinById" >> beam.CoGroupByKey()
        return joined | "Analyze" >> beam.ParDo(
            _AnalyzeFn(self.force, self.sr, self.max_duration, self.max_file_bytes, self.prune_missing)
        ).with_outputs(DEAD_LETTER, main=RECORDS)


def snapshot_format(path: str, fmt: Optional[str] = None) -> str:
    """``jsonl``, ``csv`` or ``parquet`` from ``fmt`` or the file extension (the CLI's rule)."""
    if fmt:
        if fmt not in ("jsonl", "csv", "parquet"):
            raise ValueError(f"unknown format {fmt!r} (jsonl, csv, parquet)")
        return fmt
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if ext in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if ext == "csv":
        return "csv"
    if ext in ("parquet", "pq"):
        return "parquet"
    raise ValueError(f"{path}: unknown snapshot format (use .jsonl, .csv or .parquet)")


def _parse_json_line(line: str) -> Iterator[Record]:
    # A byte-order mark (a file saved by a Windows editor) before the first line, as the CLI skips it.
    line = line.lstrip("\ufeff")
    if not line.strip():
        return
    try:
        yield normalize_record(json.loads(line))
    except ValueError:
        # The CLI drops a torn last line; Beam does not know which line is last.
        Metrics.counter(METRICS_NAMESPACE, "snapshot_bad_lines").inc()
        _log.warning("snapshot: skipping an unreadable line: %.80r", line)


def _parse_csv_line(line: str) -> Iterator[Record]:
    if not line.strip():
        return
    row = next(csv.reader(io.StringIO(line)))
    if len(row) != len(FIELDS):
        Metrics.counter(METRICS_NAMESPACE, "snapshot_bad_lines").inc()
        _log.warning("snapshot: skipping an unreadable line: %.80r", line)
        return
    yield normalize_record(dict(zip(FIELDS, row)))


class ReadSnapshot(beam.PTransform):
    """Reads a CLI output (JSON Lines, CSV or Parquet, by extension or ``format``) as records
    with the CLI's columns. CSV is read line by line (ids and paths must not hold newlines)."""

    def __init__(self, path: str, format: Optional[str] = None) -> None:  # noqa: A002
        super().__init__()
        self.path = path
        self.format = snapshot_format(path, format)

    def expand(self, pbegin):  # type: ignore[no-untyped-def]
        if self.format == "parquet":
            return pbegin | "ReadParquet" >> beam.io.ReadFromParquet(self.path) | "Normalize" >> beam.Map(
                normalize_record
            )
        if self.format == "csv":
            lines = pbegin | "ReadCsv" >> beam.io.ReadFromText(
                self.path, skip_header_lines=1, compression_type=CompressionTypes.UNCOMPRESSED
            )
            return lines | "ParseCsv" >> beam.FlatMap(_parse_csv_line)
        lines = pbegin | "ReadJsonl" >> beam.io.ReadFromText(self.path, compression_type=CompressionTypes.UNCOMPRESSED)
        return lines | "ParseJsonl" >> beam.FlatMap(_parse_json_line)


def _json_value(v: Any) -> Any:
    # serde_json writes a non-finite float as null (json.dumps would write NaN, which is not JSON).
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def record_json(record: Record) -> str:
    """One JSON Lines line (without the newline) as the CLI writes it: the columns in order,
    compact separators, UTF-8, null for a non-finite number."""
    return json.dumps(
        {name: _json_value(record.get(name)) for name in FIELDS}, separators=(",", ":"), ensure_ascii=False
    )


class WriteSnapshot(beam.PTransform):
    """Writes records as JSON Lines or Parquet (by extension or ``format``) with the CLI's
    schema. ``num_shards=1`` (default) writes exactly ``path``, a file the CLI reads back
    (``--snapshot``, ``merge``); ``num_shards=0`` lets the runner choose and writes
    ``path-SSSSS-of-NNNNN`` shards. Records are not in input order (Beam collections are
    unordered)."""

    def __init__(self, path: str, format: Optional[str] = None, num_shards: int = 1) -> None:  # noqa: A002
        super().__init__()
        self.path = path
        self.format = snapshot_format(path, format)
        if self.format == "csv":
            raise ValueError("WriteSnapshot writes jsonl or parquet (the CLI converts: audio-analyzer merge)")
        self.num_shards = num_shards

    def _shards(self) -> Dict[str, Any]:
        if self.num_shards == 1:
            return {"num_shards": 1, "shard_name_template": ""}
        return {"num_shards": self.num_shards}

    def expand(self, pcoll):  # type: ignore[no-untyped-def]
        if self.format == "parquet":
            return (
                pcoll
                | "Columns" >> beam.Map(lambda r: {name: r.get(name) for name in FIELDS})
                | "WriteParquet"
                >> beam.io.WriteToParquet(self.path, schema=arrow_schema(), codec="zstd", **self._shards())
            )
        return (
            pcoll
            | "ToJson" >> beam.Map(record_json)
            | "WriteJsonl"
            >> beam.io.WriteToText(self.path, compression_type=CompressionTypes.UNCOMPRESSED, **self._shards())
        )


class WriteErrors(beam.PTransform):
    """Writes dead-letter rows as JSON Lines (the CLI's ``--errors`` file) to exactly ``path``."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def expand(self, pcoll):  # type: ignore[no-untyped-def]
        return (
            pcoll
            | "ToJson"
            >> beam.Map(lambda e: json.dumps({k: e[k] for k in ERROR_FIELDS}, separators=(",", ":"), ensure_ascii=False))
            | "WriteErrors"
            >> beam.io.WriteToText(
                self.path, num_shards=1, shard_name_template="", compression_type=CompressionTypes.UNCOMPRESSED
            )
        )


def counters(result: Any) -> Dict[str, int]:
    """The committed (or attempted, if the runner has no committed values) counters of this
    module from a finished ``PipelineResult``, by name."""
    from apache_beam.metrics.metric import MetricsFilter

    out: Dict[str, int] = {}
    query = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE))
    for c in query["counters"]:
        try:
            v = c.committed
        except Exception:  # noqa: BLE001 - some runners only have attempted values
            v = None
        if v is None:
            v = c.attempted
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + int(v)
    return out


InputElement = Union[str, Tuple[str, str]]
