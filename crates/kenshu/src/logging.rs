//! The log: to standard error, filtered by `KENSHU_LOG` (default `info,sqlx=warn`), as text
//! or, with `KENSHU_LOG_FORMAT=json`, one JSON object a line for a log collector.

use tracing_subscriber::EnvFilter;

/// The variable that chooses the format, and its values.
const FORMAT_VAR: &str = "KENSHU_LOG_FORMAT";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// The format `KENSHU_LOG_FORMAT` names (unset or empty: text).
fn format(value: Option<&str>) -> Result<Format, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(Format::Text),
        Some(v) if v.eq_ignore_ascii_case("text") => Ok(Format::Text),
        Some(v) if v.eq_ignore_ascii_case("json") => Ok(Format::Json),
        Some(v) => Err(format!(
            "{FORMAT_VAR}={v:?} is not a log format: use \"text\" (the default) or \"json\""
        )),
    }
}

/// Sets up the log for the process. An unknown `KENSHU_LOG_FORMAT` ends the process with a
/// one-line error and exit code 2 (as a wrong argument does): nothing has started yet.
pub fn init() {
    let chosen = std::env::var(FORMAT_VAR).ok();
    let format = match format(chosen.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let filter =
        EnvFilter::try_from_env("KENSHU_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        Format::Text => builder.init(),
        // Each line: timestamp, level, target, the message and fields at the top level, and
        // the innermost span (`request` with its method and route, a worker, a use case).
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_by_default_json_on_request_and_nothing_else() {
        assert_eq!(format(None), Ok(Format::Text));
        assert_eq!(format(Some("")), Ok(Format::Text));
        assert_eq!(format(Some("JSON")), Ok(Format::Json));
        assert_eq!(format(Some(" text ")), Ok(Format::Text));
        let e = format(Some("xml")).expect_err("refused");
        assert!(
            e.contains("KENSHU_LOG_FORMAT") && e.contains("\"json\""),
            "{e}"
        );
    }
}
