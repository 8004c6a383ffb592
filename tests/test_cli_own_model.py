"""A model of one's own on the command line: files, modules, ``:function``, broken sources.

Also the loader behind it, ``pgmsim._model_source``.
"""

import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pgmsim as pg
from pgmsim._model_source import ModelSourceError, load_model
from pgmsim.cli import OUTPUTS, default_mock, main

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "my_line.py"

LINE = '''
import numpy as np
import pgmsim as pg

TRUTH = {"a": 1.0, "b": 0.5}


def line(a, b, x):
    return a + b * x


def build():
    m = pg.Model("line")
    m.fixed("x", plate="points")
    m.param("a", pg.Normal(0.0, 10.0))
    m.param("b", pg.Normal(0.0, 10.0))
    m.deterministic("mu", line, plate="points")
    m.data("y", pg.Normal("mu", 0.5), plate="points")
    return m


def steep():
    m = build()
    m.name = "steep"
    return m


def default_inputs(seed=0):
    return {"x": np.random.default_rng(seed).uniform(0.0, 10.0, 15)}
'''


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def error_line(capsys, argv):
    """The one line on stderr of a refused command; exit status 2."""
    with pytest.raises(SystemExit) as err:
        main(argv)
    assert err.value.code == 2
    printed = capsys.readouterr().err
    assert printed.count("\n") == 1 and printed == f"{err.value}\n"
    return printed.rstrip("\n")


def test_run_render_and_simulate_a_model_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "my_line.py", LINE)
    out = tmp_path / "DIR"
    assert main(["run", "./my_line.py", "--nsteps", "2000", "--out", str(out),
                 "--no-progress"]) == 0
    # the standard outputs of `run`, but mock.png, which only image models have
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted({*OUTPUTS, "chain.h5"} - {"mock.png"})
    from astropy.table import Table
    assert list(Table.read(out / "summary.ecsv")["name"]) == ["a", "b"]
    assert "p(a, b, {y_k}) = p(a) p(b) prod_k p(y_k | a, b)" in capsys.readouterr().out
    summary = Table.read(out / "summary.ecsv")
    assert abs(summary["median"][1] - 0.5) < 5 * summary["std"][1]

    assert main(["render", "my_line.py", "-o", "pgm.svg"]) == 0
    assert (tmp_path / "pgm.svg").read_text().startswith("<?xml")
    assert main(["simulate", "my_line.py", "-o", "mock.fits", "--seed", "3"]) == 0
    from astropy.io import fits
    with fits.open(tmp_path / "mock.fits") as hdus:
        assert hdus["POINTS"].data["y"].shape == (15,)
        assert hdus[0].header["MODEL"] == "line"
        assert hdus[0].header["A"] == 1.0  # TRUTH


def test_the_documented_example_runs(tmp_path, capsys):
    example = shutil.copy(EXAMPLE, tmp_path / "my_line.py")
    out = tmp_path / "line_run"
    assert main(["run", str(example), "--nsteps", "300", "--out", str(out), "--no-progress",
                 "--no-checkpoint"]) == 0
    printed = capsys.readouterr().out
    assert "Model my_line: Straight line y = a + b x" in printed
    assert (out / "corner.png").exists() and (out / "factorization.tex").exists()
    assert main(["render", str(example), "-o", str(tmp_path / "pgm.png")]) == 0
    assert main(["simulate", str(example), "-o", str(tmp_path / "mock.fits")]) == 0


def test_a_function_instead_of_build(tmp_path, capsys):
    path = write(tmp_path / "lines.py", LINE)
    assert main(["simulate", f"{path}:steep", "-o", str(tmp_path / "mock.fits")]) == 0
    from astropy.io import fits
    with fits.open(tmp_path / "mock.fits") as hdus:
        assert hdus[0].header["MODEL"] == "steep"
    line = error_line(capsys, ["render", f"{path}:flat", "-o", str(tmp_path / "pgm.png")])
    assert line == f"pgmsim render: error: model file '{path}:flat' has no function 'flat'"


def test_package_module_with_a_function_in_process(tmp_path, monkeypatch, capsys):
    write(tmp_path / "mypkg" / "__init__.py", "")
    write(tmp_path / "mypkg" / "models.py", LINE)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["render", "mypkg.models:steep", "-o", str(tmp_path / "pgm.png")]) == 0
    assert load_model("mypkg.models").build().name == "line"
    line = error_line(capsys, ["render", "mypkg.nothing", "-o", str(tmp_path / "pgm.png")])
    assert line.startswith("pgmsim render: error: unknown model 'mypkg.nothing'; known models: ")
    assert line.endswith("or give path/to/model.py or package.module")


def test_a_broken_file_in_a_subprocess_is_one_line_without_traceback(tmp_path):
    write(tmp_path / "broken.py", "def build(:\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pgmsim.cli", "run", "broken.py",
                             "--out", "never"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == ("pgmsim run: error: model file 'broken.py' has a syntax error "
                             "at line 1: invalid syntax\n")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("text, expected", [
    ("x = 1\ndef build(:\n    pass\n", "has a syntax error at line 2: invalid syntax"),
    ("import numpy as np\n", "defines no build(); a model defines build() returning a "
                             "pgmsim.Model; for run and simulate also default_inputs(seed=...)"),
    ("build = 3\n", "defines no build()"),
    ("import numpy\nimport no_such_package_here\n",
     "failed to import: ModuleNotFoundError: No module named 'no_such_package_here' (line 2)"),
    ("\n\nraise RuntimeError('the catalogue is missing')\n",
     "failed to import: RuntimeError: the catalogue is missing (line 3)"),
    # (TRUTH, so that run gets as far as building the model)
    ("TRUTH = {}\ndef build():\n    return 42\n", "build() returned int, not a pgmsim.Model"),
    ("TRUTH = {}\ndef build():\n    return undefined_name\n",
     "build() raised NameError: name 'undefined_name' is not defined (line 3)"),
])
def test_broken_files_are_one_line_naming_the_file(tmp_path, capsys, text, expected):
    path = write(tmp_path / "model.py", text)
    for argv in (["run", str(path), "--out", str(tmp_path / "never")],
                 ["render", str(path), "-o", str(tmp_path / "pgm.png")],
                 ["simulate", str(path), "-o", str(tmp_path / "mock.fits")]):
        line = error_line(capsys, argv)
        assert line.startswith(f"pgmsim {argv[0]}: error: model file '{path}'")
        assert expected in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_a_missing_file_or_a_folder(tmp_path, capsys):
    line = error_line(capsys, ["run", str(tmp_path / "nope.py"), "--out", str(tmp_path / "o")])
    assert line == f"pgmsim run: error: model file '{tmp_path / 'nope.py'}' does not exist"
    line = error_line(capsys, ["render", f"{tmp_path}/", "-o", str(tmp_path / "pgm.png")])
    assert line.endswith("is a folder, not a file")


def test_run_says_what_the_file_must_define(tmp_path, capsys):
    no_truth = write(tmp_path / "no_truth.py", LINE.replace('TRUTH = {"a": 1.0, "b": 0.5}', ""))
    line = error_line(capsys, ["run", str(no_truth), "--out", str(tmp_path / "never")])
    assert line.startswith(f"pgmsim run: error: model file '{no_truth}' defines no TRUTH, "
                           "needed by run to simulate the mock it fits; a model defines build()")
    # simulate draws the parameters from their priors instead
    assert main(["simulate", str(no_truth), "-o", str(tmp_path / "mock.fits")]) == 0
    capsys.readouterr()
    no_inputs = write(tmp_path / "no_inputs.py", LINE.replace("def default_inputs", "def _inputs"))
    for argv in (["run", str(no_inputs), "--out", str(tmp_path / "never")],
                 ["simulate", str(no_inputs), "-o", str(tmp_path / "no.fits")]):
        line = error_line(capsys, argv)
        assert f"model file '{no_inputs}' defines no default_inputs, needed to make a mock " \
               "of the fixed inputs x;" in line
    assert not (tmp_path / "never").exists() and not (tmp_path / "no.fits").exists()
    # a model without fixed inputs needs no default_inputs
    free = write(tmp_path / "free.py", """
        import pgmsim as pg
        TRUTH = {"a": 0.3}
        def build():
            m = pg.Model("free")
            m.param("a", pg.Normal(0.0, 1.0))
            m.data("y", pg.Normal("a", 1.0))
            return m
    """)
    assert main(["simulate", str(free), "-o", str(tmp_path / "free.fits")]) == 0


def test_two_files_of_the_same_name_do_not_collide(tmp_path):
    one = write(tmp_path / "one" / "model.py", LINE)
    two = write(tmp_path / "two" / "model.py", LINE.replace('"line"', '"other"'))
    first, second = load_model(str(one)), load_model(str(two))
    assert first.module.__name__ != second.module.__name__
    assert (first.build().name, second.build().name) == ("line", "other")
    assert sys.modules[first.module.__name__] is first.module


def test_functions_of_a_model_file_pickle(tmp_path):
    source = load_model(str(write(tmp_path / "my_line.py", LINE)))
    assert pickle.loads(pickle.dumps(source.module.line)) is source.module.line


def test_a_file_imports_the_modules_beside_it(tmp_path, capsys):
    write(tmp_path / "physics_of_lines.py", "SLOPE_PRIOR_WIDTH = 10.0\n")
    path = write(tmp_path / "model.py", "from physics_of_lines import SLOPE_PRIOR_WIDTH\n" + LINE)
    assert load_model(str(path)).module.SLOPE_PRIOR_WIDTH == 10.0
    assert str(tmp_path) not in sys.path


def test_default_mock_takes_a_path(tmp_path):
    model, inputs = default_mock(str(write(tmp_path / "my_line.py", LINE)), seed=2)
    assert isinstance(model, pg.Model) and inputs["x"].shape == (15,)


def test_the_module_of_a_file_is_named_by_its_file(tmp_path):
    # as commands that load the module first, then make its mock, meet it
    path = write(tmp_path / "no_inputs.py", LINE.replace("def default_inputs", "def _inputs"))
    module = load_model(str(path)).module
    with pytest.raises(ModelSourceError, match=f"model file '{path}' defines no default_inputs"):
        default_mock(module)


def test_list_still_lists_the_built_in_models(capsys):
    assert main(["list"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith("ccd_frames ")
    assert len(printed.splitlines()) == 6


@pytest.mark.parametrize("command", ["run", "render", "simulate"])
def test_help_names_the_own_model_forms(capsys, command):
    with pytest.raises(SystemExit) as err:
        main([command, "--help"])
    assert err.value.code == 0
    assert "path/to/model.py or package.module" in " ".join(capsys.readouterr().out.split())


def test_a_module_that_fails_to_import_names_the_module(tmp_path, monkeypatch, capsys):
    write(tmp_path / "badpkg" / "__init__.py", "")
    write(tmp_path / "badpkg" / "models.py", "import no_such_package_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelSourceError, match=r"model 'badpkg.models' failed to import: "
                                               r"ModuleNotFoundError: .*no_such_package_here.*"
                                               r"models.py', line 1\)"):
        load_model("badpkg.models")
    line = error_line(capsys, ["render", "os.path", "-o", str(tmp_path / "pgm.png")])
    assert line == ("pgmsim render: error: model 'os.path' defines no build(); a model "
                    "defines build() returning a pgmsim.Model; for run and simulate also "
                    "default_inputs(seed=...) giving the fixed inputs of a mock, and for "
                    "run TRUTH, the parameter values of that mock")


ROOT = EXAMPLE.parents[2]


def documented_commands(text):
    """The ``pgmsim ... my_line.py ...`` command lines of a page, as argument lists."""
    lines = [line.split("#")[0].split() for line in text.splitlines()]
    return [line[1:] for line in lines if line[:1] == ["pgmsim"] and "my_line.py" in line]


@pytest.mark.parametrize("page", ["docs/user_guide/own_models.rst", "docs/user_guide/cli.rst",
                                  "README.md"])
def test_the_documented_workflow_runs(tmp_path, monkeypatch, capsys, page):
    text = (ROOT / page).read_text()
    if page.endswith("own_models.rst"):
        assert ".. literalinclude:: /examples/my_line.py" in text
    commands = documented_commands(text)
    assert [c[0] for c in commands] == ["run", "render", "simulate"]
    assert commands[0] == ["run", "my_line.py", "--nsteps", "2000", "--out", "line_run"]
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLE, tmp_path / "my_line.py")
    for argv in commands:
        if argv[0] == "run":  # a shorter chain
            argv = [*argv[:3], "300", *argv[4:], "--no-progress"]
        assert main(argv) == 0
    assert (tmp_path / "line_run" / "summary.ecsv").exists()
    assert (tmp_path / "line_pgm.png").exists() and (tmp_path / "line_mock.fits").exists()
