//! The Entra ID credential: the managed identity when running in Azure (the
//! platform sets `IDENTITY_ENDPOINT`, or `MSI_ENDPOINT` on older hosts),
//! optionally a user-assigned one by client id; anywhere else the developer's
//! own sign-in (`az login`, `azd auth login`) through the developer tools.
//! It reads no movierec setting: the caller passes the client id.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;

/// Which credential [`credential`] sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// The platform's managed identity (system-assigned, or user-assigned by client id).
    ManagedIdentity,
    /// The developer's tools: the Azure CLI or the Azure Developer CLI.
    DeveloperTools,
}

impl CredentialKind {
    /// Managed identity where the platform offers one, from its variables.
    pub fn for_environment() -> Self {
        Self::choose(
            std::env::var_os("IDENTITY_ENDPOINT").is_some(),
            std::env::var_os("MSI_ENDPOINT").is_some(),
        )
    }

    fn choose(identity_endpoint: bool, msi_endpoint: bool) -> Self {
        if identity_endpoint || msi_endpoint {
            CredentialKind::ManagedIdentity
        } else {
            CredentialKind::DeveloperTools
        }
    }
}

impl std::fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CredentialKind::ManagedIdentity => "managed identity",
            CredentialKind::DeveloperTools => "developer tools",
        })
    }
}

/// The credential could not be set up (the SDK's error is its source).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the Entra ID credential ({kind})")]
pub struct CredentialError {
    pub kind: CredentialKind,
    #[source]
    pub source: azure_core::Error,
}

/// The Entra ID credential for this environment; `client_id` picks a
/// user-assigned managed identity (ignored outside Azure).
pub fn credential(client_id: Option<&str>) -> Result<Arc<dyn TokenCredential>, CredentialError> {
    let kind = CredentialKind::for_environment();
    let failed = |source| CredentialError { kind, source };
    match kind {
        CredentialKind::ManagedIdentity => {
            let options = azure_identity::ManagedIdentityCredentialOptions {
                user_assigned_id: client_id
                    .map(|id| azure_identity::UserAssignedId::ClientId(id.to_string())),
                ..Default::default()
            };
            let credential =
                azure_identity::ManagedIdentityCredential::new(Some(options)).map_err(failed)?;
            Ok(credential)
        }
        CredentialKind::DeveloperTools => {
            let credential = azure_identity::DeveloperToolsCredential::new(None).map_err(failed)?;
            Ok(credential)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_platform_variable_means_managed_identity() {
        assert_eq!(
            CredentialKind::choose(true, false),
            CredentialKind::ManagedIdentity
        );
        assert_eq!(
            CredentialKind::choose(false, true),
            CredentialKind::ManagedIdentity
        );
        assert_eq!(
            CredentialKind::choose(false, false),
            CredentialKind::DeveloperTools
        );
    }

    #[test]
    fn the_error_names_the_credential_and_keeps_the_sdks_error() {
        let e = CredentialError {
            kind: CredentialKind::ManagedIdentity,
            source: azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "no endpoint",
            ),
        };
        assert_eq!(
            e.to_string(),
            "cannot set up the Entra ID credential (managed identity)"
        );
        let source = std::error::Error::source(&e).expect("a source");
        assert!(source.to_string().contains("no endpoint"), "{source}");
    }
}
