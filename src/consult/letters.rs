//! Letters of the consultation (being written).
