# %% [markdown]
# # cirrhosim from Python: the MSC price, one parameter at a time, and the PSA
#
# Run as a script (`python python/examples/price_and_uncertainty.py`) or cell by cell in an
# editor that understands `# %%` cells. Needs `pip install ./python`; matplotlib is optional
# (the plots are skipped without it).

# %%
import pandas as pd

pd.set_option("display.width", 120)

import cirrhosim

base = cirrhosim.run(patients=20_000, seed=1)
print(base.cea[["strategy", "cost", "qaly", "inc_cost", "inc_qaly", "icer", "status"]])

# %% [markdown]
# ## Loop over one parameter and collect the results as one DataFrame
# `set` changes a parameter's base-case value; each value is checked by the scenario's rules.

# %%
rows = []
for price in [500, 1000, 2000, 4000]:
    r = cirrhosim.run(patients=20_000, seed=1, set={"c_msc_infusion": price})
    msc = r.cea.set_index("strategy").loc["uc_msc"]
    rows.append({"c_msc_infusion": price, "inc_cost": msc["inc_cost"], "inc_qaly": msc["inc_qaly"], "icer": msc["icer"]})
by_price = pd.DataFrame(rows)
print(by_price)

# %% [markdown]
# ## Survival curves (exact cohort) and the PSA's acceptability curve

# %%
os_cohort = base.survival.query("curve == 'overall_survival' and method == 'cohort'")
psa = cirrhosim.psa(draws=1000, seed=2)
print(psa.evpi.head())
print(psa.draws.groupby("strategy", observed=True)[["cost", "qaly"]].mean())

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for strategy, curve in os_cohort.groupby("strategy", observed=True):
        left.plot(curve["years"], curve["estimate"], label=strategy)
    left.set(xlabel="years", ylabel="overall survival", xlim=(0, 10))
    left.legend()
    for strategy, ceac in psa.ceac.groupby("strategy", observed=True):
        right.plot(ceac["wtp"], ceac["probability_cost_effective"], label=strategy)
    right.set(xlabel="willingness to pay per QALY", ylabel="probability cost-effective")
    right.legend()
    fig.savefig("cirrhosim_example.png", dpi=100)  # the one file this example writes
    print("wrote cirrhosim_example.png")

# %% [markdown]
# ## What would the price have to be? (threshold analysis)

# %%
print(cirrhosim.threshold(parameters=["c_msc_infusion"], wtp=[50_000, 100_000]).thresholds)
