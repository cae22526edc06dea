//! Keeps `docs/TCK.md` true: every TCK assertion id is named by a test, and the file's tests
//! column is what a scan of the workspace's test code finds.
//!
//! A test "names" an id when `tck-id-<id>` is written out in full in test code: a file under a
//! `tests/` directory, a `tests.rs`, or anything after `#[cfg(test)]` in a source file. The
//! mention is attributed to the function it documents (a comment just above a `fn`) or the
//! function it sits in. Ids without a test must be on [`KNOWN_GAPS`], and an id on that list
//! that has gained a test fails too, so the list can only shrink.
//!
//! `TCK_UPDATE=1 cargo test -p sparkplug-b --test it tck_coverage` rewrites the tests column.
//! Outside the repository (the packaged crate) there is nothing to scan and the test says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Ids no test names yet, each a known gap in the suite's coverage.
const KNOWN_GAPS: &[&str] = &[
    "topic-structure-namespace-unique-device-id",
    "topic-structure-namespace-duplicate-device-id-across-edge-node",
    "payloads-nbirth-edge-node-descriptor",
    "operational-behavior-data-publish-dbirth",
    "host-topic-phid-death-payload-timestamp-disconnect-with-no-disconnect-packet",
    "operational-behavior-host-application-host-id",
];

/// How many tests a row of the table lists before it says how many more there are.
const LISTED: usize = 3;

/// This file: its own lists name ids without testing them.
const SELF: &str = "sparkplug-b/tests/it/tck_coverage.rs";

#[test]
fn every_tck_id_is_named_by_a_test_and_docs_tck_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc_path = root.join("docs/TCK.md");
    let Ok(doc) = fs::read_to_string(&doc_path) else {
        eprintln!(
            "skipped: {} not found (not in the repository)",
            doc_path.display()
        );
        return;
    };
    let mentions = scan(&root);

    let mut ids = Vec::new();
    let mut rewritten = String::with_capacity(doc.len());
    for line in doc.lines() {
        match Row::parse(line) {
            Some(row) => {
                let tests = mentions.get(&row.id).cloned().unwrap_or_default();
                rewritten.push_str(&row.render(&tests));
                ids.push((row.id, tests.len()));
            }
            None => rewritten.push_str(line),
        }
        rewritten.push('\n');
    }
    assert_eq!(
        ids.len(),
        299,
        "docs/TCK.md lists every one of the 299 TCK assertion ids"
    );

    if std::env::var_os("TCK_UPDATE").is_some() {
        fs::write(&doc_path, &rewritten).expect("docs/TCK.md is writable");
    } else {
        assert!(
            doc == rewritten,
            "docs/TCK.md is stale: run `TCK_UPDATE=1 cargo test -p sparkplug-b --test it \
             tck_coverage` and commit the result"
        );
    }

    let known: BTreeSet<&str> = KNOWN_GAPS.iter().copied().collect();
    let untested: Vec<&str> = ids
        .iter()
        .filter(|(id, n)| *n == 0 && !known.contains(id.as_str()))
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(untested.is_empty(), "TCK ids no test names: {untested:#?}");
    let closed: Vec<&str> = ids
        .iter()
        .filter(|(id, n)| *n > 0 && known.contains(id.as_str()))
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(
        closed.is_empty(),
        "these ids have tests now; take them off KNOWN_GAPS: {closed:#?}"
    );
    let unknown: Vec<&&str> = known
        .iter()
        .filter(|gap| !ids.iter().any(|(id, _)| id == *gap))
        .collect();
    assert!(
        unknown.is_empty(),
        "KNOWN_GAPS names ids the TCK does not have: {unknown:?}"
    );
}

/// One table row of docs/TCK.md: `| `tck-id-...` | rule | graded by | tests |`.
struct Row<'a> {
    id: String,
    rule: &'a str,
    graded_by: &'a str,
}

impl<'a> Row<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let rest = line.strip_prefix("| `tck-id-")?;
        let (id, rest) = rest.split_once('`')?;
        let rest = rest.trim_start().strip_prefix('|')?;
        // The rule text may hold escaped pipes (`\|`); the last two cells never do.
        let mut cells = rest.rsplitn(4, " |");
        let _tail = cells.next()?;
        let _tests = cells.next()?;
        let graded_by = cells.next()?.trim();
        let rule = cells.next()?.trim();
        Some(Self {
            id: id.to_owned(),
            rule,
            graded_by,
        })
    }

    fn render(&self, tests: &[String]) -> String {
        let mut cell = tests
            .iter()
            .take(LISTED)
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if tests.len() > LISTED {
            cell.push_str(&format!(" (+{} more)", tests.len() - LISTED));
        }
        let sep = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!(" {s}")
            }
        };
        format!(
            "| `tck-id-{}` | {} |{} |{} |",
            self.id,
            self.rule,
            sep(self.graded_by),
            sep(&cell)
        )
    }
}

/// Every id named in test code, with the tests (`path::function`) that name it, sorted.
fn scan(root: &Path) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect_rust_files(root, &mut files);
    files.sort();
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if rel == SELF {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let whole_file_is_test = rel.contains("/tests/") || rel.ends_with("/tests.rs");
        let test_from = if whole_file_is_test {
            0
        } else {
            let test_module = lines.windows(2).position(|w| {
                w[0].trim_start().starts_with("#[cfg(test)]")
                    && w[1].trim_start().starts_with("mod ")
            });
            match test_module {
                Some(i) => i,
                None => continue,
            }
        };
        for (i, line) in lines.iter().enumerate().skip(test_from) {
            for id in ids_in(line) {
                let place = match function_of(&lines, i) {
                    Some(f) => format!("{rel}::{f}"),
                    None => rel.clone(),
                };
                found.entry(id).or_default().insert(place);
            }
        }
    }
    found
        .into_iter()
        .map(|(id, places)| (id, places.into_iter().collect()))
        .collect()
}

/// The ids written out in full on one line (`tck-id-` then letters, digits and dashes).
fn ids_in(line: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("tck-id-") {
        let tail = &rest[at + "tck-id-".len()..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(tail.len());
        // A trailing dash belongs to a shortened list (`tck-id-payloads-nbirth-`), not an id.
        let id = tail[..end].trim_end_matches('-');
        if !id.is_empty() {
            ids.push(id.to_owned());
        }
        rest = &tail[end..];
    }
    ids
}

/// The function a mention on line `at` belongs to: the one a comment block documents, or else
/// the nearest one declared above it.
fn function_of(lines: &[&str], at: usize) -> Option<String> {
    if lines[at].trim_start().starts_with("//") {
        for line in &lines[at + 1..] {
            let t = line.trim_start();
            if t.starts_with("//") || t.starts_with("#[") || t.is_empty() {
                continue;
            }
            if let Some(name) = fn_name(t) {
                return Some(name);
            }
            break;
        }
    }
    lines[..=at]
        .iter()
        .rev()
        .find_map(|l| fn_name(l.trim_start()))
}

/// The name declared by a `fn` line (`pub`, `async` and `pub(crate)` allowed), if it is one.
fn fn_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    loop {
        match words.next()? {
            "pub" | "pub(crate)" | "pub(super)" | "async" | "const" | "unsafe" => continue,
            "fn" => break,
            _ => return None,
        }
    }
    let name: String = words
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The workspace's `.rs` files, skipping build output and other tools' trees.
fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            let skip = name.starts_with('.')
                || matches!(
                    name.as_ref(),
                    "target" | "node_modules" | "corpus" | "artifacts"
                );
            if !skip {
                collect_rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn ids_are_read_whole_and_shortened_lists_are_not_ids() {
    assert_eq!(
        ids_in("/// tck-id-payloads-nbirth-qos and tck-id-payloads-nbirth-retain."),
        ["payloads-nbirth-qos", "payloads-nbirth-retain"]
    );
    assert_eq!(
        ids_in("// tck-id-payloads-nbirth-{qos,retain}"),
        ["payloads-nbirth"]
    );
    assert!(ids_in("// tck-id-").is_empty());
}

#[test]
fn a_mention_belongs_to_the_function_it_documents_or_sits_in() {
    let lines = [
        "/// tck-id-a",
        "#[test]",
        "fn documented() {",
        "    // tck-id-b",
        "    assert!(true, \"tck-id-c\");",
        "}",
    ];
    assert_eq!(function_of(&lines, 0).as_deref(), Some("documented"));
    assert_eq!(function_of(&lines, 3).as_deref(), Some("documented"));
    assert_eq!(function_of(&lines, 4).as_deref(), Some("documented"));
    assert_eq!(
        fn_name("pub(crate) async fn go<T>(x: T)").as_deref(),
        Some("go")
    );
}
