//! Pages of this concept (added with the web UI).
