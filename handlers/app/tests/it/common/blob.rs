//! The local Blob Storage server (testsupport/blob: Azurite's Blob service)
//! and an account SAS for its well-known account, signed here as Azure signs
//! one (HMAC-SHA256 of the string to sign, version 2020-12-06 and later).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Azurite's one account and its published key (not a secret: every Azurite has it).
const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The account URL (`http://127.0.0.1:PORT/devstoreaccount1`) from
/// MOVIEREC_TEST_BLOB_ENDPOINT; a skip (a failure under CI's
/// MOVIEREC_REQUIRE_BLOB=1) when it is unset.
pub fn endpoint() -> Option<String> {
    match std::env::var("MOVIEREC_TEST_BLOB_ENDPOINT") {
        Ok(url) => Some(url.trim_end_matches('/').to_string()),
        Err(_) => super::missing_peer(
            "MOVIEREC_REQUIRE_BLOB",
            "MOVIEREC_TEST_BLOB_ENDPOINT is unset (bash testsupport/server.sh start blob)",
        ),
    }
}

/// An account SAS (Blob service; service, container and object level;
/// read, write, delete, list, add, create) valid for a day, as a query string.
pub fn account_sas() -> String {
    account_sas_with_key(KEY)
}

/// The same SAS signed with another key: the server refuses it.
pub fn forged_sas() -> String {
    account_sas_with_key(&base64::engine::general_purpose::STANDARD.encode([7u8; 64]))
}

fn account_sas_with_key(key: &str) -> String {
    let (version, permissions, services, types, protocol) =
        ("2021-08-06", "rwdlac", "b", "sco", "http");
    let expiry = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    // account, permissions, services, resource types, start, expiry, IP,
    // protocol, version, encryption scope; each line ended.
    let to_sign = format!(
        "{ACCOUNT}\n{permissions}\n{services}\n{types}\n\n{expiry}\n\n{protocol}\n{version}\n\n"
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(key)
        .expect("a base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    form_urlencoded::Serializer::new(String::new())
        .append_pair("sv", version)
        .append_pair("ss", services)
        .append_pair("srt", types)
        .append_pair("sp", permissions)
        .append_pair("se", &expiry)
        .append_pair("spr", protocol)
        .append_pair("sig", &signature)
        .finish()
}
