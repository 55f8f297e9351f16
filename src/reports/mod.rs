//! Programme monitoring for leads: aggregates only, never notes or
//! identities. Every count from 1 to 4 is shown as `"<5"`; where one cell of
//! a column is hidden and a total would reveal it, a second cell is hidden
//! too; a filtered figure is hidden when what the filter leaves out is 1 to
//! 4; periods are whole months (README, "Small numbers in reports"). Every
//! report also answers `Accept: text/csv`.

pub mod amif;
pub mod funnel;
pub mod group;
pub mod overdue;
pub mod partners;
pub mod routes;
pub mod scope;
pub mod suppress;
pub mod sustainability;
pub mod trend;
pub mod who;

use serde_json::{Map, Value};

pub use scope::Scope;
pub use suppress::{Count, THRESHOLD};

/// Rows of objects as CSV, with these columns in this order.
pub fn to_csv(columns: &[&str], rows: &[Map<String, Value>]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns)?;
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|key| match row.get(*key) {
                Some(Value::String(s)) => defuse(s),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&cells)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@`, or a tab or carriage return first) gets a leading `'`, so that it
/// stays text when a lead opens the file.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused() {
        let mut row = Map::new();
        row.insert("partner_id".into(), json!("=HYPERLINK(\"http://x\")"));
        row.insert("referrals".into(), json!(-1));
        let mut second = Map::new();
        second.insert("partner_id".into(), json!("@SUM(A1)"));
        second.insert("referrals".into(), json!("+5"));
        let text = to_csv(&["partner_id", "referrals"], &[row, second]).expect("csv");
        assert_eq!(
            text,
            "partner_id,referrals\n\"'=HYPERLINK(\"\"http://x\"\")\",-1\n'@SUM(A1),'+5\n"
        );
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_it() {
        let mut row = Map::new();
        row.insert("partner_id".into(), json!("a, b"));
        row.insert("referrals".into(), json!("<5"));
        let text = to_csv(&["partner_id", "referrals"], &[row]).expect("csv");
        assert_eq!(text, "partner_id,referrals\n\"a, b\",<5\n");
    }
}
