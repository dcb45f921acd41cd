//! Reading formula text into a syntax tree with winnow: a Pratt parser for the operators, small
//! combinators for numbers, names and calls, and limits on size and nesting checked first (the
//! parser and the tree walk are recursive).

use super::{Ast, BinaryOp, FormulaError, MAX_LENGTH, MAX_NESTING, MAX_OPERATORS, MAX_SIGNS, UnaryOp};
use winnow::ascii::{digit0, digit1, multispace0};
use winnow::combinator::{Infix, Prefix, alt, delimited, dispatch, expression, fail, opt, separated};
use winnow::prelude::*;
use winnow::token::{any, one_of, take_while};

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
