//! Domain rules of Kenshu. Nothing in this crate performs I/O: it knows neither HTTP nor SQL,
//! so every rule here is tested in microseconds.

pub mod assignment;
pub mod audit;
pub mod bank;
pub mod certificate;
pub mod content;
pub mod designation;
pub mod digest;
pub mod drill;
pub mod exam;
pub mod fiscal_year;
pub mod holiday;
pub mod i18n;
pub mod in_person;
pub mod insights;
pub mod my_number;
pub mod person;
pub mod plan;
pub mod reminder;
pub mod report;
pub mod rng;
pub mod roster;
pub mod seal;
pub mod sign_in;
pub mod totp;

pub use fiscal_year::{FiscalYear, japan_today};
