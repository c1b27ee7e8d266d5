//! A form refused as typed: the page again, with the reason next to the field and what was
//! typed kept (answered 422), rather than a bare error page. The person page and the officer's
//! dashboard use it.

use crate::AppError;

pub struct Refused {
    /// The id of the field the reason is about.
    pub field: &'static str,
    pub reason: String,
    /// What was typed, by field id.
    pub typed: Vec<(&'static str, String)>,
}

impl Refused {
    /// The refusal an error states (a bad date, a My Number in a note); other errors stay
    /// errors. A My Number typed is not sent back either: it is masked in what was typed.
    pub fn of(
        e: AppError,
        field: &'static str,
        typed: Vec<(&'static str, String)>,
    ) -> Result<Refused, AppError> {
        let reason = match e {
            AppError::BadRequest(reason) => reason,
            AppError::Invalid { fix, .. } => fix.to_string(),
            e => return Err(e),
        };
        Ok(Refused::new(field, reason, typed))
    }

    pub fn new(field: &'static str, reason: String, typed: Vec<(&'static str, String)>) -> Self {
        Refused {
            field,
            reason,
            typed: typed
                .into_iter()
                .map(|(k, v)| (k, kenshu_core::my_number::mask_my_numbers(&v)))
                .collect(),
        }
    }
}

/// What a page with a possibly refused form asks of it in its template.
pub trait Form {
    fn refused(&self) -> Option<&Refused>;

    /// What was typed into a field of the refused form.
    fn typed(&self, id: &str) -> Option<&str> {
        self.refused()?
            .typed
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, v)| v.as_str())
    }

    /// The reason a field was refused.
    fn error_at(&self, id: &str) -> Option<&str> {
        self.refused()
            .filter(|r| r.field == id)
            .map(|r| r.reason.as_str())
    }

    /// Whether an option of a refused form's select (or a checkbox) was chosen.
    fn chose(&self, id: &str, value: &str) -> bool {
        self.refused()
            .is_some_and(|r| r.typed.iter().any(|(k, v)| *k == id && v == value))
    }
}
