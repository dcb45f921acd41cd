//! Currency and price year: the embedded table of price indices and the conversion of a cost
//! from the currency and price year of its source to the scenario's.
//!
//! Receives a cost's [`PriceBasis`] (currency, price year, country), the scenario's and a
//! [`ConversionMethod`]; hands back a [`Conversion`]: the factor and every index value it was
//! computed from, each with its source, so `params`, `explain`, the report and summary.json can
//! show the arithmetic. The validator (`validate/prices.rs`) computes the factor once per
//! parameter and scales the parameter's value, PSA distribution and DSA range by it, so the
//! model, the PSA sampler and every analysis see costs in the scenario's currency only.
//!
//! The table is `data/price_indices.csv`, a copy of `shared/evidence/price_indices.csv`
//! (columns `country,iso3,year,series,value,source`; series `cpi`, `ppp_gdp` in national
//! currency per international $, `fx_usd` in national currency per US$; 2005-2025; the sources
//! and gaps are in `shared/evidence/README.md` section 10). It is compiled into the binary and
//! read once with the `csv` crate.
//!
//! The CCEMG-EPPI-Centre method (Shemilt I, Thomas J, Morciano M 2010, "A web-based tool for
//! adjusting costs to a specific target currency and price year", Evid Policy 6:51-59):
//! inflate within the source country to the target year with its price index, then convert
//! with the purchasing power parities of the target year,
//! `factor = CPI_src[target year] / CPI_src[source year] x PPP_target[target year] / PPP_src[target year]`.
//! The market-exchange-rate alternative uses `fx_usd` in place of `ppp_gdp`. A cost already in
//! the scenario's currency and price year has the factor 1 exactly and needs no index; a cost
//! in the scenario's currency but another year is only inflated (no currency step).

use super::csv_rows::read_rows;
use crate::error::ProblemKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// The embedded price-index table (`data/price_indices.csv`).
pub const PRICE_INDICES_CSV: &str = include_str!("../../data/price_indices.csv");

/// Name of the embedded table in messages and reports.
pub const PRICE_INDICES_NAME: &str = "data/price_indices.csv (embedded; a copy of shared/evidence/price_indices.csv)";

/// ISO 4217 currency codes the table can convert, each with the country (ISO 3166 alpha-3, or
/// `EMU` for the euro area) whose indices are used when a cost or the scenario names no
/// `country`. The euro defaults to Germany: the evidence's route A (shared/evidence/README.md
/// section 10.4) converts the MSC price with German PPP, and the euro area's PPP is a derived
/// aggregate without a 2025 value. Write `country = "EMU"` (or FRA, ITA, ESP) for another.
pub const CURRENCIES: &[(&str, &str)] = &[
    ("USD", "USA"),
    ("EUR", "DEU"),
    ("GBP", "GBR"),
    ("JPY", "JPN"),
    ("CAD", "CAN"),
    ("AUD", "AUS"),
    ("CNY", "CHN"),
    ("THB", "THA"),
    ("COP", "COL"),
    ("MXN", "MEX"),
    ("TRY", "TUR"),
];

/// The currency of each country in the table.
const COUNTRY_CURRENCY: &[(&str, &str)] = &[
    ("USA", "USD"),
    ("DEU", "EUR"),
    ("FRA", "EUR"),
    ("ITA", "EUR"),
    ("ESP", "EUR"),
    ("EMU", "EUR"),
    ("GBR", "GBP"),
    ("JPN", "JPY"),
    ("CAN", "CAD"),
    ("AUS", "AUD"),
    ("CHN", "CNY"),
    ("THA", "THB"),
    ("COL", "COP"),
    ("MEX", "MXN"),
    ("TUR", "TRY"),
];

/// The currency codes, for messages.
pub fn currency_names() -> String {
    CURRENCIES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}

/// The default country of a currency code (see [`CURRENCIES`]).
pub fn default_country(currency: &str) -> Option<&'static str> {
    CURRENCIES.iter().find(|(c, _)| *c == currency).map(|(_, k)| *k)
}

/// The currency of a country code.
pub fn country_currency(country: &str) -> Option<&'static str> {
    COUNTRY_CURRENCY.iter().find(|(k, _)| *k == country).map(|(_, c)| *c)
}

/// The countries whose currency is `currency`, for messages.
fn countries_of(currency: &str) -> String {
    COUNTRY_CURRENCY.iter().filter(|(_, c)| *c == currency).map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
}

/// The country whose indices price a cost in `currency`: `country` when given (it must use that
/// currency), else the currency's default.
///
/// # Errors
/// [`ProblemKind::UnknownCurrency`] for a code the table cannot convert;
/// [`ProblemKind::PriceCountry`] for a country not in the table or with another currency.
pub fn resolve_country(currency: &str, country: Option<&str>) -> Result<String, ProblemKind> {
    let Some(default) = default_country(currency) else {
        return Err(ProblemKind::UnknownCurrency { value: currency.to_string(), known: currency_names() });
    };
    match country {
        None => Ok(default.to_string()),
        Some(k) if country_currency(k) == Some(currency) => Ok(k.to_string()),
        Some(k) => Err(ProblemKind::PriceCountry {
            country: k.to_string(),
            currency: currency.to_string(),
            known: countries_of(currency),
        }),
    }
}

/// Which indices convert between currencies (`[economics] conversion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConversionMethod {
    /// CCEMG-EPPI-Centre: source-country CPI, then PPP of the target year (the default).
    #[default]
    Ccemg,
    /// Source-country CPI, then the market exchange rate of the target year.
    ExchangeRate,
    /// Source-country GDP deflator, then PPP: the embedded table has no deflator series, so a
    /// scenario that asks for it is refused with a located problem.
    GdpDeflator,
}

impl ConversionMethod {
    /// Every method's name, for messages.
    pub const NAMES: &'static str = "ccemg, exchange_rate, gdp_deflator";

    /// Parses the name used in files.
    pub fn parse(name: &str) -> Option<ConversionMethod> {
        match name {
            "ccemg" => Some(ConversionMethod::Ccemg),
            "exchange_rate" => Some(ConversionMethod::ExchangeRate),
            "gdp_deflator" => Some(ConversionMethod::GdpDeflator),
            _ => None,
        }
    }

    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            ConversionMethod::Ccemg => "ccemg",
            ConversionMethod::ExchangeRate => "exchange_rate",
            ConversionMethod::GdpDeflator => "gdp_deflator",
        }
    }

    /// The method's short label, as in the conversion lines.
    pub fn label(self) -> &'static str {
        match self {
            ConversionMethod::Ccemg => "CCEMG-EPPI-Centre",
            ConversionMethod::ExchangeRate => "market exchange rate",
            ConversionMethod::GdpDeflator => "GDP deflator",
        }
    }

    /// The series that inflates within the source country and the one that converts currency.
    fn series(self) -> (&'static str, &'static str) {
        match self {
            ConversionMethod::Ccemg => ("cpi", "ppp_gdp"),
            ConversionMethod::ExchangeRate => ("cpi", "fx_usd"),
            ConversionMethod::GdpDeflator => ("gdp_deflator", "ppp_gdp"),
        }
    }

    /// The method in one sentence, for the report's statement (CHEERS 2022 item 15).
    pub fn in_words(self) -> &'static str {
        match self {
            ConversionMethod::Ccemg => {
                "CCEMG-EPPI-Centre method (Shemilt et al. 2010): each cost inflated to the price year with the consumer price index of its own country, then converted with the purchasing power parities (GDP, national currency per international $) of the price year"
            }
            ConversionMethod::ExchangeRate => {
                "each cost inflated to the price year with the consumer price index of its own country, then converted at the market exchange rate (national currency per US$, period average) of the price year"
            }
            ConversionMethod::GdpDeflator => {
                "each cost inflated with the GDP deflator of its own country, then converted with the purchasing power parities of the price year"
            }
        }
    }
}

/// The currency, price year and country a cost is stated in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceBasis {
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
    pub price_year: i64,
    /// ISO 3166 alpha-3 code whose indices are used (`EMU` for the euro area).
    pub country: String,
}

impl std::fmt::Display for PriceBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.currency, self.price_year, self.country)
    }
}

/// One value read from the price-index table, with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexValue {
    /// `cpi`, `ppp_gdp` or `fx_usd`.
    pub series: String,
    pub country: String,
    pub year: i64,
    pub value: f64,
    pub source: String,
}

/// How one cost was converted to the scenario's currency and price year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    /// Multiplies the value in the source's currency and year (1 exactly when nothing changes).
    pub factor: f64,
    /// The value as written, in the source's currency and price year.
    pub source_value: f64,
    pub from: PriceBasis,
    pub to: PriceBasis,
    pub method: ConversionMethod,
    /// The index values in the order of the formula: inflation (target year, then source year),
    /// then currency (target country, then source country, both in the target year).
    pub steps: Vec<IndexValue>,
}

impl Conversion {
    /// True when the cost was already in the scenario's currency and price year.
    pub fn is_identity(&self) -> bool {
        self.steps.is_empty()
    }

    /// The conversion in one line, e.g. `USD 2024 (USA) -> EUR 2013 (DEU): CPI USA 2013/2024 =
    /// 232.957/313.689 [1]; PPP 2013 DEU/USA = 0.774784/1 [2]; factor 0.575380
    /// (CCEMG-EPPI-Centre)`; the bracketed numbers index [`Conversion::sources`].
    pub fn describe(&self) -> String {
        let head = format!("{} -> {}", self.from, self.to);
        if self.is_identity() {
            return format!("{head}: same currency and price year, factor 1 (no conversion)");
        }
        format!("{head}: {}; factor {:.6} ({})", self.arithmetic(), self.factor, self.method.label())
    }

    /// The index values of the factor, e.g. `CPI USA 2013/2024 = 232.957/313.689 [1]; PPP 2013
    /// DEU/USA = 0.774784/1 [2]`; the bracketed numbers index [`Conversion::sources`].
    pub fn arithmetic(&self) -> String {
        let sources = self.sources();
        let cite = |s: &IndexValue| sources.iter().position(|x| *x == s.source).map_or(0, |k| k + 1);
        let mut parts = Vec::new();
        for pair in self.steps.chunks(2) {
            let [a, b] = pair else { continue };
            let text = if a.country == b.country {
                format!("{} {} {}/{} = {}/{}", series_label(&a.series), a.country, a.year, b.year, a.value, b.value)
            } else {
                format!("{} {} {}/{} = {}/{}", series_label(&a.series), a.year, a.country, b.country, a.value, b.value)
            };
            let refs: Vec<String> = {
                let mut r = vec![cite(a), cite(b)];
                r.dedup();
                r.iter().map(|k| format!("[{k}]")).collect()
            };
            parts.push(format!("{text} {}", refs.join("")));
        }
        parts.join("; ")
    }

    /// The distinct sources of the index values, in order of first use.
    pub fn sources(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.steps {
            if !out.contains(&s.source) {
                out.push(s.source.clone());
            }
        }
        out
    }
}

/// Every conversion of a scenario, in words: for `params`, `explain`, the report and its CHEERS
/// statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversionSummary {
    /// One sentence: the scenario's currency, price year and country, how many costs were
    /// converted and by which method, how many were already in the scenario's currency.
    pub statement: String,
    /// One line per converted cost: `NAME: 4000 USD 2024 (USA) x 0.575383 = 2301.53 EUR 2013:
    /// CPI ... [1]; PPP ... [2]`.
    pub lines: Vec<String>,
    /// The index sources cited as [1], [2], ... in `lines`.
    pub sources: Vec<String>,
}

impl ConversionSummary {
    /// The summary of `parameters` (their [`Conversion`]s) in a scenario with `economics`.
    pub fn new(parameters: &[super::Parameter], economics: Option<&super::Economics>) -> ConversionSummary {
        let Some(e) = economics else { return ConversionSummary::default() };
        let country = e
            .country
            .as_deref()
            .or_else(|| {
                parameters
                    .iter()
                    .find_map(|p| p.conversion.as_ref().filter(|c| !c.is_identity()))
                    .map(|c| c.to.country.as_str())
            })
            .map(|k| format!(" (country {k})"))
            .unwrap_or_default();
        let mut out = ConversionSummary::default();
        let (mut stated, mut converted) = (Vec::new(), 0);
        for p in parameters {
            let Some(c) = &p.conversion else { continue };
            if c.is_identity() {
                stated.push(p.name.as_str());
                continue;
            }
            converted += 1;
            for s in c.sources() {
                if !out.sources.contains(&s) {
                    out.sources.push(s);
                }
            }
            // Cite the summary's numbering, not the conversion's own.
            let mut line = c.arithmetic();
            for (k, s) in c.sources().iter().enumerate().rev() {
                let global = out.sources.iter().position(|x| x == s).map_or(0, |g| g + 1);
                line = line.replace(&format!("[{}]", k + 1), &format!("[@{global}]"));
            }
            let line = line.replace("[@", "[");
            out.lines.push(format!(
                "{}: {} {} -> {} {} {} (country {}) = {} x {:.6}: {line} ({})",
                p.name,
                c.source_value,
                c.from,
                round_money(p.value),
                c.to.currency,
                c.to.price_year,
                c.to.country,
                c.source_value,
                c.factor,
                c.method.label()
            ));
        }
        let mut statement = format!("Costs are in {} at {} prices{country}.", e.currency, e.price_year);
        if converted > 0 {
            statement.push_str(&format!(
                " {converted} cost{} stated in another currency or price year {} converted by the {}; the index values come from the price table {PRICE_INDICES_NAME} and are shown with their sources.",
                if converted == 1 { "" } else { "s" },
                if converted == 1 { "is" } else { "are" },
                e.conversion.in_words()
            ));
        } else {
            statement.push_str(" No cost is converted between currencies or price years.");
        }
        if !stated.is_empty() {
            statement.push_str(&format!(
                " Stated by their sources in {} {} (factor 1): {}.",
                e.currency,
                e.price_year,
                stated.join(", ")
            ));
        }
        statement
            .push_str(&format!(" Costs without a stated currency are taken to be in {} {}.", e.currency, e.price_year));
        out.statement = statement;
        out
    }
}

/// A converted amount to the cent.
fn round_money(x: f64) -> String {
    format!("{x:.2}")
}

/// The series' name in conversion lines.
fn series_label(series: &str) -> &str {
    match series {
        "cpi" => "CPI",
        "ppp_gdp" => "PPP",
        "fx_usd" => "exchange rate",
        other => other,
    }
}

/// The price-index table: value and source of each (country, series, year).
struct PriceTable {
    values: HashMap<(String, String, i64), (f64, usize)>,
    sources: Vec<String>,
    /// First and last year of each (country, series).
    spans: BTreeMap<(String, String), (i64, i64)>,
    /// First and last year of the whole table.
    years: (i64, i64),
}

/// The embedded table, read once.
fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    // The table is compiled in and read by a unit test, so it cannot fail here.
    TABLE.get_or_init(|| read_table(PRICE_INDICES_NAME, PRICE_INDICES_CSV).expect("the embedded price table reads"))
}

/// Reads a table with the columns of `data/price_indices.csv`.
fn read_table(name: &str, text: &str) -> crate::Result<PriceTable> {
    let mut t =
        PriceTable { values: HashMap::new(), sources: Vec::new(), spans: BTreeMap::new(), years: (i64::MAX, i64::MIN) };
    for row in read_rows(name, text, "iso3,year,series,value,source")? {
        let country = row.required_text("iso3")?.to_string();
        let series = row.required_text("series")?.to_string();
        let year = row.required_number("year")? as i64;
        let value = row.required_number("value")?;
        let source = row.required_text("source")?.to_string();
        let k = match t.sources.iter().position(|s| *s == source) {
            Some(k) => k,
            None => {
                t.sources.push(source);
                t.sources.len() - 1
            }
        };
        let span = t.spans.entry((country.clone(), series.clone())).or_insert((year, year));
        *span = (span.0.min(year), span.1.max(year));
        t.years = (t.years.0.min(year), t.years.1.max(year));
        t.values.insert((country, series, year), (value, k));
    }
    Ok(t)
}

/// The first and last year of the embedded table.
pub fn table_years() -> (i64, i64) {
    table().years
}

/// True when the embedded table has `series` for some country.
pub fn has_series(series: &str) -> bool {
    table().spans.keys().any(|(_, s)| s == series)
}

/// One index value.
///
/// # Errors
/// [`ProblemKind::PriceIndexMissing`] naming the series, country and year, and the years the
/// table has for that country and series.
fn index(series: &str, country: &str, year: i64) -> Result<IndexValue, ProblemKind> {
    let t = table();
    match t.values.get(&(country.to_string(), series.to_string(), year)) {
        Some(&(value, k)) => Ok(IndexValue {
            series: series.to_string(),
            country: country.to_string(),
            year,
            value,
            source: t.sources[k].clone(),
        }),
        None => {
            let has = match t.spans.get(&(country.to_string(), series.to_string())) {
                Some((a, b)) => format!("{a}-{b}"),
                None => "no years".to_string(),
            };
            Err(ProblemKind::PriceIndexMissing { series: series.to_string(), country: country.to_string(), year, has })
        }
    }
}

/// The conversion of a cost stated in `from` to `to` by `method`.
///
/// Same currency and price year: factor 1 exactly, no index read. Same currency, another year:
/// inflation only. Otherwise inflation within the source country to the target year, then the
/// currency step of the target year (PPP or exchange rate, target over source country).
///
/// # Errors
/// [`ProblemKind::PriceYearOutsideTable`] for a year the table does not cover,
/// [`ProblemKind::PriceSeriesMissing`] for `gdp_deflator`, [`ProblemKind::PriceIndexMissing`]
/// for a gap in a series (e.g. UK CPI before 2012, euro-area PPP for 2025).
///
/// # Examples
/// ```
/// use cirrhosim::scenario::prices::{convert, ConversionMethod, PriceBasis};
/// let usd = PriceBasis { currency: "USD".into(), price_year: 2024, country: "USA".into() };
/// let eur = PriceBasis { currency: "EUR".into(), price_year: 2013, country: "DEU".into() };
/// let c = convert(&usd, &eur, ConversionMethod::Ccemg).unwrap();
/// // 232.957 / 313.689 x 0.774784 / 1 (shared/evidence/README.md section 10.4).
/// assert!((c.factor - 0.5753831).abs() < 1e-6);
/// assert_eq!(convert(&eur, &eur, ConversionMethod::Ccemg).unwrap().factor, 1.0);
/// ```
pub fn convert(from: &PriceBasis, to: &PriceBasis, method: ConversionMethod) -> Result<Conversion, ProblemKind> {
    let mut conversion = Conversion {
        factor: 1.0,
        source_value: f64::NAN,
        from: from.clone(),
        to: to.clone(),
        method,
        steps: Vec::new(),
    };
    if from.currency == to.currency && from.price_year == to.price_year {
        return Ok(conversion);
    }
    let (inflation, currency) = method.series();
    if !has_series(inflation) {
        return Err(ProblemKind::PriceSeriesMissing { series: inflation, method: method.name() });
    }
    let (first, last) = table_years();
    for (year, whose) in [(from.price_year, "the cost's"), (to.price_year, "the scenario's")] {
        if !(first..=last).contains(&year) {
            return Err(ProblemKind::PriceYearOutsideTable { year, whose, first, last });
        }
    }
    let mut factor = 1.0;
    if from.price_year != to.price_year {
        let now = index(inflation, &from.country, to.price_year)?;
        let then = index(inflation, &from.country, from.price_year)?;
        factor *= now.value / then.value;
        conversion.steps.extend([now, then]);
    }
    if from.currency != to.currency {
        let target = index(currency, &to.country, to.price_year)?;
        let source = index(currency, &from.country, to.price_year)?;
        factor *= target.value / source.value;
        conversion.steps.extend([target, source]);
    }
    conversion.factor = factor;
    Ok(conversion)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(currency: &str, year: i64, country: &str) -> PriceBasis {
        PriceBasis { currency: currency.into(), price_year: year, country: country.into() }
    }

    fn close(a: f64, b: f64) -> bool {
        ((a - b) / b).abs() < 1e-12
    }

    #[test]
    fn the_embedded_table_is_the_evidence_table() {
        let t = table();
        assert_eq!(t.values.len(), 933);
        assert_eq!(table_years(), (2005, 2025));
        assert!(has_series("cpi") && has_series("ppp_gdp") && has_series("fx_usd") && !has_series("gdp_deflator"));
        assert_eq!(index("cpi", "USA", 2013).unwrap().value, 232.957);
        assert!(index("cpi", "USA", 2024).unwrap().source.starts_with("BLS CPI-U"));
        // The copy in the repository is byte for byte the shared evidence file, when present.
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/evidence/price_indices.csv");
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(text, PRICE_INDICES_CSV, "data/price_indices.csv differs from {shared}");
        }
    }

    /// USD 2024 -> EUR 2013 (Germany), hand-computed from the CSV (shared/evidence/README.md
    /// section 10.4): CCEMG 232.957 / 313.689 x 0.774784 / 1; exchange rate 232.957 / 313.689 x
    /// 0.752945 / 1.
    #[test]
    fn usd_2024_to_eur_2013_by_hand() {
        let (usd, eur) = (basis("USD", 2024, "USA"), basis("EUR", 2013, "DEU"));
        let c = convert(&usd, &eur, ConversionMethod::Ccemg).unwrap();
        assert!(close(c.factor, 232.957 / 313.689 * 0.774784 / 1.0), "{}", c.factor);
        assert!(close(12_000.0 * c.factor, 6_904.597_469_009_113), "{}", 12_000.0 * c.factor);
        let series: Vec<_> = c.steps.iter().map(|s| (s.series.as_str(), s.country.as_str(), s.year)).collect();
        assert_eq!(
            series,
            [("cpi", "USA", 2013), ("cpi", "USA", 2024), ("ppp_gdp", "DEU", 2013), ("ppp_gdp", "USA", 2013)]
        );
        let x = convert(&usd, &eur, ConversionMethod::ExchangeRate).unwrap();
        assert!(close(x.factor, 232.957 / 313.689 * 0.752945), "{}", x.factor);
        // The euro area instead of Germany: route A of section 10.4, EUR 6,720.
        let emu = convert(&usd, &basis("EUR", 2013, "EMU"), ConversionMethod::Ccemg).unwrap();
        assert!(close(emu.factor, 232.957 / 313.689 * 0.7541), "{}", emu.factor);
        assert_eq!(
            c.describe(),
            "USD 2024 (USA) -> EUR 2013 (DEU): CPI USA 2013/2024 = 232.957/313.689 [1]; PPP 2013 DEU/USA = 0.774784/1 [2]; factor 0.575383 (CCEMG-EPPI-Centre)"
        );
        assert_eq!(c.sources().len(), 2);
    }

    #[test]
    fn same_currency_and_year_is_exactly_one_without_a_lookup() {
        // GBP 1995 is outside the table: no index is read, so no problem.
        let gbp = basis("GBP", 1995, "GBR");
        let c = convert(&gbp, &gbp, ConversionMethod::GdpDeflator).unwrap();
        assert_eq!((c.factor, c.steps.len()), (1.0, 0));
        assert!(c.describe().ends_with("same currency and price year, factor 1 (no conversion)"));
        // Same currency, other year: inflation only.
        let c = convert(&basis("EUR", 2015, "DEU"), &basis("EUR", 2013, "DEU"), ConversionMethod::Ccemg).unwrap();
        assert!(close(c.factor, 105.692 / index("cpi", "DEU", 2015).unwrap().value));
        assert_eq!(c.steps.len(), 2);
    }

    #[test]
    fn gaps_and_unknown_codes_are_problems() {
        let gbp = |y| basis("GBP", y, "GBR");
        // UK CPI starts in 2012.
        let e = convert(&gbp(2008), &basis("USD", 2020, "USA"), ConversionMethod::Ccemg).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the table has no cpi for GBR in 2008 (it has 2012-2025); choose a price year or a country the table covers, or convert this cost by hand and state it in the scenario's currency and price year"
        );
        // No euro-area PPP for 2025.
        let e = convert(&basis("USD", 2024, "USA"), &basis("EUR", 2025, "EMU"), ConversionMethod::Ccemg).unwrap_err();
        assert!(e.to_string().starts_with("the table has no ppp_gdp for EMU in 2025 (it has 2005-2024)"), "{e}");
        let e = convert(&gbp(2030), &gbp(2020), ConversionMethod::Ccemg).unwrap_err();
        assert!(
            e.to_string().starts_with("the cost's price year 2030 is outside the price-index table (2005-2025)"),
            "{e}"
        );
        let e = convert(&gbp(2015), &gbp(2020), ConversionMethod::GdpDeflator).unwrap_err();
        assert!(e.to_string().starts_with("conversion = \"gdp_deflator\" needs the series gdp_deflator"), "{e}");
        assert!(matches!(resolve_country("XYZ", None), Err(ProblemKind::UnknownCurrency { .. })));
        assert_eq!(resolve_country("EUR", None).unwrap(), "DEU");
        assert_eq!(resolve_country("EUR", Some("EMU")).unwrap(), "EMU");
        let e = resolve_country("USD", Some("DEU")).unwrap_err().to_string();
        assert_eq!(
            e,
            "country \"DEU\" does not price costs in USD; the countries of the table with USD are: USA (ISO 3166 alpha-3; EMU for the euro area)"
        );
    }
}
