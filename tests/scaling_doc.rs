//! `docs/scaling.md` cannot go stale silently: every table the migrations create is classified
//! there (distributed by `institution_id`, reference or local), no table is classified that
//! the migrations do not create, and every primary key, unique key or foreign key of a
//! distributed table that lacks `institution_id` is named under "Key violations" (and nothing
//! is named there that is no longer a violation). Reads files only: no database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How a table goes onto a Citus cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Distributed,
    Reference,
    Local,
}

/// What the migrations say about one table: its keys (primary and unique) and foreign keys.
#[derive(Debug, Default)]
struct Table {
    keys: Vec<Vec<String>>,
    /// (columns, referenced table).
    foreign_keys: Vec<(Vec<String>, String)>,
}

/// The tables of a schema by name, from the migrations' text, in order.
fn parse_schema(sql: &str) -> BTreeMap<String, Table> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let text = without_dollar_quotes(&without_comments(sql)).to_lowercase();
    for statement in split_top_level(&text, ';') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        match words.as_slice() {
            ["create", "table", rest @ ..] => {
                let name = table_name(rest);
                let table = tables.entry(name).or_default();
                if let Some(body) = parenthesized(&statement) {
                    for item in split_top_level(body, ',') {
                        add_item(table, &item);
                    }
                }
            }
            ["create", "unique", "index", ..] => {
                let Some(on) = statement.find(" on ") else {
                    continue;
                };
                let after = &statement[on + 4..];
                let name = table_name(&after.split_whitespace().collect::<Vec<_>>());
                if let Some(cols) = parenthesized(after) {
                    tables.entry(name).or_default().keys.push(columns(cols));
                }
            }
            ["alter", "table", rest @ ..] => {
                let name = table_name(rest);
                let Some(start) = statement.find(name.as_str()) else {
                    continue;
                };
                let actions = &statement[start + name.len()..];
                let table = tables.entry(name).or_default();
                for action in split_top_level(actions, ',') {
                    let action = action.trim();
                    if let Some(column) = action.strip_prefix("add column ") {
                        add_item(table, column);
                    } else if let Some(constraint) = action.strip_prefix("add ") {
                        add_item(table, constraint);
                    }
                }
            }
            _ => {}
        }
    }
    tables
}

/// A table name after `create table` / `alter table`, without `if not exists` or `only`.
fn table_name(words: &[&str]) -> String {
    let skip = ["if", "not", "exists", "only"];
    let word = words
        .iter()
        .find(|w| !skip.contains(w))
        .copied()
        .unwrap_or_default();
    word.split('(')
        .next()
        .unwrap_or_default()
        .trim_start_matches("public.")
        .to_string()
}

/// One column definition or table constraint.
fn add_item(table: &mut Table, item: &str) {
    let mut item = item.trim().to_string();
    if keyword(&item, "constraint").is_some() {
        item = item
            .split_whitespace()
            .skip(2)
            .collect::<Vec<_>>()
            .join(" ");
    }
    let item = item.as_str();
    if let Some(rest) = keyword(item, "primary key").or_else(|| keyword(item, "unique")) {
        table.keys.extend(parenthesized(rest).map(columns));
        return;
    }
    if let Some(rest) = keyword(item, "foreign key") {
        if let (Some(cols), Some(target)) = (parenthesized(rest), referenced(rest)) {
            table.foreign_keys.push((columns(cols), target));
        }
        return;
    }
    if keyword(item, "check").is_some() || keyword(item, "exclude").is_some() {
        return;
    }
    let words: Vec<&str> = item.split_whitespace().collect();
    let Some(column) = words.first() else {
        return;
    };
    let column = vec![(*column).to_string()];
    if words.windows(2).any(|w| w == ["primary", "key"]) || words.contains(&"unique") {
        table.keys.push(column.clone());
    }
    if let Some(target) = referenced(item) {
        table.foreign_keys.push((column, target));
    }
}

/// What follows `word` when `item` starts with it as a whole word.
fn keyword<'a>(item: &'a str, word: &str) -> Option<&'a str> {
    let rest = item.strip_prefix(word)?;
    (rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == '(')).then_some(rest)
}

/// The table after `references`.
fn referenced(item: &str) -> Option<String> {
    let words: Vec<&str> = item.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "references")?;
    Some(table_name(&words[at + 1..]))
}

/// The column list of `(a, b, lower(c))`, each trimmed.
fn columns(list: &str) -> Vec<String> {
    split_top_level(list, ',')
        .iter()
        .map(|c| c.trim().to_string())
        .collect()
}

/// The text inside the first parenthesis of `s` and its match.
fn parenthesized(s: &str) -> Option<&str> {
    let open = s.find('(')?;
    let mut depth = 0;
    let mut quoted = false;
    for (i, c) in s[open..].char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` split at `sep` outside parentheses and string literals.
fn split_top_level(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 && !quoted {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts.retain(|p| !p.trim().is_empty());
    parts
}

/// The SQL without `--` comments.
fn without_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The SQL without the bodies of functions and `do` blocks (`$$ … $$`), whose statements
/// are not the schema's.
fn without_dollar_quotes(sql: &str) -> String {
    sql.split("$$").step_by(2).collect::<Vec<_>>().join(" ")
}

/// The classification table of the document: rows `| \`name\` | class | …`.
fn classification(doc: &str) -> BTreeMap<String, Class> {
    let mut classes = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, name, class, ..] = cells.as_slice() else {
            continue;
        };
        let Some(name) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) else {
            continue;
        };
        let class = match *class {
            "distributed" => Class::Distributed,
            "reference" => Class::Reference,
            "local" => Class::Local,
            _ => continue,
        };
        classes.insert(name.to_string(), class);
    }
    classes
}

/// The tables named (as `` `name` `` in a row's second cell) under "### Key violations".
fn listed_violations(doc: &str) -> BTreeSet<String> {
    doc.lines()
        .skip_while(|l| l.trim() != "### Key violations")
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cells.get(2)?;
            Some(name.strip_prefix('`')?.strip_suffix('`')?.to_string())
        })
        .collect()
}

/// Keys and foreign keys Citus would refuse, as "table: what".
fn violations(
    tables: &BTreeMap<String, Table>,
    classes: &BTreeMap<String, Class>,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (name, table) in tables {
        let class = classes.get(name).copied();
        let has_tenant = |cols: &[String]| cols.iter().any(|c| c == "institution_id");
        for (cols, target) in &table.foreign_keys {
            let target_class = classes.get(target).copied();
            let bad = match (class, target_class) {
                (Some(Class::Distributed), Some(Class::Distributed)) => !has_tenant(cols),
                (Some(Class::Distributed), Some(Class::Local)) => true,
                (Some(Class::Reference), Some(Class::Distributed | Class::Local)) => true,
                _ => false,
            };
            if bad {
                found.push((
                    name.clone(),
                    format!("foreign key ({}) → {target}", cols.join(", ")),
                ));
            }
        }
        if class == Some(Class::Distributed) {
            for key in table.keys.iter().filter(|k| !has_tenant(k)) {
                found.push((name.clone(), format!("key ({})", key.join(", "))));
            }
        }
    }
    found
}

fn migrations_sql() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migrations folder")
        .map(|e| e.expect("a migration").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("a migration's text"))
        .collect::<Vec<_>>()
        .join("\n;\n")
}

fn scaling_doc() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scaling.md"))
        .expect("docs/scaling.md")
}

/// Tables that exist without a migration creating them.
const NOT_FROM_MIGRATIONS: &[&str] = &["_sqlx_migrations"];

#[test]
fn every_table_the_migrations_create_is_classified_in_the_scaling_doc_and_no_other() {
    let tables = parse_schema(&migrations_sql());
    assert!(
        tables.contains_key("users") && tables.contains_key("audit_log"),
        "the migrations' tables were not found: {:?}",
        tables.keys().collect::<Vec<_>>()
    );
    let classes = classification(&scaling_doc());
    let unclassified: Vec<_> = tables
        .keys()
        .filter(|t| !classes.contains_key(*t))
        .collect();
    assert!(
        unclassified.is_empty(),
        "docs/scaling.md does not say whether these tables are distributed, reference or local: {unclassified:?}"
    );
    let gone: Vec<_> = classes
        .keys()
        .filter(|t| !tables.contains_key(*t) && !NOT_FROM_MIGRATIONS.contains(&t.as_str()))
        .collect();
    assert!(
        gone.is_empty(),
        "docs/scaling.md classifies tables no migration creates: {gone:?}"
    );
}

#[test]
fn every_key_without_institution_id_is_named_under_key_violations_and_only_those() {
    let doc = scaling_doc();
    let found = violations(&parse_schema(&migrations_sql()), &classification(&doc));
    let listed = listed_violations(&doc);
    let unlisted: Vec<_> = found.iter().filter(|(t, _)| !listed.contains(t)).collect();
    assert!(
        unlisted.is_empty(),
        "keys Citus would refuse that docs/scaling.md does not list under Key violations: {unlisted:?}"
    );
    let fixed: Vec<_> = listed
        .iter()
        .filter(|t| !found.iter().any(|(f, _)| f == *t))
        .collect();
    assert!(
        fixed.is_empty(),
        "docs/scaling.md lists violations that the migrations no longer have: {fixed:?}"
    );
}

const DOC: &str = "\
| `tenants` | reference | x |
| `people` | distributed | x |
| `tokens` | distributed | x |

### Key violations

| # | table | violation | fix |
|---|---|---|---|
| V1 | `tokens` | pk | x |

## Next
";

#[test]
fn a_new_table_the_doc_does_not_classify_is_found_and_comments_and_function_bodies_are_not_tables()
{
    let sql = "-- create table in_a_comment (id int);
        create table tenants (id uuid primary key, code text not null unique);
        create function f() returns void language plpgsql as $$
        begin create table in_a_body (id int); end $$;
        create table badges (institution_id uuid not null, id uuid not null, primary key (institution_id, id));";
    let tables = parse_schema(sql);
    assert_eq!(
        tables.keys().collect::<Vec<_>>(),
        ["badges", "tenants"],
        "only the schema's own tables"
    );
    let classes = classification(DOC);
    assert!(!classes.contains_key("badges"));
    assert_eq!(classes.get("tenants"), Some(&Class::Reference));
}

#[test]
fn keys_and_foreign_keys_without_institution_id_on_distributed_tables_are_found() {
    let sql = "
        create table tenants (id uuid primary key);
        create table people (
            institution_id uuid not null references tenants (id),
            id uuid not null,
            login text not null check (login ~ '^[a-z(]+$'),
            primary key (institution_id, id),
            unique (login)
        );
        create table tokens (
            hash bytea primary key,
            institution_id uuid not null,
            person_id uuid not null,
            foreign key (institution_id, person_id) references people (institution_id, id)
        );
        alter table tokens add foreign key (person_id) references people (id);
        create unique index people_email on people (lower(login));
        create unique index people_tenant_email on people (institution_id, lower(login));";
    let found = violations(&parse_schema(sql), &classification(DOC));
    assert_eq!(
        found,
        [
            ("people".to_string(), "key (login)".to_string()),
            ("people".to_string(), "key (lower(login))".to_string()),
            (
                "tokens".to_string(),
                "foreign key (person_id) → people".to_string()
            ),
            ("tokens".to_string(), "key (hash)".to_string()),
        ]
    );
    assert_eq!(
        listed_violations(DOC),
        BTreeSet::from(["tokens".to_string()]),
        "people's violations are not listed: the real test would fail on them"
    );
}
