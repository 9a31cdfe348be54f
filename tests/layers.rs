//! The house's layers, read from the source: every `crate::`, `super::`
//! and `self::` path (in `use` lines and inline) is resolved to the file it
//! names, and the imports must run one way:
//!
//! main → `app` → `http` (route tables, middleware) → faces (`api.rs`,
//! `pages.rs`) → `web` (the face kit) and `state` → concept cores (`mod.rs`
//! rules, `store.rs` SQL, …) → shared modules (`db`, `calendar`, `error`, …).
//!
//! Nothing imports a file of a higher layer, no two files import each other
//! (directly or round a circle), the page kit imports no concept, and rooms
//! (a concept's core, a concept's faces, each other module) form no circle
//! but those the domain makes, listed in [`DOMAIN_CYCLES`]. Test modules
//! (`#[cfg(test)] mod tests`, last in a file) are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Shared modules: below every concept; they import only each other.
const SHARED: &[&str] = &[
    "calendar.rs",
    "clock.rs",
    "config.rs",
    "db.rs",
    "email.rs",
    "error.rs",
    "figures.rs",
    "labels.rs",
    "mail/mod.rs",
    "paging.rs",
    "random.rs",
    "spreadsheet.rs",
    "text.rs",
    "topics.rs",
];

/// Circles between concept cores that the domain itself makes (a meeting
/// advances countermeasures and a countermeasure names its meeting; a ward
/// has members and a member belongs to a ward). Only core files may close
/// them.
const DOMAIN_CYCLES: &[&[&str]] = &[&["countermeasures", "meetings"], &["members", "wards"]];

/// A file's layer, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Shared,
    Core,
    Kit,
    Face,
    Http,
    App,
}

fn layer(file: &str) -> Layer {
    let name = file.rsplit('/').next().unwrap_or(file);
    if file == "app.rs" || file == "main.rs" || file == "lib.rs" {
        Layer::App
    } else if file.starts_with("http/") {
        Layer::Http
    } else if name == "api.rs" || name == "pages.rs" {
        Layer::Face
    } else if file.starts_with("web/") || file == "state.rs" {
        Layer::Kit
    } else if SHARED.contains(&file) {
        Layer::Shared
    } else {
        Layer::Core
    }
}

/// The room a file is in: its top-level module, with a concept's faces a
/// room of their own.
fn room(file: &str) -> String {
    let top = file
        .split('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".rs");
    if layer(file) == Layer::Face {
        format!("{top} (faces)")
    } else {
        top.to_string()
    }
}

// ---------------------------------------------------------------------------
// Reading the source

/// Every `.rs` file under `dir`, by its path relative to `root`.
fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            read_tree(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, std::fs::read_to_string(&path).expect("read file"));
        }
    }
}

/// The code without comments, string and char literals (blanked), and
/// without the trailing test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(prev(&chars, i))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime (kept).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev(chars: &[char], i: usize) -> char {
    if i == 0 { ' ' } else { chars[i - 1] }
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_string()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut out = Vec::new();
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        if part == "self" {
            out.push(prefix.to_string());
        } else {
            for p in expand(part) {
                out.push(if prefix.is_empty() {
                    p
                } else {
                    format!("{prefix}::{p}")
                });
            }
        }
    }
    out
}

/// Every path the code names: `use` trees expanded, and inline
/// `crate::…`, `super::…`, `self::…` chains.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(at) = code[i..].find("use ") {
        let start = i + at;
        i = start + 4;
        if start > 0 && ident_char(bytes[start - 1] as char) {
            continue;
        }
        if let Some(end) = code[i..].find(';') {
            let tree: String = code[i..i + end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            paths.extend(expand(&tree));
        }
    }
    for root in ["crate::", "super::", "self::"] {
        let mut i = 0;
        while let Some(at) = code[i..].find(root) {
            let start = i + at;
            i = start + root.len();
            // Not the tail of a longer path (`a::self::`), nor of a name.
            let after_path = start > 1 && &bytes[start - 2..start] == b"::" && root != "super::";
            if start > 0 && ident_char(bytes[start - 1] as char) || after_path {
                continue;
            }
            let mut end = start;
            while end < code.len() {
                let rest = &code[end..];
                if rest.starts_with("::") && rest[2..].starts_with(|c: char| ident_char(c)) {
                    end += 2;
                } else if rest.starts_with(|c: char| ident_char(c)) {
                    end += 1;
                } else {
                    break;
                }
            }
            paths.push(code[start..end].to_string());
        }
    }
    paths
}

/// The module path of a file: `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file a path names: the longest prefix of it that is a module file
/// (for a path without `crate`/`self`/`super`, a submodule of `from`).
fn resolve(files: &BTreeMap<String, String>, from: &str, path: &str) -> Option<String> {
    let mut segs: Vec<String> = path.split("::").map(String::from).collect();
    let mut base = module_of(from);
    match segs.first().map(String::as_str) {
        Some("crate") => {
            segs.remove(0);
            base.clear();
        }
        Some("self") => {
            segs.remove(0);
        }
        Some("super") => {
            while segs.first().map(String::as_str) == Some("super") {
                segs.remove(0);
                base.pop();
            }
        }
        // `use child::x` names a submodule of this one, or an extern crate.
        _ => {}
    }
    let own = if matches!(path.split("::").next(), Some("crate" | "self" | "super")) {
        1
    } else {
        base.len() + 1
    };
    base.extend(segs);
    (own..=base.len()).rev().find_map(|n| {
        let stem = base[..n].join("/");
        [format!("{stem}.rs"), format!("{stem}/mod.rs")]
            .into_iter()
            .find(|f| files.contains_key(f))
    })
}

/// file → the files it imports (itself excluded).
fn imports(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    files
        .iter()
        .map(|(file, text)| {
            let targets = paths_in(&code_of(text))
                .iter()
                .filter_map(|p| resolve(files, file, p))
                .filter(|t| t != file)
                .collect();
            (file.clone(), targets)
        })
        .collect()
}

fn source() -> (BTreeMap<String, String>, BTreeMap<String, BTreeSet<String>>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    read_tree(&root, &root, &mut files);
    let graph = imports(&files);
    (files, graph)
}

/// The strongly connected parts with more than one node (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for t in w.graph.get(v).into_iter().flatten() {
            if !w.index.contains_key(t.as_str()) {
                visit(w, t);
                let l = w.low[t.as_str()].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.stack.contains(&t.as_str()) {
                let l = w.index[t.as_str()].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut part = BTreeSet::new();
            while let Some(x) = w.stack.pop() {
                part.insert(x.to_string());
                if x == v {
                    break;
                }
            }
            if part.len() > 1 {
                w.found.push(part);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}

// ---------------------------------------------------------------------------
// The rules

#[test]
fn the_reader_finds_every_kind_of_path() {
    let mut files = BTreeMap::new();
    for f in [
        "a/mod.rs",
        "a/pages/child.rs",
        "a/store.rs",
        "b.rs",
        "c/d.rs",
        "c/mod.rs",
        "e.rs",
        "f.rs",
    ] {
        files.insert(f.to_string(), String::new());
    }
    files.insert(
        "a/pages.rs".into(),
        "mod child;\npub use child::Z;\nuse serde::Deserialize;\nuse super::store;\nuse crate::{b::Thing, c::{self, d::{X, Y as Z}}};\n\
         // crate::e::in_a_comment\nfn f() { let s = \"crate::e::in_a_string\"; crate::e::call(); }\n\
         #[cfg(test)]\nmod tests { use crate::f; }\n"
            .into(),
    );
    let graph = imports(&files);
    let found: Vec<&str> = graph["a/pages.rs"].iter().map(String::as_str).collect();
    assert_eq!(
        found,
        [
            "a/pages/child.rs",
            "a/store.rs",
            "b.rs",
            "c/d.rs",
            "c/mod.rs",
            "e.rs"
        ]
    );
    let code = code_of("let a = crate::x; // crate::y\nlet c = 'x'; fn g<'a>() {} r#\"crate::z\"#");
    assert_eq!(paths_in(&code), ["crate::x"]);
}

#[test]
fn the_source_is_read_whole() {
    let (files, graph) = source();
    assert!(files.len() > 80, "{} files", files.len());
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(edges > 300, "{edges} imports");
    assert!(graph["http/routes.rs"].contains("web/auth.rs"));
    assert!(graph["app.rs"].iter().any(|t| t.starts_with("http/")));
    assert!(graph["access/mod.rs"].contains("access/actor.rs"));
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let (_, graph) = source();
    let found = circles(&graph);
    assert!(found.is_empty(), "import circles between files: {found:#?}");
}

#[test]
fn nothing_imports_a_higher_layer() {
    let (_, graph) = source();
    let up: Vec<String> = graph
        .iter()
        .flat_map(|(from, targets)| {
            targets
                .iter()
                .filter(|t| layer(t) > layer(from))
                .map(move |t| format!("{from} ({:?}) → {t} ({:?})", layer(from), layer(t)))
        })
        .collect();
    assert!(up.is_empty(), "imports up a layer:\n{}", up.join("\n"));
}

#[test]
fn the_page_kit_imports_no_concept() {
    let (_, graph) = source();
    let concepts: Vec<&String> = graph["web/page.rs"]
        .iter()
        .filter(|t| layer(t) != Layer::Shared)
        .collect();
    assert!(concepts.is_empty(), "web/page.rs imports {concepts:?}");
}

#[test]
fn rooms_form_no_circle_but_the_domains_own() {
    let (_, graph) = source();
    let mut rooms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in &graph {
        let entry = rooms.entry(room(from)).or_default();
        entry.extend(targets.iter().map(|t| room(t)).filter(|r| *r != room(from)));
    }
    for part in circles(&rooms) {
        let names: Vec<&str> = part.iter().map(String::as_str).collect();
        assert!(
            DOMAIN_CYCLES.contains(&names.as_slice()),
            "rooms in a circle: {names:?}"
        );
        // Closed by core files only.
        for (from, targets) in &graph {
            for t in targets {
                if part.contains(&room(from)) && part.contains(&room(t)) && room(from) != room(t) {
                    assert!(
                        layer(from) == Layer::Core && layer(t) == Layer::Core,
                        "{from} → {t} closes the circle {names:?} outside the cores"
                    );
                }
            }
        }
    }
}
