#!/usr/bin/env python3
"""Independent reference implementation of the DARTH Sick-Sicker cohort models.

Written for cirrhosim's validation from the published inputs (no DARTH code used):

  intro    Alarid-Escudero F, Krijkamp E, Enns EA, et al. An Introductory Tutorial on Cohort
           State-Transition Models in R Using a Cost-Effectiveness Analysis Example. Med Decis
           Making 2023;43(1):3-20. Repo DARTH-git/cohort-modeling-tutorial-intro: published
           table manuscript/cSTM_Tutorial_Intro.tex (tab:table-cea); inputs
           analysis/cSTM_time_indep.R.
  timedep  Alarid-Escudero F, Krijkamp E, Enns EA, et al. A Tutorial on Time-Dependent Cohort
           State-Transition Models in R Using a Cost-Effectiveness Analysis Example. Med Decis
           Making 2023;43(1):21-41. Repo DARTH-git/cohort-modeling-tutorial-timedep: published
           table manuscript/cSTM_Tutorial_TimeDep.tex (tab:table-cea, the simulation-time-
           dependent model); inputs analysis/cSTM_time_dep_simulation.R and
           data/LifeTable_USA_Mx_2015.csv (column Total).
  residence (not published as numbers) the state-residence variant of the timedep tutorial
           (analysis/cSTM_time_dep_state_residence.R): Weibull S1 -> S2 by years in S1; given
           here as derived values for cirrhosim's `state_years`.

Conventions (both tutorials): yearly cycles, 75 cycles (age 25 to 100), cohort starts in H.
Transitions are conditional on surviving the cycle: p(i -> j) = (1 - p_iD) * p_ij for j alive,
p(i -> D) = p_iD, staying = (1 - p_iD) * (1 - sum_j p_ij). Rates become probabilities by
p = 1 - exp(-r). Rewards are valued at the boundaries t = 0..75 with the "Simpson 1/3" weights
DARTH's gen_wcc produces (1/3 at t = 0 and t = 75, 2/3 at odd t, 4/3 at even t; for the odd
T = 75 this is not Simpson's rule: the weights sum to 74 2/3), each discounted by 1/(1 + d)^t. In the timedep model,
transition rewards of the moves made in cycle t (x_{t-1} -> x_t) are added at boundary t, with
that boundary's weight and discount.

Run: python3 tools/reference/sick_sicker.py   (prints JSON; needs numpy)
"""
import json
import sys

import numpy as np

H, S1, S2, D = range(4)
STRATEGIES = ["soc", "a", "b", "ab"]

# Med Decis Making 2023 intro tutorial, table 1 / analysis/cSTM_time_indep.R.
BASE = dict(
    r_HD=0.002, r_HS1=0.15, r_S1H=0.5, r_S1S2=0.105, hr_S1=3.0, hr_S2=10.0, hr_S1S2_trtB=0.6,
    c_H=2000.0, c_S1=4000.0, c_S2=15000.0, c_trtA=12000.0, c_trtB=13000.0,
    u_H=1.0, u_S1=0.75, u_S2=0.5, u_trtA=0.95, d_c=0.03, d_e=0.03,
    # timedep only: transition rewards
    du_HS1=0.01, ic_HS1=1000.0, ic_D=2000.0,
    # residence variant only: Weibull S1 -> S2 by years in S1
    r_S1S2_scale=0.08, r_S1S2_shape=1.1,
)
N_CYCLES = 75
AGE0 = 25

# DARTH-git/cohort-modeling-tutorial-timedep data/LifeTable_USA_Mx_2015.csv, column Total
# (all-cause mortality rate, both sexes, US 2015), ages 25..99.
MX_2015 = [
    0.001014, 0.000999, 0.00107, 0.001087, 0.001162, 0.001167, 0.001213, 0.001289, 0.001331,
    0.001375, 0.00142, 0.00149, 0.00155, 0.001616, 0.001657, 0.001747, 0.001902, 0.002052,
    0.002173, 0.002395, 0.002559, 0.002807, 0.003023, 0.003349, 0.003712, 0.004085, 0.00449,
    0.004905, 0.005364, 0.005806, 0.006253, 0.006775, 0.007395, 0.007895, 0.008418, 0.008974,
    0.009666, 0.010456, 0.011384, 0.011838, 0.012667, 0.013593, 0.0147, 0.015732, 0.01734,
    0.018758, 0.020967, 0.022917, 0.024913, 0.026767, 0.029707, 0.032412, 0.035982, 0.039238,
    0.043595, 0.048727, 0.053735, 0.059911, 0.066618, 0.074051, 0.08219, 0.090754, 0.103968,
    0.115093, 0.124341, 0.137872, 0.154177, 0.172393, 0.1941, 0.212654, 0.243752, 0.259087,
    0.287781, 0.316429, 0.339149,
]
assert len(MX_2015) == N_CYCLES


def simpson_darth(n):
    """DARTH's gen_wcc(n, "Simpson1/3"): v_cycles = 1..n+1 (= t + 1), 2/3 where v_cycles is
    even and 4/3 where it is odd, then 1/3 at both ends. So boundary t gets 2/3 at ODD t and
    4/3 at EVEN t (the paper prints [1/3, 2/3, 4/3, ..., 1/3]; its text says "4/3 for the odd
    cycles", counting cycles from 1 at t = 0)."""
    t = np.arange(n + 1)
    w = np.where(t % 2 == 1, 2 / 3, 4 / 3)
    w[0] = w[n] = 1 / 3
    return w


def rate_to_prob(r, t=1.0):
    return 1.0 - np.exp(-r * t)


def matrix(p, strategy, r_HD, p_S1S2=None):
    """Transition matrix of one cycle, with background mortality rate r_HD."""
    p_HD = rate_to_prob(r_HD)
    p_S1D = rate_to_prob(r_HD * p["hr_S1"])
    p_S2D = rate_to_prob(r_HD * p["hr_S2"])
    p_HS1 = rate_to_prob(p["r_HS1"])
    p_S1H = rate_to_prob(p["r_S1H"])
    if p_S1S2 is None:
        hr = p["hr_S1S2_trtB"] if strategy in ("b", "ab") else 1.0
        p_S1S2 = rate_to_prob(p["r_S1S2"] * hr)
    m = np.zeros((4, 4))
    m[H, S1] = (1 - p_HD) * p_HS1
    m[H, D] = p_HD
    m[H, H] = (1 - p_HD) * (1 - p_HS1)
    m[S1, H] = (1 - p_S1D) * p_S1H
    m[S1, S2] = (1 - p_S1D) * p_S1S2
    m[S1, D] = p_S1D
    m[S1, S1] = (1 - p_S1D) * (1 - (p_S1H + p_S1S2))
    m[S2, D] = p_S2D
    m[S2, S2] = 1 - p_S2D
    m[D, D] = 1.0
    assert np.allclose(m.sum(1), 1.0)
    return m


def state_rewards(p, strategy):
    u = np.array([p["u_H"], p["u_trtA"] if strategy in ("a", "ab") else p["u_S1"], p["u_S2"], 0.0])
    extra = (p["c_trtA"] if strategy in ("a", "ab") else 0.0) + (p["c_trtB"] if strategy in ("b", "ab") else 0.0)
    c = np.array([p["c_H"], p["c_S1"] + extra, p["c_S2"] + extra, 0.0])
    return u, c


def totals(per_boundary_u, per_boundary_c, p):
    t = np.arange(N_CYCLES + 1)
    w = simpson_darth(N_CYCLES)
    return (float(per_boundary_c @ (w / (1 + p["d_c"]) ** t)),
            float(per_boundary_u @ (w / (1 + p["d_e"]) ** t)))


def run_intro(p=BASE):
    out = {}
    for s in STRATEGIES:
        m = matrix(p, s, p["r_HD"])
        x = np.zeros((N_CYCLES + 1, 4))
        x[0, H] = 1
        for t in range(N_CYCLES):
            x[t + 1] = x[t] @ m
        u, c = state_rewards(p, s)
        out[s] = totals(x @ u, x @ c, p)
    return out


def run_timedep(p=BASE, residence=False):
    """Age-dependent background mortality (cycle index k uses age 25 + k, the age at the START
    of the cycle) and transition rewards; residence=True adds the Weibull S1 -> S2 by years in
    S1 (tunnel states) of the state-residence tutorial."""
    out = {}
    for s in STRATEGIES:
        u, c = state_rewards(p, s)
        hr_b = p["hr_S1S2_trtB"] if s in ("b", "ab") else 1.0
        if residence:
            n_tun = N_CYCLES  # S1 tunnel j = years already spent in S1 (0..74)
            # index: H, S1_0..S1_{n-1}, S2, D
            n = n_tun + 3
            iH, iS2, iD = 0, n_tun + 1, n_tun + 2
            x = np.zeros(n)
            x[iH] = 1
        else:
            x = np.array([1.0, 0, 0, 0])
        qaly = np.zeros(N_CYCLES + 1)
        cost = np.zeros(N_CYCLES + 1)
        if residence:
            qaly[0] = x[iH] * u[H]
            cost[0] = x[iH] * c[H]
        else:
            qaly[0], cost[0] = x @ u, x @ c
        for k in range(N_CYCLES):
            r_HD = MX_2015[k]
            if not residence:
                m = matrix(p, s, r_HD)
                flow = x[:, None] * m  # transition dynamics A[i, j]
                x = x @ m
                R_u = np.tile(u, (4, 1))
                R_c = np.tile(c, (4, 1))
                R_u[H, S1] -= p["du_HS1"]
                R_c[H, S1] += p["ic_HS1"]
                R_c[:D, D] += p["ic_D"]
                qaly[k + 1] = (flow * R_u).sum()
                cost[k + 1] = (flow * R_c).sum()
            else:
                # Weibull cumulative hazard (lambda j)^gamma in years in S1, DARTH's form
                j = np.arange(1, n_tun + 1)
                r_tun = (j * p["r_S1S2_scale"]) ** p["r_S1S2_shape"] - ((j - 1) * p["r_S1S2_scale"]) ** p["r_S1S2_shape"]
                p_tun = rate_to_prob(r_tun * hr_b)
                new = np.zeros(n)
                qk = ck = 0.0
                mH = matrix(p, s, r_HD)
                # from H
                for dest, pr in ((iH, mH[H, H]), (1, mH[H, S1]), (iD, mH[H, D])):
                    new[dest] += x[iH] * pr
                qk += x[iH] * (mH[H, H] * u[H] + mH[H, S1] * (u[S1] - p["du_HS1"]))
                ck += x[iH] * (mH[H, H] * c[H] + mH[H, S1] * (c[S1] + p["ic_HS1"]) + mH[H, D] * p["ic_D"])
                # from S1 tunnels
                for i in range(n_tun):
                    mi = matrix(p, s, r_HD, p_S1S2=p_tun[i])
                    xi = x[1 + i]
                    nxt = 1 + min(i + 1, n_tun - 1)
                    new[iH] += xi * mi[S1, H]
                    new[nxt] += xi * mi[S1, S1]
                    new[iS2] += xi * mi[S1, S2]
                    new[iD] += xi * mi[S1, D]
                    qk += xi * (mi[S1, H] * u[H] + mi[S1, S1] * u[S1] + mi[S1, S2] * u[S2])
                    ck += xi * (mi[S1, H] * c[H] + mi[S1, S1] * c[S1] + mi[S1, S2] * c[S2] + mi[S1, D] * p["ic_D"])
                # from S2
                mS2 = matrix(p, s, r_HD)
                new[iS2] += x[iS2] * mS2[S2, S2]
                new[iD] += x[iS2] * mS2[S2, D] + x[iD]
                qk += x[iS2] * mS2[S2, S2] * u[S2]
                ck += x[iS2] * (mS2[S2, S2] * c[S2] + mS2[S2, D] * p["ic_D"])
                x = new
                qaly[k + 1], cost[k + 1] = qk, ck
        out[s] = totals(qaly, cost, p)
    return out


def icers(res):
    """Frontier and ICERs (strong then extended dominance), as dampack's calculate_icers."""
    order = sorted(res, key=lambda s: (res[s][0], -res[s][1]))
    nd = [s for i, s in enumerate(order) if all(res[s][1] > res[o][1] for o in order[:i])]
    while True:
        ic = {nd[i]: (res[nd[i]][0] - res[nd[i - 1]][0]) / (res[nd[i]][1] - res[nd[i - 1]][1]) for i in range(1, len(nd))}
        bad = [nd[i] for i in range(1, len(nd) - 1) if ic[nd[i]] > ic[nd[i + 1]]]
        if not bad:
            break
        nd.remove(bad[0])
    return {s: {"cost": res[s][0], "qalys": res[s][1], "status": "ND" if s in nd else "D",
                **({"incremental_cost": res[s][0] - res[nd[nd.index(s) - 1]][0],
                    "incremental_qalys": res[s][1] - res[nd[nd.index(s) - 1]][1],
                    "icer": ic[s]} if s in nd and nd.index(s) > 0 else {})}
            for s in STRATEGIES}


def main():
    out = {
        "intro": icers(run_intro()),
        "timedep_simulation_time": icers(run_timedep()),
        "timedep_state_residence_derived": icers(run_timedep(residence=True)),
        "simpson_darth_weights_sum_T75": float(simpson_darth(N_CYCLES).sum()),
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
