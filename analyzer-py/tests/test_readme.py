"""The README's Python example, run as written (with the example file names pointed at fixtures)."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def readme_python_example():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the README's Python section has a python example"
    return blocks[0]


def test_readme_python_example_runs(tmp_path):
    pytest.importorskip("pandas")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    code = readme_python_example()
    fixtures = {
        '"song.mp3"': repr(str(ROOT / "testdata" / "rhythm" / "drums_100bpm.wav")),
        '"song.flac"': repr(str(ROOT / "testdata" / "tonal" / "a_minor_band.wav")),
        '"song.m4a"': repr(str(ROOT / "testdata" / "formats" / "aac.m4a")),
    }
    for name, path in fixtures.items():
        assert name in code, name
        code = code.replace(name, path)
    paths = sorted(str(p) for p in (ROOT / "testdata" / "formats").iterdir())
    namespace = {"paths": paths}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["df"]) == len(paths)
    assert abs(namespace["r"].features["tempo"] - 100.0) < 4.0
