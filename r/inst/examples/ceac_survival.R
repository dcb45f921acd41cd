# cirrhosim from R: survival curves and the CEAC with base graphics, and the PSA handed to
# BCEA- and dampack-style code. Run with `Rscript r/inst/examples/ceac_survival.R` after
# `cargo install --path .` and `R CMD INSTALL r`. Writes one file, cirrhosim_example.pdf.
library(cirrhosim)

# ---- one run: survival and the cost-effectiveness table --------------------------------
run <- cirrhosim_run(patients = 20000, seed = 1)
print(run$cea[, c("strategy", "cost", "qaly", "inc_cost", "inc_qaly", "icer", "status")])

# ---- loop over a parameter, collect a data.frame ----------------------------------------
by_price <- do.call(rbind, lapply(c(500, 1000, 2000, 4000), function(price) {
  r <- cirrhosim_run(patients = 20000, seed = 1, set = c(c_msc_infusion = price))
  msc <- r$cea[r$cea$strategy == "uc_msc", ]
  data.frame(c_msc_infusion = price, inc_cost = msc$inc_cost, inc_qaly = msc$inc_qaly, icer = msc$icer)
}))
print(by_price)

# ---- PSA ----------------------------------------------------------------------------------
psa <- cirrhosim_psa(draws = 1000, seed = 2)

pdf("cirrhosim_example.pdf", width = 10, height = 4)
par(mfrow = c(1, 2))
os <- subset(run$survival, curve == "overall_survival" & method == "cohort")
strategies <- levels(os$strategy)
plot(NA, xlim = c(0, 10), ylim = c(0, 1), xlab = "years", ylab = "overall survival")
for (i in seq_along(strategies)) {
  s <- os[os$strategy == strategies[i], ]
  lines(s$years, s$estimate, col = i, lwd = 2)
}
legend("topright", legend = strategies, col = seq_along(strategies), lwd = 2)
plot(NA, xlim = range(psa$ceac$wtp), ylim = c(0, 1), xlab = "willingness to pay per QALY",
     ylab = "probability cost-effective")
for (i in seq_along(strategies)) {
  s <- psa$ceac[psa$ceac$strategy == strategies[i], ]
  lines(s$wtp, s$probability_cost_effective, col = i, lwd = 2)
}
legend("right", legend = strategies, col = seq_along(strategies), lwd = 2)
dev.off()

# ---- the PSA in the shapes BCEA and dampack take ----------------------------------------
# One row per draw, one column per strategy: effects (QALYs) and costs.
wide <- function(value) {
  m <- tapply(psa$draws[[value]], list(psa$draws$draw, psa$draws$strategy), identity)
  m[, levels(psa$draws$strategy), drop = FALSE]
}
e <- wide("qaly")
c <- wide("cost")
parameters <- unique(psa$draws[, setdiff(names(psa$draws), c("strategy", "cost", "qaly", "life_years"))])
if (requireNamespace("BCEA", quietly = TRUE)) {
  he <- BCEA::bcea(e, c, ref = 2, interventions = colnames(e))
  print(summary(he))
}
if (requireNamespace("dampack", quietly = TRUE)) {
  obj <- dampack::make_psa_obj(cost = as.data.frame(c), effectiveness = as.data.frame(e),
                               parameters = parameters[, -1], strategies = colnames(e))
  print(summary(obj))
}
# Without either package, the incremental net monetary benefit at 50,000 per QALY:
inb <- (e[, "uc_msc"] - e[, "standard_care"]) * 50000 - (c[, "uc_msc"] - c[, "standard_care"])
cat(sprintf("P(uc_msc cost-effective at 50,000/QALY) = %.3f\n", mean(inb > 0)))
