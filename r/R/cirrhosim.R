# cirrhosim from R: each function runs the installed `cirrhosim` command into a temporary
# folder (removed afterwards unless `out` is given), reads its CSV files with explicit column
# types and its JSON summary with jsonlite. The tables are therefore the command's files, value
# for value. Ctrl-C interrupts the command and R together.

#' The cirrhosim command this package runs.
#'
#' `getOption("cirrhosim.binary")`, else the environment variable `CIRRHOSIM_BIN`, else
#' `cirrhosim` on the PATH (installed with `cargo install --path .` from the repository).
#' @export
cirrhosim_binary <- function() {
  bin <- getOption("cirrhosim.binary", Sys.getenv("CIRRHOSIM_BIN", ""))
  if (!nzchar(bin)) bin <- unname(Sys.which("cirrhosim"))
  if (!nzchar(bin) || !file.exists(bin)) {
    stop("cannot find the cirrhosim command: install it with `cargo install --path .` in the ",
         "cirrhosim repository, or set options(cirrhosim.binary = \"/path/to/cirrhosim\") ",
         "or the environment variable CIRRHOSIM_BIN", call. = FALSE)
  }
  bin
}

# ---- arguments ---------------------------------------------------------------------------

# Numbers as text that parses back to the same double (17 significant digits); NA and NaN go
# to the command as NaN, so the scenario's own rules reject them with the key named.
num_text <- function(x) {
  ifelse(is.na(x), "NaN", ifelse(is.infinite(x), ifelse(x > 0, "inf", "-inf"), sprintf("%.17g", x)))
}

whole_flag <- function(flag, x) {
  if (is.null(x)) return(character())
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x != round(x)) {
    stop(sprintf("%s must be one whole number", flag), call. = FALSE)
  }
  c(paste0("--", flag), sprintf("%.0f", x))
}

text_flag <- function(flag, x) {
  if (is.null(x)) return(character())
  if (!is.character(x) || length(x) != 1 || is.na(x)) stop(sprintf("%s must be one string", flag), call. = FALSE)
  c(paste0("--", flag), x)
}

set_flags <- function(set) {
  if (is.null(set) || length(set) == 0) return(character())
  values <- unlist(set)
  if (!is.numeric(values) || is.null(names(values)) || any(!nzchar(names(values))) ||
      length(values) != length(set)) {
    stop("set must be named numbers, e.g. set = c(c_msc_infusion = 2500)", call. = FALSE)
  }
  as.vector(rbind("--set", paste0(names(values), "=", num_text(values))))
}

# The scenario as the command's first argument: NULL for the embedded default, a path, or TOML
# text (any string with a newline), written to a temporary file in `dir`.
scenario_arg <- function(scenario, dir) {
  if (is.null(scenario)) return(character())
  if (!is.character(scenario) || length(scenario) != 1 || is.na(scenario)) {
    stop("scenario must be a path, TOML text or NULL", call. = FALSE)
  }
  if (grepl("\n", scenario, fixed = TRUE)) {
    path <- file.path(dir, "scenario.toml")
    writeLines(scenario, path, sep = "")
    return(path)
  }
  if (!file.exists(scenario)) stop(sprintf("no such scenario file: %s", scenario), call. = FALSE)
  normalizePath(scenario)
}

# ---- running the command -----------------------------------------------------------------

# Runs `cirrhosim ARGS`; returns stdout. Warnings on stderr become R warnings; a failure is an
# error of class `cirrhosim_error` (and `cirrhosim_scenario_error`, with `$problems`, when the
# scenario or a `set` value breaks a rule).
run_command <- function(args, scenario_args = character(), set_args = character()) {
  bin <- cirrhosim_binary()
  stdout <- tempfile("cirrhosim-stdout-")
  stderr <- tempfile("cirrhosim-stderr-")
  on.exit(unlink(c(stdout, stderr)), add = TRUE)
  status <- system2(bin, shQuote(args), stdout = stdout, stderr = stderr)
  err <- if (file.exists(stderr)) readLines(stderr, warn = FALSE) else character()
  for (w in grep("^warning: ", err, value = TRUE)) warning(sub("^warning: ", "", w), call. = FALSE)
  out <- if (file.exists(stdout)) readLines(stdout, warn = FALSE) else character()
  if (!identical(as.integer(status), 0L)) {
    message <- paste(sub("^error: ", "", grep("^warning: ", err, value = TRUE, invert = TRUE)), collapse = "\n")
    problems <- if (args[1] != "check") scenario_problems(scenario_args, set_args) else NULL
    classes <- c("cirrhosim_error", "error", "condition")
    if (!is.null(problems) && nrow(problems) > 0) classes <- c("cirrhosim_scenario_error", classes)
    stop(structure(class = classes, list(message = message, call = sys.call(-1), problems = problems)))
  }
  out
}

# The problems `cirrhosim check --json` reports, as a data frame (NULL if it cannot say).
scenario_problems <- function(scenario_args, set_args) {
  json <- tryCatch(
    suppressWarnings(system2(cirrhosim_binary(), shQuote(c("check", scenario_args, set_args, "--json")),
                             stdout = TRUE, stderr = FALSE)),
    error = function(e) NULL
  )
  if (is.null(json)) return(NULL)
  parsed <- tryCatch(jsonlite::fromJSON(paste(json, collapse = "\n"), simplifyVector = FALSE),
                     error = function(e) NULL)
  if (is.null(parsed)) return(NULL)
  problems_frame(parsed)
}

problems_frame <- function(parsed) {
  field <- function(name, na) vapply(parsed, function(p) if (is.null(p[[name]])) na else p[[name]], na)
  data.frame(
    file = field("file", NA_character_),
    line = field("line", NA_integer_),
    key = field("key", NA_character_),
    message = field("message", NA_character_),
    stringsAsFactors = FALSE
  )
}

# Runs a command that writes a folder; returns the folder and removes it on the caller's exit
# unless `out` was given.
with_folder <- function(command, scenario, set, flags, out) {
  work <- tempfile("cirrhosim-")
  dir.create(work)
  folder <- if (is.null(out)) file.path(work, "out") else out
  tryCatch({
    scenario_args <- scenario_arg(scenario, work)
    set_args <- set_flags(set)
    run_command(c(command, scenario_args, set_args, flags, "--out", folder, "--quiet"), scenario_args, set_args)
  }, error = function(e) {
    unlink(work, recursive = TRUE)
    stop(e)
  })
  list(folder = folder, work = work)
}

# ---- reading the files -------------------------------------------------------------------

# Reads one CSV file of the command with an explicit type per column: "character",
# "integer", "numeric" (empty cells are NA: an undefined ICER, say), "logical" (true/false),
# "factor" (levels in order of appearance) or a character vector of factor levels. Columns not
# named are numeric.
read_table <- function(path, types) {
  raw <- utils::read.csv(path, colClasses = "character", na.strings = character(),
                         check.names = FALSE, stringsAsFactors = FALSE, encoding = "UTF-8")
  for (column in names(raw)) {
    type <- if (column %in% names(types)) types[[column]] else "numeric"
    x <- raw[[column]]
    raw[[column]] <- if (length(type) > 1) {
      unknown <- setdiff(unique(x), type)
      if (length(unknown)) stop(sprintf("%s: column %s has unexpected values %s", basename(path), column,
                                        paste(unknown, collapse = ", ")), call. = FALSE)
      factor(x, levels = type)
    } else switch(
      type,
      character = x,
      factor = factor(x, levels = unique(x)),
      integer = as.integer(x),
      logical = {
        if (!all(x %in% c("true", "false"))) stop(sprintf("%s: column %s is not true/false", basename(path), column), call. = FALSE)
        x == "true"
      },
      numeric = {
        v <- suppressWarnings(as.numeric(ifelse(x == "", NA, x)))
        if (any(is.na(v) & x != "")) stop(sprintf("%s: column %s has a cell that is not a number", basename(path), column), call. = FALSE)
        v
      },
      stop(sprintf("unknown column type %s", type))
    )
  }
  raw
}

read_summary <- function(path) jsonlite::fromJSON(path, simplifyVector = FALSE)

strategy_levels <- function(summary) vapply(summary$strategies, function(s) s$name, "")

result <- function(kind, parts, folder, out) {
  parts$folder <- if (is.null(out)) NULL else folder
  structure(parts, class = c(paste0("cirrhosim_", kind), "cirrhosim_result"))
}

#' @export
print.cirrhosim_result <- function(x, ...) {
  cat(sprintf("<%s>\n", class(x)[1]))
  for (name in names(x)) {
    v <- x[[name]]
    if (is.data.frame(v)) cat(sprintf("$%s: data.frame, %d rows: %s\n", name, nrow(v), paste(names(v), collapse = ", ")))
    else if (is.list(v)) cat(sprintf("$%s: list (%s)\n", name, paste(names(v), collapse = ", ")))
    else if (!is.null(v)) cat(sprintf("$%s: %s\n", name, paste(format(v), collapse = ", ")))
  }
  invisible(x)
}

# ---- the functions -----------------------------------------------------------------------

#' Every problem of a scenario, as a data frame with file, line, key and message (no rows when
#' the scenario runs). `set` values are checked like values in the file.
#' @export
cirrhosim_check <- function(scenario = NULL, set = NULL) {
  work <- tempfile("cirrhosim-")
  dir.create(work)
  on.exit(unlink(work, recursive = TRUE), add = TRUE)
  args <- c("check", scenario_arg(scenario, work), set_flags(set), "--json")
  stdout <- tempfile("cirrhosim-stdout-", tmpdir = work)
  stderr <- tempfile("cirrhosim-stderr-", tmpdir = work)
  status <- system2(cirrhosim_binary(), shQuote(args), stdout = stdout, stderr = stderr)
  json <- paste(readLines(stdout, warn = FALSE), collapse = "\n")
  if (!nzchar(json)) {
    stop(structure(class = c("cirrhosim_error", "error", "condition"),
                   list(message = paste(readLines(stderr, warn = FALSE), collapse = "\n"), call = sys.call())))
  }
  problems_frame(jsonlite::fromJSON(json, simplifyVector = FALSE))
}

#' The exact cohort and the Monte Carlo simulation of every strategy (`cirrhosim run`).
#'
#' Returns a list: `survival`, `cea` and `nmb` data frames (NULL without economics) and the
#' `summary` list. `out`: a folder to keep the command's files in (default: none kept). `by`:
#' covariates of the scenario's `[population]` for results by subgroup (`cirrhosim run --by`),
#' e.g. `c("meld", "etiology")`; the data frames then start with a `subgroup` column (`all` for
#' the whole population, then each subgroup) and `summary$subgroups` holds a block per subgroup.
#' @export
cirrhosim_run <- function(scenario = NULL, patients = NULL, seed = NULL, threads = NULL, set = NULL, out = NULL,
                          by = NULL) {
  if (!is.null(by) && (!is.character(by) || length(by) == 0 || anyNA(by))) {
    stop("by must be covariate names, e.g. c(\"meld\", \"etiology\")", call. = FALSE)
  }
  flags <- c(whole_flag("patients", patients), whole_flag("seed", seed), whole_flag("threads", threads),
             if (!is.null(by)) c("--by", paste(by, collapse = ",")))
  run <- with_folder("run", scenario, set, flags, out)
  on.exit(unlink(run$work, recursive = TRUE), add = TRUE)
  f <- function(name) file.path(run$folder, name)
  summary <- read_summary(f("summary.json"))
  strategies <- strategy_levels(summary)
  survival <- read_table(f("survival.csv"), list(subgroup = "factor", strategy = strategies,
                                                method = c("cohort", "monte_carlo"), curve = "factor",
                                                cycle = "integer"))
  cea <- nmb <- NULL
  if (file.exists(f("cea.csv"))) {
    cea <- read_table(f("cea.csv"), list(subgroup = "factor", strategy = strategies,
                                         status = c("reference", "non_dominated", "extendedly_dominated", "dominated")))
    nmb <- read_table(f("nmb.csv"), list(subgroup = "factor", strategy = strategies))
  }
  result("run", list(survival = survival, cea = cea, nmb = nmb, summary = summary), run$folder, out)
}

#' Probabilistic sensitivity analysis (`cirrhosim psa`).
#'
#' Returns `draws` (one row per draw and strategy, with the varied parameters), `ceac`
#' (`on_frontier` logical), `evpi`, `survival` (the survival band) and `summary`. With
#' `patients`, each draw runs the Monte Carlo engine with that many patients. `by`: covariates
#' of the scenario's `[population]` (`cirrhosim psa --by`, cohort engine): `ceac` then starts
#' with a `subgroup` factor (`all` first) and `summary$subgroups` holds P(cost-effective) by
#' subgroup.
#' @export
cirrhosim_psa <- function(scenario = NULL, draws = NULL, seed = NULL, set = NULL, patients = NULL,
                          threads = NULL, out = NULL, by = NULL) {
  if (!is.null(by) && (!is.character(by) || length(by) == 0 || anyNA(by))) {
    stop("by must be covariate names, e.g. c(\"meld\", \"etiology\")", call. = FALSE)
  }
  flags <- c(whole_flag("draws", draws), whole_flag("seed", seed), whole_flag("threads", threads),
             if (!is.null(by)) c("--by", paste(by, collapse = ",")))
  if (!is.null(patients)) flags <- c(flags, "--engine", "monte-carlo", whole_flag("patients", patients))
  run <- with_folder("psa", scenario, set, flags, out)
  on.exit(unlink(run$work, recursive = TRUE), add = TRUE)
  f <- function(name) file.path(run$folder, name)
  summary <- read_summary(f("psa_summary.json"))
  strategies <- strategy_levels(summary)
  parts <- list(
    draws = read_table(f("psa_draws.csv"), list(draw = "integer", strategy = strategies)),
    ceac = read_table(f("ceac.csv"), list(subgroup = "factor", strategy = strategies, on_frontier = "logical")),
    evpi = read_table(f("evpi.csv"), list()),
    survival = read_table(f("survival_psa.csv"), list(strategy = strategies, cycle = "integer")),
    summary = summary
  )
  result("psa", parts, run$folder, out)
}

#' One-way (tornado) and two-way deterministic sensitivity analysis (`cirrhosim dsa`).
#'
#' Returns `tornado` and, with `two_way = c("a", "b")`, `two_way` (a `steps` x `steps` grid).
#' @export
cirrhosim_dsa <- function(scenario = NULL, strategy = NULL, comparator = NULL, wtp = NULL, two_way = NULL,
                          steps = NULL, set = NULL, threads = NULL, out = NULL) {
  flags <- c(text_flag("strategy", strategy), text_flag("comparator", comparator), whole_flag("steps", steps),
             whole_flag("threads", threads))
  if (!is.null(wtp)) flags <- c(flags, "--wtp", num_text(wtp))
  if (!is.null(two_way)) {
    if (!is.character(two_way) || length(two_way) != 2) stop("two_way must be two parameter names", call. = FALSE)
    flags <- c(flags, "--two-way", paste(two_way, collapse = ","))
  }
  run <- with_folder("dsa", scenario, set, flags, out)
  on.exit(unlink(run$work, recursive = TRUE), add = TRUE)
  f <- function(name) file.path(run$folder, name)
  tornado <- read_table(f("dsa.csv"), list(parameter = "factor", outcome = c("inc_nmb", "icer")))
  grid <- if (file.exists(f("dsa_two_way.csv"))) {
    read_table(f("dsa_two_way.csv"), list(x_parameter = "factor", y_parameter = "factor"))
  }
  result("dsa", list(tornado = tornado, two_way = grid), run$folder, out)
}

#' Threshold analysis (`cirrhosim threshold`): the value of each parameter at which the
#' strategy becomes cost-effective, at each willingness to pay.
#' @export
cirrhosim_threshold <- function(scenario = NULL, parameters = NULL, wtp = NULL, strategy = NULL,
                                comparator = NULL, between = NULL, set = NULL, out = NULL) {
  flags <- c(text_flag("strategy", strategy), text_flag("comparator", comparator))
  for (p in parameters) flags <- c(flags, "--parameter", p)
  if (!is.null(wtp)) flags <- c(flags, "--wtp", paste(num_text(wtp), collapse = ","))
  if (!is.null(between)) flags <- c(flags, "--between", paste(num_text(between), collapse = ","))
  run <- with_folder("threshold", scenario, set, flags, out)
  on.exit(unlink(run$work, recursive = TRUE), add = TRUE)
  thresholds <- read_table(file.path(run$folder, "threshold.csv"),
                           list(parameter = "factor", cost_effective = c("below", "above", "always", "never")))
  result("threshold", list(thresholds = thresholds), run$folder, out)
}
