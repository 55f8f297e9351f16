//! What every handler can reach: the database, the settings, the monitoring
//! model and the webhook sender. It sits above the areas and `http`, below
//! the routes, so that nothing has to import the assembly to reach it.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::monitoring::{Model, ModelTexts};
use crate::partners::directory::Directory;
use crate::webhooks::worker::Sender;

pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// The reintegration sustainability model that scores monitoring visits.
    pub model: Arc<Model>,
    /// The model's questions and answers in the portal's languages.
    pub model_texts: Arc<ModelTexts>,
    /// Sends signed messages to partners' webhooks.
    pub webhooks: Arc<Sender>,
    /// The partner directory, from memory.
    pub directory: Arc<Directory>,
}

/// The OpenAPI document, built once at start-up from the route table.
pub struct ApiDocument(pub serde_json::Value);
