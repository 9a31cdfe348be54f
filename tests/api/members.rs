//! Tests for members.
