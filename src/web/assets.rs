//! The stylesheet and htmx, compiled into the binary from `web/static/`:
//! no asset comes from another host.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/static/"]
struct Assets;

pub async fn serve(file: web::Path<String>) -> HttpResponse {
    let name = file.into_inner();
    let Some(asset) = Assets::get(&name) else {
        return HttpResponse::NotFound().finish();
    };
    let kind = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind))
        // Not personal; an hour, then revalidated by its hash.
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((
            header::ETAG,
            format!("\"{}\"", hex::encode(&asset.metadata.sha256_hash()[..8])),
        ))
        .body(asset.data.into_owned())
}

/// The names of the embedded files (for tests).
pub fn names() -> Vec<String> {
    Assets::iter().map(|n| n.into_owned()).collect()
}
