//! `movierec serve`: the app. Standalone by default; under the Functions host
//! (FUNCTIONS_CUSTOMHANDLER_PORT set) it answers the host instead.

use clap::Args;
use movierec::settings::Settings;
use movierec::state::AppState;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on in standalone mode (the host's port wins under the host).
    #[arg(long, default_value_t = 7071)]
    port: u16,
    /// Address to bind in standalone mode.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let state = AppState::open(settings).await?;
        Ok::<_, anyhow::Error>(movierec::server::run(state, &args.bind, args.port).await?)
    });
    // A cancelled job's training stops within milliseconds (its JobCancel is
    // raised), but a blocking thread may be inside a store call or a model
    // load: its lease is released and its result unwanted, so wait briefly.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    result
}
