//! The stylesheet, compiled in.

use actix_web::HttpResponse;
use actix_web::http::header;

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../../static/style.css"))
}
