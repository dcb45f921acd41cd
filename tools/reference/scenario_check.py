#!/usr/bin/env python3
"""Evaluates the validation scenarios as written (model-language syntax) and compares them with
the independent references, so that the TOML files themselves are checked before the engine
supports the syntax.

This is a deliberately small, slow interpreter of the subset of the new syntax the validation
scenarios use: derived parameters (`formula`), expressions with the variables `cycle`,
`cycle_years`, `model_years`, `age`, `state_years`, `t`, `T`; `cycle_probability` exits and
complements; `strategies = [...]` on transitions, costs and utilities; hazard-ratio effects on
per-cycle probabilities (p' = 1 - (1 - p)^HR); `within_cycle_weights`, or the existing
`trapezoid` + `discount_timing = "start"`; discount rates as expressions; a one-infusion
schedule cost at time 0; one-off transition values (valued the DARTH way, at the end boundary
of the cycle with its weight and discount: the semantics the scenarios ask for under NEEDS).
Time in state is tracked exactly (occupancy by state and full cycles spent in it). Deterministic
base case only.

Its reading of the syntax, where docs/scenario-format.md and the brief leave room:
- `age` = start age + model_years (start of the cycle); derived parameters that use time
  variables are evaluated per cycle and per sub-cohort;
- `state_years` = full cycles already spent in the current state at the start of the cycle
  (0 in the first cycle after entering), reset on re-entry;
- boundary t of the within-cycle weights uses the state values of the cycle starting there
  (all values are constant in time in these scenarios, so this does not matter here);
- with `male_from_sub_cohort = True` the parameter `male` is replaced by the sex of each
  sub-cohort (the `# NEEDS:` of thr_hesim.toml), to show what the feature would give.

Run: python3 tools/reference/scenario_check.py   (needs numpy)
"""
import json
import math
import os
import re
import sys
import tomllib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def _if(c, a, b):
    return a if c else b


FUNCS = {
    "exp": math.exp, "ln": math.log, "log10": math.log10, "sqrt": math.sqrt, "pow": math.pow,
    "abs": abs, "min": min, "max": max, "floor": math.floor, "ceil": math.ceil, "_if": _if,
    "rate_to_prob": lambda r, t: 1 - math.exp(-r * t), "prob_to_rate": lambda p, t: -math.log(1 - p) / t,
    "logit": lambda p: math.log(p / (1 - p)), "expit": lambda x: 1 / (1 + math.exp(-x)),
}


PY_KEYWORDS = {"lambda", "in", "is", "as", "def", "del", "for", "from", "global", "import", "pass",
               "raise", "return", "try", "while", "with", "yield", "class", "else", "elif", "except",
               "finally", "assert", "break", "continue", "nonlocal", "async", "await", "None", "True", "False"}


def to_python(expr):
    # parameter names that are Python keywords (e.g. `lambda`) get a trailing underscore
    e = re.sub(r"\b[A-Za-z_][A-Za-z_0-9]*\b", lambda mo: mo.group(0) + "_" if mo.group(0) in PY_KEYWORDS else mo.group(0), expr)
    e = re.sub(r"\bif\s*\(", "_if(", e)
    e = e.replace("^", "**").replace("&&", " and ").replace("||", " or ")
    e = re.sub(r"!(?!=)", " not ", e)
    return compile(e, expr, "eval")


class Model:
    def __init__(self, path, overrides=None, male_from_sub_cohort=False):
        with open(path, "rb") as f:
            self.s = tomllib.load(f)
        for k, v in (overrides or {}).items():
            sect, key = k.split(".")
            self.s[sect][key] = v
        self.params = self.s["parameters"]
        self.male_from_sub_cohort = male_from_sub_cohort
        self.code = {}

    def compiled(self, expr):
        if expr not in self.code:
            self.code[expr] = to_python(expr)
        return self.code[expr]

    def value(self, x, env):
        """A number, a parameter name or an expression, in the variable context env."""
        if isinstance(x, (int, float)):
            return float(x)
        if x in self.params:
            return self.param(x, env)
        return float(eval(self.compiled(x), FUNCS, _Env(self, env)))

    def param(self, name, env):
        if name == "male" and self.male_from_sub_cohort:
            return env["_male"]
        p = self.params[name]
        if "formula" in p:
            return self.value(p["formula"], env)
        return float(p["value"])


class _Env(dict):
    def __init__(self, model, env):
        super().__init__(env)
        self.model = model

    def __missing__(self, key):
        if key.endswith("_") and key[:-1] in PY_KEYWORDS:
            key = key[:-1]
        if key in self.model.params:
            return self.model.param(key, self)
        raise KeyError(key)


def applies(entry, strategy):
    return "strategies" not in entry or strategy in entry["strategies"]


def run(path, overrides=None, male_from_sub_cohort=False):
    m = Model(path, overrides, male_from_sub_cohort)
    s = m.s
    states = [st["name"] for st in s["states"]]
    alive = {st["name"]: st.get("alive", True) for st in s["states"]}
    n = len(states)
    idx = {name: i for i, name in enumerate(states)}
    years = {"1 year": 1.0}[s["settings"]["cycle_length"]]
    T = int(round(float(s["settings"]["horizon"].split()[0]) / years))
    eco = s["economics"]
    ages = s["cohort"]["start_age"]
    ages = [(a["age"], a["weight"]) for a in ages] if isinstance(ages, list) else [(ages, 1.0)]
    fm = s["cohort"]["fraction_male"]
    sexes = [(0, 1 - fm), (1, fm)] if fm not in (0, 0.0) else [(0, 1.0)]
    if fm == 1:
        sexes = [(1, 1.0)]
    results = {}
    for strat in s["strategies"]:
        name = strat["name"]
        tot_c = tot_q = tot_ly = 0.0
        for age0, aw in ages:
            for male, sw in sexes:
                c, q, ly = run_one(m, s, strat, states, alive, idx, n, years, T, eco, age0, male)
                tot_c += aw * sw * c
                tot_q += aw * sw * q
                tot_ly += aw * sw * ly
        results[name] = (tot_c, tot_q, tot_ly)
    return results


def run_one(m, s, strat, states, alive, idx, n, dt, T, eco, age0, male):
    name = strat["name"]
    base = {"cycle_years": dt, "_male": male}
    r_c = m.value(eco["discount_rate_costs"], base)
    r_e = m.value(eco["discount_rate_effects"], base)
    # occupancy by (state, full cycles spent in it at the start of the cycle)
    x = np.zeros((n, T + 2))
    x[idx[list(s["cohort"]["start_state"])[0]], 0] = 1.0
    traces = [x.sum(1)]
    flows = []  # per cycle: n x n matrix of moves
    exits = [tr for tr in s["transitions"] if applies(tr, name)]
    effects = strat.get("effects", [])
    for cycle in range(T):
        new = np.zeros_like(x)
        flow = np.zeros((n, n))
        for i, st in enumerate(states):
            mine = [tr for tr in exits if tr["from"] == st]
            if not mine:
                new[i] += x[i]
                flow[i, i] += x[i].sum()
                continue
            for k in range(T + 1):
                occ = x[i, k]
                if occ == 0.0:
                    continue
                env = dict(base, cycle=cycle, model_years=cycle * dt, age=age0 + cycle * dt, state_years=k * dt)
                probs = {}
                comp = None
                for tr in mine:
                    if tr.get("complement"):
                        comp = tr["to"]
                        continue
                    p = m.value(tr["cycle_probability"], env)
                    for ef in effects:
                        if ef["from"] == st and ef.get("to", tr["to"]) == tr["to"] and "hazard_ratio" in ef:
                            p = 1 - (1 - p) ** m.value(ef["hazard_ratio"], env)
                    probs[tr["to"]] = probs.get(tr["to"], 0.0) + p
                stay_target = comp if comp is not None else st
                rest = 1.0 - sum(probs.values())
                assert -1e-12 <= rest <= 1 + 1e-12, (st, cycle, rest)
                probs[stay_target] = probs.get(stay_target, 0.0) + rest
                for to, p in probs.items():
                    j = idx[to]
                    flow[i, j] += occ * p
                    new[j, min(k + 1, T + 1) if j == i else 0] += occ * p
        x = new
        traces.append(x.sum(1))
        flows.append(flow)
    X = np.array(traces)  # (T+1) x n
    # state values (annual x cycle length), constant in time in these scenarios
    env0 = dict(base, cycle=0, model_years=0.0, age=float(age0), state_years=0.0)
    vc, vq = np.zeros(n), np.zeros(n)
    for cost in s.get("costs", []):
        if "state" in cost and applies(cost, name):
            vc[idx[cost["state"]]] += m.value(cost["annual"], env0) * dt
    for u in s.get("utilities", []):
        if "state" in u and applies(u, name):
            vq[idx[u["state"]]] += m.value(u["annual"], env0) * dt
    ly_v = np.array([1.0 if alive[st] else 0.0 for st in states]) * dt
    t = np.arange(T + 1)
    if "within_cycle_weights" in eco:
        w = eco["within_cycle_weights"]
        w = np.array([m.value(w, dict(base, t=float(tt), T=float(T))) for tt in t]) if isinstance(w, str) else np.array(w, float)
        dc, de = (1 + r_c) ** -(t * dt), (1 + r_e) ** -(t * dt)
        cost = float((X @ vc) @ (w * dc))
        qaly = float((X @ vq) @ (w * de))
        ly = float((X @ ly_v) @ w)
        # one-off transition values: moves of cycle t valued at boundary t (weight w_t, discount t)
        for lst, is_cost in ((s.get("costs", []), True), (s.get("utilities", []), False)):
            for e in lst:
                if "transition" in e and applies(e, name):
                    i, j = idx[e["transition"]["from"]], idx[e["transition"]["to"]]
                    v = m.value(e["one_off"], env0)
                    moved = np.array([0.0] + [f[i, j] for f in flows])
                    if is_cost:
                        cost += float((moved * v) @ (w * dc))
                    else:
                        qaly += float((moved * v) @ (w * de))
    else:
        assert eco["within_cycle_correction"] == "trapezoid" and eco["discount_timing"] == "start"
        mid = (X[:-1] + X[1:]) / 2
        tc = np.arange(T)
        cost = float((mid @ vc) @ ((1 + r_c) ** -(tc * dt)))
        qaly = float((mid @ vq) @ ((1 + r_e) ** -(tc * dt)))
        ly = float((mid @ ly_v).sum())
    sched = strat.get("schedule")
    if sched:
        assert sched["infusions"] == 1
        cost += m.value(sched["cost_per_infusion"], env0) * X[0] @ np.array([1.0 if alive[st] else 0.0 for st in states])
    return cost, qaly, ly


def main():
    import sick_sicker
    import thr

    rows = []

    def check(label, got, want, tol):
        err = abs(got - want) / abs(want)
        rows.append({"check": label, "scenario_value": float(got), "reference_value": float(want), "relative_error": float(err), "ok": bool(err <= tol)})

    sc = lambda name: os.path.join(ROOT, "scenarios", name)
    book = thr.summary(thr.run(thr.BOOK, "book"))
    r = run(sc("thr_briggs.toml"))
    for st in ("standard", "np1"):
        check(f"thr_briggs {st} cost", r[st][0], book[st]["cost"], 1e-12)
        check(f"thr_briggs {st} qalys", r[st][1], book[st]["qalys"], 1e-12)
    who = thr.summary(thr.run(thr.HEEMOD_WHO, "heemod_who", mortality=thr.who_mortality))
    r = run(sc("thr_heemod_who.toml"))
    for st in ("standard", "np1"):
        check(f"thr_heemod_who {st} cost", r[st][0], who[st]["cost"], 1e-12)
        check(f"thr_heemod_who {st} qalys", r[st][1], who[st]["qalys"], 1e-12)
    g2 = thr.summary(thr.run(thr.BOOK, "hesim"))
    r = run(sc("thr_hesim.toml"), {"cohort.start_age": 60, "cohort.fraction_male": 0.0})
    for st in ("standard", "np1"):
        check(f"thr_hesim (woman 60) {st} cost", r[st][0], g2[st]["cost"], 1e-12)
        check(f"thr_hesim (woman 60) {st} qalys", r[st][1], g2[st]["qalys"], 1e-12)
    # population: with `male` taken from each sub-cohort (the NEEDS of thr_hesim.toml)
    pop = {"standard": [0.0] * 3, "np1": [0.0] * 3}
    for male, sw in ((0, 0.65), (1, 0.35)):
        for a, aw in zip([55, 60, 65, 70, 75], [0.05, 0.1, 0.4, 0.25, 0.2]):
            d = thr.run(thr.BOOK, "hesim", age0=a, male=male)
            for k in d:
                for i in range(3):
                    pop[k][i] += sw * aw * d[k][i]
    pop = thr.summary(pop)
    r = run(sc("thr_hesim.toml"), male_from_sub_cohort=True)
    for st in ("standard", "np1"):
        check(f"thr_hesim (population, male per sub-cohort) {st} cost", r[st][0], pop[st]["cost"], 1e-12)
        check(f"thr_hesim (population, male per sub-cohort) {st} qalys", r[st][1], pop[st]["qalys"], 1e-12)
    for scen, ref in (("sick_sicker.toml", sick_sicker.run_intro()),
                      ("sick_sicker_timedep.toml", sick_sicker.run_timedep()),
                      ("sick_sicker_residence.toml", sick_sicker.run_timedep(residence=True))):
        r = run(sc(scen))
        for st in sick_sicker.STRATEGIES:
            check(f"{scen[:-5]} {st} cost", r[st][0], ref[st][0], 1e-12)
            check(f"{scen[:-5]} {st} qalys", r[st][1], ref[st][1], 1e-12)
    json.dump(rows, sys.stdout, indent=1)
    print()
    bad = [r for r in rows if not r["ok"]]
    print(f"{len(rows) - len(bad)} of {len(rows)} checks agree", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
