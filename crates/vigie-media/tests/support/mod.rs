//! Shared test harness.

pub mod seaweedfs;
