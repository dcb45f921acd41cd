"""cirrhosim from Python: run liver-cirrhosis scenarios and get pandas DataFrames.

Every function runs the Rust library in memory (the GIL is released while it works; Ctrl-C
stops a run) and writes no file. The tables are the command line's CSV files, parsed with
explicit dtypes: the text behind each is kept in ``result.files`` and is byte for byte what
``cirrhosim run`` (``psa``, ``dsa``, ``threshold``) writes for the same scenario and settings.

>>> import cirrhosim
>>> r = cirrhosim.run(patients=2000, seed=1, set={"c_msc_infusion": 2500})
>>> r.cea[["strategy", "cost", "qaly", "icer"]]          # doctest: +SKIP

``scenario`` is a path (``str`` or ``os.PathLike``), TOML text (a string with a newline), or
``None`` for the embedded default scenario. ``set={"name": value}`` fixes parameters at these
values (as ``--set name=value`` does): each value is checked by the rules of the scenario file
(its kind's range, every use) and a bad one raises :class:`ScenarioError`; a parameter set so is
no longer drawn in a PSA nor varied in the tornado.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _native

__all__ = [
    "CirrhosimError",
    "DsaResult",
    "Problem",
    "PsaResult",
    "RunResult",
    "ScenarioError",
    "ScenarioWarning",
    "ThresholdResult",
    "check",
    "default_scenario",
    "dsa",
    "psa",
    "run",
    "threshold",
]

__version__ = _native.__version__

Scenario = Union[None, str, "os.PathLike[str]"]


class CirrhosimError(RuntimeError):
    """A run failed (a model that cannot be built, a number that is not finite, ...)."""


@dataclass(frozen=True)
class Problem:
    """One problem of a scenario: where (file, line, key) and what (message)."""

    file: str
    line: Optional[int]
    key: Optional[str]
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScenarioError(CirrhosimError, ValueError):
    """The scenario (or a value given in ``set``) breaks the file's rules; ``.problems`` lists
    every problem, each with file, line, key and message."""

    def __init__(self, message: str, problems: Sequence[Problem]):
        super().__init__(message)
        self.problems: List[Problem] = list(problems)


class ScenarioWarning(UserWarning):
    """A scenario warning, as ``cirrhosim`` prints it on stderr."""


# ---- arguments -------------------------------------------------------------------------------


def _source(scenario: Scenario) -> Tuple[str, Optional[str], Optional[str]]:
    if scenario is None:
        return ("default", None, None)
    if isinstance(scenario, os.PathLike):
        scenario = os.fspath(scenario)
    if not isinstance(scenario, str):
        raise TypeError(f"scenario must be a path, TOML text or None, not {type(scenario).__name__}")
    if "\n" in scenario:
        return ("text", scenario, os.getcwd())
    if not os.path.isfile(scenario):
        raise FileNotFoundError(2, "no such scenario file (TOML text needs at least one newline)", scenario)
    return ("file", scenario, None)


def _whole(name: str, value, low: int, high: Optional[int] = None) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    value = int(value)
    if value < low or (high is not None and value > high):
        limit = f"at least {low}" if high is None else f"from {low} to {high}"
        raise ValueError(f"{name} must be {limit} (got {value})")
    return value


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    return float(value)


def _set(values: Optional[Mapping[str, float]]) -> List[Tuple[str, float]]:
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise TypeError("set must be a mapping of parameter names to numbers, e.g. {'c_msc_infusion': 2500}")
    out = []
    for name, value in values.items():
        if not isinstance(name, str):
            raise TypeError(f"set: parameter names are strings, not {type(name).__name__}")
        out.append((name, _number(f"set[{name!r}]", value)))
    return out


_SEED_MAX = 2**64 - 1
_PATIENTS_MAX = 10**12


def _call(function, *args):
    """Calls the native module and raises the package's own exceptions."""
    try:
        out = function(*args)
    except _native.NativeError as e:
        kind, message, problems = e.args
        if kind == "scenario":
            raise ScenarioError(message, [Problem(**p) for p in problems]) from None
        if kind == "read":
            raise OSError(message) from None
        if kind == "setting":
            raise ValueError(message) from None
        if kind == "interrupted":
            raise KeyboardInterrupt(message) from None
        raise CirrhosimError(message) from None
    for w in out.get("warnings", []) if isinstance(out, dict) else []:
        warnings.warn(w, ScenarioWarning, stacklevel=3)
    return out


# ---- tables ----------------------------------------------------------------------------------

_FLOAT = "float64"
_NULLABLE = "Float64"  # empty cells (an undefined ICER, say) become <NA>, never NaN or 0
_STATUS = ["reference", "non_dominated", "extendedly_dominated", "dominated"]


def _table(
    text: str,
    columns: Dict[str, object],
    name: str,
    strategies: Optional[Sequence[str]] = None,
    rest=_FLOAT,
) -> pd.DataFrame:
    """Parses one CSV file with an explicit dtype per column. `columns` maps names to "str",
    "int", "bool", "category" (categories in order of appearance), a list of categories,
    "strategy" (the scenario's strategies, in scenario order), float64 or Float64; other
    columns get `rest`. Numbers are read with round-trip precision, so they equal the file's."""
    raw = pd.read_csv(
        io.StringIO(text),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
    )
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise CirrhosimError(f"{name}: columns {missing} are missing (found {list(raw.columns)})")
    out = {}
    for column in raw.columns:
        kind = columns.get(column, rest)
        values = raw[column]
        if kind == "str":
            out[column] = values.astype(object)
        elif kind == "int":
            out[column] = pd.to_numeric(values, downcast=None).astype("int64")
        elif kind == "bool":
            bad = ~values.isin(["true", "false"])
            if bad.any():
                raise CirrhosimError(f"{name}: column {column} has {values[bad].iloc[0]!r}, not true/false")
            out[column] = values == "true"
        elif kind == "strategy" or kind == "category" or isinstance(kind, list):
            if kind == "strategy" and strategies is not None:
                categories = list(strategies)
            elif isinstance(kind, list):
                categories = list(kind)
            else:
                categories = list(dict.fromkeys(values))
            unknown = set(values) - set(categories)
            if unknown:
                raise CirrhosimError(f"{name}: column {column} has unexpected values {sorted(unknown)}")
            out[column] = pd.Categorical(values, categories=categories)
        elif kind in (_FLOAT, _NULLABLE):
            empty = values == ""
            if kind == _FLOAT and empty.any():
                raise CirrhosimError(f"{name}: column {column} has an empty cell at row {int(empty.idxmax()) + 1}")
            # float() parses the shortest round-trip text Rust writes back to the same double.
            numbers_ = [None if e else float(v) for v, e in zip(values, empty)]
            out[column] = pd.array(numbers_, dtype=kind) if kind == _NULLABLE else pd.Series(numbers_, dtype=_FLOAT)
        else:
            raise AssertionError(f"unknown column kind {kind!r}")
    return pd.DataFrame({c: pd.Series(v).reset_index(drop=True) for c, v in out.items()})


def _strategy_order(summary: dict) -> List[str]:
    return [s["name"] for s in summary["strategies"]]


def _save(files: Mapping[str, str], directory) -> List[str]:
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = os.path.join(directory, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        paths.append(path)
    return paths


@dataclass
class _Files:
    files: Dict[str, str] = field(repr=False)

    def save(self, directory) -> List[str]:
        """Writes the files (the command's CSV and JSON, byte for byte) into `directory`; the
        only way this package writes anything. No manifest is written: to hand a folder to
        ``cirrhosim report``, run the command itself."""
        return _save(self.files, directory)


# ---- functions -------------------------------------------------------------------------------


def check(scenario: Scenario = None, set: Optional[Mapping[str, float]] = None) -> List[Problem]:
    """Every problem of a scenario (with `set` applied) as :class:`Problem`s; ``[]`` when it
    runs. Problems of a model that cannot be built (a transition row that does not sum to 1)
    are included. Raises ``OSError`` when the file cannot be read."""
    problems = _call(_native.check, _source(scenario), _set(set))
    return [Problem(**p) for p in problems]


def default_scenario() -> str:
    """The embedded default scenario's TOML text, to copy and edit."""
    return _native.default_scenario()


@dataclass
class RunResult(_Files):
    """What ``cirrhosim run`` writes: ``survival`` (survival.csv), ``cea`` (cea.csv) and ``nmb``
    (nmb.csv) as DataFrames (``None`` for a scenario without economics) and ``summary``
    (summary.json) as a dict."""

    survival: pd.DataFrame = None
    cea: Optional[pd.DataFrame] = None
    nmb: Optional[pd.DataFrame] = None
    summary: dict = None


def run(
    scenario: Scenario = None,
    patients: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    set: Optional[Mapping[str, float]] = None,
    by: Optional[Sequence[str]] = None,
) -> RunResult:
    """The exact cohort and the Monte Carlo simulation of every strategy (``cirrhosim run``).
    `patients` and `seed` default to the scenario's; `threads` (default: all cores) never
    changes a result. `by` names covariates of the scenario's ``[population]`` (``cirrhosim run
    --by``): the tables then start with a ``subgroup`` column (``all`` for the whole population,
    then each subgroup, e.g. ``meld=meld_20_or_more;etiology=hbv``) and ``summary`` has
    ``subgroups``."""
    if isinstance(by, str):
        by = [by]
    out = _call(
        _native.run,
        _source(scenario),
        _set(set),
        _whole("patients", patients, 1, _PATIENTS_MAX),
        _whole("seed", seed, 0, _SEED_MAX),
        _whole("threads", threads, 1, 1024),
        [str(b) for b in (by or [])],
    )
    files = out["files"]
    summary = json.loads(files["summary.json"])
    order = _strategy_order(summary)
    # With `by`, the first column names the subgroup (`all` first, then in the run's order).
    subgroup = {"subgroup": "category"} if by else {}
    survival = _table(
        files["survival.csv"],
        {
            **subgroup,
            "strategy": "strategy",
            "method": ["cohort", "monte_carlo"],
            "curve": "category",
            "cycle": "int",
        },
        "survival.csv",
        order,
    )
    cea = nmb = None
    if "cea.csv" in files:
        cea = _table(
            files["cea.csv"],
            {
                **subgroup,
                "strategy": "strategy",
                "cost": _FLOAT,
                "qaly": _FLOAT,
                "life_years": _FLOAT,
                "inc_cost": _NULLABLE,
                "inc_qaly": _NULLABLE,
                "icer": _NULLABLE,
                "status": _STATUS,
            },
            "cea.csv",
            order,
        )
        nmb = _table(
            files["nmb.csv"],
            {**subgroup, "strategy": "strategy", "wtp": _FLOAT, "nmb": _FLOAT},
            "nmb.csv",
            order,
        )
    return RunResult(files=files, survival=survival, cea=cea, nmb=nmb, summary=summary)


@dataclass
class PsaResult(_Files):
    """What ``cirrhosim psa`` writes: ``draws`` (psa_draws.csv: one row per draw and strategy,
    with the varied parameters' values), ``ceac`` (ceac.csv, ``on_frontier`` as bool),
    ``evpi`` (evpi.csv), ``survival`` (survival_psa.csv) and ``summary`` (psa_summary.json)."""

    draws: pd.DataFrame = None
    ceac: pd.DataFrame = None
    evpi: pd.DataFrame = None
    survival: pd.DataFrame = None
    summary: dict = None


def psa(
    scenario: Scenario = None,
    draws: Optional[int] = None,
    seed: Optional[int] = None,
    set: Optional[Mapping[str, float]] = None,
    patients: Optional[int] = None,
    threads: Optional[int] = None,
    by: Optional[Sequence[str]] = None,
) -> PsaResult:
    """Probabilistic sensitivity analysis (``cirrhosim psa``) in memory: no checkpoint, no
    folder. `draws` and `seed` default to the scenario's; with `patients`, each draw runs the
    Monte Carlo engine with that many patients (``--engine monte-carlo``), else the exact cohort.
    `by` names covariates of the scenario's ``[population]`` (``cirrhosim psa --by``, cohort
    engine only): ``ceac`` then starts with a ``subgroup`` column (``all`` first) and ``summary``
    has ``subgroups`` (P(cost-effective) by subgroup at each of the scenario's WTPs)."""
    if isinstance(by, str):
        by = [by]
    out = _call(
        _native.psa,
        _source(scenario),
        _set(set),
        _whole("draws", draws, 1),
        _whole("seed", seed, 0, _SEED_MAX),
        _whole("patients", patients, 1, _PATIENTS_MAX),
        _whole("threads", threads, 1, 1024),
        [str(b) for b in (by or [])],
    )
    files = out["files"]
    summary = json.loads(files["psa_summary.json"])
    order = _strategy_order(summary)
    return PsaResult(
        files=files,
        draws=_table(files["psa_draws.csv"], {"draw": "int", "strategy": "strategy"}, "psa_draws.csv", order),
        ceac=_table(
            files["ceac.csv"],
            {
                **({"subgroup": "category"} if by else {}),
                "wtp": _FLOAT,
                "strategy": "strategy",
                "probability_cost_effective": _FLOAT,
                "on_frontier": "bool",
            },
            "ceac.csv",
            order,
        ),
        evpi=_table(
            files["evpi.csv"],
            {"wtp": _FLOAT, "evpi_per_person": _FLOAT, "evpi_population": _NULLABLE},
            "evpi.csv",
        ),
        survival=_table(files["survival_psa.csv"], {"strategy": "strategy", "cycle": "int"}, "survival_psa.csv", order),
        summary=summary,
    )


@dataclass
class DsaResult(_Files):
    """What ``cirrhosim dsa`` writes: ``tornado`` (dsa.csv; an undefined ICER is <NA>),
    ``two_way`` (dsa_two_way.csv, or ``None``) and the ``wtp`` used."""

    tornado: pd.DataFrame = None
    two_way: Optional[pd.DataFrame] = None
    wtp: float = None


def dsa(
    scenario: Scenario = None,
    strategy: Optional[str] = None,
    comparator: Optional[str] = None,
    wtp: Optional[float] = None,
    two_way: Optional[Tuple[str, str]] = None,
    steps: int = 11,
    set: Optional[Mapping[str, float]] = None,
    threads: Optional[int] = None,
) -> DsaResult:
    """One-way (tornado) and optionally two-way deterministic sensitivity analysis of the
    incremental NMB of `strategy` (default: the last) against `comparator` (default: the first)."""
    if two_way is not None:
        if isinstance(two_way, str) or len(two_way) != 2 or not all(isinstance(n, str) for n in two_way):
            raise TypeError("two_way must be two parameter names, e.g. ('msc_meld_md_24wk', 'c_msc_infusion')")
        two_way = (two_way[0], two_way[1])
    out = _call(
        _native.dsa,
        _source(scenario),
        _set(set),
        strategy,
        comparator,
        None if wtp is None else _number("wtp", wtp),
        two_way,
        _whole("steps", steps, 2, 1001),
        _whole("threads", threads, 1, 1024),
    )
    files = out["files"]
    tornado = _table(
        files["dsa.csv"],
        {
            "parameter": "category",
            "low_value": _FLOAT,
            "high_value": _FLOAT,
            "outcome": ["inc_nmb", "icer"],
            "low_result": _NULLABLE,
            "high_result": _NULLABLE,
            "base": _NULLABLE,
        },
        "dsa.csv",
    )
    grid = None
    if "dsa_two_way.csv" in files:
        grid = _table(
            files["dsa_two_way.csv"],
            {"x_parameter": "category", "y_parameter": "category", "icer": _NULLABLE},
            "dsa_two_way.csv",
        )
    return DsaResult(files=files, tornado=tornado, two_way=grid, wtp=out["wtp"])


@dataclass
class ThresholdResult(_Files):
    """What ``cirrhosim threshold`` writes: ``thresholds`` (threshold.csv; ``threshold`` is
    <NA> when the strategy is always or never cost-effective over the search range)."""

    thresholds: pd.DataFrame = None
    parameters: List[str] = None
    wtp: List[float] = None


def threshold(
    scenario: Scenario = None,
    parameters: Optional[Sequence[str]] = None,
    wtp: Optional[Sequence[float]] = None,
    strategy: Optional[str] = None,
    comparator: Optional[str] = None,
    between: Optional[Tuple[float, float]] = None,
    set: Optional[Mapping[str, float]] = None,
) -> ThresholdResult:
    """The value of each parameter (default: the strategy's price and effect parameters) at
    which the strategy becomes cost-effective, at each willingness to pay (default: the
    scenario's)."""
    if isinstance(parameters, str):
        parameters = [parameters]
    if isinstance(wtp, numbers.Real):
        wtp = [wtp]
    if between is not None:
        if len(between) != 2:
            raise TypeError("between must be two numbers (low, high)")
        between = (_number("between[0]", between[0]), _number("between[1]", between[1]))
        if not (math.isfinite(between[0]) and math.isfinite(between[1]) and between[0] < between[1]):
            raise ValueError(f"between must be two finite numbers with low < high (got {between})")
    out = _call(
        _native.threshold,
        _source(scenario),
        _set(set),
        list(parameters or []),
        [_number("wtp", w) for w in (wtp or [])],
        strategy,
        comparator,
        between,
    )
    files = out["files"]
    table = _table(
        files["threshold.csv"],
        {
            "parameter": "category",
            "wtp": _FLOAT,
            "threshold": _NULLABLE,
            "cost_effective": ["below", "above", "always", "never"],
        },
        "threshold.csv",
    )
    return ThresholdResult(files=files, thresholds=table, parameters=out["parameters"], wtp=out["wtp"])
