//! Reading ratings files: MovieLens ml-100k `u.data`, ml-1m `ratings.dat`,
//! ml-latest `ratings.csv`, and plain `user,item,rating[,timestamp]` CSV.
//!
//! Files are read as a stream of lines (CRLF tolerated). A row that cannot be
//! parsed is reported with file, line number and reason; [`OnError`] decides
//! whether that fails the whole load or skips the row and counts it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{Rating, Ratings};
use crate::progress::{Progress, ProgressEvent};

/// How the fields of a line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RatingsFormat {
    /// Decide from the file name (`*.data` tab, `*.dat` `::`) or, failing that,
    /// from the first line.
    #[default]
    Auto,
    /// ml-100k `u.data`: `user \t item \t rating \t timestamp`.
    Tab,
    /// ml-1m `ratings.dat`: `user::item::rating::timestamp`.
    DoubleColon,
    /// `user,item,rating[,timestamp]`, with or without a header line.
    Csv,
}

impl RatingsFormat {
    fn separator(self) -> &'static str {
        match self {
            RatingsFormat::Tab => "\t",
            RatingsFormat::DoubleColon => "::",
            RatingsFormat::Csv | RatingsFormat::Auto => ",",
        }
    }

    fn from_path(path: &Path) -> RatingsFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some("data") | Some("tsv") => RatingsFormat::Tab,
            Some("dat") => RatingsFormat::DoubleColon,
            _ => RatingsFormat::Auto,
        }
    }

    fn sniff(first_line: &str) -> RatingsFormat {
        if first_line.contains("::") {
            RatingsFormat::DoubleColon
        } else if first_line.contains('\t') {
            RatingsFormat::Tab
        } else {
            RatingsFormat::Csv
        }
    }
}

/// What to do with a row that cannot be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop and return the row's error.
    #[default]
    Fail,
    /// Skip the row, count it, keep the first few errors for the report.
    Skip,
}

/// A format or error policy named on a command line that is not one of
/// [`RatingsFormat::NAMES`] or [`OnError::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not one of {expected}")]
pub struct UnknownName {
    pub given: String,
    pub expected: &'static str,
}

impl RatingsFormat {
    /// The names [`str::parse`] takes: `auto`, `tab` (u.data), `dat`
    /// (ratings.dat, `::`), `csv`.
    pub const NAMES: &'static str = "auto, tab, dat, csv";
}

impl std::str::FromStr for RatingsFormat {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        match name {
            "auto" => Ok(RatingsFormat::Auto),
            "tab" => Ok(RatingsFormat::Tab),
            "dat" => Ok(RatingsFormat::DoubleColon),
            "csv" => Ok(RatingsFormat::Csv),
            _ => Err(UnknownName {
                given: name.to_string(),
                expected: Self::NAMES,
            }),
        }
    }
}

impl OnError {
    /// The names [`str::parse`] takes: `fail`, `skip`.
    pub const NAMES: &'static str = "fail, skip";
}

impl std::str::FromStr for OnError {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, UnknownName> {
        match name {
            "fail" => Ok(OnError::Fail),
            "skip" => Ok(OnError::Skip),
            _ => Err(UnknownName {
                given: name.to_string(),
                expected: Self::NAMES,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    pub format: RatingsFormat,
    pub on_error: OnError,
}

/// A row that could not be parsed: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {reason}")]
pub struct RowError {
    pub source_name: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read ratings from {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("malformed ratings row at {0} (use --on-error skip to skip such rows and count them)")]
    Row(RowError),
    #[error("{path} holds no ratings")]
    Empty { path: String },
}

/// The ratings read plus what was skipped.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub ratings: Ratings,
    pub skipped: usize,
    /// The first skipped rows' errors (at most [`LoadReport::KEPT_ERRORS`]).
    pub errors: Vec<RowError>,
}

impl LoadReport {
    pub const KEPT_ERRORS: usize = 20;

    /// What a command tells its user when rows of `path` were skipped: the
    /// count, then the first errors, one per line (`None` when none was).
    pub fn skipped_warning(&self, path: &Path) -> Option<String> {
        if self.skipped == 0 {
            return None;
        }
        let mut text = format!(
            "warning: skipped {} malformed rows in {}; first ones:",
            self.skipped,
            path.display()
        );
        for e in &self.errors {
            text.push_str(&format!("\n  {e}"));
        }
        Some(text)
    }
}

/// Reads a ratings file.
pub fn load_ratings(
    path: &Path,
    options: LoadOptions,
    progress: &dyn Progress,
) -> Result<LoadReport, LoadError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: name.clone(),
        source,
    })?;
    let mut options = options;
    if options.format == RatingsFormat::Auto {
        options.format = RatingsFormat::from_path(path);
    }
    parse_ratings(
        BufReader::with_capacity(1 << 20, file),
        &name,
        options,
        progress,
    )
}

/// Parses ratings from any reader; `source_name` names it in error messages.
pub fn parse_ratings(
    mut reader: impl BufRead,
    source_name: &str,
    options: LoadOptions,
    progress: &dyn Progress,
) -> Result<LoadReport, LoadError> {
    let io_err = |source| LoadError::Io {
        path: source_name.to_string(),
        source,
    };
    let mut report = LoadReport::default();
    let mut format = options.format;
    let mut line = String::new();
    let mut line_no = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(io_err)? == 0 {
            break;
        }
        line_no += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        if format == RatingsFormat::Auto {
            format = RatingsFormat::sniff(text);
        }
        match parse_row(text, format.separator()) {
            Ok(rating) => report.ratings.rows.push(rating),
            // A header is a first line whose leading field is not a number.
            Err(_) if line_no == 1 && looks_like_header(text, format.separator()) => {}
            Err(reason) => {
                let error = RowError {
                    source_name: source_name.to_string(),
                    line: line_no,
                    reason,
                };
                match options.on_error {
                    OnError::Fail => return Err(LoadError::Row(error)),
                    OnError::Skip => {
                        report.skipped += 1;
                        if report.errors.len() < LoadReport::KEPT_ERRORS {
                            report.errors.push(error);
                        }
                    }
                }
            }
        }
        if line_no % 1_000_000 == 0 {
            progress.report(ProgressEvent::RowsRead { rows: line_no });
        }
    }
    if report.ratings.is_empty() && report.skipped == 0 {
        return Err(LoadError::Empty {
            path: source_name.to_string(),
        });
    }
    Ok(report)
}

fn looks_like_header(text: &str, separator: &str) -> bool {
    let first = text.split(separator).next().unwrap_or("").trim();
    first.parse::<f64>().is_err()
}

fn parse_row(text: &str, separator: &str) -> Result<Rating, String> {
    let mut fields = text.split(separator);
    let mut next = |name: &str| {
        fields
            .next()
            .map(str::trim)
            .ok_or_else(|| format!("missing {name} field (expected user{separator}item{separator}rating[{separator}timestamp])"))
    };
    let user = next("user")?;
    let item = next("item")?;
    let rating = next("rating")?;
    let user = user
        .parse::<i32>()
        .map_err(|_| format!("user id {user:?} is not a 32-bit integer"))?;
    let item = item
        .parse::<i32>()
        .map_err(|_| format!("item id {item:?} is not a 32-bit integer"))?;
    let value = rating
        .parse::<f32>()
        .map_err(|_| format!("rating {rating:?} is not a number"))?;
    if !value.is_finite() {
        return Err(format!("rating {rating:?} is not a finite number"));
    }
    let timestamp = match fields.next().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| format!("timestamp {t:?} is not an integer"))?,
        ),
    };
    if let Some(extra) = fields.next() {
        return Err(format!(
            "unexpected extra field {extra:?} (expected at most 4 fields)"
        ));
    }
    Ok(Rating {
        user,
        item,
        rating: value,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoProgress;

    #[test]
    fn formats_and_policies_parse_from_their_command_line_names() {
        assert_eq!("dat".parse(), Ok(RatingsFormat::DoubleColon));
        assert_eq!("auto".parse(), Ok(RatingsFormat::Auto));
        assert_eq!("skip".parse(), Ok(OnError::Skip));
        let err = "tsv".parse::<RatingsFormat>().unwrap_err();
        assert_eq!(err.to_string(), "\"tsv\" is not one of auto, tab, dat, csv");
        assert!("ignore".parse::<OnError>().is_err());
    }

    fn parse(
        text: &str,
        format: RatingsFormat,
        on_error: OnError,
    ) -> Result<LoadReport, LoadError> {
        parse_ratings(
            text.as_bytes(),
            "mem",
            LoadOptions { format, on_error },
            &NoProgress,
        )
    }

    #[test]
    fn reads_ml100k_tab_format() {
        let r = parse(
            "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
            RatingsFormat::Auto,
            OnError::Fail,
        )
        .unwrap();
        assert_eq!(
            r.ratings.rows[0],
            Rating {
                user: 196,
                item: 242,
                rating: 3.0,
                timestamp: Some(881250949)
            }
        );
        assert_eq!(r.ratings.len(), 2);
    }

    #[test]
    fn reads_ml1m_double_colon_format() {
        let r = parse(
            "1::1193::5::978300760\n1::661::3::978302109\n",
            RatingsFormat::Auto,
            OnError::Fail,
        )
        .unwrap();
        assert_eq!(
            r.ratings.rows[1],
            Rating {
                user: 1,
                item: 661,
                rating: 3.0,
                timestamp: Some(978302109)
            }
        );
    }

    #[test]
    fn reads_ml_latest_csv_with_header_and_crlf() {
        let text = "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,3,4.5,964981247\r\n";
        let r = parse(text, RatingsFormat::Auto, OnError::Fail).unwrap();
        assert_eq!(r.ratings.len(), 2);
        assert_eq!(r.ratings.rows[1].rating, 4.5);
        assert_eq!(r.skipped, 0);
    }

    #[test]
    fn reads_headerless_three_column_csv_with_negative_ids() {
        let r = parse(
            "-5,7,2.5\n2147483647,-2147483648,1\n",
            RatingsFormat::Csv,
            OnError::Fail,
        )
        .unwrap();
        assert_eq!(
            r.ratings.rows[0],
            Rating {
                user: -5,
                item: 7,
                rating: 2.5,
                timestamp: None
            }
        );
        assert_eq!(r.ratings.rows[1].item, i32::MIN);
    }

    #[test]
    fn malformed_row_fails_with_file_line_and_reason() {
        let err = parse("1,2,3\n1,x,4\n", RatingsFormat::Csv, OnError::Fail).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("mem:2"), "{msg}");
        assert!(msg.contains("item id \"x\""), "{msg}");
    }

    #[test]
    fn skip_mode_keeps_good_rows_and_counts_bad_ones() {
        let text = "user,item,rating\n1,2,3\n1,2\n3,4,NaN\n5,6,7,8,9\n9999999999,1,1\n7,8,2\n";
        let r = parse(text, RatingsFormat::Csv, OnError::Skip).unwrap();
        assert_eq!(r.ratings.len(), 2);
        assert_eq!(r.skipped, 4);
        let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert!(r.errors[0].reason.contains("missing rating"));
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(
            parse("\n\n", RatingsFormat::Csv, OnError::Fail),
            Err(LoadError::Empty { .. })
        ));
    }
}
