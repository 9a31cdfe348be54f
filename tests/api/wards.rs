//! Tests for wards.
