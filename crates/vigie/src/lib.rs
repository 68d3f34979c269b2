//! vigie
