//! DataSet: a table of basic-typed columns (SPARKPLUG.md 3.4).

use crate::{DataType, Value};

/// A DataSet value: named, typed columns and rows of cells.
///
/// Cells are typed by their column's type when decoded; a cell with no value on the wire (how
/// Tahu writes a null) is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSet {
    /// The number of columns, as declared on the wire (`tck-id-payloads-dataset-column-size`).
    pub num_of_columns: u64,
    /// The column names.
    pub columns: Vec<String>,
    /// The column types, one per column (`tck-id-payloads-dataset-types-num`).
    pub types: Vec<DataType>,
    /// The rows; each holds one cell per column.
    pub rows: Vec<Vec<Option<Value>>>,
}

impl DataSet {
    /// An empty DataSet with these columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = (S, DataType)>) -> Self {
        let (columns, types): (Vec<String>, Vec<DataType>) = columns
            .into_iter()
            .map(|(name, datatype)| (name.into(), datatype))
            .unzip();
        DataSet {
            num_of_columns: columns.len() as u64,
            columns,
            types,
            rows: Vec::new(),
        }
    }

    /// Adds a row (builder style).
    pub fn with_row(mut self, row: Vec<Option<Value>>) -> Self {
        self.rows.push(row);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_columns_and_types_parallel() {
        let ds = DataSet::new([("a", DataType::Int32), ("b", DataType::String)])
            .with_row(vec![Some(Value::Int32(-1)), None]);
        assert_eq!(ds.num_of_columns, 2);
        assert_eq!(ds.columns, ["a", "b"]);
        assert_eq!(ds.types, [DataType::Int32, DataType::String]);
        assert_eq!(ds.rows.len(), 1);
    }
}
