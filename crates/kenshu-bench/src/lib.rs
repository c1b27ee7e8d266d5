//! The parts of the benchmark that the tests use too.

pub mod wire;
