//! The course editor of 教材の管理: a course written in the browser — its title and
//! description, its sections in Markdown with a preview rendered by the server exactly as staff
//! will see it, images uploaded with a section, and its test's question bank. Every change is
//! saved to the course's draft and checked as an uploaded package is; a change that would break
//! the course is refused with the reason, the form keeping what was typed, and nothing saved.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenshu_app::editor::{
    CourseFields, Draft, MAX_CHOICES, QuestionFields, SectionFields, TestFields, new_course,
};
use kenshu_app::package::{self, PackageError};
use kenshu_core::content::{image, render_markdown_with};
use kenshu_core::i18n::Catalogue;
use uuid::Uuid;

use crate::authoring::{package_error, refusal};
use crate::flash::{self, Done};
use crate::lang::t;
use crate::page::{Chrome, render, render_form as form_page};
use crate::session::{Conn, CurrentUser};
use crate::tx::Tx;
use crate::{AppError, AppState};

/// `owner`'s draft of a course, or 404.
async fn load(
    conn: &mut kenshu_db::PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<Draft, AppError> {
    let files = kenshu_db::content::draft_files(conn, owner, code)
        .await?
        .ok_or(AppError::NotFound)?;
    Draft::read(code, files).map_err(|e| AppError::BadRequest(refusal(&e)))
}

/// Checks the changed draft and saves it; the refusal when it does not check.
async fn save(
    state: &AppState,
    user: &CurrentUser,
    tx: &mut Tx,
    owner: Option<Uuid>,
    draft: Draft,
) -> Result<Result<(), String>, AppError> {
    let upload = match draft.upload() {
        Ok(u) => u,
        Err(e) => return Ok(Err(refusal(&e))),
    };
    let by = user.session.user_id;
    match package::upload_draft(tx, &state.catalog, owner, by, &upload).await {
        Ok(_) => Ok(Ok(())),
        Err(PackageError::Database(e)) => Err(e.into()),
        Err(e) => Ok(Err(refusal(&e))),
    }
}

/// Back to the editor, saying the draft was saved.
fn to_editor(code: &str) -> Response {
    flash::redirect(
        &format!("/manage/courses/drafts/{code}/edit"),
        Done::DraftSaved,
    )
}

// ---------------------------------------------------------------------------------------------
// A new course

#[derive(Template)]
#[template(path = "authoring/new.html")]
struct NewPage {
    chrome: Chrome,
    t: &'static Catalogue,
    form: NewForm,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    section: String,
}

pub async fn new_page(user: CurrentUser) -> Result<Response, AppError> {
    user.course_owner()?;
    render(&NewPage {
        chrome: Chrome::for_user(&user, t().ed_new_title),
        t: t(),
        form: NewForm::default(),
        error: None,
    })
}

/// Starts a course: its draft with the fields given and a first section to write.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Form(f): Form<NewForm>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let code = f.code.trim().to_string();
    let problem = if !kenshu_core::content::is_slug(&code) {
        Some(t().ed_code_bad.to_string())
    } else if f.title.trim().is_empty() || f.section.trim().is_empty() {
        Some(t().ed_title_missing.to_string())
    } else if kenshu_db::content::draft_files(&mut tx, owner, &code)
        .await?
        .is_some()
        || kenshu_db::content::history(&mut tx, owner, &code)
            .await?
            .is_some()
    {
        Some(t().ed_code_taken.to_string())
    } else {
        None
    };
    let refused = match problem {
        Some(p) => Err(p),
        None => {
            let fields = CourseFields {
                title: f.title.clone(),
                title_en: f.title_en.clone(),
                description: f.description.clone(),
            };
            let draft = new_course(&code, &fields, &f.section);
            save(&state, &user, &mut tx, owner, draft).await?
        }
    };
    match refused {
        Ok(()) => {
            tx.commit().await?;
            Ok(to_editor(&code))
        }
        Err(error) => {
            tx.rollback()?;
            form_page(
                &NewPage {
                    chrome: Chrome::for_user(&user, t().ed_new_title),
                    t: t(),
                    form: f,
                    error: Some(error),
                },
                true,
            )
        }
    }
}

/// Opens the editor on a published course: a draft of its current files, unless it has one.
pub async fn edit_current(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    if kenshu_db::content::draft_files(&mut tx, owner, &code)
        .await?
        .is_none()
    {
        let by = user.session.user_id;
        package::renew(&mut tx, &state.catalog, owner, by, &code)
            .await
            .map_err(package_error)?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
    }
    Ok(to_editor(&code))
}

// ---------------------------------------------------------------------------------------------
// The editor's overview: the course's fields, its sections, its test and its bank

pub struct QuestionRow {
    pub number: u32,
    pub kind: &'static str,
    pub topic: String,
    pub statement: String,
}

#[derive(Template)]
#[template(path = "authoring/edit.html")]
struct EditPage {
    chrome: Chrome,
    t: &'static Catalogue,
    code: String,
    course: CourseFields,
    sections: Vec<SectionFields>,
    test: Option<TestFields>,
    questions: Vec<QuestionRow>,
    error: Option<String>,
}

impl EditPage {
    fn per_topic_text(&self) -> String {
        self.test
            .as_ref()
            .map(|t| per_topic_text(&t.per_topic))
            .unwrap_or_default()
    }
}

fn per_topic_text(per_topic: &[(String, usize)]) -> String {
    per_topic
        .iter()
        .map(|(topic, count)| format!("{topic}: {count}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "single" => t().ed_kind_single,
        "multiple" => t().ed_kind_multiple,
        _ => t().ed_kind_true_false,
    }
}

fn edit_page(user: &CurrentUser, draft: &Draft, error: Option<String>) -> EditPage {
    let course = draft.course();
    EditPage {
        chrome: Chrome::for_user(user, format!("{} — {}", t().ed_title, course.title)),
        t: t(),
        code: draft.code.clone(),
        sections: draft.sections(),
        test: draft.test(),
        questions: draft
            .questions()
            .into_iter()
            .filter_map(|q| {
                Some(QuestionRow {
                    number: q.number?,
                    kind: kind_label(&q.kind),
                    topic: q.topic,
                    statement: q.statement.chars().take(80).collect(),
                })
            })
            .collect(),
        course,
        error,
    }
}

pub async fn edit(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let draft = load(&mut conn, owner, &code).await?;
    render(&edit_page(&user, &draft, None))
}

/// Applies a change to the draft and saves it: back to the editor, or the editor with the
/// refusal (the draft as it was).
async fn change_and_save(
    state: &AppState,
    user: &CurrentUser,
    mut tx: Tx,
    code: &str,
    change: impl FnOnce(&mut Draft),
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let before = load(&mut tx, owner, code).await?;
    let mut draft = before.clone();
    change(&mut draft);
    match save(state, user, &mut tx, owner, draft).await? {
        Ok(()) => {
            tx.commit().await?;
            Ok(to_editor(code))
        }
        Err(error) => {
            tx.rollback()?;
            form_page(&edit_page(user, &before, Some(error)), true)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CourseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    description: String,
}

pub async fn save_course(
    State(state): State<AppState>,
    user: CurrentUser,
    tx: Tx,
    Path(code): Path<String>,
    Form(f): Form<CourseForm>,
) -> Result<Response, AppError> {
    let fields = CourseFields {
        title: f.title,
        title_en: f.title_en,
        description: f.description,
    };
    change_and_save(&state, &user, tx, &code, |d| d.set_course(&fields)).await
}

#[derive(serde::Deserialize)]
pub struct TestForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    draw: String,
    #[serde(default)]
    pass_share: String,
    #[serde(default)]
    per_topic: String,
}

/// `topic: count` lines, as the test form takes them.
fn parse_per_topic(text: &str) -> Result<Vec<(String, usize)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line
            .rsplit_once([':', '：'])
            .and_then(|(topic, n)| Some((topic.trim(), n.trim().parse::<usize>().ok()?)))
            .filter(|(topic, _)| !topic.is_empty());
        match parsed {
            Some((topic, n)) => out.push((topic.to_string(), n)),
            None => {
                return Err(format!(
                    "{}{}{}",
                    t().ed_per_topic_bad_1,
                    i + 1,
                    t().ed_per_topic_bad_2
                ));
            }
        }
    }
    Ok(out)
}

pub async fn save_test(
    State(state): State<AppState>,
    user: CurrentUser,
    tx: Tx,
    Path(code): Path<String>,
    Form(f): Form<TestForm>,
) -> Result<Response, AppError> {
    let number = |s: &str, field: &'static str| -> Result<Option<u32>, AppError> {
        match s.trim() {
            "" => Ok(None),
            n => n.parse::<u32>().map(Some).map_err(|_| AppError::Invalid {
                field,
                fix: t().ed_number_fix,
            }),
        }
    };
    let draw = number(&f.draw, "draw")?.map(|n| n as usize);
    let pass_share =
        number(&f.pass_share, "pass_share")?.map(|n| u8::try_from(n.min(255)).unwrap_or(u8::MAX));
    let per_topic = match parse_per_topic(&f.per_topic) {
        Ok(p) => p,
        Err(e) => {
            let owner = user.course_owner()?;
            let mut tx = tx;
            let draft = load(&mut tx, owner, &code).await?;
            tx.rollback()?;
            return form_page(&edit_page(&user, &draft, Some(e)), true);
        }
    };
    let fields = TestFields {
        title: f.title,
        kind: f.kind,
        draw,
        pass_share,
        pass_mark: None,
        per_topic,
    };
    change_and_save(&state, &user, tx, &code, |d| {
        let mark = d.test().and_then(|t| t.pass_mark);
        d.set_test(&TestFields {
            pass_mark: mark,
            ..fields
        })
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct AddSectionForm {
    #[serde(default)]
    title: String,
}

pub async fn add_section(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Path(code): Path<String>,
    Form(f): Form<AddSectionForm>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let before = load(&mut tx, owner, &code).await?;
    if f.title.trim().is_empty() {
        tx.rollback()?;
        let page = edit_page(&user, &before, Some(t().ed_title_missing.into()));
        return form_page(&page, true);
    }
    let mut draft = before.clone();
    let slug = draft.add_section(&f.title);
    match save(&state, &user, &mut tx, owner, draft).await? {
        Ok(()) => {
            tx.commit().await?;
            Ok(
                Redirect::to(&format!("/manage/courses/drafts/{code}/sections/{slug}"))
                    .into_response(),
            )
        }
        Err(error) => {
            tx.rollback()?;
            form_page(&edit_page(&user, &before, Some(error)), true)
        }
    }
}

pub async fn remove_section(
    State(state): State<AppState>,
    user: CurrentUser,
    tx: Tx,
    Path((code, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    change_and_save(&state, &user, tx, &code, |d| {
        d.remove_section(&slug);
    })
    .await
}

pub async fn remove_question(
    State(state): State<AppState>,
    user: CurrentUser,
    tx: Tx,
    Path((code, number)): Path<(String, u32)>,
) -> Result<Response, AppError> {
    change_and_save(&state, &user, tx, &code, |d| {
        d.remove_question(number);
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// A section: its Markdown with the preview, and its images

#[derive(Template)]
#[template(path = "authoring/section.html")]
struct SectionPage {
    chrome: Chrome,
    t: &'static Catalogue,
    code: String,
    course_title: String,
    section: SectionFields,
    /// The section rendered as staff will see it.
    preview: String,
    /// The course's images, as the text names them.
    images: Vec<String>,
    error: Option<String>,
}

/// Text made safe to place in HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders Markdown as the course will show it, with the draft's images; an image it does
/// not hold is named above the text (and shown as its description).
fn preview_of(draft: &Draft, markdown: &str) -> String {
    let mut missing = Vec::new();
    let html = render_markdown_with(markdown, &mut |dest| {
        let file = draft.files.iter().find(|(p, _)| p == dest);
        match file.map(|(p, text)| image::decode(p, text)) {
            Some(Ok(m)) => Ok(m.url()),
            Some(Err(e)) => {
                missing.push(e.in_lang(t().lang).to_string());
                Ok::<_, ()>(String::new())
            }
            None => {
                missing.push(format!("{dest}{}", t().ed_image_missing));
                Ok(String::new())
            }
        }
    })
    .unwrap_or_default();
    let notes: String = missing
        .iter()
        .map(|e| format!("<p class=\"notice error\">{}</p>", escape(e)))
        .collect();
    notes + &html
}

fn section_page(
    user: &CurrentUser,
    draft: &Draft,
    section: SectionFields,
    error: Option<String>,
) -> SectionPage {
    let course_title = draft.course().title;
    SectionPage {
        chrome: Chrome::for_user(user, format!("{} — {}", section.title, course_title)),
        t: t(),
        code: draft.code.clone(),
        preview: preview_of(draft, &section.markdown),
        images: draft
            .files
            .iter()
            .filter(|(p, _)| image::is_image_path(p))
            .map(|(p, _)| p.clone())
            .collect(),
        course_title,
        section,
        error,
    }
}

pub async fn section(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path((code, slug)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let draft = load(&mut conn, owner, &code).await?;
    let section = draft.section(&slug).ok_or(AppError::NotFound)?;
    render(&section_page(&user, &draft, section, None))
}

/// Saves a section (title, Markdown and an image uploaded with it), or shows the preview of
/// what was typed without saving.
pub async fn save_section(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((code, slug)): Path<(String, String)>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let (mut title, mut markdown, mut upload, mut preview_only) =
        (String::new(), String::new(), None, false);
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest(t().ed_form_unreadable.into())
        }
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("title") => title = field.text().await.map_err(unreadable)?,
            Some("markdown") => markdown = field.text().await.map_err(unreadable)?,
            Some("action") => preview_only = field.text().await.map_err(unreadable)? == "preview",
            Some("image") => {
                let name = field.file_name().unwrap_or("image").to_string();
                let bytes = field.bytes().await.map_err(unreadable)?;
                if !bytes.is_empty() {
                    upload = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let mut tx = Tx::begin(Conn::after_body(&state).await?).await?;
    let before = load(&mut tx, owner, &code).await?;
    let typed = SectionFields {
        slug: slug.clone(),
        title: title.clone(),
        markdown: markdown.clone(),
    };
    if before.section(&slug).is_none() {
        return Err(AppError::NotFound);
    }
    if preview_only {
        tx.rollback()?;
        return render(&section_page(&user, &before, typed, None));
    }
    let mut draft = before.clone();
    let image = upload.as_ref().map(|(n, b)| (n.as_str(), b.clone()));
    let changed = draft.set_section(&slug, &title, &markdown, image);
    let refused: Result<(), String> = match changed {
        Err(e) => Err(refusal(&e)),
        Ok(()) if title.trim().is_empty() => Err(t().ed_title_missing.to_string()),
        Ok(()) => match save(&state, &user, &mut tx, owner, draft).await? {
            Ok(()) => {
                tx.commit().await?;
                return Ok(flash::redirect(
                    &format!("/manage/courses/drafts/{code}/sections/{slug}"),
                    Done::DraftSaved,
                ));
            }
            Err(e) => Err(e),
        },
    };
    tx.rollback()?;
    let error = refused.err();
    form_page(&section_page(&user, &before, typed, error), true)
}

#[derive(serde::Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    markdown: String,
}

/// The live preview: the Markdown typed so far, rendered as the course will show it (an HTML
/// fragment the editor's script puts beside the text).
pub async fn preview(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path(code): Path<String>,
    Form(f): Form<PreviewForm>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let draft = load(&mut conn, owner, &code).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        preview_of(&draft, &f.markdown),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// A question of the bank

pub struct ChoiceField {
    pub n: usize,
    pub text: String,
    pub right: bool,
}

pub struct SectionChoice {
    pub reference: String,
    pub title: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "authoring/question.html")]
struct QuestionPage {
    chrome: Chrome,
    t: &'static Catalogue,
    code: String,
    course_title: String,
    /// `new` or the question's number, as the form's address names it.
    at: String,
    q: QuestionFields,
    choices: Vec<ChoiceField>,
    sections: Vec<SectionChoice>,
    error: Option<String>,
}

fn question_page(
    user: &CurrentUser,
    draft: &Draft,
    at: &str,
    q: QuestionFields,
    error: Option<String>,
) -> QuestionPage {
    let course_title = draft.course().title;
    let mut sections: Vec<SectionChoice> = draft
        .sections()
        .into_iter()
        .map(|s| {
            let reference = format!("{}/{}", draft.code, s.slug);
            SectionChoice {
                checked: q.sections.contains(&reference),
                reference,
                title: s.title,
            }
        })
        .collect();
    // Sections of other courses the question names stay named.
    for r in &q.sections {
        if !sections.iter().any(|s| &s.reference == r) {
            sections.push(SectionChoice {
                reference: r.clone(),
                title: r.clone(),
                checked: true,
            });
        }
    }
    let choices = (1..=MAX_CHOICES)
        .map(|n| ChoiceField {
            n,
            text: q.choices.get(n - 1).cloned().unwrap_or_default(),
            right: q.right.contains(&n),
        })
        .collect();
    let title = match q.number {
        Some(n) => format!("{}{} — {}", t().question_prefix, n, course_title),
        None => format!("{} — {}", t().ed_new_question, course_title),
    };
    QuestionPage {
        chrome: Chrome::for_user(user, title),
        t: t(),
        code: draft.code.clone(),
        course_title,
        at: at.to_string(),
        q,
        choices,
        sections,
        error,
    }
}

fn question_at(draft: &Draft, at: &str) -> Result<QuestionFields, AppError> {
    if at == "new" {
        // A new question teaches from the first section until the author says otherwise.
        return Ok(QuestionFields {
            kind: "true_false".into(),
            sections: draft
                .sections()
                .first()
                .map(|s| vec![format!("{}/{}", draft.code, s.slug)])
                .unwrap_or_default(),
            ..QuestionFields::default()
        });
    }
    let n: u32 = at.parse().map_err(|_| AppError::NotFound)?;
    draft.question(n).ok_or(AppError::NotFound)
}

pub async fn question(
    user: CurrentUser,
    Conn(mut conn): Conn,
    Path((code, at)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let draft = load(&mut conn, owner, &code).await?;
    let q = question_at(&draft, &at)?;
    render(&question_page(&user, &draft, &at, q, None))
}

/// The highest question number of the course's published versions.
async fn published_numbers(
    state: &AppState,
    conn: &mut kenshu_db::PgConnection,
    owner: Option<Uuid>,
    code: &str,
) -> Result<u32, AppError> {
    let Some(history) = kenshu_db::content::history(&mut *conn, owner, code).await? else {
        return Ok(0);
    };
    let mut highest = 0;
    for v in history.versions {
        let p = state.catalog.package(&mut *conn, v.id).await?;
        if let Some(test) = &p.test {
            highest = test
                .questions
                .iter()
                .map(|q| q.number)
                .fold(highest, u32::max);
        }
    }
    Ok(highest)
}

pub async fn save_question(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: Tx,
    Path((code, at)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let owner = user.course_owner()?;
    let before = load(&mut tx, owner, &code).await?;
    let existing = question_at(&before, &at)?;
    let mut q = QuestionFields {
        number: existing.number,
        choices: vec![String::new(); MAX_CHOICES],
        ..QuestionFields::default()
    };
    for (k, v) in pairs {
        match k.as_str() {
            "kind" => q.kind = v,
            "topic" => q.topic = v,
            "statement" => q.statement = v,
            "answer" => q.answer = v,
            "explanation" => q.explanation = v,
            "reference" => q.reference = v,
            "right" => q.right.extend(v.parse::<usize>().ok()),
            "sections" => q.sections.push(v),
            k => {
                if let Some(n) = k
                    .strip_prefix("choice")
                    .and_then(|n| n.parse::<usize>().ok())
                    && (1..=MAX_CHOICES).contains(&n)
                {
                    q.choices[n - 1] = v;
                }
            }
        }
    }
    if !matches!(q.kind.as_str(), "true_false" | "single" | "multiple") {
        q.kind = "true_false".into();
    }
    let missing = q.statement.trim().is_empty() || q.explanation.trim().is_empty();
    let refused = if missing {
        Err(t().ed_question_missing.to_string())
    } else {
        // Only a new question takes a number: the published versions say which are used.
        let published = match q.number {
            Some(_) => 0,
            None => published_numbers(&state, &mut tx, owner, &code).await?,
        };
        let mut draft = before.clone();
        draft.set_question(&q, published);
        save(&state, &user, &mut tx, owner, draft).await?
    };
    match refused {
        Ok(()) => {
            tx.commit().await?;
            Ok(to_editor(&code))
        }
        Err(error) => {
            tx.rollback()?;
            // The form shows what was typed, blank choices where they were.
            form_page(&question_page(&user, &before, &at, q, Some(error)), true)
        }
    }
}
