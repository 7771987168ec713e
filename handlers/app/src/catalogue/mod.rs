//! # catalogue: the movies the app knows, as they are loaded and changed
//!
//! Titles and genres reach the store through [`changes`] from a catalogue
//! file (`movierec import movies FILE`, and the bundled set's movies.csv at
//! bootstrap), read by [`files`].
//!
//! Owns: the file formats and the rules of an import (by id, `hidden`
//! kept). Must not touch: HTTP, or how serving reads the catalogue
//! (`crate::serving::catalogue`).

pub mod changes;
pub mod files;

pub use changes::import_file;
pub use files::{read_catalogue, BadRow, CatalogueFile, CatalogueFileError, CatalogueFormat};
