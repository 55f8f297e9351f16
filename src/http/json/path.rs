//! Paths into a JSON value (`items[1].need`), as the error-collecting
//! parser walks and edits a body.

use serde_json::Value;

/// The place in the walk's minimal bodies that stands for `path`: a list
/// there holds one element, at index 0.
pub(super) fn shape_of(path: &[Segment]) -> String {
    let normal: Vec<Segment> = path
        .iter()
        .map(|s| match s {
            Segment::Index(_) => Segment::Index(0),
            key => key.clone(),
        })
        .collect();
    render(&normal)
}

pub(super) fn join(path: &[Segment], next: Segment) -> Vec<Segment> {
    let mut out = path.to_vec();
    out.push(next);
    out
}

pub(super) fn starts_with(path: &[Segment], prefix: &[Segment]) -> bool {
    path.len() >= prefix.len() && render(&path[..prefix.len()]) == render(prefix)
}

/// `base` with `new` at `at`; the whole of `new` when `at` is the root.
pub(super) fn with(base: &Value, at: &[Segment], new: Value) -> Option<Value> {
    if at.is_empty() {
        return Some(new);
    }
    let mut out = base.clone();
    insert(&mut out, at, new).then_some(out)
}

pub(super) fn get<'v>(value: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    let mut node = value;
    for segment in path {
        node = match (segment, node) {
            (Segment::Key(k), Value::Object(map)) => map.get(k)?,
            (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The value that holds the last segment of `path`, with that segment.
pub(super) fn parent_of<'v, 'p>(
    value: &'v mut Value,
    path: &'p [Segment],
) -> Option<(&'p Segment, &'v mut Value)> {
    let (last, parents) = path.split_last()?;
    let mut node = value;
    for segment in parents {
        node = match (segment, node) {
            (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some((last, node))
}

/// Sets the value at `path` (whose parents exist); false when it cannot.
pub(super) fn insert(value: &mut Value, path: &[Segment], new: Value) -> bool {
    let Some((last, node)) = parent_of(value, path) else {
        return false;
    };
    match (last, node) {
        (Segment::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), new);
            true
        }
        (Segment::Index(i), Value::Array(items)) if *i < items.len() => {
            items[*i] = new;
            true
        }
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

impl Segment {
    pub(super) fn from_serde(segment: &serde_path_to_error::Segment) -> Option<Self> {
        match segment {
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            _ => None,
        }
    }
}

pub(super) fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Removes the value at `path`; false when there is nothing to remove.
pub(super) fn remove(value: &mut Value, path: &[Segment]) -> bool {
    let Some((last, node)) = parent_of(value, path) else {
        return false;
    };
    match (last, node) {
        (Segment::Key(k), Value::Object(map)) => map.remove(k).is_some(),
        (Segment::Index(i), Value::Array(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}
