//! Every URL of the portal, in one file, grouped by area: `app` puts the areas together behind
//! the session layer, beside the few URLs that need no session.

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};

use crate::{
    AppState, admin, assets, audit, auth, authoring, deputy, designation, digest, drill, editor,
    exam, health, in_person, insights, lang, learning, metrics, officer, overview, person, plan,
    reminder, report, roster, rules, security, session, settings,
};

pub fn app(state: AppState) -> Router {
    let pages = Router::new()
        .merge(account())
        .merge(learning())
        .merge(exam())
        .merge(in_person())
        .merge(officer())
        .merge(plan())
        .merge(chief())
        .merge(admin())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .route("/static/{name}", get(assets::asset))
        .merge(pages)
        .layer(middleware::from_fn(crate::error::japanese_rejections))
        // gzip's fastest level: a page is compressed on every request, and level 1 costs a
        // fraction of the default level 6 for output about a tenth larger (README, Benchmarks).
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(compressible()),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        // Outermost, and added with `layer` (each route's own stack), so that the matched
        // route is known to both and the time covers everything above.
        .layer(metrics::Record)
        .layer(metrics::trace())
        .with_state(state)
}

/// What is worth compressing: not XLSX files or course packages, which are zip archives
/// already (images are left alone by the default predicate).
fn compressible() -> impl Predicate {
    DefaultPredicate::new()
        .and(NotForContentType::const_new(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .and(NotForContentType::const_new("application/zip"))
}

async fn not_found() -> crate::AppError {
    crate::AppError::NotFound
}

/// Signing in and out, one's password, language and settings.
fn account() -> Router<AppState> {
    Router::new()
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/login/oidc", post(auth::federated::start))
        // A drill mail's link: no session needed (a GET records nothing, the button does).
        .route("/d/{token}", get(drill::landing).post(drill::press))
        .route(auth::federated::CALLBACK, get(auth::federated::callback))
        .route(
            "/login/second-factor",
            get(auth::second_factor::step_form).post(auth::second_factor::step),
        )
        .route("/second-factor", get(auth::second_factor::account))
        .route("/second-factor/confirm", post(auth::second_factor::confirm))
        .route(
            "/second-factor/recovery-codes",
            post(auth::second_factor::renew),
        )
        .route("/second-factor/off", post(auth::second_factor::turn_off))
        .route(
            "/password",
            get(auth::password_form).post(auth::change_password),
        )
        .route(
            "/welcome/{token}",
            get(auth::welcome_form).post(auth::welcome),
        )
        .route("/settings", get(settings::form).post(settings::save))
        // The switch reads the session: a signed-in person's choice is kept with their account.
        .route("/language/{code}", get(lang::switch))
}

/// A person's own training: courses, sections, certificates, the reminders they were sent.
fn learning() -> Router<AppState> {
    Router::new()
        .route("/", get(learning::home))
        .route("/my", get(learning::my_training))
        .route("/courses", get(learning::catalogue))
        .route("/courses/{code}", get(learning::course))
        .route("/courses/{code}/continue", get(learning::continue_course))
        .route("/my/next", get(learning::next_course))
        .route("/courses/{code}/sections/{slug}", get(learning::section))
        .route(
            "/courses/{code}/sections/{slug}/read",
            post(learning::mark_read),
        )
        .route("/certificates/verify", get(learning::verify_certificate))
        .route("/certificates/{code}", get(learning::certificate))
        .route("/my/reminders/seen", post(reminder::seen))
}

/// Tests: chapter tests and the final test, and their results.
fn exam() -> Router<AppState> {
    Router::new()
        .route("/courses/{code}/test", get(exam::test_page))
        .route("/courses/{code}/test/start", post(exam::start))
        .route("/courses/{code}/test/answer", post(exam::answer))
        .route("/courses/{code}/test/submit", post(exam::submit))
        .route("/courses/{code}/attempts/{id}", get(exam::attempt_result))
}

/// In-person sessions (集合研修): the officer's scheduling and roll, staff's sign-up and check-in.
fn in_person() -> Router<AppState> {
    Router::new()
        .route(
            "/officer/sessions",
            get(in_person::index).post(in_person::create),
        )
        .route("/officer/sessions/{id}", get(in_person::show))
        .route("/officer/sessions/{id}/nominate", post(in_person::nominate))
        .route(
            "/officer/sessions/{id}/attendance",
            post(in_person::attendance),
        )
        .route(
            "/officer/sessions/{id}/corrections",
            post(in_person::correction::withdraw),
        )
        .route("/officer/sessions/{id}/cancel", post(in_person::cancel))
        .route("/officer/sessions/{id}/qr", get(in_person::qr::qr))
        .route("/sessions", get(in_person::staff::index))
        .route("/rules", get(rules::index))
        .route("/rules/{code}", get(rules::show))
        .route("/rules/{code}/acknowledge", post(rules::acknowledge))
        .route("/manage/rules", get(rules::manage).post(rules::publish))
        .route("/manage/rules/{code}", get(rules::detail))
        .route("/sessions/{id}/signup", post(in_person::staff::sign_up))
        .route("/sessions/{id}/cancel", post(in_person::staff::withdraw))
        .route(
            "/checkin/{id}",
            get(in_person::checkin::form).post(in_person::checkin::confirm),
        )
}

/// A protection officer's follow-up: the dashboard, one person, reminders, re-attendance.
fn officer() -> Router<AppState> {
    Router::new()
        .route("/officer", get(officer::dashboard))
        .route("/insights", get(insights::page))
        .route("/insights.csv", get(insights::csv))
        .route("/insights.xlsx", get(insights::xlsx))
        .route("/officer/retakes", post(officer::retakes))
        .route("/officer/reminders", post(reminder::group))
        .route("/officer/digests", get(digest::preview))
        .route("/drills", get(drill::index).post(drill::prepare))
        .route("/drills/new", get(drill::new))
        .route("/drills/{id}", get(drill::show))
        .route("/drills/{id}/launch", post(drill::launch))
        .route("/drills/{id}/cancel", post(drill::cancel))
        .route("/report-mail", get(drill::report_page).post(drill::report))
        .route("/officer/deputies", get(deputy::index).post(deputy::name))
        .route("/officer/deputies/{id}/end", post(deputy::end))
        .route("/officer/deputies/{id}/remove", post(deputy::remove))
        .route("/people/{login}", get(person::show))
        .route("/people/{login}/exemptions", post(person::exempt))
        .route("/people/{login}/follow-ups", post(person::follow_up))
        .route("/people/{login}/retakes", post(person::retake))
        .route("/people/{login}/reminders", post(reminder::person))
}

/// The year's training plan (研修計画).
fn plan() -> Router<AppState> {
    Router::new()
        .route("/plans", get(plan::index).post(plan::create))
        .route("/plans/{fy}/approve", post(plan::approve))
        .route("/plans/{fy}/details", post(plan::put_details))
        .route("/plans/{fy}/courses/{code}", post(plan::put_course))
        .route(
            "/plans/{fy}/courses/{code}/remove",
            post(plan::remove_course),
        )
        .route("/plans/{fy}/rules/{code}", post(plan::put_rule))
        .route("/plans/{fy}/rules/{code}/remove", post(plan::remove_rule))
        .route("/plans/{fy}/document", get(plan::document))
}

/// The chief officer's: designations, the roster, the overview, reports and the audit log.
fn chief() -> Router<AppState> {
    Router::new()
        .route(
            "/designations",
            get(designation::index).post(designation::add),
        )
        .route("/designations/{id}/end", post(designation::end))
        .route("/designations/officers", post(designation::assign_officer))
        .route("/roster", get(roster::index))
        .route(
            "/roster/preview",
            post(roster::preview).layer(roster::body_limit()),
        )
        .route("/roster/apply", post(roster::apply))
        .route("/overview", get(overview::index))
        .route("/reports", get(report::index))
        .route("/reports/annual", get(report::annual_download))
        .route("/reports/attendance", get(report::attendance_download))
        .route("/audit", get(audit::index))
}

/// The portal administrator's: content and the mail outbox.
fn admin() -> Router<AppState> {
    Router::new()
        .route("/admin/content", get(admin::content))
        .route("/admin/mail", get(admin::mail))
        .route("/admin/sign-in", get(admin::sign_in))
        .route("/admin/sign-in/{code}", post(admin::set_sign_in))
        .route("/manage/courses", get(authoring::index))
        .route(
            "/manage/courses/upload",
            post(authoring::upload).layer(authoring::body_limit()),
        )
        .route("/manage/courses/drafts/{code}", get(authoring::draft))
        .route(
            "/manage/courses/drafts/{code}/publish",
            post(authoring::publish),
        )
        .route(
            "/manage/courses/drafts/{code}/discard",
            post(authoring::discard),
        )
        .route("/manage/courses/{code}/export.zip", get(authoring::export))
        .route("/manage/courses/{code}/versions", get(authoring::versions))
        .route("/manage/courses/{code}/renew", post(authoring::renew))
        .route(
            "/manage/courses/drafts/{code}/files.zip",
            get(authoring::draft_zip),
        )
        .merge(editor())
}

/// The course editor of 教材の管理.
fn editor() -> Router<AppState> {
    Router::new()
        .route(
            "/manage/courses/new",
            get(editor::new_page).post(editor::create),
        )
        .route("/manage/courses/{code}/edit", post(editor::edit_current))
        .route(
            "/manage/courses/drafts/{code}/edit",
            get(editor::edit).post(editor::save_course),
        )
        .route(
            "/manage/courses/drafts/{code}/sections",
            post(editor::add_section),
        )
        .route(
            "/manage/courses/drafts/{code}/sections/{slug}",
            get(editor::section)
                .post(editor::save_section)
                .layer(authoring::body_limit()),
        )
        .route(
            "/manage/courses/drafts/{code}/sections/{slug}/remove",
            post(editor::remove_section),
        )
        .route(
            "/manage/courses/drafts/{code}/test",
            post(editor::save_test),
        )
        .route(
            "/manage/courses/drafts/{code}/questions/{at}",
            get(editor::question).post(editor::save_question),
        )
        .route(
            "/manage/courses/drafts/{code}/questions/{at}/remove",
            post(editor::remove_question),
        )
        .route(
            "/manage/courses/drafts/{code}/preview",
            post(editor::preview),
        )
        .route("/media/{sha256}", get(authoring::media))
}
