//! `cirrhosim serve`: the page and the JSON API over real HTTP on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start() -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cirrhosim"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line}")).to_string();
    Server(child, address)
}

fn get(server: &Server, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(&server.1).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.1).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    (status, if chunked { unchunk(body) } else { body.to_string() })
}

/// The body of a chunked HTTP/1.1 response (the server chunks large answers).
fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn page_knobs_runs_and_errors() {
    let server = start();
    let (status, page) = get(&server, "/");
    assert_eq!(status, 200);
    assert!(page.contains("<svg id=\"plot\""));
    let (_, knobs) = get(&server, "/api/knobs");
    let knobs: serde_json::Value = serde_json::from_str(&knobs).unwrap();
    assert!(knobs.as_array().unwrap().iter().any(|k| k["name"] == "param:c_msc_infusion"));
    let (status, base) = get(&server, "/api/run");
    assert_eq!(status, 200);
    let base: serde_json::Value = serde_json::from_str(&base).unwrap();
    let (_, cheap) = get(&server, "/api/run?param%3Ac_msc_infusion=500&start_age=60");
    let cheap: serde_json::Value = serde_json::from_str(&cheap).unwrap();
    assert!(cheap["cea"][1]["icer"].as_f64().unwrap() < base["cea"][1]["icer"].as_f64().unwrap());
    let (status, error) = get(&server, "/api/run?discount_rate=0.9");
    assert_eq!(status, 400);
    assert!(error.contains("discount_rate") && error.contains("must be in [0, 0.2]"), "{error}");
    // A value that is not a number names the query parameter.
    let (status, error) = get(&server, "/api/run?param:x=abc");
    assert_eq!(status, 400);
    assert_eq!(error, r#"{"error":"query parameter \"param:x\": \"abc\" is not a number"}"#);
    let (status, error) = get(&server, "/api/run?param%3Anope=1");
    assert_eq!(status, 400);
    let error: serde_json::Value = serde_json::from_str(&error).unwrap();
    let error = error["error"].as_str().unwrap();
    assert!(error.contains("param:nope: unknown parameter \"nope\""), "{error}");
    // Still serving after a bad request.
    assert_eq!(get(&server, "/api/run").0, 200);
    assert_eq!(get(&server, "/nope").0, 404);
}

/// Issue 14: GET only, bounded requests, loopback unless --allow-remote; every parameter can be
/// put on a slider; a run carries what the page draws.
#[test]
fn only_get_bounded_loopback_and_every_parameter() {
    let server = start();
    let request = |text: String| {
        let mut stream = TcpStream::connect(&server.1).unwrap();
        stream.write_all(text.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let post = request(format!(
        "POST /api/run HTTP/1.1\r\nHost: {}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        server.1
    ));
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    assert!(post.contains("Allow: GET"), "{post}");
    let long = get(&server, &format!("/api/run?start_age={}", "0".repeat(5000)));
    assert_eq!(long.0, 414);
    let body = request(format!(
        "GET /api/run HTTP/1.1\r\nHost: {}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        server.1
    ));
    assert!(body.starts_with("HTTP/1.1 413"), "{body}");
    // Every used parameter, with its unit, source and a range the model accepts.
    let (_, parameters) = get(&server, "/api/parameters");
    let parameters: serde_json::Value = serde_json::from_str(&parameters).unwrap();
    let parameters = parameters.as_array().unwrap();
    assert!(parameters.len() > 15, "{}", parameters.len());
    assert!(
        !parameters.iter().any(|p| p["name"] == "param:r_liver_death_further_decomp"),
        "a derived parameter has no slider"
    );
    for p in parameters {
        let name = p["name"].as_str().unwrap();
        for at in ["min", "max"] {
            let (status, error) = get(&server, &format!("/api/run?{}={}", name.replace(':', "%3A"), p[at]));
            assert_eq!(status, 200, "{name} at its slider's {at} {}: {error}", p[at]);
        }
    }
    // What the page draws: occupancy and cumulative gains by year, the trace cycle by cycle, paths.
    let (_, run) = get(&server, "/api/run");
    let run: serde_json::Value = serde_json::from_str(&run).unwrap();
    let msc = &run["strategies"][1];
    // 45 years of monthly cycles.
    assert_eq!(msc["occupancy"].as_array().unwrap().len(), 46);
    assert_eq!(msc["trace"].as_array().unwrap().len(), 541);
    assert_eq!(msc["flows"].as_array().unwrap().len(), 540);
    assert_eq!(msc["paths"].as_array().unwrap().len(), 10);
    let ly = msc["life_years_by_year"].as_array().unwrap();
    assert!((ly[45].as_f64().unwrap() - msc["life_years"].as_f64().unwrap()).abs() < 1e-9);
    drop(server);

    // Loopback only unless --allow-remote.
    let refused = Command::new(assert_cmd::cargo::cargo_bin("cirrhosim"))
        .args(["serve", "--port", "0", "--bind", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("--bind 0.0.0.0: not a loopback address") && message.contains("--allow-remote"),
        "{message}"
    );
}
