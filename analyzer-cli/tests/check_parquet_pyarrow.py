#!/usr/bin/env python3
"""Opt-in check: a Parquet output of `audio-analyzer analyze` read by pyarrow has the documented
schema (analyzer-cli/SCHEMA.md) and the same records as the JSON Lines output of the same inputs.

    audio-analyzer analyze DIR -o out.parquet
    audio-analyzer analyze DIR -o out.jsonl
    python3 analyzer-cli/tests/check_parquet_pyarrow.py out.parquet out.jsonl [out.csv]

Needs pyarrow (`pip install pyarrow`); pandas too when a CSV is given.
"""
import json
import math
import sys

import pyarrow as pa
import pyarrow.parquet as pq

F64, I32, I64, STR = pa.float64(), pa.int32(), pa.int64(), pa.string()
SCHEMA = [
    ("id", STR, False), ("path", STR, False), ("content_hash", STR, False),
    ("analyzer_version", STR, False), ("duration_ms", I64, False), ("sample_rate", I32, False),
    ("channels", I32, False), ("codec", STR, False), ("tempo", F64, True),
    ("tempo_confidence", F64, True), ("time_signature", I32, True),
    ("time_signature_confidence", F64, True), ("key", I32, True), ("key_confidence", F64, True),
    ("mode", I32, True), ("mode_confidence", F64, True), ("loudness", F64, True),
    ("energy", F64, True), ("danceability", F64, True), ("speechiness", F64, True),
    ("acousticness", F64, True), ("instrumentalness", F64, True), ("liveness", F64, True),
    ("valence", F64, True),
]


def main(parquet_path, jsonl_path, csv_path=None):
    table = pq.read_table(parquet_path)
    got = [(f.name, f.type, f.nullable) for f in table.schema]
    assert got == SCHEMA, f"schema mismatch:\n{got}\n{SCHEMA}"
    rows = table.to_pylist()
    with open(jsonl_path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    assert rows == lines, "Parquet and JSON Lines differ"
    if csv_path:
        import pandas as pd

        df = pd.read_csv(csv_path, keep_default_na=False, dtype=str)
        assert list(df.columns) == [n for n, _, _ in SCHEMA]
        for rec, (_, row) in zip(lines, df.iterrows()):
            for name, value in rec.items():
                cell = row[name]
                if value is None:
                    assert cell == "", (name, cell)
                elif isinstance(value, str):
                    assert cell == value, (name, cell, value)
                else:
                    assert math.isclose(float(cell), float(value), rel_tol=0, abs_tol=0), (name, cell, value)
        assert len(df) == len(lines)
    print(f"ok: {len(rows)} records, {len(SCHEMA)} columns, pyarrow {pa.__version__}")


if __name__ == "__main__":
    main(*sys.argv[1:])
