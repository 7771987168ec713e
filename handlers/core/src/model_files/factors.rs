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

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::Array2;
use parquet::basic::Compression;
use parquet::column::reader::ColumnReader;
use parquet::data_type::{FloatType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::ModelFileError;
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

fn parquet_err(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> ModelFileError + '_ {
    move |source| ModelFileError::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes one Parquet part file plus Spark's `_SUCCESS` marker into `dir`.
pub fn write(dir: &Path, ids: &[i32], factors: &Array2<f32>) -> Result<(), ModelFileError> {
    fs::create_dir_all(dir).map_err(ModelFileError::io(dir))?;
    let path = dir.join("part-00000-movierec.snappy.parquet");
    let file = File::create(&path).map_err(ModelFileError::io(&path))?;
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
        SerializedFileWriter::new(file, schema, Arc::new(props)).map_err(parquet_err(&path))?;
    let width = factors.ncols();
    let values = factors.as_slice().expect("factor matrices are contiguous");
    for start in (0..ids.len()).step_by(ROWS_PER_GROUP) {
        let end = (start + ROWS_PER_GROUP).min(ids.len());
        let mut group = writer.next_row_group().map_err(parquet_err(&path))?;
        let mut id_col = group
            .next_column()
            .map_err(parquet_err(&path))?
            .expect("id column");
        id_col
            .typed::<Int32Type>()
            .write_batch(&ids[start..end], None, None)
            .map_err(parquet_err(&path))?;
        id_col.close().map_err(parquet_err(&path))?;

        let n = (end - start) * width;
        let def = vec![2i16; n];
        let rep: Vec<i16> = (0..n).map(|i| if i % width == 0 { 0 } else { 1 }).collect();
        let mut feat_col = group
            .next_column()
            .map_err(parquet_err(&path))?
            .expect("features column");
        feat_col
            .typed::<FloatType>()
            .write_batch(&values[start * width..end * width], Some(&def), Some(&rep))
            .map_err(parquet_err(&path))?;
        feat_col.close().map_err(parquet_err(&path))?;
        group.close().map_err(parquet_err(&path))?;
    }
    writer.close().map_err(parquet_err(&path))?;
    let success = dir.join("_SUCCESS");
    fs::write(&success, b"").map_err(ModelFileError::io(&success))
}

/// Data files of a Spark output folder: `part-*`, skipping hidden and `_` files, sorted.
pub fn part_files(dir: &Path) -> Result<Vec<PathBuf>, ModelFileError> {
    let entries = fs::read_dir(dir).map_err(ModelFileError::io(dir))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(ModelFileError::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("part-") && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every part file of `dir` into an id map and a factor matrix of `rank` columns.
pub fn read(dir: &Path, rank: usize) -> Result<(IdMap, Array2<f32>), ModelFileError> {
    let files = part_files(dir)?;
    if files.is_empty() {
        return Err(ModelFileError::invalid(dir, "no part-*.parquet files"));
    }
    let mut ids = Vec::new();
    let mut values = Vec::new();
    for path in &files {
        read_file(path, rank, &mut ids, &mut values)?;
    }
    let map = IdMap::from_ids(ids.iter().copied());
    if map.len() != ids.len() {
        return Err(ModelFileError::invalid(
            dir,
            "an id occurs in more than one row",
        ));
    }
    let factors = Array2::from_shape_vec((ids.len(), rank), values)
        .expect("rows checked to have rank values");
    Ok((map, factors))
}

fn read_file(
    path: &Path,
    rank: usize,
    ids: &mut Vec<i32>,
    values: &mut Vec<f32>,
) -> Result<(), ModelFileError> {
    let file = File::open(path).map_err(ModelFileError::io(path))?;
    let reader = SerializedFileReader::new(file).map_err(parquet_err(path))?;
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
        let group = reader.get_row_group(g).map_err(parquet_err(path))?;
        let rows_before = ids.len();
        match group
            .get_column_reader(id_index)
            .map_err(parquet_err(path))?
        {
            ColumnReader::Int32ColumnReader(mut r) => loop {
                let mut buf = Vec::new();
                let (records, _, _) = r
                    .read_records(8192, None, None, &mut buf)
                    .map_err(parquet_err(path))?;
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
            .map_err(parquet_err(path))?
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
                .map_err(parquet_err(path))?;
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
