//! What changes from one version of a course to another: shown before a draft is published,
//! and between any two versions.

use super::CoursePackage;

/// The differences between two versions, by section (slug and title) and by question number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The title, description, order, prerequisites or the test's settings changed.
    pub course: bool,
    pub sections_added: Vec<String>,
    pub sections_removed: Vec<String>,
    pub sections_changed: Vec<String>,
    pub questions_added: Vec<u32>,
    pub questions_removed: Vec<u32>,
    pub questions_changed: Vec<u32>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// What `new` changes from `old`.
pub fn compare(old: &CoursePackage, new: &CoursePackage) -> Changes {
    let mut c = Changes {
        course: old.title != new.title
            || old.title_en != new.title_en
            || old.description != new.description
            || old.position != new.position
            || old.requires != new.requires
            || match (&old.test, &new.test) {
                (Some(a), Some(b)) => {
                    a.kind != b.kind
                        || a.title != b.title
                        || a.pass_mark != b.pass_mark
                        || a.draw != b.draw
                        || a.pass_share != b.pass_share
                }
                (None, None) => false,
                _ => true,
            },
        ..Changes::default()
    };
    for s in &new.sections {
        match old.sections.iter().find(|o| o.slug == s.slug) {
            None => c.sections_added.push(s.title.clone()),
            Some(o) if o != s => c.sections_changed.push(s.title.clone()),
            Some(_) => {}
        }
    }
    for o in &old.sections {
        if !new.sections.iter().any(|s| s.slug == o.slug) {
            c.sections_removed.push(o.title.clone());
        }
    }
    let none = Vec::new();
    let old_q = old.test.as_ref().map_or(&none, |t| &t.questions);
    let new_q = new.test.as_ref().map_or(&none, |t| &t.questions);
    for q in new_q {
        match old_q.iter().find(|o| o.number == q.number) {
            None => c.questions_added.push(q.number),
            Some(o) if o != q => c.questions_changed.push(q.number),
            Some(_) => {}
        }
    }
    for o in old_q {
        if !new_q.iter().any(|q| q.number == o.number) {
            c.questions_removed.push(o.number);
        }
    }
    c
}
