//! Targeted-attack mail drills (標的型メール訓練): the officers' pages (prepare from the
//! template library, launch, cancel, results by division and designation), the page a drill
//! mail's link opens (a GET records nothing; the button records the click and teaches), and
//! everyone's report page. The rules are `kenshu_app::drill`'s.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kenshu_app::drill::{LaunchRefusal, PrepareProblem, Tally};
use kenshu_core::FiscalYear;
use kenshu_core::drill::{Problem, TEMPLATES};
use kenshu_core::i18n::Catalogue;
use kenshu_core::plan::{DesignationKind, Target};
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use crate::lang::t;
use crate::page::{Chrome, day, jtime, render, render_form, render_with_cookie};
use crate::policy::{Action, Scope};
use crate::session::{Conn, CurrentUser, Viewer};
use crate::{AppError, AppState};

pub struct CampaignRow {
    id: Uuid,
    title: String,
    status: &'static str,
    window_start: String,
    recipients: i64,
    sent: i64,
    clicked: i64,
    reported: i64,
}

pub struct TemplateLink {
    code: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "drill/index.html")]
struct IndexPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy: String,
    campaigns: Vec<CampaignRow>,
    may_prepare: bool,
    templates: Vec<TemplateLink>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => t().drill_status_draft,
        "launched" => t().drill_status_launched,
        _ => t().drill_status_cancelled,
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    fy: Option<String>,
}

/// The drills of a fiscal year (a protection officer sees those aimed at their divisions).
pub async fn index(
    user: CurrentUser,
    Query(q): Query<YearQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ViewDrills)?;
    let fy = crate::page::fiscal_year(q.fy.as_deref());
    let scope = user.scope();
    let campaigns = kenshu_db::drill::list(&mut conn, user.session.institution_id, fy.year())
        .await?
        .into_iter()
        .filter(|c| scope.covers_all(&c.division_ids))
        .map(|c| CampaignRow {
            id: c.id,
            status: status_label(&c.status),
            title: c.title,
            window_start: jtime(c.window_start),
            recipients: c.recipients,
            sent: c.sent,
            clicked: c.clicked,
            reported: c.reported,
        })
        .collect();
    render(&IndexPage {
        chrome: Chrome::for_user(&user, t().drill_title),
        t: t(),
        fy: t().fy_label(fy),
        campaigns,
        may_prepare: user.may(Action::PrepareDrills),
        templates: TEMPLATES
            .iter()
            .map(|tp| TemplateLink {
                code: tp.code,
                label: match t().lang {
                    kenshu_core::i18n::Lang::Ja => tp.label,
                    _ => tp.label_en,
                },
            })
            .collect(),
    })
}

/// The preparation form's values, shown again when refused.
pub struct FormView {
    template: String,
    title: String,
    sender_name: String,
    subject: String,
    body: String,
    clues: String,
    audience: Vec<(&'static str, &'static str, bool)>,
    divisions: Vec<(Uuid, String, bool)>,
    window_start: String,
    window_end: String,
    per_minute: String,
    courses: Vec<(String, String, bool)>,
    follow_up_days: String,
}

#[derive(Template)]
#[template(path = "drill/new.html")]
struct NewPage {
    chrome: Chrome,
    t: &'static Catalogue,
    form: FormView,
    /// A protection officer must choose among their divisions.
    divisions_required: bool,
    errors: Vec<&'static str>,
}

#[derive(Deserialize)]
pub struct NewQuery {
    template: Option<String>,
}

fn audience_choices(chosen: &[Target]) -> Vec<(&'static str, &'static str, bool)> {
    std::iter::once(Target::Everyone)
        .chain(DesignationKind::ALL.into_iter().map(Target::Designated))
        .map(|a| (a.as_str(), t().target(a), chosen.contains(&a)))
        .collect()
}

async fn division_choices(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    chosen: &[Uuid],
) -> Result<Vec<(Uuid, String, bool)>, AppError> {
    let scope = user.scope();
    Ok(
        kenshu_db::institution::divisions(conn, user.session.institution_id)
            .await?
            .into_iter()
            .filter(|d| scope.covers(d.id))
            .map(|d| (d.id, d.name, chosen.contains(&d.id)))
            .collect(),
    )
}

async fn course_choices(
    conn: &mut kenshu_db::PgConnection,
    user: &CurrentUser,
    chosen: Option<&str>,
) -> Result<Vec<(String, String, bool)>, AppError> {
    Ok(
        kenshu_db::drill::follow_up_courses(conn, user.session.institution_id)
            .await?
            .into_iter()
            .map(|(code, title)| {
                let on = chosen == Some(code.as_str());
                (code, title, on)
            })
            .collect(),
    )
}

/// `2026-12-07T09:00` (a `datetime-local` field) as Japan time.
fn parse_local(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(s.trim(), format)
        .ok()
        .map(|p| p.assume_offset(kenshu_core::fiscal_year::JST))
}

fn local(at: OffsetDateTime) -> String {
    let at = at.to_offset(kenshu_core::fiscal_year::JST);
    format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute())
}

/// The form for a new drill, filled from a template of the library when one is asked for.
pub async fn new(
    user: CurrentUser,
    Query(q): Query<NewQuery>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::PrepareDrills)?;
    let tp = q.template.as_deref().and_then(kenshu_core::drill::template);
    // The next working morning, 9:00 to 12:00, as a starting point.
    let tomorrow = kenshu_core::japan_today()
        .next_day()
        .unwrap_or(kenshu_core::japan_today());
    let start = tomorrow
        .with_hms(9, 0, 0)
        .map(|d| d.assume_offset(kenshu_core::fiscal_year::JST))
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    let own: Vec<Uuid> = match user.scope() {
        Scope::All => Vec::new(),
        _ => vec![user.session.division_id],
    };
    let form = FormView {
        template: tp.map(|t| t.code.to_string()).unwrap_or_default(),
        title: tp.map(|t| t.label.to_string()).unwrap_or_default(),
        sender_name: tp.map(|t| t.sender_name.to_string()).unwrap_or_default(),
        subject: tp.map(|t| t.subject.to_string()).unwrap_or_default(),
        body: tp
            .map(|t| t.body.to_string())
            .unwrap_or_else(|| "{name} 様\n\n\n{link}\n".to_string()),
        clues: tp.map(|t| t.clues.to_string()).unwrap_or_default(),
        audience: audience_choices(&[Target::Everyone]),
        divisions: division_choices(&mut conn, &user, &own).await?,
        window_start: local(start),
        window_end: local(start + time::Duration::hours(3)),
        per_minute: "30".into(),
        courses: course_choices(&mut conn, &user, None).await?,
        follow_up_days: "14".into(),
    };
    render(&NewPage {
        chrome: Chrome::for_user(&user, t().drill_new_title),
        t: t(),
        form,
        divisions_required: !matches!(user.scope(), Scope::All),
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct PrepareForm {
    #[serde(default)]
    template: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    sender_name: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    clues: String,
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    divisions: Vec<String>,
    #[serde(default)]
    window_start: String,
    #[serde(default)]
    window_end: String,
    #[serde(default)]
    per_minute: String,
    #[serde(default)]
    follow_up_course: String,
    #[serde(default)]
    follow_up_days: String,
}

fn problem(p: &PrepareProblem) -> &'static str {
    let t = t();
    match p {
        PrepareProblem::Draft(p) => match p {
            Problem::Title => t.drill_err_title,
            Problem::SenderName => t.drill_err_sender,
            Problem::Subject => t.drill_err_subject,
            Problem::Body => t.drill_err_body,
            Problem::Clues => t.drill_err_clues,
            Problem::MyNumber => t.drill_err_my_number,
            Problem::WindowStart => t.drill_err_window_start,
            Problem::WindowEnd => t.drill_err_window_end,
            Problem::PerMinute => t.drill_err_per_minute,
            Problem::FollowUpDays => t.drill_err_follow_up_days,
            Problem::Audience => t.drill_err_audience,
        },
        PrepareProblem::Divisions => t.drill_err_divisions,
        PrepareProblem::Course => t.drill_err_course,
    }
}

/// Stores a drill as a draft; the form again, field by field, when refused.
pub async fn prepare(
    user: CurrentUser,
    Conn(mut conn): Conn,
    axum_extra::extract::Form(f): axum_extra::extract::Form<PrepareForm>,
) -> Result<Response, AppError> {
    user.require(Action::PrepareDrills)?;
    let audience: Vec<Target> = f.audience.iter().filter_map(|a| Target::parse(a)).collect();
    let division_ids: Vec<Uuid> = f
        .divisions
        .iter()
        .filter_map(|d| Uuid::parse_str(d.trim()).ok())
        .collect();
    let window_start = parse_local(&f.window_start);
    let window_end = parse_local(&f.window_end);
    let per_minute = f.per_minute.trim().parse::<i32>().unwrap_or(0);
    let follow_up_days = f.follow_up_days.trim().parse::<i32>().unwrap_or(0);
    let course = Some(f.follow_up_course.trim()).filter(|c| !c.is_empty());
    let template = kenshu_core::drill::template(f.template.trim()).map(|t| t.code);
    let allowed = match user.scope() {
        Scope::All => None,
        Scope::Divisions(ds) => Some(ds),
        Scope::Nothing => Some(Vec::new()),
    };
    let preparation = kenshu_app::drill::Preparation {
        draft: kenshu_core::drill::Draft {
            title: &f.title,
            sender_name: &f.sender_name,
            subject: &f.subject,
            body: &f.body,
            clues: &f.clues,
            window_start,
            window_end,
            per_minute,
            follow_up_days,
        },
        template_code: template,
        audience: audience.clone(),
        division_ids: division_ids.clone(),
        allowed,
        follow_up_course: course,
        fiscal_year: FiscalYear::of(
            window_start
                .map(|w| w.to_offset(kenshu_core::fiscal_year::JST).date())
                .unwrap_or_else(kenshu_core::japan_today),
        ),
    };
    match kenshu_app::drill::prepare(&mut conn, &user.actor(), &preparation).await? {
        Ok(id) => Ok(crate::flash::redirect(
            &format!("/drills/{id}"),
            crate::flash::Done::DrillPrepared,
        )),
        Err(problems) => {
            let mask = kenshu_core::my_number::mask_my_numbers;
            let form = FormView {
                template: template.unwrap_or_default().to_string(),
                title: mask(&f.title),
                sender_name: mask(&f.sender_name),
                subject: mask(&f.subject),
                body: mask(&f.body),
                clues: mask(&f.clues),
                audience: audience_choices(&audience),
                divisions: division_choices(&mut conn, &user, &division_ids).await?,
                window_start: f.window_start.chars().take(16).collect(),
                window_end: f.window_end.chars().take(16).collect(),
                per_minute: f.per_minute.chars().take(6).collect(),
                courses: course_choices(&mut conn, &user, course).await?,
                follow_up_days: f.follow_up_days.chars().take(4).collect(),
            };
            render_form(
                &NewPage {
                    chrome: Chrome::for_user(&user, t().drill_new_title),
                    t: t(),
                    form,
                    divisions_required: !matches!(user.scope(), Scope::All),
                    errors: problems.iter().map(problem).collect(),
                },
                true,
            )
        }
    }
}

pub struct LineView {
    login_id: String,
    name: String,
    division: String,
    sent: String,
    clicked: String,
    clicks: i32,
    reported: String,
    repeat: bool,
    follow_up: String,
}

pub struct TallyView {
    label: String,
    recipients: usize,
    sent: usize,
    clicked: usize,
    reported: usize,
    reported_only: usize,
    repeat: usize,
    median: String,
}

fn tally_view(label: String, t: &Tally) -> TallyView {
    TallyView {
        label,
        recipients: t.recipients,
        sent: t.sent,
        clicked: t.clicked,
        reported: t.reported,
        reported_only: t.reported_only,
        repeat: t.repeat,
        median: t
            .median_report_minutes
            .map(|m| crate::lang::t().drill_minutes(m))
            .unwrap_or_else(|| "—".into()),
    }
}

#[derive(Template)]
#[template(path = "drill/show.html")]
struct ShowPage {
    chrome: Chrome,
    t: &'static Catalogue,
    id: Uuid,
    title: String,
    status: &'static str,
    draft: bool,
    launched: bool,
    sender_name: String,
    subject: String,
    body: String,
    clues: Vec<String>,
    audience: String,
    divisions: String,
    window: String,
    per_minute: i32,
    follow_up: String,
    created: String,
    /// Before launching: how many would get the mail, and who has no address.
    reach: usize,
    without_address: Vec<String>,
    may_act: bool,
    total: TallyView,
    by_division: Vec<TallyView>,
    by_designation: Vec<TallyView>,
    lines: Vec<LineView>,
    error: Option<String>,
}

async fn show_page(
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    id: Uuid,
    error: Option<String>,
) -> Result<Response, AppError> {
    let inst = user.session.institution_id;
    let c = kenshu_db::drill::campaign(conn, inst, id)
        .await?
        .ok_or(AppError::NotFound)?;
    user.require_drill(Action::ViewDrills, &c.division_ids)?;
    let t = t();
    let all_divisions = kenshu_db::institution::divisions(conn, inst).await?;
    let division_names: Vec<String> = if c.division_ids.is_empty() {
        vec![t.drill_all_divisions.to_string()]
    } else {
        all_divisions
            .iter()
            .filter(|d| c.division_ids.contains(&d.id))
            .map(|d| d.name.clone())
            .collect()
    };
    let (reach, without_address) = if c.status == "draft" {
        let r = kenshu_app::drill::reach(conn, inst, &c, kenshu_core::japan_today()).await?;
        (
            r.with_address(),
            r.without_address()
                .map(|p| format!("{} ({})", p.name, p.login_id))
                .collect(),
        )
    } else {
        (0, Vec::new())
    };
    let lines = kenshu_db::drill::lines(conn, inst, id).await?;
    let total = kenshu_app::drill::tally(lines.iter());
    // Divisions in the order the lines come (by division code), designations by name.
    let mut by_division: Vec<(String, Vec<&kenshu_db::drill::Line>)> = Vec::new();
    let mut by_designation: BTreeMap<String, Vec<&kenshu_db::drill::Line>> = BTreeMap::new();
    for l in &lines {
        match by_division.last_mut() {
            Some((name, ls)) if *name == l.division => ls.push(l),
            _ => by_division.push((l.division.clone(), vec![l])),
        }
        for d in &l.designations {
            let label = DesignationKind::parse(d)
                .map(|k| t.designation_kind(k).to_string())
                .unwrap_or_else(|| d.clone());
            by_designation.entry(label).or_default().push(l);
        }
    }
    let audience = c
        .audience
        .iter()
        .filter_map(|a| Target::parse(a))
        .map(|a| t.target(a))
        .collect::<Vec<_>>()
        .join(t.list_sep);
    let refused = error.is_some();
    let page = ShowPage {
        chrome: Chrome::for_user(user, c.title.clone()),
        t,
        id,
        title: c.title.clone(),
        status: status_label(&c.status),
        draft: c.status == "draft",
        launched: c.status == "launched",
        sender_name: c.sender_name.clone(),
        subject: c.subject.clone(),
        body: kenshu_core::drill::fill(&c.body, t.drill_preview_name, t.drill_preview_link),
        clues: kenshu_core::drill::clue_lines(&c.clues)
            .into_iter()
            .map(str::to_string)
            .collect(),
        audience,
        divisions: division_names.join(t.list_sep),
        window: format!("{} – {}", jtime(c.window_start), jtime(c.window_end)),
        per_minute: c.per_minute,
        follow_up: match (&c.follow_up_title, &c.follow_up_course) {
            (Some(title), _) => t.drill_follow_up_of(title, c.follow_up_days),
            (None, Some(code)) => t.drill_follow_up_of(code, c.follow_up_days),
            _ => t.drill_no_follow_up.to_string(),
        },
        created: format!("{} {}", c.created_by, jtime(c.created_at)),
        reach,
        without_address,
        may_act: user.may(Action::PrepareDrills),
        total: tally_view(t.drill_total.to_string(), &total),
        by_division: by_division
            .into_iter()
            .map(|(k, v)| tally_view(k, &kenshu_app::drill::tally(v.into_iter())))
            .collect(),
        by_designation: by_designation
            .into_iter()
            .map(|(k, v)| tally_view(k, &kenshu_app::drill::tally(v.into_iter())))
            .collect(),
        lines: lines
            .into_iter()
            .map(|l| LineView {
                sent: l.sent_at.map(jtime).unwrap_or_else(|| {
                    if c.status == "cancelled" {
                        t.drill_withdrawn.to_string()
                    } else {
                        t.drill_due_at(&jtime(l.send_at))
                    }
                }),
                clicked: l.clicked_at.map(jtime).unwrap_or_default(),
                clicks: l.clicks,
                reported: match (l.reported_at, l.reported_via.as_deref()) {
                    (Some(at), Some("mail")) => format!("{} {}", jtime(at), t.drill_via_mail),
                    (Some(at), _) => format!("{} {}", jtime(at), t.drill_via_portal),
                    _ => String::new(),
                },
                repeat: l.repeat,
                follow_up: match l.follow_up_deadline {
                    Some(_) if l.follow_up_done => t.drill_follow_up_done.to_string(),
                    Some(d) => t.drill_follow_up_by(&day(d)),
                    None => String::new(),
                },
                login_id: l.login_id,
                name: l.name,
                division: l.division,
            })
            .collect(),
        error,
    };
    render_form(&page, refused)
}

/// One drill: its mail, who it reaches, and its results by division and designation.
pub async fn show(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ViewDrills)?;
    show_page(&user, &mut conn, id, None).await
}

/// The campaign, for an officer who may act on it (404 when not there, 403 outside scope).
async fn campaign_to_act_on(
    user: &CurrentUser,
    conn: &mut kenshu_db::PgConnection,
    id: Uuid,
) -> Result<kenshu_db::drill::Campaign, AppError> {
    user.require(Action::PrepareDrills)?;
    let c = kenshu_db::drill::campaign(conn, user.session.institution_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    user.require_drill(Action::PrepareDrills, &c.division_ids)?;
    Ok(c)
}

/// Launches a draft: every person's mail is queued at its minute of the window.
pub async fn launch(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let campaign = campaign_to_act_on(&user, &mut conn, id).await?;
    let answer = kenshu_app::drill::launch(
        &mut conn,
        &user.actor(),
        &campaign,
        &state.settings.public_url,
        OffsetDateTime::now_utc(),
    )
    .await?;
    match answer {
        Ok(_) => Ok(crate::flash::redirect(
            &format!("/drills/{id}"),
            crate::flash::Done::DrillLaunched,
        )),
        Err(refusal) => {
            let t = t();
            let (error, status) = match refusal {
                LaunchRefusal::NotDraft => (t.drill_not_draft.to_string(), StatusCode::CONFLICT),
                LaunchRefusal::NoRecipients => (
                    t.drill_no_recipients.to_string(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                LaunchRefusal::WindowOver => (
                    t.drill_window_over.to_string(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                LaunchRefusal::TooMany { mails, minutes } => (
                    t.drill_too_many(mails, minutes),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
            };
            let page = show_page(&user, &mut conn, id, Some(error)).await?;
            Ok((status, page).into_response())
        }
    }
}

/// Cancels a drill: a draft is never sent; a launched one's unsent mails are withdrawn.
pub async fn cancel(
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let campaign = campaign_to_act_on(&user, &mut conn, id).await?;
    match kenshu_app::drill::cancel(&mut conn, &user.actor(), &campaign).await? {
        Some(_) => Ok(crate::flash::redirect(
            &format!("/drills/{id}"),
            crate::flash::Done::DrillCancelled,
        )),
        None => {
            let page = show_page(&user, &mut conn, id, Some(t().drill_not_draft.into())).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

/// The link page's form token: the signed-in person's, else the pre-session one (with the
/// cookie that sets it).
fn form_token(state: &AppState, headers: &HeaderMap, viewer: &Viewer) -> (String, Option<String>) {
    match &viewer.0 {
        Some(s) => (s.csrf_token.clone(), None),
        None => crate::auth::pre_session_token(state, headers),
    }
}

#[derive(Template)]
#[template(path = "drill/landing.html")]
struct LandingPage {
    chrome: Chrome,
    t: &'static Catalogue,
    token: String,
}

/// A token as links carry it: 64 hexadecimal digits; anything else is nobody's.
fn token_of(s: &str) -> Result<String, AppError> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(AppError::NotFound)
    }
}

/// The page a drill mail's link opens. A GET records nothing (mail scanners and link
/// previewers fetch links): it shows a button, and only a press of it counts.
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Extension(viewer): axum::Extension<Viewer>,
    Path(token): Path<String>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let token = token_of(&token)?;
    kenshu_db::drill::landing(&mut conn, &kenshu_db::token::hash(&token))
        .await?
        .ok_or(AppError::NotFound)?;
    let (csrf, cookie) = form_token(&state, &headers, &viewer);
    let mut res = render_with_cookie(
        &LandingPage {
            chrome: Chrome::anonymous(t().drill_landing_title, csrf),
            t: t(),
            token,
        },
        cookie,
    )?;
    // Never kept by a cache between the mail and the person.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

#[derive(Template)]
#[template(path = "drill/caught.html")]
struct CaughtPage {
    chrome: Chrome,
    t: &'static Catalogue,
    name: String,
    sender_name: String,
    subject: String,
    clues: Vec<String>,
    follow_up: Option<(String, String, String)>,
    report_address: Option<String>,
}

/// The press of the link page's button: recorded (the first one counts), then the page that
/// teaches what gave the mail away and what to do next time.
pub async fn press(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    let token = token_of(&token)?;
    let today = kenshu_core::japan_today();
    kenshu_app::drill::press(&mut conn, &state.settings.audit_key, &token, today)
        .await?
        .ok_or(AppError::NotFound)?;
    let l = kenshu_db::drill::landing(&mut conn, &kenshu_db::token::hash(&token))
        .await?
        .ok_or(AppError::NotFound)?;
    render(&CaughtPage {
        chrome: Chrome::anonymous(t().drill_caught_title, String::new()),
        t: t(),
        name: l.name,
        sender_name: l.sender_name,
        subject: l.subject,
        clues: kenshu_core::drill::clue_lines(&l.clues)
            .into_iter()
            .map(str::to_string)
            .collect(),
        follow_up: match (l.follow_up_course, l.follow_up_title, l.follow_up_deadline) {
            (Some(code), title, Some(deadline)) => Some((
                format!("/courses/{code}"),
                title.unwrap_or(code),
                day(deadline),
            )),
            _ => None,
        },
        report_address: state.settings.report_address.clone(),
    })
}

#[derive(Template)]
#[template(path = "drill/report.html")]
struct ReportPage {
    chrome: Chrome,
    t: &'static Catalogue,
    report_address: Option<String>,
}

/// Everyone's page to report a suspicious mail.
pub async fn report_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    render(&ReportPage {
        chrome: Chrome::for_user(&user, t().drill_report_title),
        t: t(),
        report_address: state.settings.report_address.clone(),
    })
}

/// A report by the portal's button: it counts for the person's latest drill mail not yet
/// reported; the page then says whether it was a drill.
pub async fn report(user: CurrentUser, Conn(mut conn): Conn) -> Result<Response, AppError> {
    user.require(Action::TakeTraining)?;
    let done = match kenshu_app::drill::report_in_portal(&mut conn, &user.actor()).await? {
        Some(_) => crate::flash::Done::DrillReported,
        None => crate::flash::Done::SuspiciousMailNoted,
    };
    Ok(crate::flash::redirect("/report-mail", done))
}
