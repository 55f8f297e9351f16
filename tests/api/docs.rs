//! The documentation stands alone and stays true: no link in the
//! repository points to a file outside it (or to none), and `docs/api.md` lists exactly the routes
//! the server answers (besides what it marks as planned).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every Markdown file of the repository (not build output).
fn markdown(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", ".git", "node_modules"].contains(&name.as_str()) {
                markdown(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The targets of `[text](target)` links and of `` `../x` `` paths.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            found.push(rest[..end].to_owned());
        }
    }
    for part in text.split('`').skip(1).step_by(2) {
        if part.starts_with("../") {
            found.push(part.to_owned());
        }
    }
    found
}

#[test]
fn no_link_in_the_repository_points_outside_it() {
    let root = root().canonicalize().expect("root");
    let mut files = Vec::new();
    markdown(&root, &mut files);
    assert!(files.len() >= 6, "{files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("text");
        for link in links(&text) {
            // Addresses on the web (public standards, the local server)
            // are not files; every other link must be one in here.
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with('#')
                || link.starts_with("mailto:")
            {
                continue;
            }
            let path = link.split('#').next().unwrap_or_default();
            let target = file.parent().expect("a folder").join(path);
            match target.canonicalize() {
                Ok(real) if real.starts_with(&root) => {}
                _ => broken.push(format!("{}: {link}", file.display())),
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links out of the repository or to nothing: {broken:#?}"
    );
}

/// Every `METHOD /path` (or `GET/PUT /path`) in the first column of a
/// table row.
fn routes_in(table: &str) -> BTreeSet<(String, String)> {
    const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    let mut found = BTreeSet::new();
    for line in table.lines() {
        let Some(first) = line.strip_prefix('|').and_then(|l| l.split('|').next()) else {
            continue;
        };
        for span in first.split('`').skip(1).step_by(2) {
            let Some((methods, path)) = span.split_once(' ') else {
                continue;
            };
            for method in methods.split('/').filter(|m| METHODS.contains(m)) {
                found.insert((method.to_owned(), path.to_owned()));
            }
        }
    }
    found
}

#[test]
fn the_api_guide_lists_exactly_the_routes_the_server_answers() {
    let guide = std::fs::read_to_string(root().join("docs/api.md")).expect("docs/api.md");
    let (built, planned) = guide
        .split_once("## Planned")
        .expect("a planned section last");
    let listed = routes_in(built);
    let mut served: BTreeSet<(String, String)> = brug::startup::routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    // The metrics listener's one route (`metrics_addr`).
    served.insert(("GET".to_owned(), brug::metrics::routes::PATH.to_owned()));
    let missing: Vec<_> = served.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "served but not in docs/api.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "in docs/api.md but not served: {unknown:?}"
    );
    // What is planned is not answered yet; once it is, it moves up.
    let planned = routes_in(planned);
    assert!(planned.len() >= 4, "{planned:?}");
    assert!(
        planned.contains(&("GET".to_owned(), "/api/v1/documents/{id}".to_owned())),
        "{planned:?}"
    );
    for (method, path) in planned {
        assert!(
            !served.contains(&(method.clone(), path.clone())),
            "{method} {path} is served: list it above the planned section"
        );
    }
}
