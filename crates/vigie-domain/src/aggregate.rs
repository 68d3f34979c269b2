//! Joint analysis: statistics of one field (or of the ratio of two fields) over a collective's
//! places, per group (an arrondissement, an option of a choice field, or all places).
//!
//! Missing is not zero: a place without a value is counted among the group's `objects` and
//! left out of every statistic, so a reader sees how many places the numbers stand on.
//!
//! For a ratio `a ÷ b`, the group's [`GroupStats::ratio`] is **the ratio of the sums**,
//! `sum(a) / sum(b)` over the places that have both values (e.g. all ATSEM of an arrondissement
//! divided by all its nursery pupils), which weighs each place by its size; `mean`, `median`,
//! `min` and `max` are those of each place's own ratio `a / b` (places with `b = 0` have no
//! ratio).

use std::collections::BTreeMap;

use serde::Serialize;

/// What one place brings to an aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Its group (`None`: the place has no value for the grouping).
    pub group: Option<String>,
    /// The field's value (`None`: no accepted value).
    pub value: Option<f64>,
    /// The divisor field's value, for a ratio.
    pub over: Option<f64>,
}

/// The statistics of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    /// The group's key (`None`: places without a value for the grouping).
    pub group: Option<String>,
    /// Places in the group.
    pub objects: u64,
    /// Places with a value (for a ratio: with both values and a non-zero divisor).
    pub objects_with_value: u64,
    /// How many values the statistics stand on (equal to `objects_with_value`).
    pub count: u64,
    /// Sum of the values (for a ratio: of the dividends).
    pub sum: Option<f64>,
    /// Sum of the divisors, for a ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum_over: Option<f64>,
    /// `sum / sum_over`, for a ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// Mean of the values (for a ratio: of each place's ratio).
    pub mean: Option<f64>,
    /// Median of the values (the mean of the two middle ones for an even count).
    pub median: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// The median of values sorted in increasing order.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    })
}

#[derive(Default)]
struct Acc {
    objects: u64,
    values: Vec<f64>,
    sum: f64,
    sum_over: f64,
}

/// Statistics per group, groups in order of their keys (places without a group last), and
/// the whole set (`group: None` in the second value). `ratio`: whether the observations are
/// of `value ÷ over`.
pub fn aggregate(
    observations: impl IntoIterator<Item = Observation>,
    ratio: bool,
) -> (Vec<GroupStats>, GroupStats) {
    let mut groups: BTreeMap<Option<String>, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for o in observations {
        let acc = groups.entry(o.group).or_default();
        for acc in [acc, &mut total] {
            acc.objects += 1;
            if ratio {
                if let (Some(a), Some(b)) = (o.value, o.over)
                    && b != 0.0
                {
                    acc.values.push(a / b);
                    acc.sum += a;
                    acc.sum_over += b;
                }
            } else if let Some(a) = o.value {
                acc.values.push(a);
                acc.sum += a;
            }
        }
    }
    let stats = |group: Option<String>, mut acc: Acc| {
        acc.values.sort_by(f64::total_cmp);
        let n = acc.values.len();
        let some = n > 0;
        #[allow(clippy::cast_precision_loss)]
        GroupStats {
            group,
            objects: acc.objects,
            objects_with_value: n as u64,
            count: n as u64,
            sum: some.then_some(acc.sum),
            sum_over: (ratio && some).then_some(acc.sum_over),
            ratio: (ratio && some && acc.sum_over != 0.0).then(|| acc.sum / acc.sum_over),
            mean: some.then(|| acc.values.iter().sum::<f64>() / n as f64),
            median: median(&acc.values),
            min: acc.values.first().copied(),
            max: acc.values.last().copied(),
        }
    };
    // `None` sorts first in a BTreeMap; places without a group are shown last.
    let mut out: Vec<GroupStats> = Vec::with_capacity(groups.len());
    let mut ungrouped = None;
    for (g, acc) in groups {
        if g.is_none() {
            ungrouped = Some(stats(None, acc));
        } else {
            out.push(stats(g, acc));
        }
    }
    out.extend(ungrouped);
    (out, stats(None, total))
}

/// How places are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// One group of every place.
    All,
    /// By the official INSEE code of the place's commune — in Marseille, Lyon and Paris the
    /// arrondissement's (13201…13216).
    Arrondissement,
    /// By the option of a choice (or yes/no) field of the type.
    Field(String),
}

impl Grouping {
    /// From the `group` parameter: `all` (default), `arrondissement`, or a field's key.
    pub fn parse(s: Option<&str>) -> Self {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("all") => Self::All,
            Some("arrondissement" | "insee_code") => Self::Arrondissement,
            Some(field) => Self::Field(field.to_owned()),
        }
    }

    /// Its name in a URL.
    pub fn as_str(&self) -> &str {
        match self {
            Self::All => "all",
            Self::Arrondissement => "arrondissement",
            Self::Field(f) => f,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn o(group: &str, value: Option<f64>, over: Option<f64>) -> Observation {
        Observation {
            group: (!group.is_empty()).then(|| group.to_owned()),
            value,
            over,
        }
    }

    #[test]
    fn missing_is_not_zero() {
        let (groups, total) = aggregate(
            [
                o("13201", Some(4.0), None),
                o("13201", None, None),
                o("13201", Some(1.0), None),
                o("13202", Some(2.0), None),
                o("", Some(10.0), None),
            ],
            false,
        );
        assert_eq!(groups.len(), 3);
        let a = &groups[0];
        assert_eq!(a.group.as_deref(), Some("13201"));
        assert_eq!((a.objects, a.objects_with_value), (3, 2));
        assert_eq!(
            (a.sum, a.mean, a.median, a.min, a.max),
            (Some(5.0), Some(2.5), Some(2.5), Some(1.0), Some(4.0))
        );
        assert_eq!(groups[2].group, None);
        assert_eq!((total.objects, total.count), (5, 4));
        assert_eq!(total.median, Some(3.0));
    }

    #[test]
    fn a_ratio_is_the_ratio_of_the_sums() {
        let (groups, _) = aggregate(
            [
                o("x", Some(2.0), Some(50.0)),
                o("x", Some(1.0), Some(10.0)),
                o("x", Some(1.0), None),
                o("x", Some(1.0), Some(0.0)),
            ],
            true,
        );
        let g = &groups[0];
        assert_eq!((g.objects, g.objects_with_value), (4, 2));
        assert_eq!((g.sum, g.sum_over), (Some(3.0), Some(60.0)));
        assert_eq!(g.ratio, Some(0.05));
        assert_eq!(g.mean, Some((0.04 + 0.1) / 2.0));
        assert_eq!((g.min, g.max), (Some(0.04), Some(0.1)));
    }

    #[test]
    fn an_empty_group_has_no_statistics() {
        let (groups, total) = aggregate([o("a", None, None)], false);
        assert_eq!(groups[0].count, 0);
        assert_eq!(groups[0].mean, None);
        assert_eq!(total.sum, None);
        assert_eq!(
            Grouping::parse(Some("arrondissement")),
            Grouping::Arrondissement
        );
        assert_eq!(Grouping::parse(None), Grouping::All);
    }
}
