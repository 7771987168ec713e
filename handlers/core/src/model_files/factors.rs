//! `userFactors/` and `itemFactors/`: Parquet files with Spark's schema
//!
//! ```text
//! message spark_schema {
//!   required int32 id;
//!   optional group features (LIST) { repeated group list { required float element; } }
//! }
//! ```
//!
//! written and read with the parquet crate's column API (no Arrow: it would
//! triple the build for two columns). The nested list is spelled out in
//! repetition/definition levels: every element has definition level 2, and
//! repetition level 0 where a new row's list starts, 1 inside it.
//!
//! Owns these files' bytes: it writes a Parquet file into a `Vec<u8>` and reads
//! one from anything the parquet crate can read in chunks (`bytes::Bytes`
//! here, a `File` would do as well). It must not touch the file system.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use ndarray::Array2;
use parquet::basic::Compression;
use parquet::column::reader::ColumnReader;
use parquet::data_type::{FloatType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::{ModelFileError, ModelFiles};
use crate::data::IdMap;

const SCHEMA: &str = "message spark_schema {
  required int32 id;
  optional group features (LIST) {
    repeated group list {
      required float element;
    }
  }
}";

/// Spark reads this to restore exact column types (float elements, not double).
const SPARK_ROW_METADATA: &str = r#"{"type":"struct","fields":[{"name":"id","type":"integer","nullable":false,"metadata":{}},{"name":"features","type":{"type":"array","elementType":"float","containsNull":false},"nullable":true,"metadata":{}}]}"#;

const ROWS_PER_GROUP: usize = 65_536;

/// Adds `folder/part-00000-movierec.snappy.parquet` with one row per id, plus
/// Spark's `_SUCCESS` marker.
pub fn write(
    files: &mut ModelFiles,
    folder: &str,
    ids: &[i32],
    factors: &Array2<f32>,
) -> Result<(), ModelFileError> {
    let rel = format!("{folder}/part-00000-movierec.snappy.parquet");
    let bytes = parquet_bytes(Path::new(&rel), ids, factors)?;
    files.insert(rel, bytes);
    files.insert(format!("{folder}/_SUCCESS"), Vec::new());
    Ok(())
}

/// One Parquet file of `ids` and their `factors` rows, in memory. `path` is for errors.
fn parquet_bytes(
    path: &Path,
    ids: &[i32],
    factors: &Array2<f32>,
) -> Result<Vec<u8>, ModelFileError> {
    let parquet_err = || ModelFileError::parquet(path);
    let schema = Arc::new(parse_message_type(SCHEMA).expect("static schema parses"));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(vec![
            KeyValue::new("org.apache.spark.version".into(), "4.0.1".to_string()),
            KeyValue::new(
                "org.apache.spark.sql.parquet.row.metadata".into(),
                SPARK_ROW_METADATA.to_string(),
            ),
        ]))
        .build();
    let mut writer =
        SerializedFileWriter::new(Vec::new(), schema, Arc::new(props)).map_err(parquet_err())?;
    let width = factors.ncols();
    let values = factors.as_slice().expect("factor matrices are contiguous");
    for start in (0..ids.len()).step_by(ROWS_PER_GROUP) {
        let end = (start + ROWS_PER_GROUP).min(ids.len());
        let mut group = writer.next_row_group().map_err(parquet_err())?;
        let mut id_col = group
            .next_column()
            .map_err(parquet_err())?
            .expect("id column");
        id_col
            .typed::<Int32Type>()
            .write_batch(&ids[start..end], None, None)
            .map_err(parquet_err())?;
        id_col.close().map_err(parquet_err())?;

        let n = (end - start) * width;
        let def = vec![2i16; n];
        let rep: Vec<i16> = (0..n).map(|i| if i % width == 0 { 0 } else { 1 }).collect();
        let mut feat_col = group
            .next_column()
            .map_err(parquet_err())?
            .expect("features column");
        feat_col
            .typed::<FloatType>()
            .write_batch(&values[start * width..end * width], Some(&def), Some(&rep))
            .map_err(parquet_err())?;
        feat_col.close().map_err(parquet_err())?;
        group.close().map_err(parquet_err())?;
    }
    writer.into_inner().map_err(parquet_err())
}

/// Reads every part file of `folder` into an id map and a factor matrix of
/// `rank` columns. Takes the part files out of `files` (the Parquet reader
/// keeps their buffers without a copy).
pub fn read(
    files: &mut ModelFiles,
    folder: &str,
    rank: usize,
) -> Result<(IdMap, Array2<f32>), ModelFileError> {
    let parts = files.part_files(folder);
    if parts.is_empty() {
        return Err(ModelFileError::invalid(folder, "no part-*.parquet files"));
    }
    let mut ids = Vec::new();
    let mut values = Vec::new();
    for rel in &parts {
        let bytes = Bytes::from(files.remove(rel).expect("listed files exist"));
        read_file(Path::new(rel), bytes, rank, &mut ids, &mut values)?;
    }
    let map = IdMap::from_ids(ids.iter().copied());
    if map.len() != ids.len() {
        return Err(ModelFileError::invalid(
            folder,
            "an id occurs in more than one row",
        ));
    }
    let factors = Array2::from_shape_vec((ids.len(), rank), values)
        .expect("rows checked to have rank values");
    Ok((map, factors))
}

/// Appends the rows of one Parquet file, read from `source`, to `ids` and
/// `values`. `path` is for errors.
fn read_file<R: ChunkReader + 'static>(
    path: &Path,
    source: R,
    rank: usize,
    ids: &mut Vec<i32>,
    values: &mut Vec<f32>,
) -> Result<(), ModelFileError> {
    let parquet_err = || ModelFileError::parquet(path);
    let reader = SerializedFileReader::new(source).map_err(parquet_err())?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let column_of = |prefix: &str| {
        (0..schema.num_columns()).find(|&i| schema.column(i).path().parts()[0] == prefix)
    };
    let id_index =
        column_of("id").ok_or_else(|| ModelFileError::invalid(path, "no `id` column"))?;
    let features_index = column_of("features")
        .ok_or_else(|| ModelFileError::invalid(path, "no `features` column"))?;
    let max_def = schema.column(features_index).max_def_level();

    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(parquet_err())?;
        let rows_before = ids.len();
        match group.get_column_reader(id_index).map_err(parquet_err())? {
            ColumnReader::Int32ColumnReader(mut r) => loop {
                let mut buf = Vec::new();
                let (records, _, _) = r
                    .read_records(8192, None, None, &mut buf)
                    .map_err(parquet_err())?;
                if records == 0 {
                    break;
                }
                ids.extend_from_slice(&buf);
            },
            _ => return Err(ModelFileError::invalid(path, "`id` is not an int32 column")),
        }
        let rows = ids.len() - rows_before;
        let ColumnReader::FloatColumnReader(mut r) = group
            .get_column_reader(features_index)
            .map_err(parquet_err())?
        else {
            return Err(ModelFileError::invalid(
                path,
                "`features` is not a list of float",
            ));
        };
        let mut seen_rows = 0usize;
        let mut row_len = 0usize;
        loop {
            let (mut def, mut rep, mut buf) = (Vec::new(), Vec::new(), Vec::new());
            let (records, _, levels) = r
                .read_records(8192, Some(&mut def), Some(&mut rep), &mut buf)
                .map_err(parquet_err())?;
            if records == 0 && levels == 0 {
                break;
            }
            let mut next_value = buf.iter();
            for (&d, &rp) in def.iter().zip(&rep) {
                if rp == 0 {
                    if seen_rows > 0 && row_len != rank {
                        return Err(row_len_error(
                            path,
                            ids[rows_before + seen_rows - 1],
                            row_len,
                            rank,
                        ));
                    }
                    seen_rows += 1;
                    row_len = 0;
                }
                if d == max_def {
                    values.push(
                        *next_value
                            .next()
                            .expect("one value per fully defined level"),
                    );
                    row_len += 1;
                }
            }
        }
        if seen_rows != rows {
            return Err(ModelFileError::invalid(
                path,
                format!("{rows} ids but {seen_rows} feature lists"),
            ));
        }
        if seen_rows > 0 && row_len != rank {
            return Err(row_len_error(path, ids[ids.len() - 1], row_len, rank));
        }
    }
    Ok(())
}

fn row_len_error(path: &Path, id: i32, len: usize, rank: usize) -> ModelFileError {
    ModelFileError::invalid(
        path,
        format!("id {id} has {len} features but the metadata says rank {rank}"),
    )
}
