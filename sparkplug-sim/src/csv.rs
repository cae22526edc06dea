//! The CSV files of replay generators: a header row, then numbers.

use std::sync::Arc;

/// Why a replay file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The header has no such column.
    #[error("{path}: no column {column:?} in the header")]
    NoColumn {
        /// The path.
        path: String,
        /// The column asked for.
        column: String,
    },
    /// A cell is not a number.
    #[error("{path}:{line}: {cell:?} is not a number")]
    NotANumber {
        /// The path.
        path: String,
        /// The line, from 1.
        line: usize,
        /// The cell.
        cell: String,
    },
    /// There are no data rows.
    #[error("{path}: no data rows")]
    Empty {
        /// The path.
        path: String,
    },
}

/// Reads column `column` (by header name; the last column when `None`) of the CSV at `path`.
pub(crate) fn load(path: &str, column: Option<&str>) -> Result<Arc<[f64]>, CsvError> {
    let text = std::fs::read_to_string(path).map_err(|source| CsvError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text, column)
}

/// Parses CSV text: the first non-empty line is the header; cells are split on commas and
/// trimmed (no quoting: replay files hold numbers).
pub(crate) fn parse(path: &str, text: &str, column: Option<&str>) -> Result<Arc<[f64]>, CsvError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(CsvError::Empty {
            path: path.to_owned(),
        });
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let index = match column {
        Some(c) => names
            .iter()
            .position(|n| *n == c)
            .ok_or_else(|| CsvError::NoColumn {
                path: path.to_owned(),
                column: c.to_owned(),
            })?,
        None => names.len().saturating_sub(1),
    };
    let mut rows = Vec::new();
    for (i, line) in lines {
        let cell = line.split(',').nth(index).unwrap_or("").trim();
        let value = cell.parse::<f64>().map_err(|_| CsvError::NotANumber {
            path: path.to_owned(),
            line: i + 1,
            cell: cell.to_owned(),
        })?;
        rows.push(value);
    }
    if rows.is_empty() {
        return Err(CsvError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(rows.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_or_last() {
        let text = "t,temp,flow\n0,1.5,10\n1, 2.5 ,11\n\n";
        assert_eq!(&*parse("f", text, Some("temp")).unwrap(), &[1.5, 2.5]);
        assert_eq!(&*parse("f", text, None).unwrap(), &[10.0, 11.0]);
        assert!(matches!(
            parse("f", text, Some("x")),
            Err(CsvError::NoColumn { .. })
        ));
        let bad = parse("f", "a\n1\nx\n", None).unwrap_err();
        assert_eq!(bad.to_string(), "f:3: \"x\" is not a number");
        assert!(matches!(
            parse("f", "a\n", None),
            Err(CsvError::Empty { .. })
        ));
        assert!(matches!(
            load("/nonexistent.csv", None),
            Err(CsvError::Read { .. })
        ));
    }
}
