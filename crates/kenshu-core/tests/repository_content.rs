//! The repository's course packages (`content/`), read as `kenshu content load` reads them:
//! every 掲載箇所 is one a person can follow in the portal.

use std::path::Path;

use kenshu_core::content::{ParsedPackage, link_sections, parse_package};

fn repository_packages() -> Vec<ParsedPackage> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let mut folders: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("course.toml").is_file())
        .collect();
    folders.sort();
    folders
        .iter()
        .map(|folder| {
            let name = folder.file_name().unwrap().to_string_lossy().to_string();
            let toml = std::fs::read_to_string(folder.join("course.toml")).unwrap();
            parse_package(&name, &toml, |f| {
                std::fs::read_to_string(folder.join(f)).map_err(|e| e.to_string())
            })
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

#[test]
fn every_question_links_to_sections_that_exist_and_cites_no_slide_pages() {
    let mut packages = repository_packages();
    assert_eq!(
        packages.len(),
        4,
        "clerk, cybersecurity, final-test, protection-officer"
    );
    link_sections(&mut packages).unwrap_or_else(|e| panic!("{e}"));
    let mut questions = 0;
    for p in &packages {
        let Some(test) = &p.package.test else {
            continue;
        };
        for q in &test.questions {
            let at = format!("{} question {}", p.package.code, q.number);
            questions += 1;
            assert!(!q.sections.is_empty(), "{at} names no section");
            for link in &q.sections {
                assert!(
                    !link.title.is_empty() && !link.course_title.is_empty(),
                    "{at}: {link:?}"
                );
            }
            assert!(
                !q.reference.contains("資料 P") && !q.reference.contains("資料P"),
                "{at} cites a page of the slide deck, which the portal never shows: {}",
                q.reference
            );
            assert!(
                !["第1章", "第2章", "第3章"]
                    .iter()
                    .any(|c| q.reference.contains(c)),
                "{at}: the portal has courses, not chapters: {}",
                q.reference
            );
        }
    }
    assert_eq!(questions, 4 + 3 + 10);
}

#[test]
fn chapter_test_titles_number_the_sections_as_the_course_pages_do() {
    for p in repository_packages() {
        let c = &p.package;
        let Some(test) = &c.test else { continue };
        assert!(
            !["第1章", "第2章", "第3章"]
                .iter()
                .any(|ch| test.title.contains(ch) || c.description.contains(ch)),
            "{}: the portal numbers sections, not chapters: {} / {}",
            c.code,
            test.title,
            c.description
        );
        if let Some(last) = c.sections.last() {
            let n = last
                .title
                .split_once('節')
                .and_then(|(head, _)| head.rsplit_once('第'))
                .map(|(_, n)| n.to_string())
                .unwrap_or_else(|| panic!("{}: section title {}", c.code, last.title));
            assert!(
                test.title.contains(&format!("第1節〜第{n}節")),
                "{}: the test covers 第1節〜第{n}節: {}",
                c.code,
                test.title
            );
        }
    }
}
