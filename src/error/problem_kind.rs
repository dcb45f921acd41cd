//! The rules a scenario can break ([`ProblemKind`]): one variant per rule, each saying in its
//! message what is wrong and, where there is one, the fix. Kept apart from the rest of
//! [`crate::error`] because it is the longest list; re-exported there.

use super::short;

/// The rules a scenario can break.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemKind {
    /// A state name that no `[[states]]` defines.
    #[error("unknown state \"{name}\" (states: {known})")]
    UnknownState { name: String, known: String },
    /// A parameter name defined neither inline nor in a parameter CSV.
    #[error("unknown parameter \"{name}\"{hint} (define it under [parameters.{name}] or in a parameter_files CSV)")]
    UnknownParameter { name: String, hint: String },
    /// Two states with one name.
    #[error("state \"{name}\" is defined twice")]
    DuplicateState { name: String },
    /// Two strategies with one name.
    #[error("strategy \"{name}\" is defined twice")]
    DuplicateStrategy { name: String },
    /// A number outside the range of its kind (a probability above 1, a negative rate, ...).
    #[error("{} is not a valid {kind}: {rule}", short(.value))]
    OutOfRange { value: f64, kind: &'static str, rule: &'static str },
    /// Text that is not a duration with a unit.
    #[error(
        "\"{value}\" is not a duration: write a number and a unit, e.g. \"1 month\", \"6 months\", \"4 weeks\", \"40 years\"{extra}"
    )]
    BadDuration { value: String, extra: &'static str },
    /// A parameter kind that does not exist.
    #[error("unknown parameter kind \"{value}\" (kinds: {known})")]
    UnknownKind { value: String, known: &'static str },
    /// A parameter used where its kind does not fit (a cost as a rate, ...).
    #[error("parameter \"{name}\" is a {kind} but is used as {used_as}")]
    KindMismatch { name: String, kind: &'static str, used_as: &'static str },
    /// A table that needs exactly one of several keys has none or several.
    #[error("give exactly one of {options} (found {found})")]
    ExactlyOne { options: &'static str, found: usize },
    /// An exit from an absorbing state.
    #[error("\"{name}\" is absorbing: it can have no exits")]
    ExitFromAbsorbing { name: String },
    /// A state that is not alive but can be left.
    #[error("state \"{name}\" is not alive, so it must be absorbing (absorbing = true)")]
    DeadNotAbsorbing { name: String },
    /// One state's exits mix per-cycle probabilities with rates or annual probabilities.
    #[error(
        "state \"{name}\" mixes per-cycle probabilities (cycle_probability/complement) with rates or annual probabilities; use one scale per state"
    )]
    MixedScales { name: String },
    /// More than one complement exit of a state in the same time-in-state window.
    #[error(
        "state \"{name}\" has {count} complement exits at time in state {window}; at most one exit can be the complement"
    )]
    TwoComplements { name: String, count: usize, window: String },
    /// A transition from a state to itself that is not the complement.
    #[error("a transition from \"{name}\" to itself is only allowed as the complement (complement = true)")]
    SelfLoop { name: String },
    /// Two transitions between the same states whose time-in-state windows overlap.
    #[error(
        "transitions from \"{from}\" to \"{to}\" overlap in time in state ({a} and {b}); give non-overlapping windows"
    )]
    OverlappingWindows { from: String, to: String, a: String, b: String },
    /// A time-in-state bound that is not a whole number of cycles.
    #[error("{value} is not a whole number of cycles (cycle length {cycle}); use a multiple of the cycle length")]
    NotWholeCycles { value: String, cycle: String },
    /// A window whose `from` is not before its `until`.
    #[error("\"from\" ({from}) must be before \"until\" ({until})")]
    EmptyWindow { from: String, until: String },
    /// A count or size that must be at least 1 (or above 0).
    #[error("must be positive (got {value})")]
    NotPositive { value: String },
    /// Shares (start states, start ages) that do not sum to 1.
    #[error("shares sum to {} (expected 1)", short(.sum))]
    SharesSum { sum: f64 },
    /// A cohort that starts in a state that is not alive.
    #[error("starts patients in \"{name}\", which is not alive")]
    StartDead { name: String },
    /// Start shares of a sub-cohort (shares that are formulas of its covariates, age or sex, or
    /// drawn parameters) that do not sum to 1.
    #[error("shares sum to {sum}{who} (expected 1: write the last share as 1 minus the others)")]
    StartSharesSum { sum: f64, who: String },
    /// `[cohort] start_state` is missing, or given beside a patients file that has a
    /// `start_state` column (the start would then be stated twice).
    #[error("{rule}")]
    StartState { rule: &'static str },
    /// The life table has no death probability for an age the cohort reaches at the start.
    #[error(
        "the life table has no qx for {sex} age {age} (needed from the cohort start age {}); it covers ages {first}-{last}",
        short(.start_age)
    )]
    MissingLifeTableAge { sex: &'static str, age: u32, start_age: f64, first: u32, last: u32 },
    /// Background mortality pointed at a state that is alive.
    #[error("background mortality goes to \"{name}\", which is alive; point it at the death state")]
    BackgroundToAlive { name: String },
    /// A lifetime horizon without a life table to end it.
    #[error(
        "horizon = \"lifetime\" needs [background_mortality] (a life table ends every life); or give the horizon in years, e.g. \"40 years\""
    )]
    LifetimeWithoutLifeTable,
    /// An effect or a transition cost on a transition the model does not have.
    #[error("no effect target: \"{from}\" has no transition to \"{to}\"")]
    NoSuchTransition { from: String, to: String },
    /// An effect on the complement exit, which would be absorbed by definition.
    #[error(
        "the transition from \"{from}\" to \"{to}\" is the complement; an effect on it is absorbed by definition. Put the effect on the other exits"
    )]
    EffectOnComplement { from: String, to: String },
    /// A waning shape that does not exist.
    #[error("unknown waning shape \"{value}\" (none, linear, exponential)")]
    UnknownWaning { value: String },
    /// Linear or exponential waning without its period.
    #[error("waning \"{shape}\" needs \"over\" (the waning period; for exponential, the half-life)")]
    WaningNeedsPeriod { shape: String },
    /// Warning: a number without a source.
    #[error("{what} \"{name}\" has no source; every number should say where it comes from")]
    NoSource { what: &'static str, name: String },
    /// Transition probabilities out of a state that sum above 1 in some cycle.
    #[error(
        "transitions out of \"{from}\" sum to {} at cycle {cycle} (strategy \"{strategy}\"{group}); expected at most 1",
        short(.sum)
    )]
    RowSum { from: String, strategy: String, cycle: usize, sum: f64, group: String },
    /// A life-table file that cannot be read or parsed (the reader's located message).
    #[error("{message}")]
    LifeTable { message: String },
    /// A value that is not one of the allowed choices (correction, discount timing).
    #[error("\"{value}\" is not one of: {choices}")]
    UnknownChoice { value: String, choices: &'static str },
    /// A strategy name that no `[[strategies]]` defines.
    #[error("unknown strategy \"{name}\" (strategies: {known})")]
    UnknownStrategy { name: String, known: String },
    /// Costs or utilities without an `[economics]` table.
    #[error(
        "costs or utilities are given but there is no [economics] table (currency, price_year, discount_rate_costs, discount_rate_effects)"
    )]
    EconomicsMissing,
    /// An analysis of costs and QALYs on a survival-only scenario.
    #[error("this analysis needs costs and QALYs: add an [economics] table with [[costs]] and [[utilities]]")]
    EconomicsNeeded,
    /// A sensitivity analysis of a parameter without `low` and `high`.
    #[error("\"{name}\" is not a used parameter with both low and high; a sensitivity analysis needs its range")]
    NoRange { name: String },
    /// A one-way analysis of a scenario in which no used parameter has a range.
    #[error(
        "no parameter the model uses has both low and high, so a one-way analysis has nothing to vary: give low and high (e.g. the 95% interval of the source) to the parameters to vary"
    )]
    NoRangedParameters,
    /// A distribution that cannot be built from what is given.
    #[error("{kind} distribution: {rule}")]
    BadDistribution { kind: String, rule: &'static str },
    /// A mixture's weights: each must be a number > 0, and together they must sum to 1.
    #[error("mixture {what} {}; {rule}", short(.value))]
    MixtureWeight { what: &'static str, value: f64, rule: &'static str },
    /// A `[psa] evppi_groups` group without parameters.
    #[error("an EVPPI group needs at least one parameter name, e.g. [\"msc_meld_md_24wk\", \"msc_effect_duration\"]")]
    EmptyEvppiGroup,
    /// A Dirichlet group with fewer than two parameters or a different number of alphas.
    #[error(
        "a Dirichlet group needs at least two parameters and one alpha each (got {parameters} parameters, {alpha} alphas)"
    )]
    DirichletShape { parameters: usize, alpha: usize },
    /// A parameter set from outside the file (`--set`, `set=`) is a member of a Dirichlet group,
    /// whose members a PSA draws together: it cannot be fixed alone.
    #[error(
        "parameter \"{name}\" is drawn with the other members of a Dirichlet group in a PSA, so it cannot be set alone; change the group's values and alpha in the file"
    )]
    SetInDirichletGroup { name: String },
    /// A parameter in more than one Dirichlet group, or twice in one.
    #[error("parameter \"{name}\" is in more than one place of the Dirichlet groups")]
    DirichletTwice { name: String },
    /// A parameter named for an analysis that the model does not use.
    #[error("\"{name}\" is not a parameter the model uses")]
    UnusedParameter { name: String },
    /// A calibration target after the model's horizon.
    #[error("a target at {} years lies beyond the model's horizon", short(.years))]
    TargetBeyondHorizon { years: f64 },
    /// A calibration target's value, year or interval that breaks a rule of targets (a share
    /// outside [0, 1], a swapped interval, ...): the same rules as a targets CSV.
    #[error("{rule}")]
    TargetValue { rule: super::FormatRule },
    /// `[calibration]` names a parameter that is derived (its value comes from its formula).
    #[error(
        "\"{name}\" is a derived parameter (its value comes from its formula): calibrate the parameters its formula uses"
    )]
    CalibrateDerived { name: String },
    /// A target curve that does not exist.
    #[error(
        "unknown target curve \"{curve}\" (overall_survival, transplant_free_survival, occupancy:<state>, entered:<state>)"
    )]
    UnknownCurve { curve: String },
    /// A formula that cannot be read or whose names do not resolve.
    #[error("formula \"{formula}\": {message}")]
    Formula { formula: String, message: String },
    /// Derived parameters whose formulas use each other in a circle.
    #[error("derived parameters use each other in a circle: {chain}; one of them needs a value instead of a formula")]
    FormulaCycle { chain: String },
    /// A formula whose value is outside the range of what it is used as, or not a number.
    #[error("formula \"{formula}\" gives {}{at}, but {used_as} {rule}", short(.value))]
    FormulaValue { formula: String, value: f64, at: String, used_as: String, rule: &'static str },
    /// A derived parameter (with `formula`) that also has a key only a drawn parameter can have.
    #[error(
        "a derived parameter takes no `{key}`: its value comes from its formula and its uncertainty from the parameters the formula uses"
    )]
    DerivedTakesNo { key: &'static str },
    /// A parameter table with neither `value` nor `formula`.
    #[error("give `value` (a number) or `formula` (a derived parameter, e.g. formula = \"1 - exp(-r * cycle_years)\")")]
    NoValueOrFormula,
    /// `within_cycle_correction = "none"`, which other tools use for different rules.
    #[error(
        "\"none\" is ambiguous: write \"end_of_cycle\" to count the occupancy at the end of each cycle (x_1..x_T; the starting cohort is not counted, as in Briggs et al. 2006 exercise 2.5), or within_cycle_weights = \"1\" to count every boundary x_0..x_T with weight 1 (no correction)"
    )]
    CorrectionNone,
    /// A list of boundary weights of the wrong length.
    #[error("{given} weights given; {cycles} cycles have {expected} boundaries (0..T), one weight each")]
    WeightCount { given: usize, expected: usize, cycles: usize },
    /// A hazard ratio on a per-cycle probability (a warning: often a relative risk was meant).
    #[error(
        "a hazard ratio on a per-cycle probability p is applied as 1 - (1 - p)^HR (a constant hazard within the cycle); if the published model multiplies the probability by it, write relative_risk instead; to keep 1 - (1 - p)^HR without this warning, put the ratio inside the exit's formula (one exit per strategy, with strategies = [...])"
    )]
    HazardRatioOnProbability,
    /// A derived parameter named for an analysis that varies a parameter's value.
    #[error(
        "\"{name}\" is a derived parameter: its value comes from its formula; vary the parameters its formula uses"
    )]
    DerivedNotVaried { name: String },
    /// A parameter named like a formula variable.
    #[error(
        "\"{name}\" is a formula variable (cycle, cycle_years, model_years, age, state_years, male, t, T); give the parameter another name"
    )]
    ReservedName { name: String },
    /// A table whose name is a parameter's.
    #[error("\"{name}\" is already a parameter; give the table another name")]
    TableNameTaken { name: String },
    /// A table with no rows, or `from` and `values` of different lengths.
    #[error("a table needs one value per start point (from has {from}, values {values})")]
    TableShape { from: usize, values: usize },
    /// A multivariate normal group whose lists or matrix rows do not match its parameters.
    #[error("{what} has {got} entries; the group has {expected} parameters")]
    GroupShape { what: String, got: usize, expected: usize },
    /// A covariance (or correlation) matrix that is not symmetric.
    #[error("the matrix is not symmetric: row {row}, column {column} is {}, but row {column}, column {row} is {}", short(.a), short(.b))]
    NotSymmetric { row: usize, column: usize, a: f64, b: f64 },
    /// A covariance matrix with no Cholesky factor.
    #[error(
        "the covariance matrix is not positive definite: no set of draws has these variances and covariances together (check for a correlation of 1 or more, or a covariance given where a variance belongs)"
    )]
    NotPositiveDefinite,
    /// A parameter in a multivariate normal group whose kind does not allow any real number.
    #[error(
        "parameter \"{name}\" (kind {kind}: {range}) cannot be drawn from a multivariate normal, which draws any number; put its logarithm (or logit) in the group with kind coefficient and derive it with a formula, e.g. formula = \"exp(ln_{name})\""
    )]
    NormalOutsideKind { name: String, kind: &'static str, range: &'static str },
    /// A scenario without states or strategies.
    #[error("no {what} defined; a scenario needs at least one")]
    Empty { what: &'static str },
    /// An exit from a transplant state to an alive state that is not a transplant state.
    #[error(
        "state \"{name}\" is a transplant state but has an exit to \"{to}\", which is alive and not a transplant state; transplant-free survival needs transplant states to be left only for death or other transplant states"
    )]
    TransplantExit { name: String, to: String },
    // ---- (issue 10) new scenario-validation ProblemKinds go below this line ----
    /// A utility on a state that is not alive: QALYs would keep growing after death.
    #[error(
        "a utility on \"{name}\", which is not alive, would count QALYs after death (QALYs would exceed life years); remove it, or put a one-off QALY change on the transition into \"{name}\""
    )]
    UtilityOnDeadState { name: String },
    /// Warning: an annual cost on a state that is not alive is charged every cycle after death.
    #[error(
        "an annual cost on \"{name}\", which is not alive, is charged every cycle after death; for the cost of dying use a one-off cost on the transition into \"{name}\""
    )]
    CostOnDeadState { name: String },
    /// A name (state, strategy, parameter, cost category, adverse event) is empty or only spaces.
    #[error("{what} name is empty; give it a name (e.g. \"{example}\")")]
    EmptyName { what: &'static str, example: &'static str },
    /// A start age lies outside the ages of the life table (the embedded one when the scenario
    /// has no `[background_mortality]`).
    #[error(
        "start age {} is outside the life table {table} (ages {first}-{last}, closed at {}){note}",
        short(.age),
        .last + 1
    )]
    StartAgeOutsideLifeTable { age: f64, table: String, first: u32, last: u32, note: &'static str },
    /// Warning: an annual rate that is a whole number of 2 or more, most likely a percentage.
    #[error(
        "an annual rate of {} looks like a percentage: write {} for {}%",
        short(.value),
        short(&(.value / 100.0)),
        short(.value)
    )]
    LooksLikePercentage { value: f64 },
    /// Warning: a hazard ratio or relative risk of exactly 0 removes the hazard entirely.
    #[error("{measure} of 0 removes the transition entirely (nobody ever makes it); check the value")]
    ZeroEffect { measure: &'static str },
    /// A PSA distribution can draw values outside the range of the parameter's kind.
    #[error(
        "parameter \"{name}\" is a {kind} ({range}) but a {distribution} distribution draws values in {support}; use {fix}"
    )]
    DistributionOutsideKind {
        name: String,
        kind: &'static str,
        range: &'static str,
        distribution: &'static str,
        support: &'static str,
        fix: &'static str,
    },
    /// Warning: the base-case value lies outside the central 99% interval of its distribution.
    #[error(
        "parameter \"{name}\" = {} lies outside the central 99% interval [{}, {}] of its {distribution} distribution; check the distribution's parameters (e.g. scale vs rate, or a standard deviation given as a variance)",
        short(.value),
        short(.low),
        short(.high)
    )]
    BaseOutsideDistribution { name: String, value: f64, distribution: String, low: f64, high: f64 },
    /// A duration is negative.
    #[error("\"{value}\" is negative; a duration must be >= 0")]
    NegativeDuration { value: String },
    /// A size the scenario controls is above its limit (see `scenario::limits`).
    #[error("{what} is {value}, above the limit of {limit}; {fix}")]
    TooLarge { what: String, value: String, limit: String, fix: &'static str },
    /// A product of sizes does not fit in a 64-bit count.
    #[error("{what} does not fit in a 64-bit count; {fix}")]
    Overflow { what: String, fix: &'static str },
    /// A key that its table does not have (a misspelling, or a key of another table): the closest
    /// key of the table when one is close, else every key of the table.
    #[error("unknown key; {}", match suggestion {
        Some(s) => format!("did you mean \"{s}\"?"),
        None => format!("the keys here are: {known}"),
    })]
    UnknownKey { suggestion: Option<String>, known: String },
    /// A value of the wrong form: `expected` says what is accepted, in words ("expected a number"),
    /// `found` what was written ("the text \"abc\"").
    #[error("{expected}, found {found}")]
    WrongType { expected: &'static str, found: String },
    /// A required key (or table) is not given.
    #[error("required but missing; {expected}")]
    MissingKey { expected: &'static str },
    /// A cohort key that is optional in general but needed by this model (`start_age` when
    /// something reads age, `fraction_male` when something reads sex).
    #[error("required here because {why}; {fix}")]
    CohortKeyNeeded { why: String, fix: &'static str },
    /// A value the shape check accepted but the reader could not read. Not expected to happen
    /// (the shape check mirrors the reader); the reader's own message is kept.
    #[error("cannot be read: {message}")]
    Unreadable { message: String },
    // ---- issue 13: currency and price year (scenario::prices) ----
    /// A currency code the price-index table cannot convert (the cost's `currency`, or the
    /// scenario's `[economics] currency` when a cost must be converted to it).
    #[error("unknown currency \"{value}\" for conversion; the price-index table converts {known} (ISO 4217 codes)")]
    UnknownCurrency { value: String, known: String },
    /// A `country` that is not in the price-index table or does not use the currency.
    #[error(
        "country \"{country}\" does not price costs in {currency}; the countries of the table with {currency} are: {known} (ISO 3166 alpha-3; EMU for the euro area)"
    )]
    PriceCountry { country: String, currency: String, known: String },
    /// One of a cost's `currency` and `price_year` without the other (or `country` without them).
    #[error(
        "`{given}` without `{missing}`: a cost's price basis needs both currency and price_year (e.g. currency = \"USD\", price_year = 2024), or neither to take the scenario's"
    )]
    PriceBasisIncomplete { given: &'static str, missing: &'static str },
    /// `currency`, `price_year` or `country` on a parameter that is not a cost.
    #[error(
        "a parameter of kind {kind} has no currency: only parameters of kind cost are converted; remove currency, price_year and country"
    )]
    ConversionNotCost { kind: &'static str },
    /// A price year (the cost's or the scenario's) outside the years of the price-index table.
    #[error(
        "{whose} price year {year} is outside the price-index table ({first}-{last}); state the cost in a year the table covers, or convert it by hand and state it in the scenario's currency and price year"
    )]
    PriceYearOutsideTable { year: i64, whose: &'static str, first: i64, last: i64 },
    /// An index value a conversion needs is not in the price-index table (a gap in a series).
    #[error(
        "the table has no {series} for {country} in {year} (it has {has}); choose a price year or a country the table covers, or convert this cost by hand and state it in the scenario's currency and price year"
    )]
    PriceIndexMissing { series: String, country: String, year: i64, has: String },
    /// A conversion method whose series the price-index table does not have.
    #[error(
        "conversion = \"{method}\" needs the series {series}, which the price-index table does not have (it has cpi, ppp_gdp and fx_usd); use conversion = \"ccemg\" or \"exchange_rate\""
    )]
    PriceSeriesMissing { series: &'static str, method: &'static str },
    /// A converted cost whose PSA draws cannot be rescaled to the scenario's currency.
    #[error("a cost converted to the scenario's currency (factor {}) cannot {what}; {fix}", short(.factor))]
    ConversionCannotScale { factor: f64, what: &'static str, fix: &'static str },
    /// A cost with a currency in a scenario without `[economics]`, which states the target.
    #[error(
        "a cost with a currency needs the scenario's currency and price year: add an [economics] table (currency, price_year, ...)"
    )]
    ConversionWithoutEconomics,
    // ---- (issue 10) new model-build ProblemKinds go below this line ----
    /// An effect, resolved with the parameter values, has a multiplier or a time that is not a finite
    /// number >= 0 (e.g. `hr_per_meld_point ^ meld_shift` overflows to infinity).
    #[error(
        "the {measure} of strategy \"{strategy}\" on \"{from}\" -> \"{to}\": {what} is {value}{inputs}; it must be a finite number >= 0"
    )]
    EffectNotFinite {
        strategy: String,
        from: String,
        to: String,
        measure: &'static str,
        what: String,
        value: f64,
        inputs: String,
    },
    /// An infinite rate (a probability of 1) is multiplied by a hazard ratio of 0: the product is undefined.
    #[error(
        "the rate from \"{from}\" to \"{to}\" ({inputs}) is infinite and strategy \"{strategy}\" multiplies it by a hazard ratio of {hazard_ratio} at cycle {cycle}; the product is not a number. Use a probability below 1 or a hazard ratio above 0"
    )]
    RateNotANumber { from: String, to: String, inputs: String, strategy: String, cycle: usize, hazard_ratio: f64 },
    /// A built transition row is not a probability distribution although its inputs passed every check.
    #[error(
        "transitions out of \"{from}\" sum to {sum} at cycle {cycle} (strategy \"{strategy}\"{group}); every built row must be finite and sum to 1 within 1e-9. This is a bug in cirrhosim: please report it with the scenario"
    )]
    RowNotDistribution { from: String, strategy: String, cycle: usize, sum: f64, group: String },
    /// An entry of a strategy's value tables (costs, QALYs, life years) is not finite, or the
    /// total one patient can accrue over the horizon is not.
    #[error(
        "strategy \"{strategy}\": the {quantity} {place} at {when} is {value}; it is fed by {entries}. Every cost, utility and total must be a finite number: express costs in larger units (e.g. thousands)"
    )]
    ValueNotFinite { strategy: String, quantity: String, place: String, when: String, value: f64, entries: String },
    /// A covariate of `[population]` breaks a rule (its distribution, levels, bands, name or the
    /// number of profiles); `rule` says which and how to fix it.
    #[error("covariate \"{name}\": {rule}")]
    Covariate { name: String, rule: String },
    /// `[population]` as a whole breaks a rule (nodes, number of variables or profiles).
    #[error("population: {rule}")]
    Population { rule: String },
    /// A `[[population.correlations]]` entry whose `covariates` do not name two covariates.
    #[error("covariates must name two covariates, e.g. [\"meld\", \"albumin\"] (found {found})")]
    CorrelationNotAPair { found: usize },
    /// A correlation names a covariate that `[population.covariates]` does not declare.
    #[error("unknown covariate \"{name}\"{hint} (covariates: {known})")]
    CorrelationUnknownCovariate { name: String, hint: String, known: String },
    /// A correlation names a categorical covariate.
    #[error(
        "covariate \"{name}\" is categorical; only numeric covariates (with a distribution) can be correlated, and categorical ones are independent of every other covariate"
    )]
    CorrelationCategorical { name: String },
    /// A correlation pairs a covariate with itself.
    #[error("a covariate is not correlated with itself: name two different covariates (not \"{name}\" twice)")]
    CorrelationWithItself { name: String },
    /// Two correlations of the same pair of covariates.
    #[error(
        "the correlation of \"{first}\" and \"{second}\" is given twice (also in correlations[{earlier}]); give each pair once"
    )]
    CorrelationTwice { first: String, second: String, earlier: usize },
    /// A correlation that is not a finite number strictly between -1 and 1.
    #[error(
        "rho = {} must be a finite number above -1 and below 1 (a correlation of +-1 makes one covariate a function of the other)",
        short(.value)
    )]
    CorrelationOutOfRange { value: f64 },
    /// The correlations together do not make a positive definite matrix.
    #[error(
        "the correlations among {covariates} do not make a positive definite matrix, so no multivariate normal has them: make them smaller or consistent (a Cholesky factorisation failed)"
    )]
    CorrelationNotPositiveDefinite { covariates: String },
    /// More covariates are correlated than the copula's quadrature supports.
    #[error(
        "{count} covariates are correlated ({covariates}); at most {max} can be: keep the strongest correlation, or give the others as a patients_file"
    )]
    CorrelationTooMany { count: usize, covariates: String, max: usize },
    /// Correlations together with a patients file, whose patients already carry the joint distribution.
    #[error(
        "correlations cannot be given with patients_file: the file's patients already carry the joint distribution of their covariates; remove [[population.correlations]] or the patients_file"
    )]
    CorrelationWithPatientsFile,
}
