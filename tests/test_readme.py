"""The README's example runs as written (with a shorter chain)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_first_model_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text()
    code = re.search(r"## A first model\n\n```python\n(.*?)```", text, re.S).group(1)
    assert "nsteps=3000" in code
    monkeypatch.chdir(tmp_path)  # the example writes pgm.png and corner.png
    exec(code.replace("nsteps=3000", "nsteps=400, progress=False"), {})
    printed = capsys.readouterr().out
    assert "prod_k p(N_k | x0, y0, F, b, sigma)" in printed
    assert (tmp_path / "pgm.png").exists() and (tmp_path / "corner.png").exists()
