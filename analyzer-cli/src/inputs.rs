//! Input collection: files, recursive directories, manifests and paths on stdin.
//!
//! Order is deterministic: arguments in the order given, directory entries sorted by path,
//! manifest lines in file order. An id that appears twice is kept once (the first occurrence)
//! with a warning.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::track::{TrackInput, bytes_text, path_text};

/// File extensions (lowercase) picked up when walking a directory (the core's list). Files named
/// explicitly are always attempted whatever their extension.
pub use analyzer_core::audio::AUDIO_EXTENSIONS;

/// The argument that stands for "read paths from standard input, one per line".
pub const STDIN_ARG: &str = "-";

/// Longest line (one path on stdin, one manifest entry) read; a longer one is an error. It bounds
/// the memory an endless stream without line ends (`/dev/zero`, a binary file given as the
/// manifest) can take: before, such a stream was read until memory ran out.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// What ends a path read from standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StdinDelimiter {
    /// A newline (a `\r` before it is dropped): `find ... | audio-analyzer analyze -`.
    #[default]
    Newline,
    /// A NUL byte, as `find -print0` writes: names may then hold newlines.
    Nul,
}

impl StdinDelimiter {
    fn byte(self) -> u8 {
        match self {
            StdinDelimiter::Newline => b'\n',
            StdinDelimiter::Nul => 0,
        }
    }
}

/// Why the input list could not be built (a usage error: exit code 2).
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A manifest line in JSON form; other keys are ignored.
#[derive(Debug, Deserialize)]
struct ManifestEntry {
    id: Option<String>,
    path: String,
}

/// Builds the input list from positional arguments and an optional manifest.
///
/// Paths need not be UTF-8 (arguments, directory entries, paths on stdin and tab-separated
/// manifest lines are taken as the operating system's bytes); their ids are [`path_text`].
///
/// # Errors
/// [`InputError`] for an unreadable manifest or directory, or a malformed manifest line.
pub fn collect(
    args: &[impl AsRef<OsStr>],
    manifest: Option<&Path>,
    stdin: &mut dyn BufRead,
    delimiter: StdinDelimiter,
) -> Result<Vec<TrackInput>, InputError> {
    let mut out = Vec::new();
    for arg in args {
        let arg = arg.as_ref();
        if arg == STDIN_ARG {
            read_paths(stdin, delimiter, &mut out)?;
            continue;
        }
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let mut found = Vec::new();
            walk(&path, &mut found, &mut HashSet::new())?;
            found.sort();
            out.extend(found.into_iter().map(input_for_path));
        } else {
            out.push(input_for_path(path));
        }
    }
    if let Some(m) = manifest {
        read_manifest(m, &mut out)?;
    }
    Ok(dedup(out))
}

fn input_for_path(path: PathBuf) -> TrackInput {
    TrackInput { id: path_text(&path), path }
}

/// Appends one input per non-empty `delimiter`-terminated record of `reader` (for newlines, a
/// trailing `\r` is dropped). Records are bytes, not text, so that `find ... | audio-analyzer
/// analyze -` works on names that are not UTF-8.
fn read_paths(
    reader: &mut dyn BufRead,
    delimiter: StdinDelimiter,
    out: &mut Vec<TrackInput>,
) -> Result<(), InputError> {
    let end = delimiter.byte();
    let mut line = Vec::new();
    loop {
        line.clear();
        if !read_line(reader, end, &mut line).map_err(|e| InputError(format!("reading paths from stdin: {e}")))? {
            return Ok(());
        }
        let p = line.strip_suffix(&[end]).unwrap_or(&line);
        let p = match delimiter {
            StdinDelimiter::Newline => p.strip_suffix(b"\r").unwrap_or(p),
            StdinDelimiter::Nul => p,
        };
        if !p.is_empty() {
            out.push(input_for_path(path_from_bytes(p)));
        }
    }
}

/// Appends the next `end`-terminated line of `reader` (with its `end`, if any) to `buf`; false at
/// the end of the input. A line longer than [`MAX_LINE_BYTES`] is an error.
fn read_line(reader: &mut dyn BufRead, end: u8, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let start = buf.len();
    let n = (&mut *reader).take(MAX_LINE_BYTES as u64 + 1).read_until(end, buf)?;
    if n > MAX_LINE_BYTES && buf.last() != Some(&end) {
        buf.truncate(start);
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a line longer than {MAX_LINE_BYTES} bytes (not a list of paths?)"),
        ));
    }
    Ok(n > 0)
}

/// A path from the operating system's bytes (Unix); elsewhere from their UTF-8 reading.
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Appends the audio files under `dir` to `found`, following symlinks to directories.
///
/// Entries are walked in sorted order, and a directory reached a second time (by its canonical
/// path: a symlink cycle such as `d/up -> ..`, or a second link to the same directory) is not
/// walked again, so a cycle cannot make the walk endless and each file is listed once, under the
/// path that sorts first.
fn walk(dir: &Path, found: &mut Vec<PathBuf>, visited: &mut HashSet<PathBuf>) -> Result<(), InputError> {
    let real = std::fs::canonicalize(dir).map_err(|e| InputError(format!("{}: {e}", dir.display())))?;
    if !visited.insert(real) {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir)
        .and_then(|it| it.collect::<std::io::Result<Vec<_>>>())
        .map_err(|e| InputError(format!("{}: {e}", dir.display())))?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| InputError(format!("{}: {e}", path.display())))?;
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            walk(&path, found, visited)?;
        } else if is_audio(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads a manifest file and appends its entries to `out` (see [`parse_manifest`]).
fn read_manifest(manifest: &Path, out: &mut Vec<TrackInput>) -> Result<(), InputError> {
    let error = |e: std::io::Error| InputError(format!("{}: {e}", manifest.display()));
    // Read line by line so that a line without an end fails at MAX_LINE_BYTES, not at memory's end.
    let mut reader = std::io::BufReader::new(std::fs::File::open(manifest).map_err(error)?);
    let mut bytes = Vec::new();
    while read_line(&mut reader, b'\n', &mut bytes).map_err(error)? {}
    let base = manifest.parent().unwrap_or(Path::new(""));
    out.extend(parse_manifest(&bytes, base, &manifest.display().to_string())?);
    Ok(())
}

/// Parses a manifest: JSON Lines `{"id": ..., "path": ...}` or tab-separated `id<TAB>path`
/// (a line without a tab is a path whose id is the path). Relative paths are resolved against
/// `base` (the manifest's directory). Empty lines and lines starting with `#` are skipped.
/// `name` labels the lines in error messages (`name:line: ...`).
///
/// JSON lines must be UTF-8 (JSON is); a tab-separated line need not be: its path is taken as
/// the operating system's bytes, as on stdin, and an id that is not UTF-8 is written as
/// [`path_text`] writes such a name (`%XX`), so that a Latin-1 path from an old catalogue is
/// one input, not a manifest that fails as a whole.
///
/// # Errors
/// [`InputError`] for a malformed JSON line or an empty path.
pub fn parse_manifest(bytes: &[u8], base: &Path, name: &str) -> Result<Vec<TrackInput>, InputError> {
    let mut out = Vec::new();
    let bytes = &bytes[crate::output::bom_len(bytes)..];
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let (id, path) = match std::str::from_utf8(line) {
            Ok(text) if text.trim().is_empty() || text.starts_with('#') => continue,
            Ok(text) if text.trim_start().starts_with('{') => {
                let e: ManifestEntry =
                    serde_json::from_str(text).map_err(|e| InputError(format!("{name}:{}: {e}", n + 1)))?;
                (e.id, PathBuf::from(e.path))
            }
            _ if line.starts_with(b"#") => continue,
            _ if line.trim_ascii_start().starts_with(b"{") => {
                return Err(InputError(format!("{name}:{}: a JSON line that is not UTF-8", n + 1)));
            }
            _ => match line.iter().position(|&b| b == b'\t') {
                Some(tab) => (Some(bytes_text(&line[..tab])), path_from_bytes(&line[tab + 1..])),
                None => (None, path_from_bytes(line)),
            },
        };
        if path.as_os_str().is_empty() {
            return Err(InputError(format!("{name}:{}: empty path", n + 1)));
        }
        let resolved = if path.is_absolute() { path } else { base.join(path) };
        let id = id.unwrap_or_else(|| path_text(&resolved));
        out.push(TrackInput { id, path: resolved });
    }
    Ok(out)
}

fn dedup(inputs: Vec<TrackInput>) -> Vec<TrackInput> {
    let mut seen = HashSet::with_capacity(inputs.len());
    let mut out = Vec::with_capacity(inputs.len());
    for i in inputs {
        if seen.insert(i.id.clone()) {
            out.push(i);
        } else {
            eprintln!("warning: duplicate id {:?} ({}): keeping the first", i.id, i.path.display());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_directories_sorted_and_filtered_reads_stdin_and_manifests() {
        let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.tsv");
        std::fs::write(&m, "a\tx.wav\n\n# comment\n{\"id\": \"b\", \"path\": \"/abs/y.mp3\", \"tempo\": 1}\nz.flac\n")
            .unwrap();
        let mut stdin = std::io::Cursor::new(b"one.wav\r\n\ntwo.mp3\n".to_vec());
        let args = vec![td.join("formats").to_string_lossy().into_owned(), "-".into(), "one.wav".into()];
        let got = collect(&args, Some(&m), &mut stdin, StdinDelimiter::Newline).unwrap();
        let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
        let formats: Vec<&str> = ids.iter().copied().filter(|i| i.contains("formats")).collect();
        assert_eq!(formats.len(), 11, "{ids:?}");
        assert!(formats.windows(2).all(|w| w[0] < w[1]));
        let rest = &ids[formats.len()..];
        let z = dir.path().join("z.flac").to_string_lossy().into_owned();
        assert_eq!(rest, ["one.wav", "two.mp3", "a", "b", z.as_str()]);
        assert_eq!(got[formats.len() + 2].path, dir.path().join("x.wav"));
        assert_eq!(got[formats.len() + 3].path, PathBuf::from("/abs/y.mp3"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_cycles_end_and_a_directory_linked_twice_is_listed_once() {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir().unwrap();
        let a = root.path().join("a");
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("t.wav"), b"x").unwrap();
        symlink("..", a.join("up")).unwrap(); // a cycle through the parent
        symlink(".", root.path().join("self")).unwrap(); // a cycle on itself
        symlink(&a, root.path().join("b")).unwrap(); // a second link to `a`
        let args = vec![root.path().to_string_lossy().into_owned()];
        let got = collect(&args, None, &mut std::io::Cursor::new(Vec::new()), StdinDelimiter::Newline).unwrap();
        let paths: Vec<&Path> = got.iter().map(|i| i.path.as_path()).collect();
        assert_eq!(paths, [a.join("t.wav").as_path()]);
    }

    /// Latin-1 names from an old archive: each is its own input (a lossy id made them one, and
    /// the second was dropped as a duplicate), from a directory, an argument or stdin.
    #[cfg(target_os = "linux")]
    #[test]
    fn names_that_are_not_utf8_keep_distinct_ids() {
        use std::os::unix::ffi::OsStrExt;
        let root = tempfile::tempdir().unwrap();
        let names: [&[u8]; 2] = [b"caf\xe8.wav", b"caf\xe9.wav"];
        let files: Vec<PathBuf> = names.iter().map(|n| root.path().join(OsStr::from_bytes(n))).collect();
        for f in &files {
            std::fs::write(f, b"x").unwrap();
        }
        let expected: Vec<String> =
            ["caf%E8.wav", "caf%E9.wav"].map(|n| format!("{}/{n}", root.path().display())).into();
        let check = |got: Vec<TrackInput>| {
            assert_eq!(got.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), expected);
            assert_eq!(got.iter().map(|i| i.path.clone()).collect::<Vec<_>>(), files);
        };
        check(collect(&[root.path()], None, &mut std::io::empty(), StdinDelimiter::Newline).unwrap());
        check(collect(&files, None, &mut std::io::empty(), StdinDelimiter::Newline).unwrap());
        let mut lines = Vec::new();
        for f in &files {
            lines.extend_from_slice(f.as_os_str().as_bytes());
            lines.extend_from_slice(b"\r\n");
        }
        check(collect(&[STDIN_ARG], None, &mut std::io::Cursor::new(lines), StdinDelimiter::Newline).unwrap());
    }

    /// NUL-terminated paths (`find -print0`): a newline or a `\r` is part of the name, and a
    /// last record without its NUL still counts.
    #[test]
    fn nul_delimited_stdin_keeps_newlines_in_names() {
        let stdin = b"two\nlines.wav\0ends in cr\r.wav\0\0last.mp3".to_vec();
        let got = collect(&[STDIN_ARG], None, &mut std::io::Cursor::new(stdin.clone()), StdinDelimiter::Nul).unwrap();
        let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["two\nlines.wav", "ends in cr\r.wav", "last.mp3"]);
        // Read by lines, the same bytes are other names.
        let by_lines = collect(&[STDIN_ARG], None, &mut std::io::Cursor::new(stdin), StdinDelimiter::Newline).unwrap();
        assert_eq!(by_lines.len(), 2);
        assert_eq!(by_lines[0].id, "two");
    }

    /// A line without an end (an endless `/dev/zero`, a binary file) fails at MAX_LINE_BYTES
    /// instead of being read until memory runs out; lines up to that length are paths.
    #[test]
    fn an_overlong_line_on_stdin_or_in_a_manifest_is_an_error() {
        let mut at_limit = vec![b'a'; MAX_LINE_BYTES - 1];
        at_limit.push(b'\n');
        let got = collect(&[STDIN_ARG], None, &mut std::io::Cursor::new(at_limit), StdinDelimiter::Newline).unwrap();
        assert_eq!(got.len(), 1);
        for delimiter in [StdinDelimiter::Newline, StdinDelimiter::Nul] {
            let mut endless = std::io::BufReader::new(std::io::repeat(b'x'));
            let err = collect(&[STDIN_ARG], None, &mut endless, delimiter).unwrap_err();
            assert!(err.0.contains("longer than"), "{}", err.0);
        }
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("m.tsv");
        let mut bytes = b"a.wav\n".to_vec();
        bytes.extend(std::iter::repeat_n(0u8, MAX_LINE_BYTES + 1));
        std::fs::write(&manifest, bytes).unwrap();
        let err = collect(&[] as &[&str], Some(&manifest), &mut std::io::empty(), StdinDelimiter::Newline).unwrap_err();
        assert!(err.0.contains("longer than"), "{}", err.0);
    }

    /// A tab-separated manifest line need not be UTF-8 (a Latin-1 path from an old catalogue):
    /// the path is the bytes, a non-UTF-8 id is escaped; a JSON line must be UTF-8. Before, one
    /// such line failed the whole manifest (a usage error, nothing analysed).
    #[cfg(unix)]
    #[test]
    fn tab_separated_manifest_lines_need_not_be_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let text = b"caf\xe9\t/m/caf\xe9.wav\n/m/na\xefve.mp3\nok\t/m/ok.flac\r\n".to_vec();
        let got = parse_manifest(&text, Path::new("/base"), "m.tsv").unwrap();
        let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["caf%E9", "/m/na%EFve.mp3", "ok"]);
        assert_eq!(got[0].path.as_os_str().as_bytes(), b"/m/caf\xe9.wav");
        assert_eq!(got[1].path.as_os_str().as_bytes(), b"/m/na\xefve.mp3");
        let err = parse_manifest(b"ok\t/a.wav\n{\"path\": \"caf\xe9\"}\n", Path::new("/"), "m.jsonl").unwrap_err();
        assert!(err.0.contains("m.jsonl:2") && err.0.contains("UTF-8"), "{err}");
    }

    /// A byte-order mark (a manifest saved by Notepad or Excel) is not part of the first id.
    #[test]
    fn a_manifest_byte_order_mark_is_skipped() {
        let got = parse_manifest(b"\xEF\xBB\xBFa\t/m/a.wav\n", Path::new("/"), "m.tsv").unwrap();
        assert_eq!(got[0].id, "a");
        let got = parse_manifest(b"\xEF\xBB\xBF{\"id\": \"b\", \"path\": \"/m/b.wav\"}\n", Path::new("/"), "m.jsonl");
        assert_eq!(got.unwrap()[0].id, "b");
    }

    /// No positional arguments (only a manifest).
    const NO_ARGS: &[&str] = &[];

    #[test]
    fn bad_manifest_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.jsonl");
        std::fs::write(&m, "{\"id\": 3}\n").unwrap();
        let err = collect(NO_ARGS, Some(&m), &mut std::io::empty(), StdinDelimiter::Newline).unwrap_err();
        assert!(err.0.contains("m.jsonl:1"), "{err}");
        assert!(
            collect(NO_ARGS, Some(&dir.path().join("none")), &mut std::io::empty(), StdinDelimiter::Newline).is_err()
        );
    }
}
