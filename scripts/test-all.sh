#!/usr/bin/env bash
# Runs every test of the project: formatting, Rust (unit, integration, doc) and Python.
# Works on a fresh machine with only Rust and Python 3.9+: it creates its own venv under
# .venv-test and installs maturin, numpy, pytest, pandas, pyarrow, matplotlib and apache-beam
# (for the Beam transform's tests) from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== cargo fmt --check"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check
else
  echo "rustfmt not installed; skipping the format check"
fi

echo "== cargo test (release: the DSP tests run on real-length signals)"
cargo test --workspace --release --all-targets
cargo test --workspace --release --doc

echo "== python: build and install analyzer-py into .venv-test"
PY=${PYTHON:-python3}
if [ ! -x .venv-test/bin/python ]; then
  "$PY" -m venv .venv-test
fi
.venv-test/bin/python -m pip install -q --upgrade pip
.venv-test/bin/python -m pip install -q "maturin>=1.16,<2" "numpy>=1.24" "pytest>=7" pandas pyarrow matplotlib "apache-beam>=2.55"
# Share the cargo target dir so the core is not compiled a second time.
CARGO_TARGET_DIR="$PWD/target" .venv-test/bin/python -m pip install -q --force-reinstall --no-deps ./analyzer-py

echo "== pytest"
.venv-test/bin/python -m pytest -q analyzer-py/tests
