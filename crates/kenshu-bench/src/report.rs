//! The summary printed at the end, with the targets.

use crate::load::PhaseResult;
use crate::server::mb;
use crate::{Args, cpu, probe};

pub struct Figures {
    pub section: PhaseResult,
    pub section_cpu: cpu::Usage,
    /// The section page with the compression browsers ask for.
    pub compressed: PhaseResult,
    pub compressed_cpu: cpu::Usage,
    pub submit: PhaseResult,
    pub submit_cpu: cpu::Usage,
    pub my: PhaseResult,
    pub my_cpu: cpu::Usage,
    /// A static file without a session through the same server and load generator.
    pub ceiling: PhaseResult,
    pub submitted_ok: u64,
    pub stored: i64,
    pub completions: i64,
    pub rss_idle: u64,
    pub rss_signed_in: u64,
    pub rss_end: u64,
    pub hwm: u64,
    pub trips: Option<probe::Report>,
}

pub fn line(name: &str, r: &PhaseResult) -> String {
    let mut s = format!(
        "{name}: {} connections, {:.1} s: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms, errors {}",
        r.connections,
        r.elapsed.as_secs_f64(),
        r.rate(),
        r.quantile_ms(0.50),
        r.quantile_ms(0.99),
        r.max_ms(),
        r.errors()
    );
    if let Some(e) = &r.first_error {
        s.push_str(&format!(" (by status {:?}; first: {e})", r.errors));
    }
    s
}

fn mark(met: bool) -> &'static str {
    if met { "" } else { "  MISSED" }
}

pub fn print_summary(args: &Args, f: &Figures) {
    let s = &f.section;
    // Issue 12's targets on the 2-core machine.
    let section_met = s.rate() >= 15_000.0 && s.quantile_ms(0.99) < 10.0 && s.errors() == 0;
    let lost = f.submitted_ok as i64 - f.stored;
    let submit_met = f.submit.rate() >= 2500.0 && lost == 0 && f.submit.errors() == 0;
    let my_met = f.my.rate() >= 5000.0 && f.my.errors() == 0;
    let rss_met = f.hwm < 100 * 1024 * 1024;
    println!();
    println!(
        "kenshu-bench: {} connections, {} s per phase, {} accounts, db pool {}, {} cores",
        args.connections,
        args.seconds,
        args.users,
        args.db_pool,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let ratio = |r: &PhaseResult| 100.0 * r.rate() / f.ceiling.rate().max(1.0);
    println!(
        "{}   (the ceiling: the server and load generator without a session or database)",
        line("ceiling", &f.ceiling)
    );
    println!(
        "{}   (target ≥15000 req/s, p99 <10 ms; {:.0}% of the ceiling){}",
        line("section page", s),
        ratio(s),
        mark(section_met)
    );
    println!("  {}", f.section_cpu);
    println!(
        "{}   (as browsers ask: Accept-Encoding {}; {:.0}% of the plain page)",
        line("section page, compressed", &f.compressed),
        crate::load::BROWSER_ENCODINGS,
        100.0 * f.compressed.rate() / s.rate().max(1.0)
    );
    println!("  {}", f.compressed_cpu);
    println!(
        "{}, submitted_ok={} stored={} lost={}, completions={}   (target ≥2500/s, 0 lost){}",
        line("final submit", &f.submit),
        f.submitted_ok,
        f.stored,
        lost,
        f.completions,
        mark(submit_met)
    );
    println!("  {}", f.submit_cpu);
    println!(
        "{}   (target ≥5000 req/s; {:.0}% of the ceiling){}",
        line("/my", &f.my),
        ratio(&f.my),
        mark(my_met)
    );
    println!("  {}", f.my_cpu);
    println!(
        "server peak RSS: {:.1} MB (VmHWM; idle {:.1} MB, after sign-ins {:.1} MB, section load {:.1} MB, submit load {:.1} MB, at end {:.1} MB)   (target <100 MB){}",
        mb(f.hwm),
        mb(f.rss_idle),
        mb(f.rss_signed_in),
        mb(f.section.peak_rss),
        mb(f.submit.peak_rss),
        mb(f.rss_end),
        mark(rss_met)
    );
    match &f.trips {
        Some(t) => println!(
            "round trips: section page {}, final submit {}   (statements {} and {}; pool pings {} and {}; first section page on a fresh connection {})",
            t.section_page.round_trips,
            t.final_submit.round_trips,
            t.section_page.statements,
            t.final_submit.statements,
            t.section_page.pings,
            t.final_submit.pings,
            t.section_page_cold.round_trips
        ),
        None => println!("round trips: not measured (the probe failed)"),
    }
}
