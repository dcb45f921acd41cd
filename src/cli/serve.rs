//! `cirrhosim serve`: a local teaching page with sliders that reruns the exact cohort model on
//! every change.
//!
//! The HTTP side lives here: a `tiny_http` accept loop (loopback only unless `--allow-remote`),
//! the routes and their status codes. `GET /` is the page, `GET /api/knobs` the inputs a class
//! can move, `GET /api/parameters` every parameter that can be put on a slider,
//! `GET /api/run?name=value&...` the rerun with those inputs. Only GET is answered (405
//! otherwise), a request line over [`MAX_URL`] bytes gets 414 and a request with a body 413. The query is decoded with
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
    /// Address to listen on (loopback by default; any other needs --allow-remote).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Allow --bind to a non-loopback address: the page is then open to the network, with no
    /// authentication.
    #[arg(long)]
    pub allow_remote: bool,
}

/// The longest request URL answered (a page's full set of sliders is far shorter).
pub const MAX_URL: usize = 4096;

/// Runs `cirrhosim serve`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let loopback = match args.bind.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => args.bind == "localhost",
    };
    if !loopback && !args.allow_remote {
        anyhow::bail!(
            "--bind {}: not a loopback address; the teaching page has no authentication, so it listens on \
             loopback (127.0.0.1) only. Pass --allow-remote to open it to other machines",
            args.bind
        );
    }
    if !loopback {
        eprintln!(
            "warning: serving on {} for other machines (--allow-remote): anyone who can reach it can use it",
            args.bind
        );
    }
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
        let answer = match (request.method(), request.body_length()) {
            (tiny_http::Method::Get, None | Some(0)) => answer(&scenario, request.url()),
            (tiny_http::Method::Get, Some(_)) => refusal(413, "a GET request has no body"),
            _ => refusal(405, "only GET is answered"),
        };
        let header = tiny_http::Header::from_bytes("Content-Type", answer.content_type).expect("valid header");
        let mut response =
            tiny_http::Response::from_string(answer.body).with_status_code(answer.status).with_header(header);
        if answer.status == 405 {
            response.add_header(tiny_http::Header::from_bytes("Allow", "GET").expect("valid header"));
        }
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

/// A refusal with `status` and a JSON message.
fn refusal(status: u16, message: &str) -> Answer {
    Answer { status, content_type: JSON, body: page::error_json(message) }
}

/// Routes a request URL (path and query) to its answer.
fn answer(scenario: &Scenario, url: &str) -> Answer {
    if url.len() > MAX_URL {
        return refusal(414, &format!("the request URL is {} bytes, over the limit of {MAX_URL}", url.len()));
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let ok = |content_type, body| Answer { status: 200, content_type, body };
    match path {
        "/" => ok(HTML, page::PAGE.to_string()),
        "/api/knobs" => ok(JSON, page::knobs_json(&teaching::knobs(scenario))),
        "/api/parameters" => ok(JSON, page::knobs_json(&teaching::parameter_knobs(scenario))),
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
        assert_eq!(answer(&s, &format!("/api/run?{}", "a".repeat(MAX_URL))).status, 414);
        let parameters: serde_json::Value = serde_json::from_str(&answer(&s, "/api/parameters").body).unwrap();
        let cost = parameters.as_array().unwrap().iter().find(|k| k["name"] == "param:c_comp_year").unwrap();
        assert_eq!(cost["unit"], "EUR 2013 per year");
        assert!(cost["source"].as_str().is_some_and(|s| !s.is_empty()));
    }
}
