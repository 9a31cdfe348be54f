//! Pages: see `crate::visions::pages`.
