//! Model folders in a Blob container: where the Spark job's output lands when
//! it runs on Databricks, Synapse or Fabric (`abfss://CONTAINER@ACCOUNT...`).
//! RetrainModel in external mode finds the newest complete folder there (its
//! `_SUCCESS` blob written) and downloads it into a local folder, which
//! [`super::model_folder`] then reads like any other.
//!
//! A folder is the first path segment of its blobs' names, directly under the
//! container. Directory entries of a hierarchical namespace (ADLS Gen2 lists
//! them as empty blobs) are skipped. The URL's query, a SAS when there is one,
//! is a secret: errors and logs name the container without it.
//!
//! Owns listing and downloading; must not read the folder's contents (that is
//! `model_folder`'s) or touch the store.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_storage_blob::models::BlobContainerClientListBlobsOptions;
use azure_storage_blob::BlobContainerClient;
use futures::TryStreamExt;

use super::model_folder::COMPLETE;

/// Why a container of model folders could not be reached, listed or downloaded
/// from; `shown` is the container without its query (a SAS is a secret).
#[derive(Debug, thiserror::Error)]
pub enum BlobModelsError {
    #[error("signing in to read the model container {shown}")]
    SignIn {
        shown: String,
        #[source]
        source: movierec_azure::CredentialError,
    },
    #[error("the model container URL {shown}")]
    Url {
        shown: String,
        #[source]
        source: <azure_core::http::Url as std::str::FromStr>::Err,
    },
    #[error("a client for the model container {shown}")]
    Client {
        shown: String,
        #[source]
        source: Box<azure_core::Error>,
    },
    #[error("listing {shown}")]
    List {
        shown: String,
        #[source]
        source: Box<azure_core::Error>,
    },
    #[error("reading the listing of {shown}")]
    ReadListing {
        shown: String,
        #[source]
        source: Box<azure_core::Error>,
    },
    #[error("downloading {name} from {shown}")]
    Download {
        name: String,
        shown: String,
        #[source]
        source: Box<azure_core::Error>,
    },
    #[error("reading {name} from {shown}")]
    ReadBlob {
        name: String,
        shown: String,
        #[source]
        source: Box<azure_core::Error>,
    },
    #[error("creating {}", .dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {}", .file.display())]
    WriteFile {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One container of job output folders.
pub struct BlobModels {
    client: BlobContainerClient,
    /// The container as shown: without the query.
    shown: String,
}

impl BlobModels {
    /// A client for `url`: with the SAS the URL carries, or else with the
    /// managed identity (`client_id` picks a user-assigned one). `shown` is
    /// the container as errors name it: the URL without its query.
    pub fn connect(
        url: &reqwest::Url,
        client_id: Option<&str>,
        shown: String,
    ) -> Result<Self, BlobModelsError> {
        let credential: Option<Arc<dyn TokenCredential>> = if carries_sas(url) {
            None
        } else {
            Some(movierec_azure::credential(client_id).map_err(|source| {
                BlobModelsError::SignIn {
                    shown: shown.clone(),
                    source,
                }
            })?)
        };
        let url =
            azure_core::http::Url::parse(url.as_str()).map_err(|source| BlobModelsError::Url {
                shown: shown.clone(),
                source,
            })?;
        let client = BlobContainerClient::new(url, credential, None).map_err(|source| {
            BlobModelsError::Client {
                shown: shown.clone(),
                source: Box::new(source),
            }
        })?;
        Ok(BlobModels { client, shown })
    }

    /// The container as logs show it (no query).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The newest complete folder's name (by name: the job names them by time).
    pub async fn newest_complete(&self) -> Result<Option<String>, BlobModelsError> {
        let names = self.names(None).await?;
        Ok(names
            .iter()
            .filter_map(|n| n.strip_suffix(COMPLETE)?.strip_suffix('/'))
            .filter(|folder| !folder.is_empty() && !folder.contains('/'))
            .max()
            .map(str::to_string))
    }

    /// Downloads every file of `folder` into `into`, keeping the paths below
    /// the folder; returns the number of files.
    pub async fn download(&self, folder: &str, into: &Path) -> Result<usize, BlobModelsError> {
        let prefix = format!("{folder}/");
        let names = self.names(Some(&prefix)).await?;
        let files = files_only(&names);
        for name in &files {
            let relative = &name[prefix.len()..];
            let target = into.join(relative);
            let blob = self
                .client
                .blob_client(name)
                .download(None)
                .await
                .map_err(|source| BlobModelsError::Download {
                    name: name.to_string(),
                    shown: self.shown.clone(),
                    source: Box::new(source),
                })?;
            let bytes = blob
                .body
                .collect()
                .await
                .map_err(|source| BlobModelsError::ReadBlob {
                    name: name.to_string(),
                    shown: self.shown.clone(),
                    source: Box::new(source),
                })?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|source| BlobModelsError::CreateDir {
                    dir: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&target, &bytes).map_err(|source| BlobModelsError::WriteFile {
                file: target.clone(),
                source,
            })?;
        }
        Ok(files.len())
    }

    /// Every blob name in the container, or under `prefix`.
    async fn names(&self, prefix: Option<&str>) -> Result<Vec<String>, BlobModelsError> {
        let options = BlobContainerClientListBlobsOptions {
            prefix: prefix.map(str::to_string),
            ..Default::default()
        };
        let listing = |source: azure_core::Error| BlobModelsError::List {
            shown: self.shown.clone(),
            source: Box::new(source),
        };
        let mut pages = self
            .client
            .list_blobs(Some(options))
            .map_err(listing)?
            .into_pages();
        let mut names = Vec::new();
        while let Some(page) = pages.try_next().await.map_err(listing)? {
            let page = page
                .into_model()
                .map_err(|source| BlobModelsError::ReadListing {
                    shown: self.shown.clone(),
                    source: Box::new(source),
                })?;
            names.extend(page.blob_items.into_iter().filter_map(|b| b.name));
        }
        Ok(names)
    }
}

/// A SAS carries its signature in `sig`.
fn carries_sas(url: &reqwest::Url) -> bool {
    url.query_pairs().any(|(k, _)| k == "sig")
}

/// The names that are files, sorted: a name that is the path of another
/// name's folder is a directory entry (a hierarchical namespace lists those
/// as blobs).
fn files_only(names: &[String]) -> Vec<&String> {
    let folders: HashSet<&str> = names
        .iter()
        .flat_map(|name| name.match_indices('/').map(|(at, _)| &name[..at]))
        .collect();
    let mut files: Vec<&String> = names
        .iter()
        .filter(|name| !folders.contains(name.as_str()))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_entries_are_not_files() {
        let names: Vec<String> = [
            "v1/ranking",
            "v1/ranking-old.txt",
            "v1/ranking/metadata",
            "v1/ranking/metadata/part-00000",
            "v1/_SUCCESS",
        ]
        .map(String::from)
        .to_vec();
        let files: Vec<&str> = files_only(&names).into_iter().map(|s| s.as_str()).collect();
        assert_eq!(
            files,
            vec![
                "v1/_SUCCESS",
                "v1/ranking-old.txt",
                "v1/ranking/metadata/part-00000"
            ]
        );
    }

    #[test]
    fn a_sas_is_recognised_by_its_signature() {
        let sas =
            reqwest::Url::parse("https://a.blob.core.windows.net/m?sv=2021-08-06&sig=x").unwrap();
        let plain = reqwest::Url::parse("https://a.blob.core.windows.net/m").unwrap();
        assert!(carries_sas(&sas));
        assert!(!carries_sas(&plain));
    }
}
