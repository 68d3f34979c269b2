//! The joint-analysis page, `/t/{slug}/analyse`: one form (GET, so that the URL is the view
//! and can be shared) picking a type, a field or a ratio of two, a vintage and a grouping;
//! the numbers as a table (the charts' text alternative), and the same numbers drawn as a bar
//! chart per group and a line over vintages by `vigie-analysis.js` (Chart.js), which reads
//! them from the aggregates API. Without the script, the form and the table work alone.

use minijinja::{Value, context};
use poem::web::{Data, Path};
use poem::{Request, Response, handler, http::StatusCode};
use vigie_domain::ObjectTypeKey;
use vigie_domain::aggregate::GroupStats;
use vigie_http::Caller;
use vigie_services::{AggregateQuery, ServiceError};

use crate::WebState;
use crate::i18n::Lang;
use crate::page::{Page, label};

/// The statistics a chart can show.
const STATS: [&str; 7] = ["ratio", "mean", "median", "sum", "min", "max", "count"];

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// A number of the table: whole numbers without decimals, others with `decimals`.
fn cell(lang: Lang, v: Option<f64>, decimals: usize) -> String {
    v.map(|x| {
        let d = if x.fract() == 0.0 { 0 } else { decimals };
        lang.number(x, Some(d))
    })
    .unwrap_or_default()
}

/// `GET /t/:slug/analyse`
#[handler]
pub async fn analysis_page(
    req: &Request,
    state: Data<&WebState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Response {
    let page = Page::new(&state, req, caller);
    let lang = page.lang;
    let pairs = crate::map::params(req);
    let tenant = match state.services.tenant(&slug).await {
        Ok(t) => t,
        Err(e) => return page.error_page(&e),
    };
    let Some(first) = tenant.object_types.first().cloned() else {
        return page.message(StatusCode::NOT_FOUND, "not_found", true);
    };
    let ty = param(&pairs, "type")
        .and_then(|t| ObjectTypeKey::parse(t).ok())
        .filter(|t| tenant.object_types.contains(t))
        .unwrap_or(first);
    let (numbers, groupings) = match state.services.aggregate_fields(&tenant, &ty).await {
        Ok(f) => f,
        Err(e) => return page.error_page(&e),
    };
    let field = param(&pairs, "field")
        .map(str::to_owned)
        .or_else(|| numbers.first().map(|f| f.key.clone()))
        .unwrap_or_default();
    let over = param(&pairs, "over").map(str::to_owned);
    let vintage = param(&pairs, "vintage").map(str::to_owned);
    let group = param(&pairs, "group")
        .unwrap_or("arrondissement")
        .to_owned();
    let query = AggregateQuery {
        object_type: ty.as_str().to_owned(),
        field: field.clone(),
        over: over.clone(),
        vintage: vintage.clone(),
        group: Some(group.clone()),
    };
    let asked_stat = param(&pairs, "stat").filter(|s| STATS.contains(s));
    // The view's own query, as the API reads it (the page's `stat` and `lang` aside).
    let api_query = {
        let mut api_query = url::form_urlencoded::Serializer::new(String::new());
        api_query.append_pair("type", ty.as_str());
        api_query.append_pair("field", &field);
        if let Some(o) = &over {
            api_query.append_pair("over", o);
        }
        if let Some(v) = &vintage {
            api_query.append_pair("vintage", v);
        }
        api_query.append_pair("group", &group);
        api_query.finish()
    };

    let answer = state.services.aggregate(&tenant, &query).await;
    // The statistic charted: the one asked, else (or if it is a ratio's without a ratio)
    // the ratio of a ratio (a field ÷ another, or a ratio indicator), the mean of the rest.
    let is_ratio = over.is_some() || matches!(&answer, Ok(a) if a.measure == "ratio-indicator");
    let stat = asked_stat
        .filter(|s| is_ratio || *s != "ratio")
        .unwrap_or(if is_ratio { "ratio" } else { "mean" })
        .to_owned();
    let (status, error, table, vintages_available, title) = match &answer {
        Ok(a) => {
            let decimals = if a.over.is_some() { 4 } else { 2 };
            let name = |g: &GroupStats| match g.group.as_deref() {
                None => lang.t("analysis_no_group").to_owned(),
                Some(k) => a
                    .group_labels
                    .iter()
                    .find(|l| l.key == k)
                    .map_or_else(|| k.to_owned(), |l| label(lang, &l.label)),
            };
            let row = |g: &GroupStats, name: String| {
                context! {
                    name => name,
                    objects => g.objects,
                    with_value => g.objects_with_value,
                    sum => cell(lang, g.sum, 2),
                    sum_over => cell(lang, g.sum_over, 2),
                    ratio => cell(lang, g.ratio, decimals),
                    mean => cell(lang, g.mean, decimals),
                    median => cell(lang, g.median, decimals),
                    min => cell(lang, g.min, decimals),
                    max => cell(lang, g.max, decimals),
                }
            };
            let table: Vec<Value> = a
                .vintages
                .iter()
                .map(|v| {
                    let mut rows: Vec<Value> = v.groups.iter().map(|g| row(g, name(g))).collect();
                    rows.push(row(&v.total, lang.t("analysis_total").to_owned()));
                    context! {
                        vintage => &v.vintage,
                        rows => rows,
                        with_value => v.total.objects_with_value,
                        objects => v.total.objects,
                    }
                })
                .collect();
            let title = match &a.over {
                Some(o) => format!(
                    "{} ÷ {}",
                    label(lang, &a.field.label),
                    label(lang, &o.label)
                ),
                None => label(lang, &a.field.label),
            };
            (
                StatusCode::OK,
                None,
                table,
                a.vintages_available.clone(),
                title,
            )
        }
        Err(e @ ServiceError::Invalid(_)) => {
            let (status, text) = page.error(e);
            (status, Some(text), Vec::new(), Vec::new(), String::new())
        }
        Err(e) => return page.error_page(e),
    };
    let option = |key: &str, name: String, chosen: bool| {
        context! { key => key, label => name, selected => chosen }
    };
    let types: Vec<Value> = tenant
        .object_types
        .iter()
        .map(|t| option(t.as_str(), page.type_label(t.as_str()), *t == ty))
        .collect();
    let fields: Vec<Value> = numbers
        .iter()
        .map(|f| option(&f.key, label(lang, &f.label), f.key == field))
        .collect();
    let indicators: Vec<Value> = state
        .services
        .aggregate_indicators(&ty)
        .unwrap_or_default()
        .iter()
        .map(|f| option(&f.key, label(lang, &f.label), f.key == field))
        .collect();
    let overs: Vec<Value> = numbers
        .iter()
        .map(|f| {
            option(
                &f.key,
                label(lang, &f.label),
                over.as_deref() == Some(&f.key),
            )
        })
        .collect();
    let mut groups = vec![
        option(
            "all",
            lang.t("analysis_group_all").to_owned(),
            group == "all",
        ),
        option(
            "arrondissement",
            lang.t("analysis_group_arrondissement").to_owned(),
            group == "arrondissement",
        ),
    ];
    groups.extend(
        groupings
            .iter()
            .map(|f| option(&f.key, label(lang, &f.label), f.key == group)),
    );
    let vintages: Vec<Value> = vintages_available
        .iter()
        .rev()
        .map(|v| option(v, v.clone(), vintage.as_deref() == Some(v)))
        .collect();
    let mut stats = vec![option(
        "",
        lang.t("analysis_stat_auto").to_owned(),
        asked_stat.is_none(),
    )];
    stats.extend(STATS.iter().map(|s| {
        option(
            s,
            lang.t(&format!("analysis_stat_{s}")).to_owned(),
            asked_stat == Some(*s),
        )
    }));
    let base = format!("/api/v1/tenants/{}/aggregates", tenant.slug.as_str());
    page.render(
        status,
        "analysis.html",
        context! {
            tenant => page.tenant_ctx(&tenant),
            types => types, several_types => tenant.object_types.len() > 1,
            fields => fields, indicators => indicators, overs => overs, groups => groups, vintages => vintages,
            stats => stats, stat => stat, all_vintages => vintage.as_deref() == Some("all"),
            ratio => is_ratio,
            error => error, table => table, title => title,
            api => format!("{base}?{api_query}"),
            api_all => format!("{base}?{}", api_query_all(&api_query)),
            csv => format!("{base}.csv?{api_query}"),
            permalink => format!(
                "/t/{}/analyse?{api_query}{}",
                tenant.slug.as_str(),
                asked_stat.map(|s| format!("&stat={s}")).unwrap_or_default()
            ),
            csv_semicolon => format!("{base}.csv?{api_query}&sep=semicolon"),
        },
    )
}

/// The same query over every vintage (for the line chart).
fn api_query_all(query: &str) -> String {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("vintage="))
        .collect();
    format!("{}&vintage=all", kept.join("&"))
}

/// The words the page's code asks for (some built with `format!`), checked by the test.
#[cfg(test)]
const CODE_WORDS: [&str; 12] = [
    "analysis_no_group",
    "analysis_stat_auto",
    "analysis_total",
    "analysis_group_all",
    "analysis_group_arrondissement",
    "analysis_stat_ratio",
    "analysis_stat_mean",
    "analysis_stat_median",
    "analysis_stat_sum",
    "analysis_stat_min",
    "analysis_stat_max",
    "analysis_stat_count",
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_word_the_page_asks_for_exists() {
        for word in super::CODE_WORDS {
            assert!(
                crate::i18n::WORDS.iter().any(|(k, _, _)| *k == word),
                "{word} has no words"
            );
        }
    }
}
