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

use winnow::ascii::{digit0, digit1, multispace0};
use winnow::combinator::{Infix, Prefix, alt, delimited, dispatch, expression, fail, opt, separated};
use winnow::prelude::*;
use winnow::token::{any, one_of, take_while};

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
}

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
        }
    }

    /// Every variable name, for messages and suggestions.
    pub const NAMES: [&'static str; 7] = ["cycle", "cycle_years", "model_years", "age", "state_years", "t", "T"];
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
}

impl Depends {
    /// Reads no model-time variable: one value per parameter draw.
    pub fn is_constant(self) -> bool {
        self == Depends::default()
    }

    fn add(&mut self, v: TimeVar) {
        match v {
            TimeVar::Cycle | TimeVar::ModelYears => self.model_time = true,
            TimeVar::Age => self.age = true,
            TimeVar::StateYears => self.state_years = true,
            TimeVar::Boundary | TimeVar::Cycles => self.boundary = true,
            TimeVar::CycleYears => {}
        }
    }

    fn union(self, o: Depends) -> Depends {
        Depends {
            model_time: self.model_time || o.model_time,
            age: self.age || o.age,
            state_years: self.state_years || o.state_years,
            boundary: self.boundary || o.boundary,
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
}

impl At {
    fn get(&self, v: TimeVar) -> f64 {
        match v {
            TimeVar::Cycle => self.cycle,
            TimeVar::CycleYears => self.cycle_years,
            TimeVar::ModelYears => self.model_years,
            TimeVar::Age => self.age,
            TimeVar::StateYears => self.state_years,
            TimeVar::Boundary => self.boundary,
            TimeVar::Cycles => self.cycles,
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
    prob_to_rate(p, years)";

const FUNCTION_NAMES: [&str; 15] = [
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
}

/// A compiled formula: its text, a postfix program and what it depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    text: String,
    ops: Vec<Op>,
    depends: Depends,
    /// Draw-level parameters read (indices), sorted and without repeats.
    parameters: Vec<usize>,
}

/// What a name in a formula resolves to, as the caller's resolver says.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// A parameter with one value per draw, read from the values slice at this index.
    Parameter(usize),
    /// A derived parameter whose value changes with model time: its formula is inlined.
    Inline(&'a Formula),
    /// A model-time variable.
    Var(TimeVar),
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

/// Reads a formula into its syntax tree.
///
/// # Errors
/// [`FormulaError::Syntax`] with the character where reading stopped, [`FormulaError::TooLarge`]
/// beyond [`MAX_LENGTH`] characters or [`MAX_NESTING`] levels of parentheses.
pub fn parse(text: &str) -> Result<Ast, FormulaError> {
    if text.chars().count() > MAX_LENGTH {
        return Err(FormulaError::TooLarge(format!(
            "a formula may have at most {MAX_LENGTH} characters; split it into derived parameters"
        )));
    }
    let (mut depth, mut signs) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match c {
            '-' | '+' | '!' => signs += 1,
            c if c.is_whitespace() => {}
            _ => signs = 0,
        }
        if signs > MAX_SIGNS {
            return Err(FormulaError::TooLarge(format!("more than {MAX_SIGNS} signs (+ - !) in a row")));
        }
        if depth > MAX_NESTING {
            return Err(FormulaError::TooLarge(format!(
                "parentheses nest deeper than {MAX_NESTING} levels; split it into derived parameters"
            )));
        }
    }
    let operators = text.chars().filter(|c| "+-*/^<>=!&|(".contains(*c)).count();
    if operators > MAX_OPERATORS {
        return Err(FormulaError::TooLarge(format!(
            "a formula may have at most {MAX_OPERATORS} operators and parentheses; split it into derived parameters"
        )));
    }
    let mut input = text;
    let ast = delimited(multispace0, expr, multispace0)
        .parse_next(&mut input)
        .map_err(|_| FormulaError::Syntax { at: 1 + text.len() - input.len(), what: describe_rest(input) })?;
    if !input.is_empty() {
        let at = 1 + text.len() - input.len();
        let what = if input.starts_with('^') {
            "a second \"^\" (write (a^b)^c or a^(b^c))".to_string()
        } else if ["<", ">", "==", "!="].iter().any(|c| input.starts_with(c)) {
            "a second comparison (write (a < b) && (b < c))".to_string()
        } else {
            describe_rest(input)
        };
        return Err(FormulaError::Syntax { at, what });
    }
    Ok(ast)
}

/// Words for where reading stopped.
fn describe_rest(rest: &str) -> String {
    match rest.chars().next() {
        None => "it ends too early".to_string(),
        Some(c) => format!("unexpected \"{c}\""),
    }
}

type PResult<T> = winnow::Result<T>;

fn expr(input: &mut &str) -> PResult<Ast> {
    expression(delimited(multispace0, operand, multispace0))
        .prefix(delimited(
            multispace0,
            dispatch! {any;
                '-' => Prefix(13, |_, a| Ok(Ast::Unary(UnaryOp::Neg, Box::new(a)))),
                '+' => Prefix(13, |_, a| Ok(Ast::Unary(UnaryOp::Plus, Box::new(a)))),
                '!' => Prefix(13, |_, a| Ok(Ast::Unary(UnaryOp::Not, Box::new(a)))),
                _ => fail,
            },
            multispace0,
        ))
        .infix(delimited(multispace0, infix_op, multispace0))
        .parse_next(input)
}

fn binary<'i>(op: BinaryOp) -> fn(&mut &'i str, Ast, Ast) -> PResult<Ast> {
    macro_rules! fold {
        ($op:expr) => {
            |_: &mut &'i str, a: Ast, b: Ast| Ok(Ast::Binary($op, Box::new(a), Box::new(b)))
        };
    }
    match op {
        BinaryOp::Add => fold!(BinaryOp::Add),
        BinaryOp::Sub => fold!(BinaryOp::Sub),
        BinaryOp::Mul => fold!(BinaryOp::Mul),
        BinaryOp::Div => fold!(BinaryOp::Div),
        BinaryOp::Pow => fold!(BinaryOp::Pow),
        BinaryOp::Lt => fold!(BinaryOp::Lt),
        BinaryOp::Le => fold!(BinaryOp::Le),
        BinaryOp::Gt => fold!(BinaryOp::Gt),
        BinaryOp::Ge => fold!(BinaryOp::Ge),
        BinaryOp::Eq => fold!(BinaryOp::Eq),
        BinaryOp::Ne => fold!(BinaryOp::Ne),
        BinaryOp::And => fold!(BinaryOp::And),
        BinaryOp::Or => fold!(BinaryOp::Or),
    }
}

/// An infix operator with its binding power: `||` 1, `&&` 3, comparisons 5 (not chained), `+ -`
/// 7, `* /` 9, `^` 15 (not chained; tighter than the prefix operators at 13, so `-x^2` is
/// `-(x^2)`).
fn infix_op<'i>(input: &mut &'i str) -> PResult<Infix<&'i str, Ast, winnow::error::ContextError>> {
    use BinaryOp::*;
    let logic = alt((
        "||".value(Or),
        "&&".value(And),
        "<=".value(Le),
        ">=".value(Ge),
        "==".value(Eq),
        "!=".value(Ne),
        "<".value(Lt),
        ">".value(Gt),
    ));
    let arithmetic = alt(("+".value(Add), "-".value(Sub), "*".value(Mul), "/".value(Div), "^".value(Pow)));
    let op = alt((logic, arithmetic)).parse_next(input)?;
    let f = binary(op);
    Ok(match op {
        Or => Infix::Left(1, f),
        And => Infix::Left(3, f),
        Lt | Le | Gt | Ge | Eq | Ne => Infix::Neither(5, f),
        Add | Sub => Infix::Left(7, f),
        Mul | Div => Infix::Left(9, f),
        Pow => Infix::Neither(15, f),
    })
}

/// A number, a name, a function call or a parenthesised formula.
fn operand(input: &mut &str) -> PResult<Ast> {
    alt((number, call_or_name, delimited('(', expr, ')'))).parse_next(input)
}

/// A decimal number: `12`, `0.5`, `.5`, `1e-3`, `2.5E+2` (no `inf` or `nan`).
fn number(input: &mut &str) -> PResult<Ast> {
    let mantissa = alt(((digit1, opt(('.', digit0))).void(), ('.', digit1).void()));
    let exponent = opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), digit1));
    (mantissa, exponent).take().try_map(str::parse::<f64>).map(Ast::Number).parse_next(input)
}

/// A name (`r_HD`, `cycle`), or a call when followed by `(`.
fn call_or_name(input: &mut &str) -> PResult<Ast> {
    let name = (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .parse_next(input)?;
    let args = opt(delimited((multispace0, '('), separated(0.., delimited(multispace0, expr, multispace0), ','), ')'))
        .parse_next(input)?;
    Ok(match args {
        Some(args) => Ast::Call(name.to_string(), args),
        None => Ast::Name(name.to_string()),
    })
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
    let mut f =
        Formula { text: text.to_string(), ops: Vec::new(), depends: Depends::default(), parameters: Vec::new() };
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
            Resolved::Inline(inner) => {
                f.ops.extend_from_slice(&inner.ops);
                f.parameters.extend_from_slice(&inner.parameters);
                f.depends = f.depends.union(inner.depends);
            }
            Resolved::Var(v) => {
                f.ops.push(Op::Var(v));
                f.depends.add(v);
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
        Ast::Call(name, args) => {
            let arity = |n: usize| {
                if args.len() == n {
                    Ok(())
                } else {
                    Err(FormulaError::Function(format!("{name}() takes {n} argument{}, not {}", plural(n), args.len())))
                }
            };
            let one = match name.as_str() {
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
            match name.as_str() {
                "pow" | "rate_to_prob" | "prob_to_rate" => {
                    arity(2)?;
                    emit(&args[0], resolve, f)?;
                    emit(&args[1], resolve, f)?;
                    f.ops.push(Op::Call2(match name.as_str() {
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
                _ => {
                    let hint = closest(name, FUNCTION_NAMES.iter().copied())
                        .map(|c| format!("; did you mean {c}()?"))
                        .unwrap_or_default();
                    return Err(FormulaError::Function(format!("unknown function \"{name}\"{hint}")));
                }
            }
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

    /// The most values on the stack at once.
    fn stack_needed(&self) -> usize {
        let (mut depth, mut most) = (0usize, 0usize);
        for op in &self.ops {
            match op {
                Op::Number(_) | Op::Parameter(_) | Op::Var(_) => depth += 1,
                Op::Unary(_) | Op::Call1(_) => {}
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
        let mut stack = [0.0f64; MAX_STACK];
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
mod tests {
    use super::*;

    fn names(name: &str) -> Result<Resolved<'static>, FormulaError> {
        match name {
            "a" => Ok(Resolved::Parameter(0)),
            "b" => Ok(Resolved::Parameter(1)),
            "rate" => Ok(Resolved::Parameter(2)),
            _ => match TimeVar::from_name(name) {
                Some(v) => Ok(Resolved::Var(v)),
                None => Err(FormulaError::UnknownName {
                    name: name.to_string(),
                    hint: closest(name, ["a", "b", "rate"]).map(|c| format!("; did you mean {c}?")).unwrap_or_default(),
                }),
            },
        }
    }

    fn value(text: &str) -> f64 {
        let at = At { cycle: 3.0, cycle_years: 0.5, model_years: 1.5, age: 61.5, state_years: 1.0, ..At::default() };
        read(text, &mut names).unwrap_or_else(|e| panic!("{text}: {e}")).eval(&[2.0, 3.0, 0.1], &at)
    }

    fn error(text: &str) -> String {
        read(text, &mut names).unwrap_err().to_string()
    }

    #[test]
    fn arithmetic_follows_the_usual_precedence() {
        assert_eq!(value("1 + 2 * 3"), 7.0);
        assert_eq!(value("(1 + 2) * 3"), 9.0);
        assert_eq!(value("a - b - 1"), -2.0);
        assert_eq!(value("12 / a / 3"), 2.0);
        assert_eq!(value("-a^2"), -4.0);
        assert_eq!(value("a^-1"), 0.5);
        assert_eq!(value("2 * -a"), -4.0);
        assert_eq!(value(" 1e-3 + 2.5E+2 + .5 "), 250.501);
        assert_eq!(value("1/2"), 0.5, "no integer division");
    }

    #[test]
    fn comparisons_logic_and_if() {
        assert_eq!(value("a < b"), 1.0);
        assert_eq!(value("a >= b"), 0.0);
        assert_eq!(value("a == 2 && b != 2"), 1.0);
        assert_eq!(value("!(a < b) || 0"), 0.0);
        assert_eq!(value("if(age < 65, 0.0067, 0.01)"), 0.0067);
        assert_eq!(value("if(age >= 65, 0.0067, if(age >= 60, 0.02, 0.01))"), 0.02);
        assert!(value("if(0/0, 1, 2)").is_nan(), "a NaN condition is not silently false");
        assert!(value("min(1, 0/0)").is_nan());
    }

    #[test]
    fn functions_and_time_variables() {
        let p = value("1 - exp(-rate * cycle_years)");
        assert!((p - (1.0 - (-0.05f64).exp())).abs() < 1e-15);
        assert!((value("rate_to_prob(rate, cycle_years)") - p).abs() < 1e-16);
        assert!((value("prob_to_rate(rate_to_prob(rate, 2), 2)") - 0.1).abs() < 1e-15);
        assert!((value("expit(logit(0.3))") - 0.3).abs() < 1e-15);
        assert_eq!(value("min(3, a, b) + max(1, 2, 0)"), 4.0);
        assert_eq!(value("pow(a, 3) + sqrt(16) + abs(-1) + floor(2.7) + ceil(2.2)"), 8.0 + 4.0 + 1.0 + 2.0 + 3.0);
        assert_eq!(value("cycle + model_years + state_years"), 5.5);
        assert!((value("ln(exp(2)) + log10(1000)") - 5.0).abs() < 1e-15);
        // A Weibull cumulative-hazard difference by cycle (Briggs et al. 2006, section 3.4).
        let w = value("1 - exp(0.0014 * (cycle^1.4 - (cycle + 1)^1.4))");
        assert!((w - (1.0 - (0.0014 * (3f64.powf(1.4) - 4f64.powf(1.4))).exp())).abs() < 1e-15);
    }

    #[test]
    fn dependence_is_tracked() {
        let f = read("a * if(age < 65, 1, b) + state_years", &mut names).unwrap();
        assert_eq!(f.parameters(), &[0, 1]);
        assert!(f.depends().age && f.depends().state_years && !f.depends().model_time);
        assert!(read("a * b", &mut names).unwrap().depends().is_constant());
        assert!(read("cycle_years * a", &mut names).unwrap().depends().is_constant());
    }

    #[test]
    fn inlined_formulas_bring_their_dependence() {
        let inner = read("a * age", &mut names).unwrap();
        let mut with_inner = |name: &str| if name == "d" { Ok(Resolved::Inline(&inner)) } else { names(name) };
        let f = read("d + 1", &mut with_inner).unwrap();
        assert!(f.depends().age);
        assert_eq!(f.eval(&[2.0], &At { age: 10.0, ..At::default() }), 21.0);
    }

    #[test]
    fn errors_say_where_and_what() {
        assert_eq!(error("1 +"), "cannot read it as a formula: it ends too early at character 4");
        assert_eq!(
            error("a ^ b ^ 2"),
            "cannot read it as a formula: a second \"^\" (write (a^b)^c or a^(b^c)) at character 7"
        );
        assert_eq!(
            error("a < b < 2"),
            "cannot read it as a formula: a second comparison (write (a < b) && (b < c)) at character 7"
        );
        assert_eq!(error("2 # 3"), "cannot read it as a formula: unexpected \"#\" at character 3");
        assert_eq!(error("inf"), "unknown name \"inf\"");
        assert_eq!(error("raet * 2"), "unknown name \"raet\"; did you mean rate?");
        assert!(error("epx(1)").starts_with("unknown function \"epx\"; did you mean exp()? (functions: exp(x), "));
        assert!(error("if(a, 1)").starts_with("if() takes 3 arguments, not 2"));
        assert!(error("min(a)").starts_with("min() takes two or more arguments, not 1"));
        assert!(error(&"(".repeat(50)).contains("nest deeper than 24"));
        assert!(error(&"1+".repeat(1500)).contains("at most 2000 characters"));
        assert!(error(&"1+".repeat(151)).contains("at most 150 operators"));
    }

    #[test]
    fn deep_prefix_chains_and_long_sums_stay_within_limits() {
        assert_eq!(value("-+-!0"), 1.0);
        assert!(error(&format!("{}1", "-".repeat(1000))).contains("more than 4 signs"));
        // The deepest formula the limits allow parses on a test thread's small stack.
        // The largest formulas the limits allow compile on a small (1 MiB) stack in a debug build.
        for text in [format!("{}1", "1+".repeat(150)), format!("{}1{}", "(----".repeat(24), ")".repeat(24))] {
            let small_stack = std::thread::Builder::new().stack_size(1 << 20);
            let ok = small_stack.spawn(move || read(&text, &mut names).is_ok()).unwrap().join().unwrap();
            assert!(ok);
        }
        // Right-nested sums need one stack slot per level.
        let nested = format!("{}1{}", "1+(".repeat(23), ")".repeat(23));
        assert_eq!(value(&nested), 24.0);
    }
}
