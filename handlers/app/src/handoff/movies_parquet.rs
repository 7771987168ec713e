//! The exported catalogue as one Parquet file: `id int32, title string,
//! genres string` (genres joined by `|`, as MovieLens writes them).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use movierec_store::Movie;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::ratings_parquet::WriteError;

const SCHEMA: &str = "message movies {
  required int32 id;
  required binary title (UTF8);
  required binary genres (UTF8);
}";

pub fn write(path: &Path, movies: &[Movie]) -> Result<(), WriteError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| WriteError {
        path: path.to_path_buf(),
        source: e,
    };
    let file = File::create(path).map_err(|e| fail(e.into()))?;
    let schema = Arc::new(parse_message_type(SCHEMA).expect("static schema parses"));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(props)).map_err(|e| fail(e.into()))?;
    let ids: Vec<i32> = movies.iter().map(|m| m.id).collect();
    let titles: Vec<ByteArray> = movies.iter().map(|m| m.title.as_str().into()).collect();
    let genres: Vec<ByteArray> = movies
        .iter()
        .map(|m| m.genres.join("|").as_str().into())
        .collect();
    let mut write_all = || -> parquet::errors::Result<()> {
        let mut group = writer.next_row_group()?;
        let mut col = group.next_column()?.expect("id");
        col.typed::<Int32Type>().write_batch(&ids, None, None)?;
        col.close()?;
        for values in [&titles, &genres] {
            let mut col = group.next_column()?.expect("text column");
            col.typed::<ByteArrayType>()
                .write_batch(values, None, None)?;
            col.close()?;
        }
        group.close()?;
        Ok(())
    };
    write_all().map_err(|e| fail(e.into()))?;
    writer.close().map_err(|e| fail(e.into()))?;
    Ok(())
}
