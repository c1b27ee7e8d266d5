//! Linking the packages loaded together: every section a question names must exist in one of
//! them, and its titles are copied into the question so that a result page can link to it
//! without reading the other course. The titles count toward the package's hash: a section
//! retitled in one course makes a new version of every course whose questions link to it.

use sha2::{Digest, Sha256};

use super::{ContentError, CoursePackage, ParsedPackage, Said};

/// A course's code and title, and its sections' slugs and titles.
type Titles = (String, String, Vec<(String, String)>);

/// Resolves every question's `sections` against `packages` (the courses loaded together),
/// or names the question and the section that does not exist. Call it once, after parsing
/// every package and before storing any: until then a link has no titles to show.
pub fn link_sections(packages: &mut [ParsedPackage]) -> Result<(), ContentError> {
    link_sections_with(packages, &[])
}

/// [`link_sections`] against `packages` and the courses already stored (`others`, the current
/// versions a package uploaded alone may name); a course in `packages` replaces its stored
/// version.
pub fn link_sections_with(
    packages: &mut [ParsedPackage],
    others: &[&CoursePackage],
) -> Result<(), ContentError> {
    let titles_of = |c: &CoursePackage| -> Titles {
        let sections = c
            .sections
            .iter()
            .map(|s| (s.slug.clone(), s.title.clone()))
            .collect();
        (c.code.clone(), c.title.clone(), sections)
    };
    let mut titles: Vec<Titles> = packages.iter().map(|p| titles_of(&p.package)).collect();
    for other in others {
        if !titles.iter().any(|(code, _, _)| *code == other.code) {
            titles.push(titles_of(other));
        }
    }
    for parsed in packages.iter_mut() {
        let folder = parsed.package.code.clone();
        let Some(test) = parsed.package.test.as_mut() else {
            continue;
        };
        let mut hasher = Sha256::new();
        hasher.update(parsed.sha256.as_bytes());
        for q in &mut test.questions {
            for link in &mut q.sections {
                let Some((_, course_title, sections)) =
                    titles.iter().find(|(code, _, _)| *code == link.course)
                else {
                    let (n, course, slug) = (q.number, &link.course, &link.slug);
                    let known = codes(titles.iter().map(|(code, _, _)| code.as_str()));
                    return Err(ContentError::Invalid {
                        folder,
                        said: Said::new(
                            format!(
                                "question {n}: section '{course}/{slug}' names course '{course}', \
                                 which is not among the courses loaded ({known})"
                            ),
                            format!(
                                "問{n}: 節 '{course}/{slug}' の研修 '{course}' が見つかりません（見られる研修: {known}）。"
                            ),
                        ),
                    });
                };
                let Some((_, title)) = sections.iter().find(|(slug, _)| *slug == link.slug) else {
                    let (n, course, slug) = (q.number, &link.course, &link.slug);
                    let known = codes(sections.iter().map(|(slug, _)| slug.as_str()));
                    return Err(ContentError::Invalid {
                        folder,
                        said: Said::new(
                            format!(
                                "question {n}: section '{course}/{slug}' does not exist; course '{course}' has {known}"
                            ),
                            format!(
                                "問{n}: 節 '{course}/{slug}' はありません。研修 '{course}' の節は {known} です。"
                            ),
                        ),
                    });
                };
                link.course_title = course_title.clone();
                link.title = title.clone();
                for part in [&link.course, &link.slug, &link.course_title, &link.title] {
                    hasher.update([0u8]);
                    hasher.update(part.as_bytes());
                }
            }
        }
        parsed.sha256 = hex::encode(hasher.finalize());
    }
    Ok(())
}

fn codes<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
