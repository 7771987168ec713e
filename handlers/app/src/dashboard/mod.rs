//! The dashboard: one page (`GET /` and `/dashboard`, the `Dashboard`
//! function) and the JSON views behind it (`GET /dashboard/{view}`, the
//! `DashboardData` function).
//!
//! It owns what is shown and how: the views ([`views`]), the figures cached
//! between requests ([`cache`]), the HTML ([`page`]) and the charts, drawn as
//! SVG by the server ([`svg`]), so the page needs no script, no chart library
//! and no network beyond this app. It only reads: the store through its
//! traits, a user's list through
//! [`crate::functions::get_recommendations::recommend`] (so the page shows
//! exactly what the API answers); it must never write to the store.
//!
//! Following a request: `GET /dashboard?user=42` reaches
//! [`crate::functions::dashboard::page`], which gathers every view (the
//! store-wide ones through [`cache::DashboardCache`]) and hands them to
//! [`page::render`].

pub mod cache;
pub mod page;
pub mod svg;
pub mod views;
