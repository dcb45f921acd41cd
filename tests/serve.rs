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
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
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
