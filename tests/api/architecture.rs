//! The code's shape, held by tests (ARCHITECTURE.md): one way down between
//! the layers and no import circle; commands and stores that know no HTTP;
//! audit entries and events written only by commands and queries; no file
//! too long to read.
//!
//! The layer checker reads `src/**/*.rs`, drops what is under
//! `#[cfg(test)]`, and follows every `crate::`, `super::` and child-module
//! path (string literals in attributes too) to the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;

/// The layers, from the bottom. A module may name modules of its own layer
/// or of the layers below; never one above. Each area is a layer of its
/// own, in the order of the pipeline, so that areas too only look down.
/// `routes` holds every area's `routes.rs` (and `*_routes.rs`), the health
/// probes, the docs pages and, later, the pages.
const LAYERS: &[&[&str]] = &[
    &["domain", "db", "metrics"],
    &["config", "telemetry", "keys"],
    &["audit", "events", "backup"],
    &["auth"],
    &["mail"],
    &["clients"],
    &["talks"],
    &["monitoring"],
    &["webhooks"],
    &["partners"],
    &["consent"],
    &["cases"],
    &["referrals"],
    &["reports"],
    &["rights"],
    &["http"],
    &["state"],
    &["routes", "web"],
    &["mailer"],
    &["demo"],
    &["startup", "openapi", "cli"],
];

/// A module's node in the graph: its top-level module, or `routes` for the
/// files that hold handlers.
fn node_of(module: &[String]) -> Option<String> {
    let top = module.first()?;
    let is_routes = top == "health"
        || top == "routes"
        || top == "web"
        || top == "portal"
        || module
            .get(1)
            .is_some_and(|m| m == "routes" || m.ends_with("_routes"));
    Some(if is_routes {
        "routes".to_owned()
    } else {
        top.clone()
    })
}

fn layer_of(node: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&node))
}

/// A source file's module path: `src/referrals/store.rs` is
/// `referrals::store`, `src/referrals/mod.rs` is `referrals`.
fn module_of(path: &str) -> Vec<String> {
    let rel = path.trim_start_matches("src/").trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && attr.to_token_stream().to_string().contains("test")
    })
}

/// The items of a file that build outside tests.
fn shipped_tokens(source: &str) -> Result<TokenStream, String> {
    let file = syn::parse_file(source).map_err(|e| e.to_string())?;
    let mut tokens = TokenStream::new();
    for item in file.items {
        let attrs: &[syn::Attribute] = match &item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => &[],
        };
        if !is_cfg_test(attrs) {
            item.to_tokens(&mut tokens);
        }
    }
    Ok(tokens)
}

/// Resolves the paths in `tokens` that start with `crate`, `super`, `self`
/// or one of `children` (this module's own submodules) to module paths.
fn referenced(
    tokens: TokenStream,
    module: &[String],
    children: &BTreeSet<String>,
) -> Vec<Vec<String>> {
    let flat: Vec<TokenTree> = tokens.into_iter().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < flat.len() {
        match &flat[i] {
            // Doc comments may name any module.
            TokenTree::Group(group)
                if group.delimiter() == Delimiter::Bracket
                    && matches!(group.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc") =>
                {}
            TokenTree::Group(group) => {
                found.extend(referenced(group.stream(), module, children));
                // `use super::{a, b}` and `crate::{a, b}`: each name is a path.
                if group.delimiter() == Delimiter::Brace
                    && let Some(base) = path_before(&flat, i, module, children)
                {
                    for name in group.stream().into_iter().filter_map(|t| match t {
                        TokenTree::Ident(ident) => Some(ident.to_string()),
                        _ => None,
                    }) {
                        if name != "self" {
                            let mut path = base.clone();
                            path.push(name);
                            found.push(path);
                        }
                    }
                }
            }
            TokenTree::Literal(literal) => {
                // `#[serde(serialize_with = "crate::domain::utc::serialize")]`
                let text = literal.to_string();
                let mut rest = text.as_str();
                while let Some(at) = rest.find("crate::") {
                    rest = &rest[at + "crate::".len()..];
                    let path: Vec<String> = rest
                        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .next()
                        .unwrap_or_default()
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if !path.is_empty() {
                        found.push(path);
                    }
                }
            }
            TokenTree::Ident(_) => {
                let preceded_by_colons = i >= 2
                    && matches!(&flat[i - 1], TokenTree::Punct(p) if p.as_char() == ':')
                    && matches!(&flat[i - 2], TokenTree::Punct(p) if p.as_char() == ':');
                let declares = i >= 1 && matches!(&flat[i - 1], TokenTree::Ident(k) if k == "mod");
                if !preceded_by_colons
                    && !declares
                    && let Some((path, next)) = path_at(&flat, i, module, children)
                {
                    found.push(path);
                    i = next;
                    continue;
                }
            }
            TokenTree::Punct(_) => {}
        }
        i += 1;
    }
    found
}

/// The path that starts at `flat[i]`, resolved, and the index after it.
fn path_at(
    flat: &[TokenTree],
    i: usize,
    module: &[String],
    children: &BTreeSet<String>,
) -> Option<(Vec<String>, usize)> {
    let TokenTree::Ident(first) = &flat[i] else {
        return None;
    };
    let first = first.to_string();
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        // A child module only when a path follows: `store::get`, not a
        // variable that happens to share its name.
        name if children.contains(name)
            && matches!(flat.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':') =>
        {
            let mut path = module.to_vec();
            path.push(name.to_owned());
            path
        }
        _ => return None,
    };
    let mut j = i + 1;
    // `::name` segments (and more `super`s).
    while j + 2 < flat.len() + 1 {
        let colons = matches!(flat.get(j), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            && matches!(flat.get(j + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        if !colons {
            break;
        }
        match flat.get(j + 2) {
            Some(TokenTree::Ident(ident)) if ident == "super" => {
                base.pop();
                j += 3;
            }
            Some(TokenTree::Ident(ident)) => {
                base.push(ident.to_string());
                j += 3;
            }
            _ => break,
        }
    }
    if base.is_empty() {
        return None;
    }
    Some((base, j))
}

/// For a `{...}` group at `flat[i]` after `path ::`, that path.
fn path_before(
    flat: &[TokenTree],
    i: usize,
    module: &[String],
    children: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let colons = i >= 2
        && matches!(&flat[i - 1], TokenTree::Punct(p) if p.as_char() == ':')
        && matches!(&flat[i - 2], TokenTree::Punct(p) if p.as_char() == ':');
    if !colons {
        return None;
    }
    // Walk back to the path's first segment.
    let mut start = i - 2;
    while start >= 1 && matches!(&flat[start - 1], TokenTree::Ident(_)) {
        start -= 1;
        if start >= 2
            && matches!(&flat[start - 1], TokenTree::Punct(p) if p.as_char() == ':')
            && matches!(&flat[start - 2], TokenTree::Punct(p) if p.as_char() == ':')
        {
            start -= 2;
        } else {
            break;
        }
    }
    path_at(flat, start, module, children).map(|(path, _)| path)
}

/// One reference that breaks the layers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub file: String,
    pub from: String,
    pub to: String,
    pub why: String,
}

/// Checks a tree of sources (path under the crate → text).
pub fn check(files: &BTreeMap<String, String>) -> Vec<Violation> {
    let modules: BTreeSet<Vec<String>> = files.keys().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut violations = Vec::new();
    for (file, source) in files {
        let module = module_of(file);
        let Some(from) = node_of(&module) else {
            continue;
        };
        let children: BTreeSet<String> = modules
            .iter()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(&module))
            .filter_map(|m| m.last().cloned())
            .collect();
        let tokens = match shipped_tokens(source) {
            Ok(tokens) => tokens,
            Err(e) => {
                violations.push(Violation {
                    file: file.clone(),
                    from: from.clone(),
                    to: String::new(),
                    why: format!("does not parse: {e}"),
                });
                continue;
            }
        };
        for path in referenced(tokens, &module, &children) {
            let Some(to) = node_of(&path) else { continue };
            if to == from || !modules.iter().any(|m| m.first() == path.first()) {
                continue;
            }
            edges
                .entry((from.clone(), to.clone()))
                .or_insert(file.clone());
        }
    }
    for ((from, to), file) in &edges {
        match (layer_of(from), layer_of(to)) {
            (Some(a), Some(b)) if b > a => violations.push(Violation {
                file: file.clone(),
                from: from.clone(),
                to: to.clone(),
                why: "reaches up to a higher layer".to_owned(),
            }),
            (None, _) | (_, None) => violations.push(Violation {
                file: file.clone(),
                from: from.clone(),
                to: to.clone(),
                why: "names a module that is in no layer".to_owned(),
            }),
            _ => {}
        }
    }
    // Circles among modules of one layer.
    let graph: BTreeMap<&str, Vec<&str>> = edges.keys().fold(BTreeMap::new(), |mut g, (a, b)| {
        g.entry(a.as_str())
            .or_insert_with(Vec::new)
            .push(b.as_str());
        g
    });
    for start in graph.keys() {
        if let Some(circle) = circle_from(&graph, start) {
            violations.push(Violation {
                file: edges
                    .get(&(circle[0].to_owned(), circle[1].to_owned()))
                    .cloned()
                    .unwrap_or_default(),
                from: circle[0].to_owned(),
                to: circle[1].to_owned(),
                why: format!("import circle: {}", circle.join(" -> ")),
            });
        }
    }
    violations.sort();
    violations.dedup();
    violations
}

/// A path from `start` back to itself, if there is one.
fn circle_from<'a>(
    graph: &BTreeMap<&'a str, Vec<&'a str>>,
    start: &'a str,
) -> Option<Vec<&'a str>> {
    let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, vec![start])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for &next in graph.get(node).map(Vec::as_slice).unwrap_or_default() {
            if next == start {
                let mut circle = path.clone();
                circle.push(start);
                return Some(circle);
            }
            if seen.insert(next) {
                let mut longer = path.clone();
                longer.push(next);
                stack.push((next, longer));
            }
        }
    }
    None
}

fn source_tree() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeMap::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path: PathBuf = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .expect("under the crate")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
    files
}

fn fixture(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect()
}

#[test]
fn the_checker_finds_an_upward_reference_a_circle_and_nothing_in_a_clean_tree() {
    let clean = fixture(&[
        ("src/lib.rs", "pub mod db; pub mod clients; pub mod http;"),
        ("src/db/mod.rs", "pub struct DbConn;"),
        (
            "src/clients/mod.rs",
            "pub mod store; pub mod routes; pub use store::find;",
        ),
        (
            "src/clients/store.rs",
            "use crate::db::DbConn;\n#[derive(serde::Serialize)] pub struct Row { #[serde(serialize_with = \"crate::db::ser\")] at: u8 }\npub fn find(_: &DbConn) {}\n#[cfg(test)] mod tests { use crate::http::Problem; }",
        ),
        (
            "src/clients/routes.rs",
            "use super::store; use crate::http::{Problem, JsonBody};",
        ),
        (
            "src/http/mod.rs",
            "use crate::clients::store::find; pub struct Problem;",
        ),
    ]);
    assert_eq!(check(&clean), Vec::<Violation>::new());

    // A store that reaches up into `http`: named with its file.
    let mut upward = clean.clone();
    upward.insert(
        "src/clients/store.rs".into(),
        "use crate::db::DbConn; pub fn find(_: &DbConn) -> crate::http::Problem { todo!() }".into(),
    );
    let found = check(&upward);
    let up: Vec<(&str, &str, &str)> = found
        .iter()
        .filter(|v| v.why == "reaches up to a higher layer")
        .map(|v| (v.file.as_str(), v.from.as_str(), v.to.as_str()))
        .collect();
    assert_eq!(up, vec![("src/clients/store.rs", "clients", "http")]);
    // `http` names `clients` too, so the two now form a circle.
    assert!(
        found
            .iter()
            .any(|v| v.why == "import circle: clients -> http -> clients"),
        "{found:?}"
    );

    // The same, hidden in a `super::` path from the area's root, and in a
    // serde attribute's string.
    let mut hidden = clean.clone();
    hidden.insert(
        "src/clients/mod.rs".into(),
        "pub mod store; pub mod routes; pub use routes::config;".into(),
    );
    hidden.insert(
        "src/clients/store.rs".into(),
        "/// Built by `crate::startup`: docs may name any module.\n#[derive(serde::Serialize)] pub struct Row { #[serde(serialize_with = \"crate::http::ser\")] at: u8 }".into(),
    );
    let found: Vec<(String, String)> = check(&hidden).into_iter().map(|v| (v.from, v.to)).collect();
    assert!(
        found.contains(&("clients".into(), "routes".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("clients".into(), "http".into())),
        "{found:?}"
    );
    assert!(!found.iter().any(|(_, to)| to == "startup"), "{found:?}");

    // Two modules of one layer that name each other.
    let mut circle = clean.clone();
    circle.insert("src/domain/mod.rs".into(), "use crate::db::DbConn;".into());
    circle.insert(
        "src/db/mod.rs".into(),
        "pub struct DbConn; use crate::domain::Code;".into(),
    );
    let found = check(&circle);
    assert!(
        found.iter().any(|v| v.why.starts_with("import circle")),
        "{found:?}"
    );
}

#[test]
fn every_reference_points_down_the_layers_and_no_module_imports_in_a_circle() {
    let violations = check(&source_tree());
    let listed: Vec<String> = violations
        .iter()
        .map(|v| format!("{}: {} -> {}: {}", v.file, v.from, v.to, v.why))
        .collect();
    assert!(listed.is_empty(), "{}", listed.join("\n"));
}

/// Files that hold commands, audited queries and stores: the data layer and
/// the rules, which know nothing of HTTP.
fn is_command_or_store(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or_default();
    name == "store.rs"
        || name == "commands.rs"
        || name == "queries.rs"
        || file.contains("/store/")
        || file.contains("/commands/")
}

#[test]
fn commands_and_stores_know_no_http() {
    let mut offenders = Vec::new();
    for (file, source) in source_tree() {
        if !is_command_or_store(&file) {
            continue;
        }
        for word in ["actix_web", "StatusCode", "crate::http"] {
            if source.contains(word) {
                offenders.push(format!("{file} mentions {word}"));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
    assert!(
        source_tree()
            .keys()
            .filter(|f| is_command_or_store(f))
            .count()
            >= 10,
        "the commands and stores were not found"
    );
}

/// Handlers only parse, call one command or query, and render: writing an
/// audit entry or an event is the command's job.
#[test]
fn no_handler_writes_an_audit_entry_or_an_event() {
    let mut offenders = Vec::new();
    for (file, source) in source_tree() {
        let module = module_of(&file);
        if node_of(&module).as_deref() != Some("routes") {
            continue;
        }
        for word in [
            ".record(",
            "audit::store::append",
            "audit_store::append",
            "events::publish",
            "store::publish",
            "publish(",
        ] {
            if source.contains(word) {
                offenders.push(format!("{file} calls {word}"));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn no_source_file_is_longer_than_600_lines() {
    let long: Vec<String> = source_tree()
        .into_iter()
        .filter(|(file, _)| file != "src/db/schema.rs")
        .map(|(file, source)| (file, source.lines().count()))
        .filter(|(_, lines)| *lines > 600)
        .map(|(file, lines)| format!("{file}: {lines} lines"))
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
