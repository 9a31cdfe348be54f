//! Tests for countermeasures.
