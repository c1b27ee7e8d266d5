//! The use cases of Kenshu and the work it does in the background, between its interfaces
//! (the web pages in `kenshu-web`, the command line in `kenshu`) and the database
//! (`kenshu-db`). Each use case is a function that takes its inputs and a connection (or a
//! pool), returns domain results and records its audit entry; neither HTTP nor the terminal
//! appears here, so both interfaces call the same code.

pub mod audit;
pub mod auth;
pub mod designation;
pub mod digest;
pub mod directory;
pub mod drill;
pub mod editor;
pub mod exam;
pub mod follow_up;
pub mod housekeeping;
pub mod in_person;
pub mod keeper;
pub mod learning;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod package;
pub mod plan;
pub mod reminder;
pub mod report;
pub mod roster;
pub mod rules;
pub mod standing;
