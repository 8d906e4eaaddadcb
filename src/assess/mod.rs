//! Assessment of a nomination: which municipality sent it, whether it keeps to the page limit,
//! what it claims under each criterion (with the sentences that say so) and the resulting
//! verdicts. Every finding is advice with its evidence; nothing here rejects a nomination, reads
//! the clock, the database or the network.
//!
//! | module | owns |
//! |---|---|
//! | [`municipality`] | the 342 municipalities (embedded) and identification of the sender |
//! | [`pages`] | which documents count for the page limit, and the page finding |
//! | [`lexicon`] | the call's word lists and thresholds (`config/calls/<call>.lexicon.toml`) |
//! | [`claims`] | sentence segmentation and claims per criterion, domain and principle |
//! | [`verdict`] | met / weak / not found per criterion, and the pre-assessment |
//! | [`eval`] | `intake eval DIR`: scores against labelled letters |

pub mod claims;
pub mod deadline;
pub mod eval;
pub mod lexicon;
pub mod municipality;
pub mod organisations;
pub mod pages;
pub mod text;
pub mod train;
pub mod verdict;
