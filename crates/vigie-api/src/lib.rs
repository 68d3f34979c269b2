//! vigie-api
