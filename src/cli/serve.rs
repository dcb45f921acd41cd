//! `cirrhosim serve`: a local teaching page with sliders that reruns the exact cohort model on
//! every change.
//!
//! The HTTP side lives here: a `tiny_http` accept loop (loopback by default), the routes and
//! their status codes. `GET /` is the page, `GET /api/knobs` the inputs a class can move,
//! `GET /api/run?name=value&...` the rerun with those inputs. The query is decoded with
//! `form_urlencoded`; a value that is not a number, or that the model refuses, is answered with
//! HTTP 400 and `{"error": "..."}` naming the parameter, and the server keeps running. What is
//! computed and how it is rendered come from `analysis::teaching` and `report::teaching`.

use crate::cli::args::{self, ScenarioArg};
use cirrhosim::analysis::teaching;
use cirrhosim::report::teaching as page;
use cirrhosim::scenario::Scenario;
use std::io::Write as _;

/// The arguments of `cirrhosim serve`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scenario: ScenarioArg,
    /// Port, 0 to 65535 (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 8080, value_parser = args::port, allow_hyphen_values = true)]
    pub port: u16,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
}

/// Runs `cirrhosim serve`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let scenario = args.scenario.load()?;
    let server = tiny_http::Server::http((args.bind.as_str(), args.port)).map_err(|e| cirrhosim::Error::Write {
        path: format!("http://{}:{}", args.bind, args.port).into(),
        cause: std::io::Error::other(e.to_string()),
    })?;
    let address =
        server.server_addr().to_ip().map_or_else(|| format!("{}:{}", args.bind, args.port), |a| a.to_string());
    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
    for request in server.incoming_requests() {
        let answer = answer(&scenario, request.url());
        let header = tiny_http::Header::from_bytes("Content-Type", answer.content_type).expect("valid header");
        let response =
            tiny_http::Response::from_string(answer.body).with_status_code(answer.status).with_header(header);
        // A client that went away is not the server's problem.
        let _ = request.respond(response);
    }
    Ok(())
}

/// The answer to one request.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// Routes a request URL (path and query) to its answer.
fn answer(scenario: &Scenario, url: &str) -> Answer {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let ok = |content_type, body| Answer { status: 200, content_type, body };
    match path {
        "/" => ok(HTML, page::PAGE.to_string()),
        "/api/knobs" => ok(JSON, page::knobs_json(&teaching::knobs(scenario))),
        "/api/run" => match inputs(query).and_then(|i| teaching::rerun(scenario, &i).map_err(|e| e.to_string())) {
            Ok(run) => ok(JSON, page::run_json(&run)),
            Err(message) => Answer { status: 400, content_type: JSON, body: page::error_json(&message) },
        },
        _ => Answer { status: 404, content_type: "text/plain; charset=utf-8", body: "not found".into() },
    }
}

/// The query's `name=value` pairs, each value a finite number.
///
/// # Errors
/// `query parameter "NAME": "TEXT" is not a number` for the first value that is not.
fn inputs(query: &str) -> Result<Vec<(String, f64)>, String> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, text)| match text.trim().parse::<f64>() {
            Ok(value) if value.is_finite() => Ok((name.into_owned(), value)),
            Ok(_) => Err(format!("query parameter \"{name}\": \"{text}\" is not a finite number")),
            Err(_) => Err(format!("query parameter \"{name}\": \"{text}\" is not a number")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        assert_eq!(
            inputs("param%3Ac_msc_infusion=2000&start_age=60+"),
            Ok(vec![("param:c_msc_infusion".to_string(), 2000.0), ("start_age".to_string(), 60.0)])
        );
        assert_eq!(inputs(""), Ok(vec![]));
        assert_eq!(inputs("param:x=abc"), Err("query parameter \"param:x\": \"abc\" is not a number".to_string()));
        assert_eq!(inputs("a=1&b=%zz"), Err("query parameter \"b\": \"%zz\" is not a number".to_string()));
        assert_eq!(inputs("a=inf"), Err("query parameter \"a\": \"inf\" is not a finite number".to_string()));
        assert_eq!(inputs("a"), Err("query parameter \"a\": \"\" is not a number".to_string()));
    }

    #[test]
    fn routes_and_status_codes() {
        let s = Scenario::default_scenario().unwrap();
        assert_eq!(answer(&s, "/").status, 200);
        assert_eq!(answer(&s, "/api/knobs").content_type, JSON);
        assert_eq!(answer(&s, "/api/run?start_age=60").status, 200);
        let bad = answer(&s, "/api/run?param:x=abc");
        assert_eq!(
            (bad.status, bad.body.as_str()),
            (400, r#"{"error":"query parameter \"param:x\": \"abc\" is not a number"}"#)
        );
        let bad = answer(&s, "/api/run?horizon_years=500");
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("horizon_years"), "{}", bad.body);
        assert_eq!(answer(&s, "/nope").status, 404);
    }
}
