//! Browser tests: pages served by the real server (as the API tests start
//! it, `spawn_app_configured`) in one headless Chromium shared by the whole
//! binary, with axe-core's accessibility check. `harness` has the browser
//! and its helpers; without Chromium, chromedriver or axe-core the tests are
//! skipped unless TEST_REQUIRE_BROWSER=1 (see README, "Browser tests").

// The API tests' server and database helpers, and the contract check they
// hold every answer to (an HTML page is outside the OpenAPI document and
// passes; an API answer a page fetches is checked as in tests/api). This
// binary uses only part of them.
#[allow(dead_code)]
#[path = "../api/contract.rs"]
mod contract;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod cases;
mod counselling;
mod dashboards;
mod flow;
mod harness;
mod harness_test;
mod pages;
mod portal;
mod rights;
mod screenshots;
mod sessions;
