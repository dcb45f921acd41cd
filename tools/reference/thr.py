#!/usr/bin/env python3
"""Independent reference implementation of the total hip replacement (THR) model.

Briggs, Claxton & Sculpher (2006), Decision Modelling for Health Economic Evaluation,
chapters 3-4 (the THR model of exercises 3.5 and 4.x). Written for cirrhosim's validation
from the published inputs; no code of heemod or hesim is used. It reproduces, under each tool's
own convention:

  book       heemod tests/testthat/test_dmhee.R "Exactly match THR model" (the book's Excel
             values): 61 rows x_0..x_60 counted at the start of each year, discount 1/(1+r)^t
  heemod60   heemod vignette i_reproduction (rendered, CRAN heemod 1.0.2): same, 60 rows x_0..x_59
  heemod_who heemod vignette d_non_homogeneous (rendered, CRAN heemod 1.0.2): WHO 2019 high-income
             female mortality, rounded coefficients, life-table counting (x_{t-1}+x_t)/2,
             discount 1/(1+r)^(t-1), prosthesis cost as a starting value
  hesim      hesim vignette markov-inhomogeneous-cohort (rendered, hesim 0.5.6 pkgdown):
             right Riemann sum x_1..x_60, continuous discounting exp(-r t), prosthesis cost at
             time 0; the printed numbers are means of a 500-draw PSA, so they are compared
             with the mean of a large PSA from the same distributions.

Model (all tools): states PrimaryTHR, SuccessP, RevisionTHR, SuccessR, Death; yearly cycles.
In model year k = 1, 2, ... (heemod's markov_cycle):
  PrimaryTHR -> Death omrPTHR, -> SuccessP the complement (no background death here)
  SuccessP -> RevisionTHR rr_k = 1 - exp(lambda ((k-1)^gamma - k^gamma)),
              -> Death mr(age0 + k), stay the complement
  RevisionTHR -> Death omrRTHR + mr(age0 + k), -> SuccessR the complement
  SuccessR -> RevisionTHR rrr, -> Death mr(age0 + k), stay the complement
with lambda = exp(cons + b_age age0 + b_male male) (times exp(ln_rr_np1) for NP1) and mr the
mortality of the age band containing age0 + k (age at the END of model year k).

Run: python3 tools/reference/thr.py   (prints JSON; needs numpy)
"""
import json
import sys

import numpy as np

# Briggs et al. 2006 table 3.x / heemod test_dmhee.R / hesim vignette mort_tbl:
# annual probability of death by 10-year age band (lower bound): (male, female).
BOOK_MORTALITY = {
    35: (0.00151, 0.00099),
    45: (0.00393, 0.0026),
    55: (0.0109, 0.0067),
    65: (0.0316, 0.0193),
    75: (0.0801, 0.0535),
    85: (0.1879, 0.1548),
}

# heemod 1.0.2 R/sysdata.rda list_morta$data: WHO GHO LIFE_0000000029, 2019, World Bank
# high-income group, females, column NumericValue, by 5-year band (lower bound).
WHO_2019_HI_FEMALE = {
    0: 0.00387, 1: 0.00017, 5: 0.00009, 10: 0.00010, 15: 0.00021, 20: 0.00031, 25: 0.00041,
    30: 0.00057, 35: 0.00077, 40: 0.00107, 45: 0.00166, 50: 0.00260, 55: 0.00417, 60: 0.00610,
    65: 0.00904, 70: 0.01401, 75: 0.02361, 80: 0.04428, 85: 0.12063,
}

BOOK = dict(  # Briggs et al. 2006 (heemod test_dmhee.R, hesim vignette rr_coef)
    ln_gamma=0.3740968, cons=-5.490935, b_age=-0.0367022, b_male=0.768536, ln_rr_np1=-1.344474,
    omr_primary=0.02, omr_revision=0.02, p_rerevision=0.04,
    u_success_primary=0.85, u_revision=0.30, u_success_revision=0.75,
    c_revision=5294.0, c_standard=394.0, c_np1=579.0,
)
# heemod d_non_homogeneous vignette: rounded coefficients given on the natural scale.
HEEMOD_WHO = dict(BOOK, cons=-5.49094, b_age=-0.0367, ln_gamma=float(np.log(1.45367786)),
                  ln_rr_np1=float(np.log(0.260677)))

# hesim vignette rr_vcov (Briggs et al. 2006 table 4.x), order ln_gamma, cons, age, male, np1.
RR_NAMES = ["ln_gamma", "cons", "b_age", "b_male", "ln_rr_np1"]
RR_VCOV = np.array([
    [0.0474501**2, -0.005691, 0.000000028, 0.0000051, 0.000259],
    [-0.005691, 0.207892**2, -0.000783, -0.007247, -0.000642],
    [0.000000028, -0.000783, 0.0052112**2, 0.000033, -0.000111],
    [0.0000051, -0.007247, 0.000033, 0.109066**2, 0.000184],
    [0.000259, -0.000642, -0.000111, 0.000184, 0.3825815**2],
])


def band(table, age):
    return table[max(b for b in table if b <= age)]


def book_mortality(age, male):
    m, f = band(BOOK_MORTALITY, age)
    return m if male else f


def who_mortality(age, male):
    assert not male
    return band(WHO_2019_HI_FEMALE, age)


def trace(p, n_years, age0, male, np1, mortality):
    """State occupancy x_0..x_{n_years} (rows) for one parameter set p (dict of arrays or floats).

    Vectorised over PSA draws when the values in p are arrays of equal length."""
    draws = np.broadcast(*[np.asarray(v) for v in p.values()]).shape
    gamma = np.exp(p["ln_gamma"])
    lam = np.exp(p["cons"] + p["b_age"] * age0 + p["b_male"] * male)
    if np1:
        lam = lam * np.exp(p["ln_rr_np1"])
    x = np.zeros((n_years + 1, *draws, 5))
    x[0, ..., 0] = 1.0
    for k in range(1, n_years + 1):
        mr = mortality(age0 + k, male)
        rr = 1.0 - np.exp(lam * ((k - 1.0) ** gamma - k ** gamma))
        prev = x[k - 1]
        nxt = np.zeros_like(prev)
        P, S, R, SR = (prev[..., i] for i in range(4))
        nxt[..., 1] += P * (1 - p["omr_primary"]) + S * (1 - rr - mr)
        nxt[..., 2] += S * rr + SR * p["p_rerevision"]
        nxt[..., 3] += R * (1 - p["omr_revision"] - mr) + SR * (1 - p["p_rerevision"] - mr)
        nxt[..., 4] += prev[..., 4] + P * p["omr_primary"] + S * mr + R * (p["omr_revision"] + mr) + SR * mr
        x[k] = nxt
    return x


def values(x, p, np1, weights, disc_c, disc_e):
    """Discounted costs, QALYs and undiscounted life years of a trace given boundary weights."""
    u = np.stack([np.zeros_like(np.asarray(p["u_revision"], float)), np.asarray(p["u_success_primary"], float) + 0,
                  np.asarray(p["u_revision"], float) + 0, np.asarray(p["u_success_revision"], float) + 0,
                  np.zeros_like(np.asarray(p["u_revision"], float))], axis=-1)
    w = np.asarray(weights).reshape((-1,) + (1,) * (x.ndim - 2))
    qaly = (w * disc_e.reshape(w.shape) * (x * u).sum(-1)).sum(0)
    cost = (w * disc_c.reshape(w.shape) * x[..., 2] * p["c_revision"]).sum(0)
    cost = cost + (p["c_np1"] if np1 else p["c_standard"])  # at time 0, everyone alive
    ly = (w * x[..., :4].sum(-1)).sum(0)
    return cost, qaly, ly


def run(p, convention, age0=60, male=0, mortality=book_mortality):
    out = {}
    for name, np1 in (("standard", False), ("np1", True)):
        if convention == "book":  # x_0..x_60, each weight 1, discounted at t
            x = trace(p, 60, age0, male, np1, mortality)
            t = np.arange(61.0)
            w = np.ones(61)
            dc, de = 1.06 ** -t, 1.015 ** -t
        elif convention == "heemod60":  # x_0..x_59
            x = trace(p, 60, age0, male, np1, mortality)
            t = np.arange(61.0)
            w = np.r_[np.ones(60), 0.0]
            dc, de = 1.06 ** -t, 1.015 ** -t
        elif convention == "heemod_who":  # cycle t: (x_{t-1}+x_t)/2 discounted at t-1
            x = trace(p, 60, age0, male, np1, mortality)
            x = (x[:-1] + x[1:]) / 2
            t = np.arange(60.0)
            w = np.ones(60)
            dc, de = 1.06 ** -t, 1.015 ** -t
        elif convention == "hesim":  # x_1..x_60 at exp(-r t)
            x = trace(p, 60, age0, male, np1, mortality)
            t = np.arange(61.0)
            w = np.r_[0.0, np.ones(60)]
            dc, de = np.exp(-0.06 * t), np.exp(-0.015 * t)
        else:
            raise ValueError(convention)
        out[name] = values(x, p, np1, w, dc, de)
    return out


def summary(out):
    (cs, qs, ls), (cn, qn, ln) = out["standard"], out["np1"]
    return {
        "standard": {"cost": float(cs), "qalys": float(qs), "life_years_undiscounted": float(ls)},
        "np1": {"cost": float(cn), "qalys": float(qn), "life_years_undiscounted": float(ln)},
        "incremental_cost": float(cn - cs), "incremental_qalys": float(qn - qs),
        "icer": float((cn - cs) / (qn - qs)),
    }


def beta_mom(rng, mean, se, n):
    k = mean * (1 - mean) / se**2 - 1
    return rng.beta(mean * k, (1 - mean) * k, n)


def gamma_mom(rng, mean, se, n):
    return rng.gamma((mean / se) ** 2, se**2 / mean, n)


def psa_draws(n, seed):
    """The hesim vignette's rng_def (= the book's chapter 4 distributions)."""
    rng = np.random.default_rng(seed)
    mean = np.array([BOOK[k] for k in RR_NAMES])
    z = rng.standard_normal((n, 5)) @ np.linalg.cholesky(RR_VCOV).T + mean
    p = {k: z[:, i] for i, k in enumerate(RR_NAMES)}
    p.update(
        omr_primary=rng.beta(2, 98, n), omr_revision=rng.beta(2, 98, n), p_rerevision=rng.beta(4, 96, n),
        u_success_primary=beta_mom(rng, 0.85, 0.03, n), u_revision=beta_mom(rng, 0.30, 0.03, n),
        u_success_revision=beta_mom(rng, 0.75, 0.04, n), c_revision=gamma_mom(rng, 5294, 1487, n),
        c_standard=np.full(n, 394.0), c_np1=np.full(n, 579.0),
    )
    return p


def psa_summary(out, n_published):
    (cs, qs, _), (cn, qn, _) = out["standard"], out["np1"]
    res = {}
    for key, v in (("standard_cost", cs), ("standard_qalys", qs), ("np1_cost", cn), ("np1_qalys", qn),
                   ("incremental_cost", cn - cs), ("incremental_qalys", qn - qs)):
        res[key] = {"mean": float(v.mean()), "sd": float(v.std(ddof=1)),
                    f"se_of_a_{n_published}_draw_mean": float(v.std(ddof=1) / np.sqrt(n_published))}
    res["icer_of_means"] = float((cn - cs).mean() / (qn - qs).mean())
    return res


def main():
    result = {
        "book": summary(run(BOOK, "book")),
        "heemod60": summary(run(BOOK, "heemod60")),
        "heemod_who_per_person": summary(run(HEEMOD_WHO, "heemod_who", mortality=who_mortality)),
        "hesim_deterministic_group2": summary(run(BOOK, "hesim")),
    }
    x = trace(BOOK, 8, 60, 0, False, book_mortality)
    result["book_trace_standard_years_1_to_8"] = np.round(x[1:9, 1:], 8).tolist()

    # hesim: PSA means (500 draws, unseeded) for the 60-year-old woman (grp 2) and for the
    # weighted population of 10 subgroups.
    n = 200_000
    p = psa_draws(n, 20060101)
    result["hesim_psa_group2"] = psa_summary(run(p, "hesim"), 500)
    ages, age_w = [55, 60, 65, 70, 75], [0.05, 0.1, 0.4, 0.25, 0.20]
    pop_det = {"standard": [0.0, 0.0, 0.0], "np1": [0.0, 0.0, 0.0]}
    pop_psa = {"standard": [0.0, 0.0, 0.0], "np1": [0.0, 0.0, 0.0]}
    for male, sw in ((0, 0.65), (1, 0.35)):
        for a, aw in zip(ages, age_w):
            d = run(BOOK, "hesim", age0=a, male=male)
            s = run(p, "hesim", age0=a, male=male)
            for k in d:
                for i in range(3):
                    pop_det[k][i] = pop_det[k][i] + sw * aw * d[k][i]
                    pop_psa[k][i] = pop_psa[k][i] + sw * aw * s[k][i]
    result["hesim_deterministic_population"] = summary(pop_det)
    result["hesim_psa_population"] = psa_summary(pop_psa, 500)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
