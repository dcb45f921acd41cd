//! Formulas: arithmetic on parameters and model time, read once and evaluated many times.
//!
//! A formula is text such as `"1 - exp(-(r_HD * hr_S1) * cycle_years)"`. [`parse`] reads it with
//! the `winnow` parser crate (a Pratt parser for the operators) into an [`Ast`]; [`compile`]
//! resolves every name (a parameter, a model-time variable or a function) and turns it into a
//! [`Formula`]: a short postfix program over a fixed-size stack, evaluated without allocation by
//! [`Formula::eval`]. Nothing here knows about scenarios: names are resolved by the caller's
//! closure, so the validator decides what a name means.
//!
//! Operators, loosest first: `||`; `&&`; comparisons `< <= > >= == !=` (not chained); `+ -`;
//! `* /`; prefix `- + !`; `^` (not chained: `a^b^c` is refused, since Excel reads it one way and
//! R the other). Truth values are 1 and 0; any non-zero number is true. Functions: `exp ln log10
//! sqrt abs floor ceil logit expit` (one argument), `pow rate_to_prob prob_to_rate` (two), `min
//! max` (two or more), `if(condition, then, else)`.

mod parse;

use std::sync::Arc;

pub use parse::parse;

/// Longest formula accepted, in characters: a guard against pathological input (deep recursion).
pub const MAX_LENGTH: usize = 2000;
/// Deepest nesting of parentheses accepted.
pub const MAX_NESTING: usize = 24;
/// Most operators and function calls in one formula: the syntax tree is walked recursively.
pub const MAX_OPERATORS: usize = 150;
/// Most signs (`+ - !`) in a row: each one nests the parser one level deeper.
pub const MAX_SIGNS: usize = 4;
/// Values a formula may need on its evaluation stack at once.
pub const MAX_STACK: usize = 64;
/// The stack of formulas of at most this many operations (see [`Formula::eval`]).
const SHORT: usize = 16;

/// A formula as read, before names are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Number(f64),
    Name(String),
    Unary(UnaryOp, Box<Ast>),
    Binary(BinaryOp, Box<Ast>, Box<Ast>),
    Call(String, Vec<Ast>),
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
}

/// An infix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// The model-time variables a formula may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeVar {
    /// 0-based index of the cycle.
    Cycle,
    /// Length of a cycle in years.
    CycleYears,
    /// Model time at the start of the cycle, years.
    ModelYears,
    /// Attained age at the start of the cycle, years.
    Age,
    /// Time already spent in the current state at the start of the cycle, years.
    StateYears,
    /// Index of a cycle boundary, 0..T (reward weights only).
    Boundary,
    /// Number of cycles T (reward weights only).
    Cycles,
    /// 1 in the male sub-cohort, 0 in the female one.
    Male,
    /// A covariate of the population (`[population.covariates]`): the value of a numeric one,
    /// or the 0/1 indicator of one level of a categorical one, in the profile being built; the
    /// index of its slot in [`At::covariates`].
    Covariate(u8),
}

/// How many covariate variables (numeric covariates plus levels of categorical ones) formulas
/// can read.
pub const MAX_COVARIATE_VARIABLES: usize = 16;

impl TimeVar {
    /// The variable a name denotes, if any.
    pub fn from_name(name: &str) -> Option<TimeVar> {
        Some(match name {
            "cycle" => TimeVar::Cycle,
            "cycle_years" => TimeVar::CycleYears,
            "model_years" => TimeVar::ModelYears,
            "age" => TimeVar::Age,
            "state_years" => TimeVar::StateYears,
            "t" => TimeVar::Boundary,
            "T" => TimeVar::Cycles,
            "male" => TimeVar::Male,
            _ => return None,
        })
    }

    /// The name used in formulas.
    pub fn name(self) -> &'static str {
        match self {
            TimeVar::Cycle => "cycle",
            TimeVar::CycleYears => "cycle_years",
            TimeVar::ModelYears => "model_years",
            TimeVar::Age => "age",
            TimeVar::StateYears => "state_years",
            TimeVar::Boundary => "t",
            TimeVar::Cycles => "T",
            TimeVar::Male => "male",
            TimeVar::Covariate(_) => "a covariate",
        }
    }

    /// Every variable name, for messages and suggestions.
    pub const NAMES: [&'static str; 8] =
        ["cycle", "cycle_years", "model_years", "age", "state_years", "t", "T", "male"];
}

/// Which model-time variables a formula reads, directly or through the formulas it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Depends {
    /// `cycle` or `model_years`.
    pub model_time: bool,
    pub age: bool,
    pub state_years: bool,
    /// `t` or `T`.
    pub boundary: bool,
    /// `male`: the sub-cohort's sex.
    pub sex: bool,
    /// A covariate of the population.
    pub covariates: bool,
}

impl Depends {
    /// Reads no model-time variable: one value per parameter draw.
    pub fn is_constant(self) -> bool {
        self == Depends::default()
    }

    /// Every model-time variable but `t` and `T` (what a derived parameter or a transition may read).
    pub fn all_but_boundary() -> Depends {
        Depends { model_time: true, age: true, state_years: true, boundary: false, sex: true, covariates: true }
    }

    /// Does this set of allowed variables include everything `needs` reads?
    pub fn covers(self, needs: Depends) -> bool {
        (self.model_time || !needs.model_time)
            && (self.age || !needs.age)
            && (self.state_years || !needs.state_years)
            && (self.boundary || !needs.boundary)
            && (self.sex || !needs.sex)
            && (self.covariates || !needs.covariates)
    }

    /// What a value allowed these variables may change with, in words, for messages.
    pub fn in_words(self) -> String {
        if self.is_constant() {
            "a value with one number per draw: it may not change with model time or sub-cohort (cycle, model_years, age, state_years, male, t, T)".to_string()
        } else {
            format!("a value that may change with {} only", self.describe())
        }
    }

    /// Adds a variable to the set.
    pub fn add_var(&mut self, v: TimeVar) {
        match v {
            TimeVar::Cycle | TimeVar::ModelYears => self.model_time = true,
            TimeVar::Age => self.age = true,
            TimeVar::StateYears => self.state_years = true,
            TimeVar::Boundary | TimeVar::Cycles => self.boundary = true,
            TimeVar::Male => self.sex = true,
            TimeVar::Covariate(_) => self.covariates = true,
            TimeVar::CycleYears => {}
        }
    }

    /// Everything either reads.
    pub fn union(self, o: Depends) -> Depends {
        Depends {
            model_time: self.model_time || o.model_time,
            age: self.age || o.age,
            state_years: self.state_years || o.state_years,
            boundary: self.boundary || o.boundary,
            sex: self.sex || o.sex,
            covariates: self.covariates || o.covariates,
        }
    }

    /// The variables read, in words: "age and state_years".
    pub fn describe(self) -> String {
        let mut parts = Vec::new();
        if self.model_time {
            parts.push("cycle/model_years");
        }
        if self.age {
            parts.push("age");
        }
        if self.state_years {
            parts.push("state_years");
        }
        if self.boundary {
            parts.push("t/T");
        }
        if self.sex {
            parts.push("male");
        }
        if self.covariates {
            parts.push("the population's covariates");
        }
        parts.join(" and ")
    }
}

/// Where in the model a formula is evaluated: the values of the model-time variables.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct At {
    pub cycle: f64,
    pub cycle_years: f64,
    pub model_years: f64,
    pub age: f64,
    pub state_years: f64,
    pub boundary: f64,
    pub cycles: f64,
    /// 1 for men, 0 for women.
    pub male: f64,
    /// The covariate variables of the profile (see [`TimeVar::Covariate`]).
    pub covariates: [f64; MAX_COVARIATE_VARIABLES],
}

impl At {
    /// Model time unknown: every variable NaN, so a formula that reads one gives NaN, never a
    /// number for the wrong time.
    pub const UNKNOWN: At = At {
        cycle: f64::NAN,
        cycle_years: f64::NAN,
        model_years: f64::NAN,
        age: f64::NAN,
        state_years: f64::NAN,
        boundary: f64::NAN,
        cycles: f64::NAN,
        male: f64::NAN,
        covariates: [f64::NAN; MAX_COVARIATE_VARIABLES],
    };

    /// The start of cycle `cycle` (0-based) of `cycle_years` years: `cycle`, `cycle_years` and
    /// `model_years` known, the rest unknown (NaN) until the caller fills them in.
    pub fn cycle_start(cycle: usize, cycle_years: f64) -> At {
        At { cycle: cycle as f64, cycle_years, model_years: cycle as f64 * cycle_years, ..At::UNKNOWN }
    }

    fn get(&self, v: TimeVar) -> f64 {
        match v {
            TimeVar::Cycle => self.cycle,
            TimeVar::CycleYears => self.cycle_years,
            TimeVar::ModelYears => self.model_years,
            TimeVar::Age => self.age,
            TimeVar::StateYears => self.state_years,
            TimeVar::Boundary => self.boundary,
            TimeVar::Cycles => self.cycles,
            TimeVar::Male => self.male,
            TimeVar::Covariate(k) => self.covariates[k as usize],
        }
    }
}

/// A function of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fn1 {
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Logit,
    Expit,
}

/// A function of two arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fn2 {
    Pow,
    Min,
    Max,
    RateToProb,
    ProbToRate,
}

/// Every function name with its number of arguments, for messages.
pub const FUNCTIONS: &str = "exp(x), ln(x), log10(x), sqrt(x), abs(x), floor(x), ceil(x), logit(p), expit(x), \
    pow(x, y), min(a, b, ...), max(a, b, ...), if(condition, then, else), rate_to_prob(rate, years), \
    prob_to_rate(p, years), lookup(table, x)";

const FUNCTION_NAMES: [&str; 16] = [
    "lookup",
    "exp",
    "ln",
    "log10",
    "sqrt",
    "abs",
    "floor",
    "ceil",
    "logit",
    "expit",
    "pow",
    "min",
    "max",
    "if",
    "rate_to_prob",
    "prob_to_rate",
];

/// One step of a compiled formula.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Number(f64),
    Parameter(u32),
    Var(TimeVar),
    Unary(UnaryOp),
    Binary(BinaryOp),
    Call1(Fn1),
    Call2(Fn2),
    If,
    /// Looks the top of the stack up in `Formula::tables[k]`.
    Lookup(u16),
}

/// A step function given as a table: `values[k]` holds from `from[k]` (inclusive) to
/// `from[k + 1]` (exclusive); the last value holds beyond the last start point. Below the first
/// break there is no value (NaN, reported where the formula is used). E.g. mortality by age band.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTable {
    pub name: String,
    /// Strictly increasing, finite.
    pub from: Vec<f64>,
    /// Finite, one per break.
    pub values: Vec<f64>,
}

impl StepTable {
    /// The value at `x`: that of the last break at or below `x`; NaN below the first break or
    /// for a NaN `x`.
    pub fn at(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match self.from.partition_point(|&b| b <= x) {
            0 => f64::NAN,
            k => self.values[k - 1],
        }
    }
}

/// A compiled formula: its text, a postfix program and what it depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    text: String,
    ops: Vec<Op>,
    depends: Depends,
    /// Draw-level parameters read (indices), sorted and without repeats.
    parameters: Vec<usize>,
    /// Tables read by `lookup`, indexed by [`Op::Lookup`].
    tables: Vec<Arc<StepTable>>,
    /// Derived parameters that change with model time and were inlined here (by index).
    derived: Vec<usize>,
}

/// What a name in a formula resolves to, as the caller's resolver says.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// A parameter with one value per draw, read from the values slice at this index.
    Parameter(usize),
    /// A derived parameter (by index) whose value changes with model time: its formula is inlined.
    Inline(usize, &'a Formula),
    /// A model-time variable.
    Var(TimeVar),
    /// A number fixed for the whole model (e.g. `cycle_years`).
    Number(f64),
    /// A table, for the first argument of `lookup`.
    Table(Arc<StepTable>),
}

/// Why a formula could not be read or compiled. The validator turns it into a located problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormulaError {
    /// Not a formula: the text stops making sense at a character.
    #[error("cannot read it as a formula: {what} at character {at}")]
    Syntax { at: usize, what: String },
    /// Longer or deeper than the limits.
    #[error("{0}")]
    TooLarge(String),
    /// A name that is no parameter, variable or function.
    #[error("unknown name \"{name}\"{hint}")]
    UnknownName { name: String, hint: String },
    /// A name that exists but may not be used here (e.g. `t` outside reward weights).
    #[error("\"{name}\" cannot be used here: {why}")]
    NotHere { name: String, why: String },
    /// An unknown function or a wrong number of arguments.
    #[error("{0} (functions: {FUNCTIONS})")]
    Function(String),
}

/// Resolves the names of a syntax tree and compiles it. `resolve` says what a name is (or why it
/// cannot be used here); `text` is kept for messages.
///
/// # Errors
/// The first unknown or misplaced name ([`FormulaError::UnknownName`], [`FormulaError::NotHere`]),
/// an unknown function or a wrong number of arguments ([`FormulaError::Function`]), or a formula
/// that needs more than [`MAX_STACK`] values at once ([`FormulaError::TooLarge`]).
pub fn compile<'a>(
    text: &str,
    ast: &Ast,
    resolve: &mut dyn FnMut(&str) -> Result<Resolved<'a>, FormulaError>,
) -> Result<Formula, FormulaError> {
    let mut f = Formula {
        text: text.to_string(),
        ops: Vec::new(),
        depends: Depends::default(),
        parameters: Vec::new(),
        tables: Vec::new(),
        derived: Vec::new(),
    };
    emit(ast, resolve, &mut f)?;
    f.parameters.sort_unstable();
    f.parameters.dedup();
    if f.stack_needed() > MAX_STACK {
        return Err(FormulaError::TooLarge(format!(
            "the formula needs more than {MAX_STACK} intermediate values; split it into derived parameters"
        )));
    }
    Ok(f)
}

/// Appends the postfix program of `ast` to `f`.
fn emit<'a>(
    ast: &Ast,
    resolve: &mut dyn FnMut(&str) -> Result<Resolved<'a>, FormulaError>,
    f: &mut Formula,
) -> Result<(), FormulaError> {
    match ast {
        Ast::Number(x) => f.ops.push(Op::Number(*x)),
        Ast::Name(name) => match resolve(name)? {
            Resolved::Parameter(i) => {
                f.ops.push(Op::Parameter(i as u32));
                f.parameters.push(i);
            }
            Resolved::Inline(index, inner) => {
                f.derived.push(index);
                f.derived.extend_from_slice(&inner.derived);
                // The inner formula's tables join this one's, so its lookups are renumbered.
                let offset = f.tables.len() as u16;
                f.tables.extend(inner.tables.iter().cloned());
                f.ops.extend(inner.ops.iter().map(|op| match op {
                    Op::Lookup(k) => Op::Lookup(k + offset),
                    other => *other,
                }));
                f.parameters.extend_from_slice(&inner.parameters);
                f.depends = f.depends.union(inner.depends);
            }
            Resolved::Var(v) => {
                f.ops.push(Op::Var(v));
                f.depends.add_var(v);
            }
            Resolved::Number(x) => f.ops.push(Op::Number(x)),
            Resolved::Table(t) => {
                return Err(FormulaError::NotHere {
                    name: t.name.clone(),
                    why: format!("it is a table: read it with lookup({}, x)", t.name),
                });
            }
        },
        Ast::Unary(UnaryOp::Plus, a) => emit(a, resolve, f)?,
        Ast::Unary(op, a) => {
            emit(a, resolve, f)?;
            f.ops.push(Op::Unary(*op));
        }
        Ast::Binary(op, a, b) => {
            emit(a, resolve, f)?;
            emit(b, resolve, f)?;
            f.ops.push(Op::Binary(*op));
        }
        Ast::Call(name, args) => emit_call(name, args, resolve, f)?,
    }
    Ok(())
}

/// Appends the postfix program of a function call to `f`.
fn emit_call<'a>(
    name: &str,
    args: &[Ast],
    resolve: &mut dyn FnMut(&str) -> Result<Resolved<'a>, FormulaError>,
    f: &mut Formula,
) -> Result<(), FormulaError> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(FormulaError::Function(format!("{name}() takes {n} argument{}, not {}", plural(n), args.len())))
        }
    };
    let one = match name {
        "exp" => Some(Fn1::Exp),
        "ln" => Some(Fn1::Ln),
        "log10" => Some(Fn1::Log10),
        "sqrt" => Some(Fn1::Sqrt),
        "abs" => Some(Fn1::Abs),
        "floor" => Some(Fn1::Floor),
        "ceil" => Some(Fn1::Ceil),
        "logit" => Some(Fn1::Logit),
        "expit" => Some(Fn1::Expit),
        _ => None,
    };
    if let Some(g) = one {
        arity(1)?;
        emit(&args[0], resolve, f)?;
        f.ops.push(Op::Call1(g));
        return Ok(());
    }
    match name {
        "pow" | "rate_to_prob" | "prob_to_rate" => {
            arity(2)?;
            emit(&args[0], resolve, f)?;
            emit(&args[1], resolve, f)?;
            f.ops.push(Op::Call2(match name {
                "pow" => Fn2::Pow,
                "rate_to_prob" => Fn2::RateToProb,
                _ => Fn2::ProbToRate,
            }));
        }
        "min" | "max" => {
            if args.len() < 2 {
                return Err(FormulaError::Function(format!(
                    "{name}() takes two or more arguments, not {}",
                    args.len()
                )));
            }
            let g = if name == "min" { Fn2::Min } else { Fn2::Max };
            emit(&args[0], resolve, f)?;
            for a in &args[1..] {
                emit(a, resolve, f)?;
                f.ops.push(Op::Call2(g));
            }
        }
        "if" => {
            arity(3)?;
            for a in args {
                emit(a, resolve, f)?;
            }
            f.ops.push(Op::If);
        }
        "lookup" => {
            arity(2)?;
            let table = match &args[0] {
                Ast::Name(name) => match resolve(name)? {
                    Resolved::Table(t) => t,
                    _ => return Err(FormulaError::Function(format!("lookup(): \"{name}\" is not a table"))),
                },
                _ => return Err(FormulaError::Function("lookup() takes a table's name first".to_string())),
            };
            if f.tables.len() >= u16::MAX as usize {
                return Err(FormulaError::TooLarge("too many table lookups in one formula".to_string()));
            }
            emit(&args[1], resolve, f)?;
            f.ops.push(Op::Lookup(f.tables.len() as u16));
            f.tables.push(table);
        }
        _ => {
            let hint = closest(name, FUNCTION_NAMES.iter().copied())
                .map(|c| format!("; did you mean {c}()?"))
                .unwrap_or_default();
            return Err(FormulaError::Function(format!("unknown function \"{name}\"{hint}")));
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The candidate closest to `name`, for "did you mean": the best of the normalised
/// Damerau-Levenshtein similarity (catches swapped letters in short names, `epx` for `exp`) and
/// the Jaro-Winkler similarity (catches changed endings in long ones), if at least 0.6 or 0.85.
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| {
            let edits = strsim::normalized_damerau_levenshtein(name, c);
            let jw = strsim::jaro_winkler(name, c);
            (if edits >= 0.6 || jw >= 0.85 { edits.max(jw) } else { 0.0 }, c)
        })
        .filter(|(score, _)| *score > 0.0)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Reads and compiles a formula in one step (see [`parse`] and [`compile`]).
///
/// # Errors
/// As [`parse`] and [`compile`].
pub fn read<'a>(
    text: &str,
    resolve: &mut dyn FnMut(&str) -> Result<Resolved<'a>, FormulaError>,
) -> Result<Formula, FormulaError> {
    compile(text, &parse(text)?, resolve)
}

/// True when `x` counts as true in a formula: non-zero (NaN is neither, and stays NaN).
fn truth(x: f64) -> f64 {
    if x.is_nan() { f64::NAN } else { f64::from(u8::from(x != 0.0)) }
}

impl Formula {
    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The model-time variables it reads (directly or through inlined formulas).
    pub fn depends(&self) -> Depends {
        self.depends
    }

    /// The draw-level parameters it reads, by index, sorted.
    pub fn parameters(&self) -> &[usize] {
        &self.parameters
    }

    /// The derived parameters that change with model time and were inlined here, by index.
    pub fn inlined(&self) -> &[usize] {
        &self.derived
    }

    /// The most values on the stack at once.
    fn stack_needed(&self) -> usize {
        let (mut depth, mut most) = (0usize, 0usize);
        for op in &self.ops {
            match op {
                Op::Number(_) | Op::Parameter(_) | Op::Var(_) => depth += 1,
                Op::Unary(_) | Op::Call1(_) | Op::Lookup(_) => {}
                Op::Binary(_) | Op::Call2(_) => depth -= 1,
                Op::If => depth -= 2,
            }
            most = most.max(depth);
        }
        most
    }

    /// The value, with draw-level parameters from `values` and model time from `at`. Never
    /// fails: a NaN or an infinity is returned as such, for the caller to report with its
    /// location (e.g. `ln(0)` gives minus infinity, `0/0` NaN).
    pub fn eval(&self, values: &[f64], at: &At) -> f64 {
        // No op pushes more than one value: a short formula runs on a short stack, which costs
        // no call to clear (most formulas are short, and some are evaluated for every draw).
        if self.ops.len() <= SHORT { self.eval_on::<SHORT>(values, at) } else { self.eval_on::<MAX_STACK>(values, at) }
    }

    /// [`Formula::eval`] on a stack of `N` values (at least [`Formula::stack_needed`]).
    #[inline(always)]
    fn eval_on<const N: usize>(&self, values: &[f64], at: &At) -> f64 {
        let mut stack = [0.0f64; N];
        let mut n = 0usize;
        for op in &self.ops {
            match *op {
                Op::Number(x) => {
                    stack[n] = x;
                    n += 1;
                }
                Op::Parameter(i) => {
                    stack[n] = values[i as usize];
                    n += 1;
                }
                Op::Var(v) => {
                    stack[n] = at.get(v);
                    n += 1;
                }
                Op::Unary(op) => {
                    let a = stack[n - 1];
                    stack[n - 1] = match op {
                        UnaryOp::Neg => -a,
                        UnaryOp::Plus => a,
                        UnaryOp::Not => truth(a).map_truth(|t| 1.0 - t),
                    };
                }
                Op::Call1(g) => {
                    let a = stack[n - 1];
                    stack[n - 1] = match g {
                        Fn1::Exp => a.exp(),
                        Fn1::Ln => a.ln(),
                        Fn1::Log10 => a.log10(),
                        Fn1::Sqrt => a.sqrt(),
                        Fn1::Abs => a.abs(),
                        Fn1::Floor => a.floor(),
                        Fn1::Ceil => a.ceil(),
                        Fn1::Logit => (a / (1.0 - a)).ln(),
                        Fn1::Expit => 1.0 / (1.0 + (-a).exp()),
                    };
                }
                Op::Binary(op) => {
                    n -= 1;
                    let (a, b) = (stack[n - 1], stack[n]);
                    stack[n - 1] = binary_value(op, a, b);
                }
                Op::Call2(g) => {
                    n -= 1;
                    let (a, b) = (stack[n - 1], stack[n]);
                    stack[n - 1] = match g {
                        Fn2::Pow => a.powf(b),
                        // NaN in either argument gives NaN (f64::min would drop it).
                        Fn2::Min if a.is_nan() || b.is_nan() => f64::NAN,
                        Fn2::Max if a.is_nan() || b.is_nan() => f64::NAN,
                        Fn2::Min => a.min(b),
                        Fn2::Max => a.max(b),
                        Fn2::RateToProb => -(-a * b).exp_m1(),
                        Fn2::ProbToRate => -(-a).ln_1p() / b,
                    };
                }
                Op::Lookup(k) => stack[n - 1] = self.tables[k as usize].at(stack[n - 1]),
                Op::If => {
                    n -= 2;
                    let (c, a, b) = (stack[n - 1], stack[n], stack[n + 1]);
                    stack[n - 1] = if c.is_nan() {
                        f64::NAN
                    } else if c != 0.0 {
                        a
                    } else {
                        b
                    };
                }
            }
        }
        stack[0]
    }
}

/// Applies `f` to a truth value, keeping NaN.
trait MapTruth {
    fn map_truth(self, f: impl Fn(f64) -> f64) -> f64;
}

impl MapTruth for f64 {
    fn map_truth(self, f: impl Fn(f64) -> f64) -> f64 {
        if self.is_nan() { self } else { f(self) }
    }
}

fn binary_value(op: BinaryOp, a: f64, b: f64) -> f64 {
    let compare = |holds: bool| if a.is_nan() || b.is_nan() { f64::NAN } else { f64::from(u8::from(holds)) };
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Lt => compare(a < b),
        BinaryOp::Le => compare(a <= b),
        BinaryOp::Gt => compare(a > b),
        BinaryOp::Ge => compare(a >= b),
        BinaryOp::Eq => compare(a == b),
        BinaryOp::Ne => compare(a != b),
        BinaryOp::And => {
            let (x, y) = (truth(a), truth(b));
            if x.is_nan() || y.is_nan() { f64::NAN } else { x * y }
        }
        BinaryOp::Or => {
            let (x, y) = (truth(a), truth(b));
            if x.is_nan() || y.is_nan() { f64::NAN } else { x.max(y) }
        }
    }
}

#[cfg(test)]
mod tests;
