//! Catalogue files as MovieLens and teams write them, read into [`Movie`]s
//! with every unusable row named by its line:
//! - ml-latest `movies.csv`: `movieId,title,genres`, a header, titles quoted
//!   when they hold commas, genres `|`-separated;
//! - ml-1m `movies.dat`: `id::title::genres`, ISO-8859-1;
//! - ml-100k `u.item`: `id|title|release|video release|IMDb URL|` and 19
//!   genre flags in `u.genre`'s order, ISO-8859-1;
//! - a plain `id,title,genres` CSV, with or without a header.
//!
//! The format is told from the first line. Text that is not UTF-8 is read as
//! ISO-8859-1 (what MovieLens' older sets are), so no title is refused for its
//! accents.

use std::path::Path;

use movierec_store::Movie;

/// ml-100k's genres, in the order of `u.item`'s flags (`u.genre`).
const U_ITEM_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];
/// Genre labels that mean "none".
const NO_GENRE: [&str; 2] = ["(no genres listed)", "unknown"];
/// Longest title kept; a longer one is refused as a broken row.
pub const MAX_TITLE_CHARS: usize = 500;

/// The layouts [`read_catalogue`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueFormat {
    /// `movies.csv`, or any `id,title,genres` CSV.
    Csv,
    /// `movies.dat`.
    Dat,
    /// `u.item`.
    UItem,
}

/// A row that could not be read, by its line number (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// What a catalogue file held.
#[derive(Debug, Clone)]
pub struct CatalogueFile {
    pub format: CatalogueFormat,
    /// The readable rows, in file order; a repeated id keeps its last row.
    pub movies: Vec<Movie>,
    pub bad: Vec<BadRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueFileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is empty: expected movies.csv, movies.dat, u.item or id,title,genres rows")]
    Empty { path: String },
}

/// UTF-8 when it is, ISO-8859-1 (one byte, one char) otherwise.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

fn format_of(first_line: &str) -> CatalogueFormat {
    if first_line.contains("::") {
        CatalogueFormat::Dat
    } else if first_line.split('|').count() >= 5 + U_ITEM_GENRES.len() {
        CatalogueFormat::UItem
    } else {
        CatalogueFormat::Csv
    }
}

/// Reads `path` (see the module doc for the formats).
pub fn read_catalogue(path: &Path) -> Result<CatalogueFile, CatalogueFileError> {
    let bytes = std::fs::read(path).map_err(|source| CatalogueFileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_catalogue(&bytes).ok_or_else(|| CatalogueFileError::Empty {
        path: path.display().to_string(),
    })
}

/// Parses a catalogue file's bytes; `None` when it has no rows at all.
pub fn parse_catalogue(bytes: &[u8]) -> Option<CatalogueFile> {
    let first = bytes
        .split(|&b| b == b'\n')
        .map(decode)
        .find(|l| !l.trim().is_empty())?;
    let format = format_of(&first);
    let mut file = CatalogueFile {
        format,
        movies: Vec::new(),
        bad: Vec::new(),
    };
    let rows: Vec<(u64, Result<Movie, String>)> = match format {
        CatalogueFormat::Csv => csv_rows(bytes),
        CatalogueFormat::Dat => line_rows(bytes, dat_row),
        CatalogueFormat::UItem => line_rows(bytes, u_item_row),
    };
    let mut at = std::collections::HashMap::new();
    for (line, row) in rows {
        match row {
            Ok(movie) => match at.get(&movie.id) {
                Some(&i) => file.movies[i] = movie,
                None => {
                    at.insert(movie.id, file.movies.len());
                    file.movies.push(movie);
                }
            },
            Err(reason) => file.bad.push(BadRow { line, reason }),
        }
    }
    Some(file)
}

fn line_rows(
    bytes: &[u8],
    row: fn(&str) -> Result<Movie, String>,
) -> Vec<(u64, Result<Movie, String>)> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, decode(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| (n, row(l.trim_end_matches('\r'))))
        .collect()
}

fn csv_rows(bytes: &[u8]) -> Vec<(u64, Result<Movie, String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let fields: Vec<String> = record.iter().map(decode).collect();
                let header = first
                    && fields
                        .first()
                        .is_some_and(|f| f.trim().parse::<i64>().is_err());
                first = false;
                if header || fields.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let line = record.position().map_or(line, |p| p.line());
                rows.push((line, csv_row(&fields)));
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                rows.push((line, Err(format!("not a CSV row: {e}"))));
                first = false;
            }
        }
    }
    rows
}

fn csv_row(fields: &[String]) -> Result<Movie, String> {
    if fields.len() < 2 {
        return Err(format!(
            "{} field(s); expected id,title,genres (genres may be empty)",
            fields.len()
        ));
    }
    if fields.len() > 3 {
        return Err(format!(
            "{} fields; expected id,title,genres (quote a title that holds commas)",
            fields.len()
        ));
    }
    movie(
        &fields[0],
        &fields[1],
        split_genres(fields.get(2).map_or("", String::as_str)),
    )
}

fn dat_row(line: &str) -> Result<Movie, String> {
    let parts: Vec<&str> = line.split("::").collect();
    if parts.len() != 3 {
        return Err(format!(
            "{} `::` fields; expected id::title::genres",
            parts.len()
        ));
    }
    movie(parts[0], parts[1], split_genres(parts[2]))
}

fn u_item_row(line: &str) -> Result<Movie, String> {
    let parts: Vec<&str> = line.split('|').collect();
    let expected = 5 + U_ITEM_GENRES.len();
    if parts.len() != expected {
        return Err(format!(
            "{} `|` fields; u.item rows have {expected}",
            parts.len()
        ));
    }
    let mut genres = Vec::new();
    for (flag, genre) in parts[5..].iter().zip(U_ITEM_GENRES) {
        match flag.trim() {
            "1" if !NO_GENRE.contains(&genre) => genres.push(genre.to_string()),
            "0" | "1" => {}
            other => return Err(format!("genre flag for {genre} is {other:?}, not 0 or 1")),
        }
    }
    movie(parts[0], parts[1], genres)
}

fn split_genres(raw: &str) -> Vec<String> {
    raw.split('|')
        .map(str::trim)
        .filter(|g| !g.is_empty() && !NO_GENRE.contains(g))
        .map(str::to_string)
        .collect()
}

/// A movie from its fields, or what is wrong with them.
fn movie(id: &str, title: &str, genres: Vec<String>) -> Result<Movie, String> {
    let id = id
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|&i| i > 0)
        .ok_or_else(|| format!("movie id {:?} is not a positive 32-bit integer", id.trim()))?;
    // Kept as written (some MovieLens titles end in a space); blank is refused.
    if title.trim().is_empty() {
        return Err(format!("movie {id} has an empty title"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!(
            "movie {id}'s title is longer than {MAX_TITLE_CHARS} characters"
        ));
    }
    Ok(Movie {
        id,
        title: title.to_string(),
        genres,
        hidden: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_movielens_layout_is_told_apart_and_read() {
        let csv = b"movieId,title,genres\r\n1,Toy Story (1995),Adventure|Animation\r\n11,\"American President, The (1995)\",Comedy|Drama|Romance\r\n2,Nothing,(no genres listed)\r\n";
        let f = parse_catalogue(csv).unwrap();
        assert_eq!(f.format, CatalogueFormat::Csv);
        assert!(f.bad.is_empty(), "{:?}", f.bad);
        assert_eq!(f.movies[1].title, "American President, The (1995)");
        assert_eq!(f.movies[0].genres, vec!["Adventure", "Animation"]);
        assert!(f.movies[2].genres.is_empty());

        let dat = b"1::Toy Story (1995)::Animation|Children's|Comedy\n73::Mis\xe9rables, Les (1995)::Drama|Musical\n";
        let f = parse_catalogue(dat).unwrap();
        assert_eq!(f.format, CatalogueFormat::Dat);
        assert_eq!(
            f.movies[1].title, "Misérables, Les (1995)",
            "ISO-8859-1 read as such"
        );

        let item = b"1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
        let f = parse_catalogue(item).unwrap();
        assert_eq!(f.format, CatalogueFormat::UItem);
        assert_eq!(
            f.movies[0].genres,
            vec!["Animation", "Children's", "Comedy"]
        );
        assert!(f.movies[1].genres.is_empty());
    }

    #[test]
    fn broken_rows_are_named_by_line_and_the_good_ones_kept() {
        let text = b"id,title,genres\n1,One,Drama\nx,Bad id,Drama\n3,,Comedy\n4,Four,Drama,extra\n\n5,\"Five\",\n1,One again,Comedy\n";
        let f = parse_catalogue(text).unwrap();
        let ids: Vec<i32> = f.movies.iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![1, 5]);
        assert_eq!(
            f.movies[0].title, "One again",
            "a repeated id keeps its last row"
        );
        let lines: Vec<u64> = f.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4, 5], "{:?}", f.bad);
        assert!(f.bad[0].reason.contains("\"x\""), "{}", f.bad[0].reason);
        assert!(f.bad[1].reason.contains("empty title"));
        assert!(f.bad[2].reason.contains("quote a title"));
        assert!(parse_catalogue(b"\n\n").is_none());
    }
}
