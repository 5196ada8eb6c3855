//! `docs/API.md` is the published contract and the OpenAPI document is generated from the
//! routes: every route in the contract's tables must be in the document and every route of the
//! document in the contract, so neither can change without the other.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

const CONTRACT: &str = include_str!("../../docs/API.md");

/// `(method, path)`, as the contract writes them: `GET`, `/api/todos/{id}`.
type Route = (String, String);

/// The routes that serve the OpenAPI document itself, and so are not listed in it: checked by
/// requesting them instead.
const SERVE_THE_DOCUMENT: &[(&str, &str)] = &[("GET", "/openapi.json"), ("GET", "/docs")];

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Every `| METHOD | `/path` | ...` row of the contract's tables.
fn contract_routes() -> Vec<Route> {
    CONTRACT
        .lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|').map(str::trim);
            let method = cells.next()?;
            let path = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            METHODS
                .contains(&method)
                .then(|| (method.to_owned(), path.to_owned()))
        })
        .collect()
}

/// Every operation of the OpenAPI document, with its method upper-cased.
fn openapi_routes() -> BTreeSet<Route> {
    let document: Value = serde_json::from_str(&neoforge::http::openapi::document_json()).unwrap();
    let paths = document["paths"]
        .as_object()
        .expect("the document has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item is an object");
            item.keys()
                .map(|key| key.to_ascii_uppercase())
                .filter(|method| METHODS.contains(&method.as_str()))
                .map(|method| (method, path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn routes(list: &[(&str, &str)]) -> BTreeSet<Route> {
    list.iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect()
}

#[test]
fn the_contract_and_the_openapi_document_list_the_same_routes() {
    let listed = contract_routes();
    let documented: BTreeSet<Route> = listed.iter().cloned().collect();
    assert_eq!(
        documented.len(),
        listed.len(),
        "a route appears twice in docs/API.md"
    );
    assert!(
        documented.len() >= 25,
        "the contract's route tables were not found: {documented:?}"
    );
    let served = openapi_routes();
    let serve_the_document = routes(SERVE_THE_DOCUMENT);

    let mut problems = Vec::new();
    for (method, path) in documented.difference(&served) {
        let route = (method.clone(), path.clone());
        if !serve_the_document.contains(&route) {
            problems.push(format!(
                "{method} {path} is in docs/API.md but not in the OpenAPI document"
            ));
        }
    }
    for (method, path) in served.difference(&documented) {
        problems.push(format!(
            "{method} {path} is in the OpenAPI document but not in docs/API.md"
        ));
    }
    for (method, path) in &serve_the_document {
        let route = (method.clone(), path.clone());
        if !documented.contains(&route) {
            problems.push(format!(
                "{method} {path} is listed here but not documented in docs/API.md"
            ));
        }
    }
    for (method, path) in serve_the_document.intersection(&served) {
        problems.push(format!(
            "{method} {path} is in the OpenAPI document now: drop it from SERVE_THE_DOCUMENT"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_routes_that_serve_the_document_answer() {
    let app = TestApp::spawn().await;
    for (method, path) in SERVE_THE_DOCUMENT {
        assert_eq!(*method, "GET");
        let status = app.get(path, None).await.status();
        assert!(
            status == StatusCode::OK || status.is_redirection(),
            "{method} {path}: {status}"
        );
    }
}
