//! The chief officer's (and the audit officer's) overview of the institution for a fiscal
//! year: per division the targets and where they stand, the protection officers, a link down
//! to the division's dashboard, and a chart of completions over the year drawn on the server.
//!
//! The counts are kept in PostgreSQL and brought up to date on each request
//! (`kenshu_db::overview::refresh`), so every instance shows the same, current figures; the
//! keeper (`kenshu_app::keeper`) does most of that work in the background.

use std::collections::HashMap;

use askama::Template;
use axum::response::Response;
use kenshu_core::FiscalYear;
use kenshu_db::overview::Tally;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AppError;
use crate::lang::t;
use crate::page::{Chrome, jtime, render};
use crate::policy::Action;
use crate::session::{Conn, CurrentUser};
use crate::year::Year;
use kenshu_core::i18n::Catalogue;

/// One line of the table: a division, or the institution's total, with its figures as
/// (class, text) in the order of `kenshu_core::report::figures_headers`: the figures and the
/// words of the annual report's summary.
pub struct Line {
    pub code: String,
    pub name: String,
    pub officers: String,
    pub figures: Vec<(&'static str, String)>,
}

/// The cells' classes, in `figures_headers` order.
const CLASSES: [&str; 8] = [
    "people",
    "assignments",
    "completed",
    "in-person",
    "overdue",
    "exempt",
    "pending",
    "rate",
];

fn figures(t: &Tally) -> Vec<(&'static str, String)> {
    CLASSES
        .into_iter()
        .zip(t.totals("", "").figures())
        .collect()
}

/// One month of the chart and of its table.
pub struct Month {
    pub label: String,
    pub n: i64,
    pub cumulative: i64,
    pub share: String,
    pub x: i64,
    pub y: i64,
}

/// The chart's geometry, computed here so that the template only places elements.
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub bottom: i64,
    pub points: String,
    pub ticks: Vec<(i64, String)>,
    pub total_y: i64,
    pub desc: String,
}

#[derive(Template)]
#[template(path = "overview/index.html")]
struct OverviewPage {
    chrome: Chrome,
    t: &'static Catalogue,
    fy: FiscalYear,
    fy_label: String,
    years: Vec<(i32, String)>,
    headers: [&'static str; 8],
    planned: bool,
    assignments: i64,
    lines: Vec<Line>,
    total: Line,
    months: Vec<Month>,
    chart: Chart,
    counted_at: String,
    /// The required rules' counts by division (required, acknowledged, overdue, pending) and
    /// the total; empty when the plan requires no rules.
    rules: Vec<RuleLine>,
}

/// One division's (or the total's) counts of the required rules.
pub struct RuleLine {
    pub code: String,
    pub name: String,
    pub required: u64,
    pub acknowledged: u64,
    pub overdue: u64,
    pub pending: u64,
}

pub async fn index(
    user: CurrentUser,
    Year(fy): Year,
    Conn(mut conn): Conn,
) -> Result<Response, AppError> {
    user.require(Action::ViewOverview)?;
    let inst = user.session.institution_id;
    let today = kenshu_core::japan_today();
    let divisions = kenshu_db::institution::divisions(&mut conn, inst).await?;
    let on = fy.judged_on(today);
    let overview = kenshu_db::overview::overview(&mut conn, inst, fy, today).await?;
    let mut officers: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (division, name) in kenshu_db::overview::protection_officers(&mut conn, inst, on).await? {
        officers.entry(division).or_default().push(name);
    }
    let tallies: HashMap<Uuid, Tally> = overview.divisions.iter().copied().collect();
    // The rules (規程) the plan requires: counted afresh on each request (the plan, and only
    // when it requires rules, everyone's facts and acknowledgements).
    let rule_counts = kenshu_app::rules::counts_by_division(&mut conn, inst, fy, today).await?;
    let mut rules = Vec::new();
    if !rule_counts.is_empty() {
        let mut total = kenshu_app::rules::RuleCounts::default();
        for d in &divisions {
            let c = rule_counts.get(&d.id).cloned().unwrap_or_default();
            total.required += c.required;
            total.acknowledged += c.acknowledged;
            total.overdue += c.overdue;
            rules.push(RuleLine {
                code: d.code.clone(),
                name: d.name.clone(),
                required: c.required,
                acknowledged: c.acknowledged,
                overdue: c.overdue,
                pending: c.pending(),
            });
        }
        rules.push(RuleLine {
            code: String::new(),
            name: t().overview_total.into(),
            required: total.required,
            acknowledged: total.acknowledged,
            overdue: total.overdue,
            pending: total.pending(),
        });
    }
    let mut sum = Tally::default();
    let lines: Vec<Line> = divisions
        .into_iter()
        .map(|d| {
            let t = tallies.get(&d.id).copied().unwrap_or_default();
            sum.add(&t);
            Line {
                officers: officers
                    .remove(&d.id)
                    .unwrap_or_default()
                    .join(crate::lang::t().list_sep),
                figures: figures(&t),
                code: d.code,
                name: d.name,
            }
        })
        .collect();
    let (months, chart) = chart(fy, today, &overview.by_month, sum.assignments);
    let current = FiscalYear::of(today).year();
    let years = (current - 4..=current + 1)
        .rev()
        .chain((fy.year() < current - 4 || fy.year() > current + 1).then_some(fy.year()))
        .map(|y| (y, crate::lang::t().fy_label(FiscalYear::stored(y))))
        .collect();
    render(&OverviewPage {
        chrome: Chrome::for_user(&user, t().overview_title),
        t: t(),
        fy,
        fy_label: crate::lang::t().fy_label(fy),
        years,
        headers: kenshu_core::report::figures_headers(t()),
        planned: sum.assignments > 0,
        assignments: sum.assignments,
        lines,
        total: Line {
            code: String::new(),
            name: t().overview_total.into(),
            officers: String::new(),
            figures: figures(&sum),
        },
        months,
        chart,
        counted_at: jtime(OffsetDateTime::now_utc()),
        rules,
    })
}

const MONTHS: [u8; 12] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3];

/// Cumulative completions month by month (April to March) against all assignments; months
/// still to come in the current year are left out of the line and the table.
fn chart(
    fy: FiscalYear,
    today: time::Date,
    by_month: &[i64; 12],
    total: i64,
) -> (Vec<Month>, Chart) {
    let (width, height, left, right, top, bottom) = (640, 260, 56, 16, 16, 40);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let elapsed = if today < fy.start() {
        0
    } else if today > fy.end() {
        12
    } else {
        (i64::from(today.year()) * 12 + i64::from(u8::from(today.month())))
            - (i64::from(fy.year()) * 12 + 4)
            + 1
    };
    let top_value = total.max(by_month.iter().sum::<i64>()).max(1);
    let y_of = |v: i64| top + plot_h - v * plot_h / top_value;
    let x_of = |i: i64| left + plot_w * (2 * i + 1) / 24;
    let mut cumulative = 0;
    let months: Vec<Month> = by_month
        .iter()
        .zip(MONTHS)
        .enumerate()
        .take(usize::try_from(elapsed).unwrap_or(0))
        .map(|(i, (&n, m))| {
            cumulative += n;
            let i = i64::try_from(i).unwrap_or(0);
            Month {
                label: crate::lang::t().month_name(m),
                n,
                cumulative,
                share: if total > 0 {
                    format!("{}%", cumulative * 100 / total)
                } else {
                    "—".into()
                },
                x: x_of(i),
                y: y_of(cumulative),
            }
        })
        .collect();
    let points = months
        .iter()
        .map(|m| format!("{},{}", m.x, m.y))
        .collect::<Vec<_>>()
        .join(" ");
    let ticks = MONTHS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                x_of(i64::try_from(i).unwrap_or(0)),
                crate::lang::t().month_name(*m),
            )
        })
        .collect();
    let t = crate::lang::t();
    let so_far = if months.is_empty() {
        t.overview_chart_none.to_string()
    } else {
        months
            .iter()
            .map(|m| {
                t.overview_chart_month
                    .replace("{month}", &m.label)
                    .replace("{n}", &m.cumulative.to_string())
            })
            .collect::<Vec<_>>()
            .join(t.list_sep)
    };
    let desc = t
        .overview_chart_desc
        .replace("{fy}", &t.fy_label(fy))
        .replace("{months}", &so_far)
        .replace("{total}", &total.to_string());
    let chart = Chart {
        width,
        height,
        left,
        right: width - right,
        top,
        bottom: height - bottom,
        points,
        ticks,
        total_y: y_of(total),
        desc,
    };
    (months, chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_rate_leaves_exemptions_out_and_shows_a_dash_for_nobody() {
        let t = Tally {
            people: 3,
            assignments: 9,
            completed: 5,
            in_person: 1,
            exempt: 1,
            overdue: 1,
        };
        let rate = |t: &Tally| figures(t)[7].1.clone();
        assert_eq!(
            figures(&t)[2],
            ("completed", "6".to_string()),
            "with in person"
        );
        assert_eq!(rate(&t), "75.0%");
        assert_eq!(rate(&Tally::default()), "-", "as the report writes it");
        // Rounded as the annual report rounds: 11 of 34 is 32.35…%, written 32.4%.
        let eleven_of_34 = Tally {
            assignments: 34,
            completed: 11,
            ..Tally::default()
        };
        assert_eq!(rate(&eleven_of_34), "32.4%");
        let report = kenshu_core::report::completion_rate(11, 34);
        assert_eq!(report.as_deref(), Some("32.4%"));
    }

    #[test]
    fn the_chart_stops_at_the_current_month_and_accumulates() {
        let mut by_month = [0; 12];
        by_month[0] = 2;
        by_month[2] = 3;
        let (months, chart) = chart(
            FiscalYear::of(date!(2026 - 04 - 01)),
            date!(2026 - 06 - 15),
            &by_month,
            10,
        );
        assert_eq!(months.len(), 3, "April to June");
        assert_eq!(months[2].cumulative, 5);
        assert_eq!(months[2].share, "50%");
        assert_eq!(chart.points.split(' ').count(), 3);
        assert!(chart.desc.contains("6月 5件") && chart.desc.contains("10件"));
        let (all, _) = chart_of_past_year(&by_month);
        assert_eq!(all.len(), 12);
    }

    fn chart_of_past_year(by_month: &[i64; 12]) -> (Vec<Month>, Chart) {
        chart(
            FiscalYear::of(date!(2024 - 04 - 01)),
            date!(2026 - 06 - 15),
            by_month,
            10,
        )
    }
}
