"""Apache Beam transforms: the batch CLI's records at catalogue scale (``pip install
audio-analyzer[beam]``).

>>> import apache_beam as beam                                              # doctest: +SKIP
>>> from audio_analyzer.beam import AnalyzeAudio, ReadSnapshot, WriteSnapshot  # doctest: +SKIP
>>> with beam.Pipeline() as p:                                              # doctest: +SKIP
...     files = p | beam.io.fileio.MatchFiles("gs://bucket/music/*.mp3") | beam.Map(lambda m: m.path)
...     prev = p | ReadSnapshot("gs://bucket/day41.parquet")
...     out = files | AnalyzeAudio(previous=prev)
...     out.records | WriteSnapshot("gs://bucket/day42.parquet")
...     out.dead_letter | beam.Map(print)

``python -m audio_analyzer.beam --input 'DIR/*.mp3' --output OUT.jsonl [--snapshot PREV]``
runs the same pipeline from the command line (any Beam runner; see the README).
"""

try:
    import apache_beam  # noqa: F401
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("audio_analyzer.beam needs Apache Beam: pip install 'audio-analyzer[beam]'") from e

from ._transforms import (
    DEAD_LETTER,
    DEFAULT_MAX_FILE_BYTES,
    ERROR_FIELDS,
    FIELDS,
    METRICS_NAMESPACE,
    RECORD_SCHEMA,
    RECORDS,
    AnalyzeAudio,
    ReadSnapshot,
    WriteErrors,
    WriteSnapshot,
    arrow_schema,
    counters,
    normalize_record,
    read_bytes,
    record_json,
)

__all__ = [
    "DEAD_LETTER",
    "DEFAULT_MAX_FILE_BYTES",
    "ERROR_FIELDS",
    "FIELDS",
    "METRICS_NAMESPACE",
    "RECORD_SCHEMA",
    "RECORDS",
    "AnalyzeAudio",
    "ReadSnapshot",
    "WriteErrors",
    "WriteSnapshot",
    "arrow_schema",
    "counters",
    "normalize_record",
    "read_bytes",
    "record_json",
]
