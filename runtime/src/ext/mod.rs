//! Extensions (temporary stub until the registry lands).

pub mod stdlib;
