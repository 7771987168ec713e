//! A user's serving document ([`UserDoc`]): how ingest sets its rating mark
//! and how a shard puts a list in it, without either losing the other's write.
//!
//! Ingest sets `/mark` with a server-side patch: one write that touches no
//! list, so it never races a shard. A shard reads the document and replaces it
//! under the etag it read, with its list added and the lists of versions no
//! longer kept dropped; a mark patched in between makes the replace fail
//! (412) and the shard read again, so the mark is never rolled back. A user
//! without a document yet gets one created; a create that finds one made
//! meanwhile (409) goes back to the patch or the read.

use std::collections::BTreeMap;

use azure_data_cosmos::models::{PatchInstructions, PatchOperation};
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};

use super::documents::*;
use super::{corrupt, cosmos_error, CosmosStore};
use crate::traits::Result;
use crate::StoreError;

/// Attempts when writers keep racing on one user's document.
const MAX_RACES: usize = 16;

fn lost_races(operation: &'static str, user: i32) -> StoreError {
    StoreError::backend(
        super::BACKEND,
        operation,
        format!(
            "user {user}'s document changed under {MAX_RACES} writes in a row; retry the batch"
        ),
    )
}

impl CosmosStore {
    /// Sets `user`'s rating mark to `mark`.
    pub(super) async fn set_rating_mark(&self, user: i32, mark: i64) -> Result<()> {
        const OPERATION: &str = "store a user's rating mark";
        let container = &self.inner.recommendations;
        let id = user_doc_id(user);
        for _ in 0..MAX_RACES {
            let patch = PatchInstructions::from(vec![PatchOperation::set(
                "/mark",
                serde_json::Value::from(mark),
            )]);
            match container.patch_item(user, &id, patch, None).await {
                Ok(_) => return Ok(()),
                Err(e) if e.status().is_not_found() => {}
                Err(e) => return Err(cosmos_error(OPERATION, e)),
            }
            let doc = UserDoc {
                id: id.clone(),
                user,
                mark: Some(mark),
                lists: BTreeMap::new(),
            };
            match container.create_item(user, &id, &doc, None).await {
                Ok(_) => return Ok(()),
                Err(e) if e.status().is_conflict() => {}
                Err(e) => return Err(cosmos_error(OPERATION, e)),
            }
        }
        Err(lost_races(OPERATION, user))
    }

    /// Puts `list` in `user`'s document and drops the lists of versions not
    /// in `keep` (which holds `list.version`).
    pub(super) async fn put_list(&self, user: i32, list: &ListEntry, keep: &[u64]) -> Result<()> {
        const OPERATION: &str = "write a user's list";
        let container = &self.inner.recommendations;
        let id = user_doc_id(user);
        for _ in 0..MAX_RACES {
            match container.read_item(user, &id, None).await {
                Ok(read) => {
                    let etag = read.headers().etag().cloned();
                    let mut doc: UserDoc = read
                        .into_model()
                        .map_err(|e| corrupt("a user's document", e))?;
                    doc.lists.retain(|_, l| keep.contains(&l.version));
                    doc.lists.insert(list_key(list.version), list.clone());
                    let options = etag.map(|etag| {
                        ItemWriteOptions::default().with_precondition(Precondition::if_match(etag))
                    });
                    match container.replace_item(user, &id, &doc, options).await {
                        Ok(_) => return Ok(()),
                        Err(e)
                            if e.status().is_precondition_failed() || e.status().is_not_found() => {
                        }
                        Err(e) => return Err(cosmos_error(OPERATION, e)),
                    }
                }
                Err(e) if e.status().is_not_found() => {
                    let doc = UserDoc {
                        id: id.clone(),
                        user,
                        mark: None,
                        lists: BTreeMap::from([(list_key(list.version), list.clone())]),
                    };
                    match container.create_item(user, &id, &doc, None).await {
                        Ok(_) => return Ok(()),
                        Err(e) if e.status().is_conflict() => {}
                        Err(e) => return Err(cosmos_error(OPERATION, e)),
                    }
                }
                Err(e) => return Err(cosmos_error(OPERATION, e)),
            }
        }
        Err(lost_races(OPERATION, user))
    }

    /// `user`'s document (one point read), or `None` when they have none.
    pub(super) async fn user_doc(&self, user: i32) -> Result<Option<UserDoc>> {
        Self::read_optional(
            &self.inner.recommendations,
            user,
            &user_doc_id(user),
            "a user's document",
            "read a user's recommendations",
        )
        .await
    }
}
