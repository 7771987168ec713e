//! `--to`: the sink a run sends to, from the target options. It connects
//! (an Event Hub) but never sends; sending is the run loop's.

use movierec_generate::eventhub::{EventHubSink, EventHubTarget, Partitioning};
use movierec_generate::sink::Sink;

use super::error::CliError;
use super::{Args, PartitionBy};

pub async fn sink(args: &Args) -> Result<Sink, CliError> {
    match args.to.as_str() {
        "stdout" => Ok(Sink::stdout()),
        url if url.starts_with("http://") || url.starts_with("https://") => Ok(Sink::http(url)),
        "eventhub" => eventhub_sink(args).await,
        other => Err(CliError::Target(other.to_string())),
    }
}

async fn eventhub_sink(args: &Args) -> Result<Sink, CliError> {
    let namespace = args.namespace.clone().ok_or(CliError::Namespace)?;
    let target = EventHubTarget {
        namespace,
        hub: args.hub.clone(),
        endpoint: args.eventhub_endpoint.clone(),
        client_id: args.client_id.clone(),
        partitioning: match args.partition_by {
            PartitionBy::Key => Partitioning::Key,
            PartitionBy::Hash => Partitioning::Hash,
        },
        send_timeout: args.send_timeout,
    };
    let hub = EventHubSink::connect(&target).await?;
    Ok(Sink::EventHub(Box::new(hub)))
}
