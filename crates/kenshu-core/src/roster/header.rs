//! The header line: which cell is which column, under the names HR systems give them
//! (compared without width, case or surrounding spaces), and which cells the import ignores.
//! An ignored cell that looks like a column the file lacks (`在職状態` for `在職状況`) is an
//! error: the clerk meant that column, and importing without it would change nothing silently.

use std::collections::HashMap;

use super::text;
use super::{Column, ErrorKind, FileError, RowError, RowProblem};

/// The accepted names of each column, the first being the one shown in messages.
pub(crate) type Columns = [(&'static str, &'static [&'static str])];

/// What the header says.
#[derive(Debug)]
pub(crate) struct Header {
    /// The index of each column the file has.
    pub cols: HashMap<&'static str, usize>,
    /// Each header cell as written (trimmed).
    pub names: Vec<String>,
    /// Header cells the import uses, in file order, with their column.
    pub used: Vec<(String, &'static str)>,
    /// Other non-empty header cells, in file order.
    pub ignored: Vec<String>,
    /// Ignored cells that look like a column the file lacks (line 1, kind `Column`).
    pub near_misses: Vec<RowError>,
}

impl Header {
    /// The column as the file's header writes it, or known by its key if the file lacks it.
    pub fn column(&self, columns: &Columns, key: &str) -> Column {
        match self.cols.get(key).and_then(|&i| self.names.get(i)) {
            Some(n) => Column::Header(n.clone()),
            None => Column::Known(key_of(columns, key)),
        }
    }
}

/// A column's key as the static the column list holds.
fn key_of(columns: &Columns, key: &str) -> &'static str {
    columns
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(k, _)| *k)
}

/// Maps the header to the columns. A required column missing, or a column named twice, is a
/// problem with the whole file.
pub(crate) fn map(
    header: &csv::StringRecord,
    columns: &Columns,
    required: &[&str],
) -> Result<Header, FileError> {
    let known: Vec<(&'static str, Vec<String>, &'static [&'static str])> = columns
        .iter()
        .map(|(key, names)| {
            (
                *key,
                names.iter().map(|n| text::header(n)).collect(),
                *names,
            )
        })
        .collect();
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut cols: HashMap<&'static str, usize> = HashMap::new();
    let mut ignored_at = Vec::new();
    for (i, h) in names.iter().enumerate() {
        let n = text::header(h);
        if n.is_empty() {
            continue;
        }
        let Some((key, _, _)) = known.iter().find(|(_, aliases, _)| aliases.contains(&n)) else {
            ignored_at.push(i);
            continue;
        };
        if let Some(&first) = cols.get(key) {
            return Err(FileError::DuplicateColumn {
                column: key,
                first: names[first].clone(),
                second: h.clone(),
            });
        }
        cols.insert(key, i);
    }
    // What an ignored header seems to mean: (its index, the key, the name it resembles).
    let near: Vec<(usize, &'static str, &'static str)> = ignored_at
        .iter()
        .filter_map(|&i| {
            let n = text::header(&names[i]);
            known
                .iter()
                .filter(|(key, _, _)| !cols.contains_key(key))
                .find_map(|(key, aliases, written)| {
                    let j = aliases.iter().position(|a| resembles(&n, a))?;
                    Some((i, *key, written[j]))
                })
        })
        .collect();
    for key in required {
        if cols.contains_key(key) {
            continue;
        }
        let (column, accepted) = columns
            .iter()
            .find(|(k, _)| k == key)
            .map_or(("", &[][..]), |(k, names)| (*k, *names));
        let meant = near
            .iter()
            .find(|(_, k, _)| k == key)
            .map(|(i, _, _)| names[*i].clone());
        return Err(FileError::MissingColumn {
            column,
            accepted,
            meant,
        });
    }
    let mut used: Vec<(usize, &'static str)> = cols.iter().map(|(k, &i)| (i, *k)).collect();
    used.sort_unstable();
    let near_misses = near
        .iter()
        .map(|&(i, _, meant)| RowError {
            line: 1,
            column: Column::Header(names[i].clone()),
            kind: ErrorKind::Column,
            problem: RowProblem::NearMiss {
                header: names[i].clone(),
                meant,
            },
        })
        .collect();
    Ok(Header {
        used: used
            .into_iter()
            .map(|(i, k)| (names[i].clone(), k))
            .collect(),
        ignored: ignored_at.iter().map(|&i| names[i].clone()).collect(),
        cols,
        names,
        near_misses,
    })
}

/// Whether a header (normalised) looks like a known name: one or two characters off (two for
/// long names), or the name with a few characters added (`メールアドレス2`, `所属コード(旧)`).
/// Names of one or two characters are too short to tell.
fn resembles(header: &str, name: &str) -> bool {
    let len = name.chars().count();
    if len < 3 {
        return false;
    }
    let extra = header.chars().count().saturating_sub(len);
    if header.contains(name) && extra <= 3 {
        return true;
    }
    distance(header, name) <= if len >= 6 { 2 } else { 1 }
}

/// Edit distance in characters (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_one_or_two_characters_off_or_a_name_with_a_suffix() {
        assert!(resembles("在職状態", "在職状況"));
        assert!(resembles("所属コ-ド", "所属コード"));
        assert!(resembles("職員 番号", "職員番号"));
        assert!(resembles("メールアドレス2", "メールアドレス"));
        assert!(resembles("採用年月曰", "採用年月日"));
        assert!(!resembles("生年月日", "採用年月日"));
        assert!(!resembles("退職日", "採用日"));
        assert!(!resembles("メール送信可否", "メール"));
        assert!(!resembles("性別", "状態"));
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }
}
