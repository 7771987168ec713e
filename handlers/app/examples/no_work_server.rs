//! The no-work ceiling for `bench/serve_ceiling.sh`: an axum server on the
//! same runtime and HTTP stack as movierec that answers every GET with the
//! same bytes from memory (a real answer of movierec's, saved by the script),
//! so that a ratio of movierec's throughput to this one's says how much of the
//! machine the serving work takes. Not part of the product.
//!
//! `no_work_server ADDR FILE`: serve FILE's bytes as `application/json` on ADDR.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::serve::ListenerExt;
use axum::Router;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(file)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: no_work_server ADDR FILE (the body every GET answers)");
    };
    let body: &'static [u8] = std::fs::read(&file)?.leak();
    let answer =
        move || async move { ([(CONTENT_TYPE, "application/json")], body).into_response() };
    let app = Router::new().fallback(answer);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    // TCP_NODELAY as movierec's server sets it (it made no difference here).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
