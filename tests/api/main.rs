//! Black-box tests: the real server over HTTP, on a fresh database per test
//! (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set).

mod after_departure;
mod architecture;
mod assign;
mod audit;
mod audit_key;
mod auth;
mod cli;
mod contract;
mod counselling;
mod demo;
mod docs;
mod durability;
mod errors;
mod health;
mod helpers;
mod hostile_bodies;
mod idempotency;
mod instances;
mod migrations;
mod openapi;
mod partner_view;
mod partners;
mod privacy;
mod referrals;
mod reports;
mod roles;
mod vocabulary;
mod web_auth;
mod web_cases;
mod web_clients;
mod web_helpers;
mod web_team;
mod web_text;
mod web_work;
mod webhooks;
