//! The fiscal year a handler works in, as extractors: `Year` for pages that show any year
//! (`?fy=2025`, else the current one in Japan), `ThisYear` for pages and commands that work in
//! the current year only.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kenshu_core::FiscalYear;

/// The year asked for with `?fy=`, or the current one (also for a value that is not a year).
#[derive(Debug, Clone, Copy)]
pub struct Year(pub FiscalYear);

/// The current fiscal year in Japan, whatever the request says.
#[derive(Debug, Clone, Copy)]
pub struct ThisYear(pub FiscalYear);

impl<S: Send + Sync> FromRequestParts<S> for Year {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let asked = parts.uri.query().and_then(|q| {
            form_urlencoded_pairs(q)
                .find(|(k, _)| k == "fy")
                .map(|(_, v)| v)
        });
        Ok(Year(crate::page::fiscal_year(asked.as_deref())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ThisYear {
    type Rejection = Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ThisYear(crate::page::fiscal_year(None)))
    }
}

/// The query's pairs, decoded; a query that does not parse has none.
fn form_urlencoded_pairs(q: &str) -> impl Iterator<Item = (String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .unwrap_or_default()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn asked(uri: &str) -> FiscalYear {
        let (mut parts, ()) = axum::http::Request::get(uri)
            .body(())
            .unwrap_or_else(|e| panic!("{e}"))
            .into_parts();
        let Ok(Year(fy)) = Year::from_request_parts(&mut parts, &()).await;
        fy
    }

    #[tokio::test]
    async fn the_year_is_the_one_asked_for_or_else_the_current_one() {
        let current = FiscalYear::of(kenshu_core::japan_today());
        assert_eq!(
            Some(asked("/plans?fy=2024").await),
            FiscalYear::parse("2024")
        );
        assert_eq!(
            Some(asked("/reports?format=csv&fy=2031").await),
            FiscalYear::parse("2031")
        );
        assert_eq!(asked("/plans").await, current);
        assert_eq!(asked("/plans?fy=next").await, current);
        assert_eq!(asked("/plans?fy").await, current);
        assert_eq!(asked("/plans?%zz").await, current);
    }
}
