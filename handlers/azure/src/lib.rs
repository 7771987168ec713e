//! # movierec-azure: how movierec signs in to Azure
//!
//! Owns the one decision every Azure client of movierec makes the same way:
//! which Entra ID credential to use ([`credential()`]), and whether an endpoint
//! is a local stand-in rather than Azure ([`is_local_endpoint`]). The Cosmos
//! DB store and the ratings generator's Event Hubs producer both call it, so
//! they cannot drift apart; the app's standalone write guard asks the same
//! "is this address this machine" of a request's `Host` (without the
//! `credential` feature, which brings the Azure SDK).
//!
//! It must not know any Azure service (no Cosmos DB, no Event Hubs), hold
//! secrets or read settings beyond the platform's own managed-identity
//! variables: callers pass the client id they were configured with.

#[cfg(feature = "credential")]
mod credential;
mod endpoint;

#[cfg(feature = "credential")]
pub use credential::{credential, CredentialError, CredentialKind};
pub use endpoint::is_local_endpoint;
