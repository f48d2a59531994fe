//! The corrupt-file corpus, generated at test time by `testdata/corrupt/make_corpus.py` (shared
//! by the core and CLI tests through `#[path]`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The generator script.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corrupt/make_corpus.py")
}

/// Writes the corpus into `dir` and returns its files, sorted by name. The interpreter is
/// `$PYTHON` or `python3`.
pub fn generate(dir: &Path) -> Vec<PathBuf> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(&python)
        .arg(script())
        .arg(dir)
        .status()
        .unwrap_or_else(|e| panic!("running {python} {}: {e}", script().display()));
    assert!(status.success(), "the corpus generator failed: {status}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() > 100, "the corpus is unexpectedly small: {} files", files.len());
    files
}

/// The extension hint a file carries (`None` for none).
#[allow(dead_code)] // used by the core test, not the CLI one
pub fn hint(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().into_owned())
}
