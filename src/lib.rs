//! Brug: the coordination service of a return-counselling programme.
//!
//! Areas are sliced by what the user does (see `ARCHITECTURE.md`): each has
//! its domain rules in `mod.rs`, its queries in `store.rs` and its HTTP
//! handlers in `routes.rs`.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cases;
pub mod cli;
pub mod clients;
pub mod config;
pub mod consent;
pub mod db;
pub mod demo;
pub mod domain;
pub mod events;
pub mod health;
pub mod http;
pub mod keys;
pub mod mail;
pub mod mailer;
pub mod metrics;
pub mod monitoring;
pub mod openapi;
pub mod partners;
pub mod portal;
pub mod referrals;
pub mod reports;
pub mod rights;
pub mod startup;
pub mod state;
pub mod talks;
pub mod telemetry;
pub mod web;
pub mod webhooks;
