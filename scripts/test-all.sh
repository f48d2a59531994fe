#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, Rust (unit, integration, doc), the core's
# tests built for aarch64 under qemu-user, and Python.
# Works on a fresh machine with only Rust and Python 3.9+: it creates its own venv under
# .venv-test and installs maturin, numpy, pytest, pandas, pyarrow, matplotlib and apache-beam
# (for the Beam transform's tests) from PyPI; the aarch64 stage installs its rustup target and
# Debian packages (scripts/aarch64-env.sh) and is skipped, saying so, where it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== cargo fmt --check"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check
else
  echo "rustfmt not installed; skipping the format check"
fi

echo "== cargo clippy (every warning is an error)"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --release -- -D warnings
else
  echo "clippy not installed; skipping the lint"
fi

echo "== cargo test (release: the DSP tests run on real-length signals)"
cargo test --workspace --release --all-targets
cargo test --workspace --release --doc

echo "== analyzer-core as a dependency: reduced codec set, docs without warnings, MSRV promise"
cargo test -p analyzer-core --no-default-features --features wav,flac --test codec_features
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p analyzer-core --all-features
python3 scripts/check-msrv.py

echo "== analyzer-core on aarch64 (the NEON path) under qemu-user"
# Every core test, cross-built for aarch64 and run under emulation (scripts/aarch64-env.sh
# installs the rustup target, Debian's cross linker and qemu-user). Skipped with a message
# only when those cannot be installed on this machine.
if source scripts/aarch64-env.sh; then
  cargo test -p analyzer-core --release --target "$AARCH64_TARGET" --tests
else
  echo "SKIPPED: the aarch64 target, cross linker or qemu-user could not be installed"
fi

echo "== python: build and install analyzer-py into .venv-test"
PY=${PYTHON:-python3}
if [ ! -x .venv-test/bin/python ]; then
  "$PY" -m venv .venv-test
fi
.venv-test/bin/python -m pip install -q --upgrade pip
.venv-test/bin/python -m pip install -q "maturin>=1.16,<2" "numpy>=1.24" "pytest>=7" pandas pyarrow matplotlib "apache-beam>=2.55"
# Share the cargo target dir so the core is not compiled a second time. The wheel under test
# carries the core's test hooks (the forced-panic input of the FFI-safety test); the same
# feature is on in the cargo test build above (analyzer-cli's dev-dependency), so the core
# artifacts are shared.
CARGO_TARGET_DIR="$PWD/target" MATURIN_PEP517_ARGS="--features test-hooks" \
  .venv-test/bin/python -m pip install -q --force-reinstall --no-deps ./analyzer-py

echo "== pytest"
AUDIO_ANALYZER_REQUIRE_TEST_HOOKS=1 .venv-test/bin/python -m pytest -q analyzer-py/tests
