# The R package against the command line: same scenario and seed, same files and values.

cli_files <- function(...) {
  out <- tempfile("cli-")
  status <- system2(cirrhosim_binary(), shQuote(c(..., "--out", out, "--quiet")))
  expect_equal(status, 0L)
  files <- setdiff(list.files(out), "cirrhosim-run.json")
  stats::setNames(lapply(file.path(out, files), function(p) readBin(p, "raw", file.size(p))), files)
}

kept_files <- function(folder) {
  files <- setdiff(list.files(folder), "cirrhosim-run.json")
  stats::setNames(lapply(file.path(folder, files), function(p) readBin(p, "raw", file.size(p))), files)
}

# Every cell of the data frame against the file read plainly (all columns as text): strings
# equal, numbers equal as doubles, empty cells NA, true/false logical.
expect_same_values <- function(frame, bytes) {
  plain <- utils::read.csv(text = rawToChar(bytes), colClasses = "character", na.strings = character(),
                           check.names = FALSE)
  expect_identical(names(frame), names(plain))
  expect_equal(nrow(frame), nrow(plain))
  for (column in names(plain)) {
    got <- frame[[column]]
    want <- plain[[column]]
    if (is.logical(got)) {
      expect_identical(got, want == "true", info = column)
    } else if (is.numeric(got)) {
      expect_identical(is.na(got), want == "", info = column)
      expect_identical(as.double(got[want != ""]), as.numeric(want[want != ""]), info = column)
    } else {
      expect_identical(as.character(got), want, info = column)
    }
  }
}

test_that("cirrhosim_run of the default scenario equals the CLI's files", {
  # 20,000 patients (the scenario's 100,000 run twice in a debug build take most of a minute;
  # the Python tests run the defaults as they are).
  kept <- tempfile("kept-")
  r <- cirrhosim_run(patients = 20000, out = kept)
  cli <- cli_files("run", "--patients", "20000")
  expect_identical(kept_files(kept), cli)
  expect_same_values(r$survival, cli[["survival.csv"]])
  expect_same_values(r$cea, cli[["cea.csv"]])
  expect_same_values(r$nmb, cli[["nmb.csv"]])
  expect_equal(r$summary$settings$patients, 20000)
  # Two parsers agree: the CSV's costs (R) and summary.json's (jsonlite).
  econ <- r$summary$economics$strategies
  json_cost <- stats::setNames(vapply(econ, function(s) s$cohort$cost, 0), vapply(econ, function(s) s$name, ""))
  expect_identical(r$cea$cost, unname(json_cost[as.character(r$cea$strategy)]))
})

test_that("cirrhosim_run by subgroup adds the subgroup column as the CLI's --by does", {
  # The scenario of the repository the package sits in (r/tests/testthat -> scenarios/).
  meld <- normalizePath(testthat::test_path("..", "..", "..", "scenarios", "meld_heterogeneity.toml"), mustWork = FALSE)
  skip_if_not(file.exists(meld), "not run from a cirrhosim checkout")
  r <- cirrhosim_run(meld, patients = 3000, seed = 2, by = c("meld", "etiology"), out = kept <- tempfile())
  cli <- cli_files("run", meld, "--patients", "3000", "--seed", "2", "--by", "meld,etiology")
  expect_identical(kept_files(kept), cli)
  expect_same_values(r$cea, cli[["cea.csv"]])
  expect_identical(names(r$survival)[1], "subgroup")
  expect_identical(levels(r$nmb$subgroup)[1:2], c("all", "meld=meld_below_15;etiology=alcohol"))
  expect_length(r$summary$subgroups, 9)
  expect_error(cirrhosim_run(meld, patients = 100, by = "etiolgy"), "did you mean")
})

test_that("cirrhosim_psa by subgroup equals the CLI's psa --by", {
  meld <- normalizePath(testthat::test_path("..", "..", "..", "scenarios", "meld_heterogeneity.toml"), mustWork = FALSE)
  skip_if_not(file.exists(meld), "not run from a cirrhosim checkout")
  p <- cirrhosim_psa(meld, draws = 10, seed = 3, by = "meld", out = kept <- tempfile())
  cli <- cli_files("psa", meld, "--draws", "10", "--seed", "3", "--by", "meld")
  expect_identical(kept_files(kept)[["ceac.csv"]], cli[["ceac.csv"]])
  expect_same_values(p$ceac, cli[["ceac.csv"]])
  expect_identical(names(p$ceac)[1], "subgroup")
  expect_identical(levels(p$ceac$subgroup)[1], "all")
  expect_identical(unlist(p$summary$subgroups$by), "meld")
})

test_that("columns have proper types", {
  r <- cirrhosim_run(patients = 2000, seed = 3)
  expect_true(is.factor(r$survival$strategy))
  expect_identical(levels(r$survival$strategy), c("standard_care", "uc_msc"))
  expect_identical(levels(r$survival$method), c("cohort", "monte_carlo"))
  expect_true(is.factor(r$survival$curve))
  expect_true(is.integer(r$survival$cycle))
  expect_true(is.double(r$survival$estimate))
  expect_true(is.factor(r$cea$status))
  expect_true(is.na(r$cea$icer[r$cea$status == "reference"]))
  expect_false(anyNA(r$cea$cost))
  expect_null(r$folder)
})

test_that("set values change the run as the CLI's --set does, and are checked like the file", {
  r <- cirrhosim_run(patients = 3000, seed = 7, set = c(c_msc_infusion = 2000), out = kept <- tempfile())
  expect_identical(kept_files(kept), cli_files("run", "--patients", "3000", "--seed", "7", "--set", "c_msc_infusion=2000"))
  base <- cirrhosim_run(patients = 3000, seed = 7)
  msc <- function(r) r$cea[r$cea$strategy == "uc_msc", ]
  expect_lt(msc(r)$cost, msc(base)$cost)
  expect_identical(msc(r)$qaly, msc(base)$qaly)
  e <- tryCatch(cirrhosim_run(set = c(c_msc_infusion = NaN)), error = function(e) e)
  expect_s3_class(e, "cirrhosim_scenario_error")
  expect_true("set.c_msc_infusion.value" %in% e$problems$key)
  expect_match(conditionMessage(e), "must be a finite number")
})

test_that("cirrhosim_psa equals the CLI's files and has a logical frontier", {
  p <- cirrhosim_psa(draws = 60, seed = 5, out = kept <- tempfile())
  cli <- cli_files("psa", "--draws", "60", "--seed", "5")
  for (name in c("psa_draws.csv", "ceac.csv", "evpi.csv", "survival_psa.csv", "psa_summary.json")) {
    expect_identical(kept_files(kept)[[name]], cli[[name]], info = name)
  }
  expect_same_values(p$draws, cli[["psa_draws.csv"]])
  expect_same_values(p$ceac, cli[["ceac.csv"]])
  expect_same_values(p$evpi, cli[["evpi.csv"]])
  expect_true(is.logical(p$ceac$on_frontier))
  expect_true(all(tapply(p$ceac$on_frontier, p$ceac$wtp, sum) == 1))
  expect_equal(nrow(p$draws), 120)
})

test_that("cirrhosim_dsa and cirrhosim_threshold equal the CLI's files", {
  d <- cirrhosim_dsa(two_way = c("msc_meld_md_24wk", "c_msc_infusion"), steps = 3, wtp = 50000)
  cli <- cli_files("dsa", "--two-way", "msc_meld_md_24wk,c_msc_infusion", "--steps", "3", "--wtp", "50000")
  expect_same_values(d$tornado, cli[["dsa.csv"]])
  expect_same_values(d$two_way, cli[["dsa_two_way.csv"]])
  expect_identical(levels(d$tornado$outcome), c("inc_nmb", "icer"))
  t <- cirrhosim_threshold(wtp = c(50000, 100000))
  expect_same_values(t$thresholds, cli_files("threshold", "--wtp", "50000,100000")[["threshold.csv"]])
})

test_that("cirrhosim_check lists every problem with file, line and key", {
  expect_equal(nrow(cirrhosim_check()), 0)
  default <- system2(cirrhosim_binary(), "default-scenario", stdout = TRUE)
  text <- paste(sub("^patients = 100000$", "patients = -5", default), collapse = "\n")
  problems <- cirrhosim_check(paste0(text, "\n"))
  row <- problems[problems$key %in% "settings.patients", ]
  expect_equal(nrow(row), 1)
  expect_equal(row$line, which(strsplit(text, "\n")[[1]] == "patients = -5"))
  p <- cirrhosim_check(set = c(no_such = 1))
  expect_identical(p$key, "set.no_such")
  expect_true(is.na(p$line))
})

test_that("errors are clear and nothing is left behind", {
  before <- list.files(tempdir())
  expect_error(cirrhosim_run(patients = 0), "--patients")
  expect_error(cirrhosim_run("no/such/file.toml"), "no such scenario file")
  expect_error(cirrhosim_dsa(strategy = "nope"), "no strategy named \"nope\"")
  cirrhosim_run(patients = 500)
  expect_identical(setdiff(list.files(tempdir()), before), character())
})
