"""The Python package against the command line: same scenario and seed, same files.

The command is `$CIRRHOSIM_BIN` when set, else `cirrhosim` on the PATH (`cargo install --path .`).
"""

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import cirrhosim

REPO = Path(__file__).resolve().parents[2]
TEACHING = REPO / "scenarios" / "teaching.toml"


def cli_binary():
    found = os.environ.get("CIRRHOSIM_BIN") or shutil.which("cirrhosim")
    assert found, "set CIRRHOSIM_BIN or put cirrhosim on the PATH (cargo install --path .)"
    return found


def cli(tmp_path, *args):
    """Runs `cirrhosim ARGS --out DIR --quiet` and returns DIR's files as {name: text}."""
    out = tmp_path / "cli"
    subprocess.run([cli_binary(), *args, "--out", str(out), "--quiet"], check=True)
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.name != "cirrhosim-run.json"}


def plain(text):
    """A CSV file's cells as strings, read with the standard library (not with pandas)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def assert_same_values(frame, text):
    """The DataFrame holds the file's values: same columns, same strings, numbers equal to the
    last bit (the shortest round-trip text parsed by Python), empty cells as <NA>."""
    header, rows = plain(text)
    assert list(frame.columns) == header
    assert len(frame) == len(rows)
    for j, column in enumerate(header):
        got, want = frame[column].tolist(), [r[j] for r in rows]
        if pd.api.types.is_bool_dtype(frame[column]):
            assert got == [w == "true" for w in want] and set(want) <= {"true", "false"}, column
        elif pd.api.types.is_numeric_dtype(frame[column]):
            for g, w in zip(got, want):
                if w == "":
                    assert g is pd.NA, (column, g)
                else:
                    assert g == float(w), (column, g, w)
        else:
            assert [str(g) for g in got] == want, column


def test_run_of_the_default_scenario_equals_the_cli_files(tmp_path):
    r = cirrhosim.run()
    files = cli(tmp_path, "run")
    assert sorted(r.files) == sorted(files) == ["cea.csv", "nmb.csv", "summary.json", "survival.csv"]
    for name, text in files.items():
        assert r.files[name] == text, name
    assert_same_values(r.survival, files["survival.csv"])
    assert_same_values(r.cea, files["cea.csv"])
    assert_same_values(r.nmb, files["nmb.csv"])
    assert r.summary == json.loads(files["summary.json"])
    assert r.summary["settings"]["patients"] == 100000


def test_run_with_settings_and_set_equals_the_cli_files(tmp_path):
    r = cirrhosim.run(patients=3000, seed=7, threads=1, set={"c_msc_infusion": 2000})
    files = cli(tmp_path, "run", "--patients", "3000", "--seed", "7", "--set", "c_msc_infusion=2000")
    assert r.files == files
    base = cirrhosim.run(patients=3000, seed=7)
    # A cheaper infusion (set values are in the scenario's EUR 2013; the converted default is
    # EUR 2,301.53) lowers the MSC strategy's cost and nothing else.
    msc = lambda c: c.set_index("strategy").loc["uc_msc"]  # noqa: E731
    assert msc(r.cea)["cost"] < msc(base.cea)["cost"]
    assert msc(r.cea)["qaly"] == msc(base.cea)["qaly"]


def test_results_do_not_depend_on_threads():
    one = cirrhosim.run(patients=5000, seed=3, threads=1)
    two = cirrhosim.run(patients=5000, seed=3, threads=2)
    assert one.files == two.files


def test_dtypes_are_explicit():
    r = cirrhosim.run(patients=1000, seed=1)
    s = r.survival
    assert list(s["strategy"].cat.categories) == ["standard_care", "uc_msc"]
    assert list(s["method"].cat.categories) == ["cohort", "monte_carlo"]
    assert s["curve"].dtype == "category" and "overall_survival" in s["curve"].cat.categories
    assert s["cycle"].dtype == "int64"
    assert all(s[c].dtype == "float64" for c in ["years", "estimate", "lower", "upper"])
    c = r.cea
    assert [str(c[k].dtype) for k in ["cost", "qaly", "life_years"]] == ["float64"] * 3
    assert [str(c[k].dtype) for k in ["inc_cost", "inc_qaly", "icer"]] == ["Float64"] * 3
    reference = c[c["status"] == "reference"]
    assert len(reference) == 1 and reference["icer"].isna().all()
    assert c["status"].dtype == "category"
    assert r.nmb["wtp"].dtype == "float64"


def test_psa_equals_the_cli_files(tmp_path):
    p = cirrhosim.psa(draws=60, seed=5)
    files = cli(tmp_path, "psa", "--draws", "60", "--seed", "5")
    for name in ["psa_draws.csv", "ceac.csv", "evpi.csv", "survival_psa.csv", "psa_summary.json"]:
        assert p.files[name] == files[name], name
    assert_same_values(p.draws, files["psa_draws.csv"])
    assert_same_values(p.ceac, files["ceac.csv"])
    assert_same_values(p.evpi, files["evpi.csv"])
    assert p.summary == json.loads(files["psa_summary.json"])
    assert len(p.draws) == 60 * 2 and p.draws["draw"].dtype == "int64"
    assert p.ceac["on_frontier"].dtype == bool
    # One strategy on the frontier at each willingness to pay.
    assert (p.ceac.groupby("wtp")["on_frontier"].sum() == 1).all()
    assert str(p.evpi["evpi_population"].dtype) == "Float64"


def test_psa_by_subgroup_equals_the_cli(tmp_path):
    meld = REPO / "scenarios" / "meld_heterogeneity.toml"
    p = cirrhosim.psa(meld, draws=10, seed=3, by="meld")
    files = cli(tmp_path, "psa", str(meld), "--draws", "10", "--seed", "3", "--by", "meld")
    assert p.files["ceac.csv"] == files["ceac.csv"]
    assert p.summary == json.loads(files["psa_summary.json"])
    assert list(p.ceac.columns)[0] == "subgroup" and p.ceac["subgroup"].dtype == "category"
    assert p.ceac["subgroup"].iloc[0] == "all" and p.ceac["subgroup"].nunique() == 4
    assert p.summary["subgroups"]["by"] == ["meld"] and p.summary["subgroups"]["groups"][0]["name"].startswith("meld=")


def test_psa_with_the_monte_carlo_engine_equals_the_cli(tmp_path):
    p = cirrhosim.psa(draws=4, seed=2, patients=500)
    files = cli(tmp_path, "psa", "--draws", "4", "--seed", "2", "--engine", "monte-carlo", "--patients", "500")
    assert p.files["psa_draws.csv"] == files["psa_draws.csv"]


def test_dsa_and_threshold_equal_the_cli_files(tmp_path):
    d = cirrhosim.dsa(two_way=("msc_meld_md_24wk", "c_msc_infusion"), steps=3, wtp=50000)
    files = cli(tmp_path / "d", "dsa", "--two-way", "msc_meld_md_24wk,c_msc_infusion", "--steps", "3", "--wtp", "50000")
    assert d.files == files
    assert_same_values(d.tornado, files["dsa.csv"])
    assert_same_values(d.two_way, files["dsa_two_way.csv"])
    assert d.wtp == 50000 and len(d.two_way) == 9
    t = cirrhosim.threshold(wtp=[50000, 100000])
    files = cli(tmp_path / "t", "threshold", "--wtp", "50000,100000")
    assert t.files == files
    assert_same_values(t.thresholds, files["threshold.csv"])
    assert str(t.thresholds["threshold"].dtype) == "Float64"


def test_scenario_as_path_or_text_gives_the_same_results():
    by_path = cirrhosim.run(TEACHING, patients=2000, seed=4)
    by_pathlib = cirrhosim.run(Path(TEACHING), patients=2000, seed=4)
    by_text = cirrhosim.run(TEACHING.read_text(), patients=2000, seed=4)
    assert by_path.files == by_pathlib.files
    assert by_path.files["survival.csv"] == by_text.files["survival.csv"]
    assert by_path.cea is None and by_path.nmb is None  # the teaching scenario has no economics


def test_run_by_subgroup_adds_the_subgroup_column_as_the_cli(tmp_path):
    meld = REPO / "scenarios" / "meld_heterogeneity.toml"
    r = cirrhosim.run(meld, patients=3000, seed=2, by=["meld", "etiology"])
    files = cli(tmp_path, "run", str(meld), "--patients", "3000", "--seed", "2", "--by", "meld,etiology")
    assert r.files == files
    for frame, name in [(r.survival, "survival.csv"), (r.cea, "cea.csv"), (r.nmb, "nmb.csv")]:
        assert list(frame.columns)[0] == "subgroup"
        assert_same_values(frame, files[name])
    assert list(r.cea["subgroup"].cat.categories)[:2] == ["all", "meld=meld_below_15;etiology=alcohol"]
    assert len(r.summary["subgroups"]) == 9
    plain_run = cirrhosim.run(meld, patients=3000, seed=2)
    assert "subgroup" not in plain_run.cea.columns
    with pytest.raises(cirrhosim.CirrhosimError, match="did you mean"):
        cirrhosim.run(meld, patients=100, by="etiolgy")


def test_check_lists_every_problem_with_file_line_and_key():
    assert cirrhosim.check() == []
    assert cirrhosim.check(TEACHING) == []
    bad = TEACHING.read_text().replace("patients = 10000", "patients = -5")
    line = 1 + bad.splitlines().index("patients = -5")
    problems = cirrhosim.check(bad)
    assert problems, "an invalid scenario has problems"
    assert all(p.file == "<scenario text>" for p in problems)
    patients = [p for p in problems if p.key == "settings.patients"]
    assert len(patients) == 1 and patients[0].line == line
    problems = cirrhosim.check(set={"u_comp": 1.5, "no_such_parameter": 1})
    keys = {p.key for p in problems}
    assert keys == {"set.no_such_parameter", "set.u_comp.value"}, problems
    assert all(p.line is None for p in problems)


def test_other_functions_raise_scenario_error_with_problems():
    with pytest.raises(cirrhosim.ScenarioError) as e:
        cirrhosim.run(set={"c_msc_infusion": float("nan")})
    assert any(p.key == "set.c_msc_infusion.value" and "finite" in p.message for p in e.value.problems)
    with pytest.raises(cirrhosim.ScenarioError) as e:
        cirrhosim.psa("[scenario\nname = 1\n")
    assert e.value.problems[0].line == 1 and e.value.problems[0].file == "<scenario text>"
    assert isinstance(e.value, ValueError)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="patients must be from 1"):
        cirrhosim.run(patients=0)
    with pytest.raises(ValueError, match="seed must be from 0"):
        cirrhosim.run(seed=-1)
    with pytest.raises(TypeError, match="patients must be a whole number"):
        cirrhosim.run(patients=2.5)
    with pytest.raises(FileNotFoundError):
        cirrhosim.run("no/such/scenario.toml")
    with pytest.raises(ValueError, match='no strategy named "nope"'):
        cirrhosim.dsa(strategy="nope")
    with pytest.raises(ValueError, match="--wtp"):
        cirrhosim.dsa(wtp=-1)
    with pytest.raises(TypeError, match="set"):
        cirrhosim.run(set={"c_msc_infusion": "cheap"})


def test_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cirrhosim.run(patients=500)
    cirrhosim.psa(draws=10)
    cirrhosim.dsa()
    assert list(tmp_path.iterdir()) == []
    saved = cirrhosim.run(patients=500).save(tmp_path / "out")
    assert sorted(Path(p).name for p in saved) == ["cea.csv", "nmb.csv", "summary.json", "survival.csv"]


def test_the_gil_is_released_during_a_run():
    done = threading.Event()
    worker = threading.Thread(target=lambda: (cirrhosim.run(patients=500_000, seed=1), done.set()))
    started = time.perf_counter()
    worker.start()
    ticks = 0
    while not done.is_set() and time.perf_counter() - started < 60:
        ticks += 1
        time.sleep(0.001)
    worker.join()
    # Holding the GIL, the run would have kept this loop from turning until it ended.
    assert ticks > 20, ticks


@pytest.mark.parametrize(
    "call",
    ["cirrhosim.run(patients=10**11, threads=1)", "cirrhosim.psa(draws=10**8, threads=1)"],
)
def test_ctrl_c_stops_a_run(call):
    # The handler an interactive Python has (a shell script's background job starts Python
    # with SIGINT ignored, and Python then installs none).
    script = (
        "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
        f"import cirrhosim\nprint('started', flush=True)\n{call}\nprint('finished')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        # Unstopped, either call runs for days; the timeout only keeps a broken build from
        # hanging the suite (the library checks for the stop before each PSA draw and each block
        # of patients, which src/api.rs's tests show without a clock).
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
        proc.wait()
    assert "KeyboardInterrupt" in err and "finished" not in out, err


def test_a_set_parameter_is_fixed_in_the_psa(tmp_path):
    varied = cirrhosim.psa(draws=20, seed=1)
    fixed = cirrhosim.psa(draws=20, seed=1, set={"c_msc_infusion": 2000})
    assert "c_msc_infusion" in varied.draws.columns
    assert "c_msc_infusion" not in fixed.draws.columns
    assert "c_msc_infusion" not in fixed.summary["varied_parameters"]
    files = cli(tmp_path, "psa", "--draws", "20", "--seed", "1", "--set", "c_msc_infusion=2000")
    assert fixed.files["psa_draws.csv"] == files["psa_draws.csv"]
    # Below the file's DSA range (1500 to 9333) is allowed: the range described the file's value.
    assert cirrhosim.check(set={"c_msc_infusion": 0}) == []
