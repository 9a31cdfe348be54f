//! Tests for pages.
