//! # catalogue: the movies the app knows, as they are loaded and changed
//!
//! Titles and genres reach the store through [`changes`] from a catalogue
//! file (`movierec import movies FILE`, and the bundled set's movies.csv at
//! bootstrap), read by [`files`], and through [`patches`] while the app runs
//! (`POST /movies`, the UpsertMovies function: add, change, hide).
//!
//! Owns: the file formats, the patch shape and the rules of a change (by
//! id, `hidden` kept by an import, set by a patch). Must not touch: HTTP
//! (`crate::http` reads the body and answers), or how serving reads the
//! catalogue (`crate::serving::catalogue`).

pub mod changes;
pub mod files;
pub mod patches;

pub use changes::import_file;
pub use files::{read_catalogue, BadRow, CatalogueFile, CatalogueFileError, CatalogueFormat};
