//! Unclosed quotes. The CSV reader takes everything after an opening `"` as one cell until the
//! next `"`, across line ends: a forgotten closing quote swallows the rows after it, and the row
//! itself then seems to lack its last cells. Found here, so that the clerk is sent to the quote.

/// An unclosed quote in a record: where it opened and what it swallowed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unclosed {
    /// Lines after the record's first line where the quote opened.
    pub opened: usize,
    /// Lines after the record's first line the record runs to.
    pub runs_to: usize,
    /// The cell the quote opened (0-based).
    pub cell: usize,
}

/// Looks at a record's text (line ends unified, without the blank lines before it) for a
/// quoted cell that runs across a line end and looks unclosed: the file ends inside it, the
/// record then has fewer cells than the header, or a following line inside it holds a comma
/// (a swallowed row).
pub(crate) fn unclosed(raw: &str, at_end: bool, cells: usize, expected: usize) -> Option<Unclosed> {
    if !raw.contains('"') {
        return None;
    }
    let bytes = raw.as_bytes();
    let (mut line, mut cell) = (0, 0);
    let (mut in_quotes, mut field_start) = (false, true);
    // The quoted cell being read: (line it opened on, its cell, whether it crossed a line end).
    let mut open: Option<(usize, usize, bool)> = None;
    let mut suspect: Option<(usize, usize)> = None;
    // The first quoted cell that crossed a line end: (line it opened on, its cell).
    let mut crossed: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => in_quotes = false,
                b'\n' => {
                    line += 1;
                    if let Some(o) = open.as_mut() {
                        o.2 = true;
                        crossed.get_or_insert((o.0, o.1));
                    }
                }
                b',' if open.is_some_and(|o| o.2) => {
                    if let Some((opened, c, _)) = open {
                        suspect.get_or_insert((opened, c));
                    }
                }
                _ => {}
            }
        } else {
            match b {
                b'"' if field_start => {
                    in_quotes = true;
                    open = Some((line, cell, false));
                }
                b',' => {
                    cell += 1;
                    field_start = true;
                    i += 1;
                    continue;
                }
                b'\n' => break,
                _ => {}
            }
        }
        field_start = false;
        i += 1;
    }
    let runs_to = raw.trim_end_matches('\n').matches('\n').count();
    if in_quotes && at_end {
        let (opened, c, _) = open?;
        return Some(Unclosed {
            opened,
            runs_to,
            cell: c,
        });
    }
    let (opened, cell) = suspect.or(crossed.filter(|_| cells < expected))?;
    Some(Unclosed {
        opened,
        runs_to,
        cell,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_open_at_the_end_of_the_file_is_unclosed() {
        let u = unclosed("1005,\"佐藤,a,A課\n", true, 2, 4).unwrap();
        assert_eq!((u.opened, u.runs_to, u.cell), (0, 0, 1));
        assert!(unclosed("1005,\"佐藤\",a,A課\n", true, 4, 4).is_none());
    }

    #[test]
    fn a_quote_that_swallows_rows_is_unclosed() {
        let raw = "1001,\"山本 大輔,a,A課\n1002,佐藤,b,B課\n1003,\"鈴木\",c,C課\n";
        let u = unclosed(raw, false, 4, 4).unwrap();
        assert_eq!((u.opened, u.runs_to, u.cell), (0, 2, 1));
        let raw = "1001,山本,\"a,A課\n1002\",B課\n";
        assert_eq!(unclosed(raw, false, 4, 5).map(|u| u.cell), Some(2));
    }

    #[test]
    fn a_cell_that_crosses_a_line_and_leaves_too_few_cells_is_unclosed() {
        let raw = "1001,山本,a,\"A課\n\"\n";
        assert!(unclosed(raw, false, 4, 5).is_some());
        assert!(
            unclosed(raw, false, 4, 4).is_none(),
            "a deliberate line break"
        );
    }

    #[test]
    fn quoted_cells_on_one_line_and_escaped_quotes_are_fine() {
        assert!(unclosed("1,\"山本, 大輔\",\"a\"\"b\",c\n", false, 4, 4).is_none());
        assert!(unclosed("1,山本\"大輔,a,b\n", true, 4, 4).is_none());
        assert!(unclosed("1,\"B課\n(分室)\",a,b\n", false, 4, 4).is_none());
    }
}
