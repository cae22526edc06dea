//! [`Dialect`]: the few places where SQLite and MySQL/MariaDB SQL differ.
//!
//! The schema is the same; what differs is upsert syntax (`ON CONFLICT ... DO UPDATE` against
//! `ON DUPLICATE KEY UPDATE`), integer division (`/` against `DIV`) and the statement size
//! limits.

use serde::Serialize;

/// The SQL engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite 3 (bundled), the embedded default.
    Sqlite,
    /// MySQL 8 or MariaDB 10.11+.
    MySql,
}

impl Dialect {
    /// The sink name used in errors and logs: `sqlite` or `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::MySql => "mysql",
        }
    }

    /// Rows per multi-row sample insert (each row binds [`super::sink::SAMPLE_COLUMNS`]
    /// parameters; SQLite allows 32,766 per statement, MySQL 65,535).
    pub(crate) fn sample_rows_per_statement(self) -> usize {
        match self {
            Dialect::Sqlite => 1000,
            Dialect::MySql => 2000,
        }
    }

    /// `a DIV b` for non-negative integers.
    pub(crate) fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Sqlite => format!("(({a}) / ({b}))"),
            Dialect::MySql => format!("(({a}) DIV ({b}))"),
        }
    }

    /// The head of an insert that skips rows with a duplicate key and reports them as not
    /// affected (`INSERT OR IGNORE` / `INSERT IGNORE`). Only for rows whose values were checked
    /// against the column limits first: MySQL's `IGNORE` also turns data errors into warnings.
    pub(crate) fn insert_ignore(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INSERT OR IGNORE",
            Dialect::MySql => "INSERT IGNORE",
        }
    }

    /// The tail of an insert that makes a duplicate key a no-op (`key_col` is any key column).
    pub(crate) fn on_duplicate_ignore(self, key_col: &str) -> String {
        match self {
            Dialect::Sqlite => " ON CONFLICT DO NOTHING".to_owned(),
            Dialect::MySql => format!(" ON DUPLICATE KEY UPDATE {key_col} = {key_col}"),
        }
    }

    /// The tail of an insert that replaces `cols` of the existing row on a duplicate `key`, when
    /// `cond_new_wins` holds (written with `NEW.x` for the inserted value and `OLD.x` for the
    /// stored one; `None` always replaces). `cols` are assigned in order: in MySQL a later
    /// assignment sees earlier ones, so the columns the condition reads go last.
    pub(crate) fn upsert(
        self,
        table: &str,
        key: &str,
        cols: &[&str],
        cond_new_wins: Option<&str>,
    ) -> String {
        match self {
            Dialect::Sqlite => {
                let sets: Vec<String> =
                    cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                let mut s = format!(" ON CONFLICT ({key}) DO UPDATE SET {}", sets.join(", "));
                if let Some(cond) = cond_new_wins {
                    let cond = cond
                        .replace("NEW.", "excluded.")
                        .replace("OLD.", &format!("{table}."));
                    s.push_str(&format!(" WHERE {cond}"));
                }
                s
            }
            Dialect::MySql => {
                let sets: Vec<String> = match cond_new_wins {
                    None => cols.iter().map(|c| format!("{c} = VALUES({c})")).collect(),
                    Some(cond) => {
                        let cond = mysql_cond(cond);
                        cols.iter()
                            .map(|c| format!("{c} = IF({cond}, VALUES({c}), {c})"))
                            .collect()
                    }
                };
                format!(" ON DUPLICATE KEY UPDATE {}", sets.join(", "))
            }
        }
    }
}

/// `NEW.x` as `VALUES(x)`, `OLD.x` as `x`.
fn mysql_cond(cond: &str) -> String {
    let mut out = String::with_capacity(cond.len() + 16);
    let mut rest = cond;
    loop {
        let new = rest.find("NEW.");
        let old = rest.find("OLD.");
        let (pos, is_new) = match (new, old) {
            (Some(n), Some(o)) if n < o => (n, true),
            (Some(n), None) => (n, true),
            (_, Some(o)) => (o, false),
            (None, None) => break,
        };
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 4..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if is_new {
            out.push_str(&format!("VALUES({})", &rest[..end]));
        } else {
            out.push_str(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `(?, ?, ?), (?, ?, ?)`: `rows` groups of `cols` placeholders.
pub(crate) fn placeholders(cols: usize, rows: usize) -> String {
    let mut group = String::with_capacity(cols * 3 + 2);
    group.push('(');
    for i in 0..cols {
        if i > 0 {
            group.push_str(", ");
        }
        group.push('?');
    }
    group.push(')');
    let mut s = String::with_capacity(rows * (group.len() + 2));
    for i in 0..rows {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&group);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_make_row_groups() {
        assert_eq!(placeholders(2, 2), "(?, ?), (?, ?)");
        assert_eq!(placeholders(1, 1), "(?)");
    }

    #[test]
    fn upsert_conditions_translate_per_dialect() {
        let sqlite = Dialect::Sqlite.upsert("t", "id", &["v", "ts"], Some("NEW.ts >= OLD.ts"));
        assert_eq!(
            sqlite,
            " ON CONFLICT (id) DO UPDATE SET v = excluded.v, ts = excluded.ts WHERE excluded.ts >= t.ts"
        );
        let mysql = Dialect::MySql.upsert("t", "id", &["v", "ts"], Some("NEW.ts >= OLD.ts"));
        assert_eq!(
            mysql,
            " ON DUPLICATE KEY UPDATE v = IF(VALUES(ts) >= ts, VALUES(v), v), ts = IF(VALUES(ts) >= ts, VALUES(ts), ts)"
        );
        let always = Dialect::MySql.upsert("t", "id", &["v"], None);
        assert_eq!(always, " ON DUPLICATE KEY UPDATE v = VALUES(v)");
    }

    #[test]
    fn integer_division_differs() {
        assert_eq!(Dialect::Sqlite.int_div("a", "b"), "((a) / (b))");
        assert_eq!(Dialect::MySql.int_div("a", "b"), "((a) DIV (b))");
    }
}
