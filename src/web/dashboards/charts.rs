//! The dashboards' charts: SVG drawn on the server with plotters, readable
//! without colour (every bar carries its value as text; a second series is
//! drawn hollow beside the filled first), each titled for screen readers
//! and always shown with its data table beside it (the template's part).
//!
//! A figure a report hides is drawn as the text `<5` with no bar at all:
//! the drawing never carries more than the table does.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::reports::suppress::Count;

/// One figure as a chart draws it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Value(f64),
    /// Hidden by small-cell suppression: drawn as `<5`.
    Hidden,
    /// No figure (a median over too few values): drawn as `–`.
    Missing,
}

impl Cell {
    /// From a report's JSON figure: a number, `"<5"`, or null.
    pub fn of(value: &serde_json::Value) -> Cell {
        match value {
            serde_json::Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Value),
            serde_json::Value::String(s) if s == "<5" => Cell::Hidden,
            _ => Cell::Missing,
        }
    }

    /// The figure as the chart and the table write it.
    pub fn text(&self) -> String {
        match self {
            Cell::Value(v) if v.fract() == 0.0 => format!("{v:.0}"),
            Cell::Value(v) => format!("{v:.1}"),
            Cell::Hidden => "<5".into(),
            Cell::Missing => "–".into(),
        }
    }

    /// A report's count: its number, or hidden.
    pub fn count(count: Count) -> Cell {
        match count {
            Count::Shown(n) => Cell::Value(n as f64),
            Count::Hidden => Cell::Hidden,
        }
    }

    fn bar(&self) -> Option<f64> {
        match self {
            Cell::Value(v) if *v > 0.0 => Some(*v),
            _ => None,
        }
    }
}

/// A chart ready for the page: its SVG (with `role="img"` and a `<title>`)
/// and the title again for the figure's caption.
#[derive(Debug, Clone)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub svg: String,
}

const WIDTH: u32 = 720;
const INK: RGBColor = RGBColor(0x1b, 0x1b, 0x1b);
const BRAND: RGBColor = RGBColor(0x0b, 0x4f, 0x6c);
const LINE: RGBColor = RGBColor(0x50, 0x5a, 0x5f);
const FONT: &str = "sans-serif";

/// Horizontal bars, one per row, each labelled on the left and with its
/// figure written after it; `reference` draws a marked line (a deadline,
/// say) at that value with its label.
pub fn bars(
    id: &str,
    title: &str,
    rows: &[(String, Cell)],
    reference: Option<(f64, &str)>,
) -> Chart {
    let row_height = 28;
    let top = 8;
    let height = (top + row_height * rows.len().max(1) as i32 + 24) as u32;
    let label_width = 260;
    let value_width = 70;
    let plot_width = WIDTH as i32 - label_width - value_width;
    let max = rows
        .iter()
        .filter_map(|(_, cell)| cell.bar())
        .chain(reference.map(|(v, _)| v))
        .fold(0.0_f64, f64::max);
    let scale = |v: f64| {
        if max <= 0.0 {
            0
        } else {
            ((v / max) * plot_width as f64).round() as i32
        }
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let label = TextStyle::from((FONT, 14).into_font())
            .color(&INK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let figure = TextStyle::from((FONT, 14).into_font())
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, (name, cell)) in rows.iter().enumerate() {
            let y = top + row_height * i as i32;
            let middle = y + row_height / 2;
            let _ = root.draw(&Text::new(
                name.clone(),
                (label_width - 8, middle),
                label.clone(),
            ));
            let length = cell.bar().map(scale).unwrap_or(0);
            if length > 0 {
                let _ = root.draw(&Rectangle::new(
                    [
                        (label_width, y + 4),
                        (label_width + length, y + row_height - 4),
                    ],
                    BRAND.filled(),
                ));
            }
            let _ = root.draw(&Text::new(
                cell.text(),
                (label_width + length + 6, middle),
                figure.clone(),
            ));
        }
        let bottom = top + row_height * rows.len().max(1) as i32;
        let _ = root.draw(&PathElement::new(
            vec![(label_width, top), (label_width, bottom)],
            LINE.stroke_width(1),
        ));
        if let Some((value, name)) = reference {
            let x = label_width + scale(value);
            let _ = root.draw(&PathElement::new(
                vec![(x, top), (x, bottom + 4)],
                INK.stroke_width(2),
            ));
            let _ = root.draw(&Text::new(
                name.to_owned(),
                (x, bottom + 14),
                TextStyle::from((FONT, 12).into_font())
                    .color(&INK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ));
        }
        let _ = root.present();
    }
    finish(id, title, svg)
}

/// Columns over categories (months, say) for one or two series: the first
/// filled, the second hollow with a thick outline, each column with its
/// figure above it, and a legend that names both shapes.
pub fn columns(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[(String, Vec<Cell>)],
) -> Chart {
    let height: u32 = 300;
    let (left, right, top, bottom) = (16, 16, 40, 250);
    let n = categories.len().max(1) as i32;
    let slot = (WIDTH as i32 - left - right) / n;
    let per = series.len().max(1) as i32;
    let column = ((slot - 6) / per).clamp(4, 40);
    let max = series
        .iter()
        .flat_map(|(_, cells)| cells.iter().filter_map(Cell::bar))
        .fold(0.0_f64, f64::max);
    let scale = |v: f64| {
        if max <= 0.0 {
            0
        } else {
            ((v / max) * (bottom - top - 16) as f64).round() as i32
        }
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let small = |h: HPos| {
            TextStyle::from((FONT, 11).into_font())
                .color(&INK)
                .pos(Pos::new(h, VPos::Bottom))
        };
        // The legend: a filled square, a hollow one.
        for (s, (name, _)) in series.iter().enumerate() {
            let x = left + 220 * s as i32;
            let square = [(x, 8), (x + 14, 22)];
            let _ = if s == 0 {
                root.draw(&Rectangle::new(square, BRAND.filled()))
            } else {
                root.draw(&Rectangle::new(square, INK.stroke_width(2)))
            };
            let _ = root.draw(&Text::new(
                name.clone(),
                (x + 20, 15),
                TextStyle::from((FONT, 13).into_font())
                    .color(&INK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ));
        }
        for (c, category) in categories.iter().enumerate() {
            let x0 = left + slot * c as i32 + 3;
            for (s, (_, cells)) in series.iter().enumerate() {
                let cell = cells.get(c).cloned().unwrap_or(Cell::Missing);
                let x = x0 + column * s as i32;
                let length = cell.bar().map(scale).unwrap_or(0);
                if length > 0 {
                    let rect = [(x + 1, bottom - length), (x + column - 1, bottom)];
                    let _ = if s == 0 {
                        root.draw(&Rectangle::new(rect, BRAND.filled()))
                    } else {
                        root.draw(&Rectangle::new(rect, INK.stroke_width(2)))
                    };
                }
                let _ = root.draw(&Text::new(
                    cell.text(),
                    (x + column / 2, bottom - length - 2),
                    small(HPos::Center),
                ));
            }
            let _ = root.draw(&Text::new(
                category.clone(),
                (x0 + column * per / 2, bottom + 18),
                small(HPos::Center),
            ));
        }
        let _ = root.draw(&PathElement::new(
            vec![(left, bottom), (WIDTH as i32 - right, bottom)],
            LINE.stroke_width(1),
        ));
        let _ = root.present();
    }
    finish(id, title, svg)
}

/// The SVG made an image with a title: `role="img"` and `aria-labelledby`
/// on the root, `<title>` as its first child; and scalable by the page.
fn finish(id: &str, title: &str, svg: String) -> Chart {
    let title_id = format!("{id}-title");
    let title_text = escape(title);
    // Lighter on the wire: plotters writes every element fully opaque and
    // each text on lines of its own.
    let svg = svg
        .replace(" opacity=\"1\"", "")
        .replace(">\n", ">")
        .replace("\n<", "<");
    let svg = match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => format!(
            "<svg role=\"img\" aria-labelledby=\"{title_id}\" focusable=\"false\" class=\"chart\"{}><title id=\"{title_id}\">{title_text}</title>{}",
            &svg[4..end],
            &svg[end + 1..]
        ),
        _ => svg,
    };
    Chart {
        id: id.to_owned(),
        title: title.to_owned(),
        svg,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_figure_is_drawn_as_text_and_never_as_a_bar() {
        let rows = vec![
            ("Ghana".to_owned(), Cell::Value(12.0)),
            ("Irak".to_owned(), Cell::Hidden),
        ];
        let chart = bars("c", "Doorverwijzingen", &rows, None);
        // One bar (the 12); the hidden one only as text.
        assert_eq!(chart.svg.matches("<rect").count(), 1, "{}", chart.svg);
        assert!(chart.svg.contains("&lt;5"), "{}", chart.svg);
        assert!(chart.svg.contains(">12</text>"), "{}", chart.svg);
        assert!(
            chart
                .svg
                .starts_with("<svg role=\"img\" aria-labelledby=\"c-title\"")
        );
        assert!(
            chart
                .svg
                .contains("<title id=\"c-title\">Doorverwijzingen</title>")
        );
    }

    #[test]
    fn figures_are_written_as_reports_show_them() {
        assert_eq!(Cell::of(&serde_json::json!(7)).text(), "7");
        assert_eq!(Cell::of(&serde_json::json!(2.5)).text(), "2.5");
        assert_eq!(Cell::of(&serde_json::json!("<5")).text(), "<5");
        assert_eq!(Cell::of(&serde_json::Value::Null).text(), "–");
    }
}
