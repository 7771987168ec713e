//! The sign-in a local Event Hubs test server accepts: any token. Only ever
//! used for an endpoint on this machine ([`movierec_azure::is_local_endpoint`]);
//! it must never be offered to an Azure endpoint.

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

/// A placeholder token, valid for an hour. Public so tests can read back from
/// such a server with the same sign-in.
#[derive(Debug)]
pub struct LocalServerToken;

#[async_trait::async_trait]
impl TokenCredential for LocalServerToken {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let expires =
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1);
        Ok(AccessToken::new("local-test-server", expires))
    }
}
