//! The published contract's two pages: the document itself and a plain
//! page of every operation. The document is built once at start-up
//! ([`ApiDocument`]), from the route table that the server runs.

use actix_web::{HttpResponse, http::header, web};
use serde_json::Value;

use crate::http::RouteSpec;
use crate::state::ApiDocument;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/api/openapi.json", openapi_json),
        RouteSpec::get("/api/docs", docs_page),
    ]
}

async fn openapi_json(document: web::Data<ApiDocument>) -> HttpResponse {
    HttpResponse::Ok().json(&document.0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain page of every operation: no scripts, nothing from the internet.
async fn docs_page(document: web::Data<ApiDocument>) -> HttpResponse {
    let document: &Value = &document.0;
    let mut rows = String::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            if let Some(methods) = item.as_object() {
                for (method, op) in methods {
                    rows.push_str(&format!(
                        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                        escape(&method.to_uppercase()),
                        escape(path),
                        escape(op["operationId"].as_str().unwrap_or_default()),
                        escape(op["description"].as_str().unwrap_or_default()),
                    ));
                }
            }
        }
    }
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Brug API</title></head>\n<body>\n<h1>Brug API {}</h1>\n<p>The machine-readable contract is <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code>; every POST honours <code>Idempotency-Key</code>.</p>\n<table>\n<thead><tr><th>method</th><th>path</th><th>operation</th><th>who</th></tr></thead>\n<tbody>\n{}</tbody></table>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        rows
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(page)
}
