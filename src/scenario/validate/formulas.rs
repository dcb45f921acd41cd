//! Formulas in a scenario: derived parameters (`[parameters.NAME] formula = "..."`) and inline
//! expressions wherever a number or a parameter name is accepted.
//!
//! Derived parameters are compiled in dependency order, so a formula may use a derived parameter
//! defined anywhere in the file; a circle of derived parameters is reported with its members in
//! order. A derived parameter whose formula reads no model-time variable gets one value per draw
//! (evaluated into the values vector, see [`Scenario::complete_values`]); one that reads `cycle`,
//! `model_years`, `age` or `state_years` has no single value and is inlined into every formula that
//! uses it, so it is evaluated at the model time of each use. Which model-time variables a value may
//! read depends on where it is used ([`Validator::time_allowed`]): transitions all of them; state
//! rewards model time, time in state and the profile (age, sex, covariates); one-off rewards the
//! same but time in state; draw-level settings none.
//!
//! [`Scenario::complete_values`]: crate::scenario::Scenario::complete_values

use super::super::formula::{self, Ast, Depends, Formula, FormulaError, Resolved, TimeVar};
use super::{Usage, Validator};
use crate::error::ProblemKind;
use crate::scenario::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The state of a derived parameter during the depth-first ordering.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Unvisited,
    InProgress,
    Done,
}

impl Validator<'_> {
    /// Compiles every derived parameter in dependency order, reports circles, unknown names and
    /// out-of-range base values, and records the evaluation order of the draw-level ones.
    pub(super) fn derived_parameters(&mut self) {
        let pending = std::mem::take(&mut self.pending_formulas);
        self.derived = pending.iter().filter_map(|(name, _, _)| self.parameter_index.get(name).copied()).collect();
        let mut asts: HashMap<usize, (Ast, String, Option<usize>)> = HashMap::new();
        for (name, text, line) in pending {
            let Some(&i) = self.parameter_index.get(&name) else { continue };
            match formula::parse(&text) {
                Ok(ast) => {
                    asts.insert(i, (ast, text, line));
                }
                Err(e) => self.formula_problem(&format!("parameters.{name}.formula"), line, &text, &e),
            }
        }
        // Depth-first order over the derived parameters each formula names.
        let mut order = Vec::new();
        let mut marks: HashMap<usize, Mark> = asts.keys().map(|&i| (i, Mark::Unvisited)).collect();
        let mut keys: Vec<usize> = asts.keys().copied().collect();
        keys.sort_unstable();
        let mut reported_circle = false;
        for &start in &keys {
            let mut path = Vec::new();
            if let Err(circle) = self.visit(start, &asts, &mut marks, &mut path, &mut order)
                && !reported_circle
            {
                reported_circle = true;
                let chain: Vec<&str> = circle.iter().map(|&i| self.parameters[i].name.as_str()).collect();
                let line = asts[&circle[0]].2;
                let key = format!("parameters.{}.formula", self.parameters[circle[0]].name);
                self.problem(key, line, ProblemKind::FormulaCycle { chain: chain.join(" -> ") });
            }
        }
        // Compile in order; a derived parameter that fails leaves its users unresolved (no cascade).
        let mut compiled: HashMap<usize, Arc<Formula>> = HashMap::new();
        for i in order {
            let (ast, text, line) = &asts[&i];
            let key = format!("parameters.{}.formula", self.parameters[i].name);
            let result = {
                let mut resolve = |name: &str| self.resolve(name, &compiled, Depends::all_but_boundary());
                formula::compile(text, ast, &mut resolve)
            };
            match result {
                Ok(f) => {
                    let f = Arc::new(f);
                    let kind = self.parameters[i].kind;
                    if f.depends().is_constant() {
                        let value = f.eval(&self.base_values(), &formula::At::default());
                        if let Some(rule) = kind.broken_rule(value) {
                            let used_as =
                                format!("parameter \"{}\" is a {}, which", self.parameters[i].name, kind.name());
                            let kind = ProblemKind::FormulaValue {
                                formula: text.clone(),
                                value,
                                at: String::new(),
                                used_as,
                                rule,
                            };
                            self.problem(key, *line, kind);
                        }
                        self.parameters[i].value = value;
                        self.derived_order.push(i);
                    }
                    self.parameters[i].formula = Some(Arc::clone(&f));
                    compiled.insert(i, f);
                }
                Err(e) => self.formula_problem(&key, *line, text, &e),
            }
        }
    }

    /// Depth-first visit for the evaluation order; `Err` holds a circle, first member repeated last.
    fn visit(
        &self,
        i: usize,
        asts: &HashMap<usize, (Ast, String, Option<usize>)>,
        marks: &mut HashMap<usize, Mark>,
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match marks.get(&i) {
            Some(Mark::Done) | None => return Ok(()),
            Some(Mark::InProgress) => {
                let from = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut circle = path[from..].to_vec();
                circle.push(i);
                return Err(circle);
            }
            Some(Mark::Unvisited) => {}
        }
        marks.insert(i, Mark::InProgress);
        path.push(i);
        let mut names = Vec::new();
        names_in(&asts[&i].0, &mut names);
        for name in names {
            if let Some(&j) = self.parameter_index.get(name.as_str())
                && asts.contains_key(&j)
            {
                self.visit(j, asts, marks, path, order)?;
            }
        }
        path.pop();
        marks.insert(i, Mark::Done);
        order.push(i);
        Ok(())
    }

    /// What a name in a formula is: a parameter (a derived one that reads model time is inlined),
    /// or a model-time variable allowed here.
    fn resolve<'f>(
        &self,
        name: &str,
        compiled: &'f HashMap<usize, Arc<Formula>>,
        allowed: Depends,
    ) -> Result<Resolved<'f>, FormulaError> {
        if let Some(&i) = self.parameter_index.get(name) {
            if self.derived.contains(&i) {
                return match compiled.get(&i) {
                    Some(f) if !f.depends().is_constant() => {
                        if !allowed.covers(f.depends()) {
                            return Err(FormulaError::NotHere {
                                name: name.to_string(),
                                why: format!(
                                    "it changes with {}, which a value here cannot (it is {})",
                                    f.depends().describe(),
                                    allowed.in_words()
                                ),
                            });
                        }
                        Ok(Resolved::Inline(i, f))
                    }
                    Some(_) => Ok(Resolved::Parameter(i)),
                    // Its own formula failed and was reported: stop here without a second message.
                    None => Err(FormulaError::NotHere {
                        name: name.to_string(),
                        why: "its own formula has a problem (see above)".to_string(),
                    }),
                };
            }
            return Ok(Resolved::Parameter(i));
        }
        if let Some(t) = self.tables.get(name) {
            return Ok(Resolved::Table(Arc::clone(t)));
        }
        if name == "cycle_years" {
            return Ok(Resolved::Number(self.cycle_years));
        }
        if let Some(v) = TimeVar::from_name(name) {
            let mut needs = Depends::default();
            needs.add_var(v);
            if !allowed.covers(needs) {
                return Err(FormulaError::NotHere { name: name.to_string(), why: allowed.in_words() });
            }
            return Ok(Resolved::Var(v));
        }
        if self.broken_covariates.iter().any(|v| v == name) {
            return Err(FormulaError::NotHere {
                name: name.to_string(),
                why: "its covariate in [population] has a problem (see above)".to_string(),
            });
        }
        if let Some(k) = self.covariate_variables.iter().position(|v| v == name) {
            let v = TimeVar::Covariate(k as u8);
            let mut needs = Depends::default();
            needs.add_var(v);
            if !allowed.covers(needs) {
                return Err(FormulaError::NotHere { name: name.to_string(), why: allowed.in_words() });
            }
            return Ok(Resolved::Var(v));
        }
        let candidates = self
            .parameters
            .iter()
            .map(|p| p.name.as_str())
            .chain(TimeVar::NAMES)
            .chain(self.covariate_variables.iter().map(String::as_str));
        let hint = formula::closest(name, candidates).map(|c| format!("; did you mean {c}?")).unwrap_or_default();
        let hint = if hint.is_empty() {
            " (not a parameter, nor one of cycle, cycle_years, model_years, age, state_years)".to_string()
        } else {
            hint
        };
        Err(FormulaError::UnknownName { name: name.to_string(), hint })
    }

    fn formula_problem(&mut self, key: &str, line: Option<usize>, text: &str, e: &FormulaError) {
        self.problem(key, line, ProblemKind::Formula { formula: text.to_string(), message: e.to_string() });
    }

    /// The derived parameters' compiled formulas, by parameter index.
    fn compiled_formulas(&self) -> HashMap<usize, Arc<Formula>> {
        let with_formula = self.parameters.iter().enumerate();
        with_formula.filter_map(|(i, p)| p.formula.as_ref().map(|f| (i, Arc::clone(f)))).collect()
    }

    /// A derived parameter that changes with model time, used by name: a formula of that one
    /// name, so the parameter is inlined (and listed among the formula's inputs).
    pub(super) fn inline_parameter(&mut self, name: &str) -> Option<Value> {
        let compiled = self.compiled_formulas();
        let f = formula::read(name, &mut |n| self.resolve(n, &compiled, Depends::all_but_boundary())).ok()?;
        Some(Value::Formula(Arc::new(f)))
    }

    /// A value written as text that is not a parameter name: a formula, compiled with the
    /// model-time variables allowed here. A bare name that is no parameter is reported as an
    /// unknown parameter, with the closest name.
    pub(super) fn expression(&mut self, text: &str, usage: Usage, key: &str, line: Option<usize>) -> Option<Value> {
        let is_bare_name = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && TimeVar::from_name(text).is_none();
        if is_bare_name || text.trim().is_empty() {
            self.unknown_parameter(key, line, text);
            return None;
        }
        let compiled = self.compiled_formulas();
        let allowed = self.time_allowed;
        let result = formula::read(text, &mut |name| self.resolve(name, &compiled, allowed));
        let f = match result {
            Ok(f) => f,
            Err(e) => {
                self.formula_problem(key, line, text, &e);
                return None;
            }
        };
        for &i in f.parameters() {
            self.mark_used(i);
        }
        if f.depends().is_constant() {
            let value = f.eval(&self.base_values(), &formula::At::default());
            if let Some(rule) = usage.kind().broken_rule(value) {
                let kind = ProblemKind::FormulaValue {
                    formula: text.to_string(),
                    value,
                    at: String::new(),
                    used_as: usage.name().to_string(),
                    rule,
                };
                self.problem(key, line, kind);
                return None;
            }
        }
        Some(Value::Formula(Arc::new(f)))
    }
}

/// Every name in a syntax tree (functions excluded).
fn names_in(ast: &Ast, out: &mut Vec<String>) {
    match ast {
        Ast::Number(_) => {}
        Ast::Name(n) => out.push(n.clone()),
        Ast::Unary(_, a) => names_in(a, out),
        Ast::Binary(_, a, b) => {
            names_in(a, out);
            names_in(b, out);
        }
        Ast::Call(_, args) => args.iter().for_each(|a| names_in(a, out)),
    }
}
