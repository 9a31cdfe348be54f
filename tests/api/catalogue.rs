//! Tests for catalogue.
