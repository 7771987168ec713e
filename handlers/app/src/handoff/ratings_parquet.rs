//! The exported ratings as Parquet part files, in the columns the training
//! job reads: `user int32, item int32, rating float, timestamp int64`, all
//! required. A part holds at most [`PART_ROWS`] ratings in row groups of
//! [`GROUP_ROWS`], so the writer holds one row group, never the whole set.
//! Owns this file format only; where the rows come from is `export.rs`'s.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use movierec_store::RatingRecord;
use parquet::basic::Compression;
use parquet::data_type::{FloatType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// Ratings per part file.
pub const PART_ROWS: usize = 5_000_000;
/// Ratings per row group (what the writer holds in memory).
pub const GROUP_ROWS: usize = 500_000;

const SCHEMA: &str = "message ratings {
  required int32 user;
  required int32 item;
  required float rating;
  required int64 timestamp;
}";

#[derive(Debug, thiserror::Error)]
#[error("writing ratings to {path}: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Writes `part-NNNNN.parquet` files into a directory as rows arrive.
pub struct PartWriter {
    dir: PathBuf,
    parts: usize,
    current: Option<(PathBuf, SerializedFileWriter<File>, usize)>,
    group: Vec<RatingRecord>,
    rows: u64,
}

impl PartWriter {
    pub fn new(dir: &Path) -> Self {
        PartWriter {
            dir: dir.to_path_buf(),
            parts: 0,
            current: None,
            group: Vec::with_capacity(GROUP_ROWS),
            rows: 0,
        }
    }

    pub fn push(&mut self, rows: Vec<RatingRecord>) -> Result<(), WriteError> {
        for r in rows {
            self.group.push(r);
            if self.group.len() == GROUP_ROWS {
                self.flush_group()?;
            }
        }
        Ok(())
    }

    /// Writes what is held and closes the last part; returns the rows
    /// written and the part count.
    pub fn finish(mut self) -> Result<(u64, usize), WriteError> {
        self.flush_group()?;
        self.close_part()?;
        Ok((self.rows, self.parts))
    }

    fn flush_group(&mut self) -> Result<(), WriteError> {
        if self.group.is_empty() {
            return Ok(());
        }
        if self.current.is_none() {
            let path = self.dir.join(format!("part-{:05}.parquet", self.parts));
            let file = File::create(&path).map_err(|e| err(&path, e))?;
            let schema = Arc::new(parse_message_type(SCHEMA).expect("static schema parses"));
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            let writer = SerializedFileWriter::new(file, schema, Arc::new(props))
                .map_err(|e| err(&path, e))?;
            self.parts += 1;
            self.current = Some((path, writer, 0));
        }
        let (path, writer, in_part) = self.current.as_mut().expect("opened above");
        let group = std::mem::take(&mut self.group);
        write_group(writer, &group).map_err(|e| err(path, e))?;
        *in_part += group.len();
        self.rows += group.len() as u64;
        self.group = group;
        self.group.clear();
        if *in_part >= PART_ROWS {
            self.close_part()?;
        }
        Ok(())
    }

    fn close_part(&mut self) -> Result<(), WriteError> {
        if let Some((path, writer, _)) = self.current.take() {
            writer.close().map_err(|e| err(&path, e))?;
        }
        Ok(())
    }
}

fn err(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> WriteError {
    WriteError {
        path: path.to_path_buf(),
        source: Box::new(e),
    }
}

fn write_group(
    writer: &mut SerializedFileWriter<File>,
    rows: &[RatingRecord],
) -> parquet::errors::Result<()> {
    let users: Vec<i32> = rows.iter().map(|r| r.user).collect();
    let items: Vec<i32> = rows.iter().map(|r| r.movie).collect();
    let ratings: Vec<f32> = rows.iter().map(|r| r.rating).collect();
    let stamps: Vec<i64> = rows.iter().map(|r| r.timestamp).collect();
    let mut group = writer.next_row_group()?;
    for column in 0..4 {
        let mut col = group.next_column()?.expect("four columns");
        match column {
            0 => col.typed::<Int32Type>().write_batch(&users, None, None)?,
            1 => col.typed::<Int32Type>().write_batch(&items, None, None)?,
            2 => col.typed::<FloatType>().write_batch(&ratings, None, None)?,
            _ => col.typed::<Int64Type>().write_batch(&stamps, None, None)?,
        };
        col.close()?;
    }
    group.close()?;
    Ok(())
}

/// Reads the part files of `dir` back, in part order (what tests check the
/// export against).
pub fn read_parts(dir: &Path) -> Result<Vec<RatingRecord>, WriteError> {
    use parquet::column::reader::ColumnReader;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    parts.sort();
    let mut out = Vec::new();
    for path in parts {
        let file = File::open(&path).map_err(|e| err(&path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| err(&path, e))?;
        for g in 0..reader.num_row_groups() {
            let group = reader.get_row_group(g).map_err(|e| err(&path, e))?;
            let n = group.metadata().num_rows() as usize;
            let (mut users, mut items, mut ratings, mut stamps) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for c in 0..4 {
                let column = group.get_column_reader(c).map_err(|e| err(&path, e))?;
                let read = match column {
                    ColumnReader::Int32ColumnReader(mut r) if c < 2 => {
                        let buf = if c == 0 { &mut users } else { &mut items };
                        r.read_records(n, None, None, buf).map(|r| r.0)
                    }
                    ColumnReader::FloatColumnReader(mut r) if c == 2 => {
                        r.read_records(n, None, None, &mut ratings).map(|r| r.0)
                    }
                    ColumnReader::Int64ColumnReader(mut r) if c == 3 => {
                        r.read_records(n, None, None, &mut stamps).map(|r| r.0)
                    }
                    _ => {
                        return Err(err(
                            &path,
                            std::io::Error::other("columns are not user, item, rating, timestamp"),
                        ))
                    }
                };
                read.map_err(|e| err(&path, e))?;
            }
            out.extend((0..users.len()).map(|i| RatingRecord {
                user: users[i],
                movie: items[i],
                rating: ratings[i],
                timestamp: stamps[i],
            }));
        }
    }
    Ok(out)
}
