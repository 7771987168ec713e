//! Spans to Application Insights, signed in with the app's managed identity.
//!
//! On when the Functions host's own settings name the resource:
//! `APPLICATIONINSIGHTS_CONNECTION_STRING` (set by infra/ for the host, so the
//! handler's spans join the host's telemetry in the same resource), unless
//! `MOVIEREC_APPINSIGHTS_SPANS=false`. The spans are converted and sent by the
//! kept exporter crate (`opentelemetry-application-insights`); what this file
//! adds is the sign-in that crate lacks. When
//! `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` says `Authorization=AAD` (as
//! infra/ sets it, with the identity's `ClientId`; the resource refuses keys),
//! every upload carries an Entra ID token for Azure Monitor from
//! `movierec_azure::credential` (the managed identity in Azure), and goes to
//! `/v2.1/track`, the path Microsoft's exporters use with tokens (the crate
//! writes `/v2/track`). Without it the upload is keyed by the connection
//! string's instrumentation key alone, as the crate does. The crate makes
//! every endpoint `https://`; an `http://` one on this machine (a local
//! stand-in, `movierec_azure::is_local_endpoint`) is kept as written.
//!
//! Owns reading those settings and the signing client. Must not decide which
//! spans exist or are sampled (`super::traces`, `crate::http::spans`).

use std::sync::{Arc, OnceLock};

use azure_core::credentials::TokenCredential;
use opentelemetry_application_insights::Exporter;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

use crate::settings::defaults::APPINSIGHTS_SPANS;

/// The token's scope: Azure Monitor's ingestion, written as Microsoft's own
/// exporters write it.
pub const INGESTION_SCOPE: &str = "https://monitor.azure.com//.default";

/// What the environment says about Application Insights.
#[derive(Debug, Clone, PartialEq)]
pub struct AppInsights {
    pub connection_string: String,
    pub sign_in: SignIn,
}

/// How uploads prove who sends them.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    /// The connection string's instrumentation key alone (a resource that
    /// still takes keys).
    Key,
    /// An Entra ID token, of the user-assigned identity `client_id` when one
    /// is named, else of the system-assigned one.
    Entra { client_id: Option<String> },
}

/// Why Application Insights is configured but cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AppInsightsError {
    #[error("MOVIEREC_APPINSIGHTS_SPANS is {0:?}; expected true or false")]
    Setting(String),
    #[error("APPLICATIONINSIGHTS_CONNECTION_STRING does not read ({0}); copy it from the resource's overview, or set MOVIEREC_APPINSIGHTS_SPANS=false")]
    ConnectionString(String),
    #[error("APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for Entra ID, but the credential cannot be set up (in Azure, give the app the identity it names; elsewhere, sign in with az login; or set MOVIEREC_APPINSIGHTS_SPANS=false)")]
    Credential(#[source] movierec_azure::CredentialError),
}

impl AppInsights {
    /// From the environment; `None` when off.
    pub fn from_env() -> Result<Option<AppInsights>, AppInsightsError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// From `lookup` (a variable's value by name).
    pub fn from_vars(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<AppInsights>, AppInsightsError> {
        let on = match lookup("MOVIEREC_APPINSIGHTS_SPANS") {
            None => APPINSIGHTS_SPANS,
            Some(v) => v
                .trim()
                .to_ascii_lowercase()
                .parse()
                .map_err(|_| AppInsightsError::Setting(v))?,
        };
        let Some(connection_string) =
            lookup("APPLICATIONINSIGHTS_CONNECTION_STRING").filter(|_| on)
        else {
            return Ok(None);
        };
        let entra = lookup("APPLICATIONINSIGHTS_AUTHENTICATION_STRING").and_then(|auth| {
            let parts: Vec<(String, String)> = auth
                .split(';')
                .filter_map(|part| part.split_once('='))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let aad = parts
                .iter()
                .any(|(k, v)| k == "authorization" && v.eq_ignore_ascii_case("aad"));
            aad.then(|| SignIn::Entra {
                client_id: parts
                    .into_iter()
                    .find(|(k, _)| k == "clientid")
                    .map(|(_, v)| v),
            })
        });
        Ok(Some(AppInsights {
            connection_string,
            sign_in: entra.unwrap_or(SignIn::Key),
        }))
    }

    /// The exporter, its uploads signed when Entra ID is asked for.
    pub fn exporter(&self) -> Result<Exporter<SignedClient>, AppInsightsError> {
        let credential = match &self.sign_in {
            SignIn::Key => None,
            SignIn::Entra { client_id } => Some(
                movierec_azure::credential(client_id.as_deref())
                    .map_err(AppInsightsError::Credential)?,
            ),
        };
        let client = SignedClient {
            http: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("a client with a timeout builds"),
            credential,
            runtime: OnceLock::new(),
            plain_http: self.local_plain_http(),
        };
        Exporter::new_from_connection_string(&self.connection_string, client)
            .map_err(|e| AppInsightsError::ConnectionString(e.to_string()))
    }
}

impl AppInsights {
    /// The ingestion endpoint's authority, when the connection string names
    /// an `http://` endpoint on this machine.
    fn local_plain_http(&self) -> Option<String> {
        let endpoint = self.connection_string.split(';').find_map(|part| {
            let (key, value) = part.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("ingestionendpoint")
                .then(|| value.trim())
        })?;
        let rest = endpoint.strip_prefix("http://")?;
        movierec_azure::is_local_endpoint(endpoint)
            .then(|| rest.split('/').next().unwrap_or("").to_string())
    }
}

/// The upload client: reqwest's blocking one (the batch processor's own
/// thread sends), with a bearer token added when there is a credential.
pub struct SignedClient {
    http: reqwest::blocking::Client,
    credential: Option<Arc<dyn TokenCredential>>,
    /// The SDK's credential is async: a small runtime of this client's own
    /// fetches (and caches) its tokens on the exporter's thread.
    runtime: OnceLock<tokio::runtime::Runtime>,
    /// A local stand-in's authority, reached over plain HTTP.
    plain_http: Option<String>,
}

impl std::fmt::Debug for SignedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedClient")
            .field("signed", &self.credential.is_some())
            .finish()
    }
}

impl SignedClient {
    fn token(&self, credential: &dyn TokenCredential) -> Result<String, HttpError> {
        let runtime = match self.runtime.get() {
            Some(runtime) => runtime,
            None => {
                let built = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                self.runtime.get_or_init(|| built)
            }
        };
        let token = runtime.block_on(credential.get_token(&[INGESTION_SCOPE], None))?;
        Ok(token.token.secret().to_string())
    }
}

#[async_trait::async_trait]
impl HttpClient for SignedClient {
    async fn send_bytes(&self, mut request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        if let Some(credential) = &self.credential {
            let token = self.token(credential.as_ref())?;
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse()?);
            let uri = request.uri().to_string();
            if let Some(base) = uri.strip_suffix("/v2/track") {
                *request.uri_mut() = format!("{base}/v2.1/track").parse()?;
            }
        }
        if let Some(authority) = &self.plain_http {
            let uri = request.uri().to_string();
            if let Some(rest) = uri.strip_prefix(&format!("https://{authority}/")) {
                *request.uri_mut() = format!("http://{authority}/{rest}").parse()?;
            }
        }
        self.http.send_bytes(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Option<AppInsights> {
        AppInsights::from_vars(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    #[test]
    fn the_hosts_settings_say_whether_and_how_spans_go_to_application_insights() {
        let cs = (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "InstrumentationKey=k;IngestionEndpoint=https://x/",
        );
        assert_eq!(vars(&[]), None);
        assert_eq!(vars(&[cs]).unwrap().sign_in, SignIn::Key);
        let infra = (
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
            "ClientId=abc;Authorization=AAD",
        );
        assert_eq!(
            vars(&[cs, infra]).unwrap().sign_in,
            SignIn::Entra {
                client_id: Some("abc".into())
            }
        );
        let system = (
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
            "Authorization=AAD",
        );
        assert_eq!(
            vars(&[cs, system]).unwrap().sign_in,
            SignIn::Entra { client_id: None }
        );
        assert_eq!(
            vars(&[cs, infra, ("MOVIEREC_APPINSIGHTS_SPANS", "false")]),
            None
        );
        assert_eq!(vars(&[cs]).unwrap().local_plain_http(), None, "https");
        let local = (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "InstrumentationKey=k;IngestionEndpoint=http://127.0.0.1:9/",
        );
        assert_eq!(
            vars(&[local]).unwrap().local_plain_http().as_deref(),
            Some("127.0.0.1:9")
        );
        let remote = (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "InstrumentationKey=k;IngestionEndpoint=http://example.com/",
        );
        assert_eq!(
            vars(&[remote]).unwrap().local_plain_http(),
            None,
            "never plain to Azure"
        );
    }
}
