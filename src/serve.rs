//! `cirrhosim serve`: a local teaching page with sliders that reruns the exact cohort model.
//!
//! Receives a scenario; serves (loopback by default, with `tiny_http`) one HTML page and a JSON
//! API. `GET /api/knobs` lists the inputs a class can move: the MSC effect size and duration and
//! the price per infusion (whatever parameters the last strategy uses for them), the start age,
//! the horizon and the discount rate. `GET /api/run?name=value&...` validates every input like a
//! scenario file (clear message, HTTP 400, the server keeps running), rebuilds the model, runs the
//! exact cohort of every strategy and returns the survival curves and the incremental analysis.

use crate::analysis;
use crate::engine::sim_cohort;
use crate::error::{Error, Problem, ProblemKind, Result};
use crate::model::Model;
use crate::scenario::{Scenario, TimeValue, Value};
use serde::Serialize;

const PAGE: &str = include_str!("../templates/serve.html");

/// One input of the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knob {
    /// `param:NAME`, `start_age`, `horizon_years` or `discount_rate`.
    pub name: String,
    pub label: String,
    pub value: f64,
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

/// The knobs for a scenario.
pub fn knobs(scenario: &Scenario) -> Vec<Knob> {
    let mut out = Vec::new();
    let add_param = |i: usize, label: String, out: &mut Vec<Knob>| {
        let p = &scenario.parameters[i];
        if out.iter().any(|k| k.name == format!("param:{}", p.name)) {
            return;
        }
        let (min, max) = match (p.low, p.high) {
            (Some(lo), Some(hi)) => {
                let span = hi - lo;
                (lo - span, hi + span)
            }
            _ => (p.value / 4.0, p.value * 4.0),
        };
        let (min, max) = (min.min(max), min.max(max));
        let (min, max) = match p.kind {
            crate::scenario::ParameterKind::HazardRatio | crate::scenario::ParameterKind::RelativeRisk => {
                (min.max(0.05), max.min(1.5))
            }
            crate::scenario::ParameterKind::Cost | crate::scenario::ParameterKind::Months => (min.max(0.0), max),
            _ => (min, max),
        };
        out.push(Knob {
            name: format!("param:{}", p.name),
            label,
            value: p.value,
            min,
            max,
            step: ((max - min) / 200.0).max(1e-6),
        });
    };
    if let Some(s) = scenario.strategies.last() {
        for e in &s.effects {
            if let Value::Parameter(i) = e.value {
                let what = if e.hr_per_meld_point.is_some() { "MELD shift (points)" } else { "effect size" };
                add_param(i, format!("{} {what}", s.name), &mut out);
            }
            if let Some(TimeValue::Parameter(i, _)) = e.duration {
                add_param(i, format!("{} effect duration ({})", s.name, scenario.parameters[i].kind.name()), &mut out);
            }
        }
        if let Some(Value::Parameter(i)) = s.schedule.as_ref().and_then(|sc| sc.cost_per_infusion) {
            let unit =
                scenario.economics.as_ref().map_or(String::new(), |e| format!(" ({} {})", e.currency, e.price_year));
            add_param(i, format!("price per infusion{unit}"), &mut out);
        }
    }
    let age = scenario.cohort.age_groups.iter().map(|g| g.age * g.weight).sum::<f64>();
    out.push(Knob {
        name: "start_age".into(),
        label: "start age (years)".into(),
        value: age,
        min: 40.0,
        max: 90.0,
        step: 1.0,
    });
    let horizon = scenario.n_cycles as f64 * scenario.cycle_length_years;
    out.push(Knob {
        name: "horizon_years".into(),
        label: "horizon (years)".into(),
        value: horizon.round(),
        min: 1.0,
        max: 60.0,
        step: 1.0,
    });
    if let Some(e) = &scenario.economics {
        let r = e.discount_rate_costs.get(&scenario.base_values());
        out.push(Knob {
            name: "discount_rate".into(),
            label: "discount rate".into(),
            value: r,
            min: 0.0,
            max: 0.1,
            step: 0.005,
        });
    }
    out
}

fn bad(scenario: &Scenario, key: &str, kind: ProblemKind) -> Error {
    Error::Invalid { file: scenario.file.clone(), problems: vec![Problem::new(key, None, kind)] }
}

/// The scenario with the inputs applied, checked like a scenario file.
///
/// # Errors
/// [`Error::Invalid`] naming the input and the rule it breaks.
pub fn apply(scenario: &Scenario, inputs: &[(String, String)]) -> Result<Scenario> {
    let mut s = scenario.clone();
    for (name, text) in inputs {
        let value: f64 = text.trim().parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
            bad(
                scenario,
                name,
                ProblemKind::OutOfRange { value: f64::NAN, kind: "input", rule: "must be a finite number" },
            )
        })?;
        match name.as_str() {
            "start_age" => {
                let bg = s.background.as_ref();
                let first = bg.map_or(0, |b| {
                    b.table
                        .first_age(crate::scenario::life_table::Sex::Male)
                        .max(b.table.first_age(crate::scenario::life_table::Sex::Female))
                });
                if !(value >= first as f64 && value < 110.0) {
                    return Err(bad(
                        scenario,
                        name,
                        ProblemKind::OutOfRange {
                            value,
                            kind: "start age",
                            rule: "must be within the life table (40 to 110)",
                        },
                    ));
                }
                s.cohort.age_groups = vec![crate::scenario::AgeGroup { age: value, weight: 1.0 }];
            }
            "horizon_years" => {
                if !(value > 0.0 && value <= 100.0) {
                    return Err(bad(
                        scenario,
                        name,
                        ProblemKind::OutOfRange { value, kind: "horizon", rule: "must be in (0, 100] years" },
                    ));
                }
                s.n_cycles = (value / s.cycle_length_years).round().max(1.0) as usize;
            }
            "discount_rate" => {
                if !(0.0..=0.2).contains(&value) {
                    return Err(bad(
                        scenario,
                        name,
                        ProblemKind::OutOfRange { value, kind: "discount rate", rule: "must be in [0, 0.2]" },
                    ));
                }
                if let Some(e) = &mut s.economics {
                    e.discount_rate_costs = Value::Literal(value);
                    e.discount_rate_effects = Value::Literal(value);
                }
            }
            other => {
                let param = other.strip_prefix("param:").unwrap_or(other);
                let i =
                    s.parameters.iter().position(|p| p.name == param).ok_or_else(|| {
                        bad(scenario, name, ProblemKind::UnknownParameter { name: param.to_string() })
                    })?;
                s.parameters[i].kind.check(value).map_err(|kind| bad(scenario, name, kind))?;
                s.parameters[i].value = value;
            }
        }
    }
    Ok(s)
}

#[derive(Serialize)]
struct RunResult {
    years: Vec<f64>,
    strategies: Vec<StrategyCurve>,
    cea: Vec<CeaOut>,
    currency: Option<String>,
}

#[derive(Serialize)]
struct StrategyCurve {
    name: String,
    label: String,
    survival: Vec<f64>,
    life_years: f64,
}

#[derive(Serialize)]
struct CeaOut {
    strategy: String,
    cost: f64,
    qaly: f64,
    inc_cost: Option<f64>,
    inc_qaly: Option<f64>,
    icer: Option<f64>,
    status: &'static str,
}

/// Runs the exact cohort with the inputs; returns the JSON the page draws.
///
/// # Errors
/// As [`apply`], and model build errors (e.g. a row sum above 1).
pub fn run_json(scenario: &Scenario, inputs: &[(String, String)]) -> Result<String> {
    let s = apply(scenario, inputs)?;
    let model = Model::from_scenario(&s)?;
    let dt = model.cycle_length_years;
    let traces: Vec<_> = (0..model.n_strategies()).map(|i| sim_cohort(&model, i)).collect();
    // A year-by-year curve is enough for the page (and keeps the answer small).
    let step = (1.0 / dt).round().max(1.0) as usize;
    let years: Vec<f64> = (0..=model.n_cycles).step_by(step).map(|t| t as f64 * dt).collect();
    let strategies = traces
        .iter()
        .map(|t| {
            let curve = analysis::survival::overall_survival(&model, |c, s| t.at(c, s));
            StrategyCurve {
                name: model.strategy_names[t.strategy].clone(),
                label: model.strategy_labels[t.strategy].clone(),
                survival: curve.iter().step_by(step).copied().collect(),
                life_years: analysis::survival::trapezoid_area(&curve, dt),
            }
        })
        .collect();
    let evaluation = analysis::evaluate(&model, &traces, None);
    let cea = evaluation
        .map(|ev| {
            ev.cea
                .iter()
                .map(|r| CeaOut {
                    strategy: model.strategy_names[r.strategy].clone(),
                    cost: r.cost,
                    qaly: r.qaly,
                    inc_cost: r.inc_cost,
                    inc_qaly: r.inc_qaly,
                    icer: r.icer,
                    status: r.status.as_str(),
                })
                .collect()
        })
        .unwrap_or_default();
    let result = RunResult {
        years,
        strategies,
        cea,
        currency: s.economics.as_ref().map(|e| format!("{} {}", e.currency, e.price_year)),
    };
    Ok(serde_json::to_string(&result).expect("result serialises"))
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding of a query component ('+' is a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves the page until the process is stopped. Prints `listening on http://ADDR` first.
///
/// # Errors
/// [`Error::Write`] if the address cannot be bound.
pub fn serve(scenario: &Scenario, bind: &str, port: u16) -> Result<()> {
    let server = tiny_http::Server::http((bind, port)).map_err(|e| Error::Write {
        path: format!("http://{bind}:{port}").into(),
        cause: std::io::Error::other(e.to_string()),
    })?;
    let address = server.server_addr().to_ip().map_or_else(|| format!("{bind}:{port}"), |a| a.to_string());
    println!("listening on http://{address}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let json = tiny_http::Header::from_bytes("Content-Type", "application/json").expect("valid header");
    let html = tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8").expect("valid header");
    for request in server.incoming_requests() {
        let url = request.url().to_string();
        let path = url.split('?').next().unwrap_or("");
        let response = match path {
            "/" => tiny_http::Response::from_string(PAGE).with_header(html.clone()),
            "/api/knobs" => {
                tiny_http::Response::from_string(serde_json::to_string(&knobs(scenario)).expect("knobs serialise"))
                    .with_header(json.clone())
            }
            "/api/run" => match run_json(scenario, &query_pairs(&url)) {
                Ok(body) => tiny_http::Response::from_string(body).with_header(json.clone()),
                Err(e) => tiny_http::Response::from_string(serde_json::json!({ "error": e.to_string() }).to_string())
                    .with_status_code(400)
                    .with_header(json.clone()),
            },
            _ => tiny_http::Response::from_string("not found").with_status_code(404),
        };
        // A client that went away is not the server's problem.
        let _ = request.respond(response);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        assert_eq!(
            query_pairs("/api/run?param%3Ac_msc_infusion=2000&start_age=60"),
            vec![("param:c_msc_infusion".to_string(), "2000".to_string()), ("start_age".to_string(), "60".to_string())]
        );
        assert_eq!(decode("a+b%2"), "a b%2");
    }

    #[test]
    fn inputs_change_the_answer_and_bad_inputs_are_named() {
        let s = Scenario::default_scenario().unwrap();
        let base: serde_json::Value = serde_json::from_str(&run_json(&s, &[]).unwrap()).unwrap();
        let cheaper: serde_json::Value =
            serde_json::from_str(&run_json(&s, &[("param:c_msc_infusion".into(), "1000".into())]).unwrap()).unwrap();
        assert!(cheaper["cea"][1]["icer"].as_f64().unwrap() < base["cea"][1]["icer"].as_f64().unwrap());
        let e = run_json(&s, &[("param:c_msc_infusion".into(), "abc".into())]).unwrap_err().to_string();
        assert!(e.contains("param:c_msc_infusion") && e.contains("finite number"), "{e}");
        let e = run_json(&s, &[("start_age".into(), "20".into())]).unwrap_err().to_string();
        assert!(e.contains("start_age") && e.contains("life table"), "{e}");
        let knobs = knobs(&s);
        assert!(knobs.iter().any(|k| k.name == "param:msc_meld_md_24wk"));
        assert!(knobs.iter().any(|k| k.name == "param:c_msc_infusion"));
    }
}
