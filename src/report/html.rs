//! `report.html`: one self-contained page (inline SVG, no script, no network) with the settings
//! keyed to CHEERS 2022 items and the checklist of the items it covers and does not, the model,
//! the results and the uncertainty analyses: every figure numbered, captioned with what it shows
//! and which run and settings made it, and with its numbers in a table beside it; then the
//! parameter table with sources. Rendered with `minijinja` from `templates/report.html`, whose
//! print style sheet makes the same page print as a PDF (`cirrhosim report --pdf`).
//!
//! Receives the results and, in [`Overlays`], the tables of earlier runs (PSA, DSA, targets) as
//! rows the caller has read, with the settings of the run that made them; hands back the page
//! and the list of files ([`Report::files`]). It reads no file.

use crate::analysis::economics::Evaluation;
use crate::analysis::psa::summary::{self, PsaSummary};
use crate::analysis::{StateOccupancy, StrategySurvival, SubgroupResult};
use crate::io::OutputFile;
use crate::io::draws::DrawTable;
use crate::io::tables::{CeacRow, DsaRow, EvppiRow, SurvivalBandRow, TwoWayRow};
use crate::model::Model;
use crate::report::cheers::{self, Contents};
use crate::report::figures::Figure;
use crate::report::format::{Money, grouped, tick};
use crate::report::subgroups;
use crate::report::tables::{self, DsaContext, Table};
use crate::scenario::duration::describe_years;
use crate::scenario::targets::Target;
use crate::scenario::{ExitSpec, Scenario, Value};
use minijinja::{Environment, context};
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// How many parameters the tornado draws (the DSA table lists them all).
pub const TORNADO_BARS: usize = 15;

/// What made the outputs of an earlier run that a report draws: its folder as given on the
/// command line and the settings of its fingerprint (`cirrhosim-run.json`).
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    pub folder: String,
    pub settings: BTreeMap<String, String>,
}

impl RunInfo {
    /// `cirrhosim psa in folder p: draws 500, engine cohort, seed 1` (empty settings omitted).
    pub fn describe(&self, command: &str) -> String {
        let settings: Vec<String> =
            self.settings.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k} {v}")).collect();
        format!("cirrhosim {command} in folder {}: {}", self.folder, settings.join(", "))
    }

    pub(crate) fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(String::as_str)
    }
}

/// What a report draws from earlier runs, read by the caller with [`crate::io::tables`] and
/// [`crate::scenario::targets`]: this module reads no file.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    /// A PSA directory's tables: acceptability curves, CE plane, EVPI, survival band, EVPPI.
    pub psa: Option<PsaTables>,
    /// A DSA directory's tables: the tornado and, when it has one, the two-way grid.
    pub dsa: Option<DsaTables>,
    /// Survival targets or trial points; those on `overall_survival` are marked on the survival plot.
    pub targets: Vec<Target>,
    /// Willingness-to-pay values per QALY: lines on the CE plane, rows of the PSA tables.
    pub wtp: Vec<f64>,
}

/// The tables of a PSA directory that the report draws.
#[derive(Debug, Clone)]
pub struct PsaTables {
    /// `ceac.csv`: the whole population's rows (`all` in a PSA `--by`).
    pub ceac: Vec<CeacRow>,
    /// The subgroups' rows of the `ceac.csv` of a PSA `--by`, in file order; empty without.
    pub ceac_by_subgroup: Vec<CeacRow>,
    /// `psa_draws.csv`, complete (see [`crate::io::draws::read`], which refuses a file without draws or cut short).
    pub draws: DrawTable,
    /// `survival_psa.csv`.
    pub survival_band: Vec<SurvivalBandRow>,
    /// `evppi.csv`, when `cirrhosim evppi` added it to the folder.
    pub evppi: Option<Vec<EvppiRow>>,
    pub run: RunInfo,
}

/// The tables of a DSA directory that the report draws.
#[derive(Debug, Clone)]
pub struct DsaTables {
    /// `dsa.csv`.
    pub rows: Vec<DsaRow>,
    /// `dsa_two_way.csv`, when the DSA was run with `--two-way`.
    pub two_way: Option<Vec<TwoWayRow>>,
    pub run: RunInfo,
}

/// Everything one report is made from.
pub struct Report<'a> {
    pub scenario: &'a Scenario,
    pub model: &'a Model,
    pub patients: u64,
    pub seed: u64,
    pub results: &'a [StrategySurvival],
    pub occupancy: &'a [StateOccupancy],
    pub evaluation: Option<&'a Evaluation>,
    pub overlays: &'a Overlays,
    /// Caveats, assumptions and thresholds ([`crate::analysis::evidence::evidence`]).
    pub evidence: Option<&'a crate::analysis::evidence::Evidence>,
    /// Results by subgroup (`report --by`), empty without; `by` names the covariates.
    pub subgroups: &'a [SubgroupResult],
    pub by: &'a [String],
}

impl Report<'_> {
    /// The currency and price year of the scenario (`None` without economics).
    pub fn money(&self) -> Option<Money> {
        self.scenario.economics.as_ref().map(|e| Money { currency: e.currency.clone(), price_year: e.price_year })
    }

    pub(crate) fn label(&self, strategy: usize) -> &str {
        self.model.strategy_labels.get(strategy).map_or("", String::as_str)
    }

    /// The label of the strategy called `name` (the name itself if the model has none so called).
    fn label_of(&self, name: &str) -> String {
        self.model.strategy_names.iter().position(|n| n == name).map_or(name.to_string(), |i| self.label(i).to_string())
    }

    /// The whole population, then every subgroup (`--by`).
    pub(crate) fn subgroup_rows(&self) -> Vec<SubgroupResult> {
        let mut rows = vec![subgroups::whole(self.results, self.evaluation, self.patients)];
        rows.extend(self.subgroups.iter().cloned());
        rows
    }

    /// The willingness to pay of the subgroup table and forest plot: the report's first.
    pub(crate) fn first_wtp(&self) -> Option<f64> {
        self.overlays.wtp.first().copied()
    }

    /// The PSA summary at the report's WTPs, when a PSA is given.
    pub fn psa_summary(&self) -> Option<PsaSummary> {
        self.overlays.psa.as_ref().map(|p| summary::summarise(&p.draws, &self.overlays.wtp))
    }

    /// What the DSA compared, from its settings.
    pub(crate) fn dsa_context(&self, dsa: &DsaTables) -> DsaContext {
        DsaContext {
            strategy: dsa.run.setting("strategy").map_or("(not recorded)".to_string(), |n| self.label_of(n)),
            comparator: dsa.run.setting("comparator").map_or("(not recorded)".to_string(), |n| self.label_of(n)),
            wtp: dsa.run.setting("wtp").and_then(|w| w.parse().ok()),
            run: dsa.run.describe("dsa"),
        }
    }

    /// Every table, numbered in page order.
    pub fn tables(&self, psa: Option<&PsaSummary>) -> Vec<Table> {
        let mut out = vec![tables::survival_table(self.model, self.results, self.patients)];
        if let (Some(ev), Some(money)) = (self.evaluation, self.money()) {
            out.push(tables::cea_table(self.model, ev, &money));
            out.extend(tables::monte_carlo_table(self.model, ev, &money, self.patients));
            if let (Some(s), Some(p)) = (psa, &self.overlays.psa) {
                let run = p.run.describe("psa");
                out.push(tables::psa_outcome_table(self.model, s, &money, &run));
                out.push(tables::psa_incremental_table(self.model, s, &money));
                if !s.at_wtp.is_empty() {
                    out.push(tables::psa_wtp_table(self.model, s, &money, self.scenario.psa.population));
                }
                if !p.ceac_by_subgroup.is_empty() && !self.overlays.wtp.is_empty() {
                    out.push(tables::psa_subgroup_table(self.model, &p.ceac_by_subgroup, &self.overlays.wtp, &run));
                }
                if let Some(rows) = &p.evppi {
                    out.push(tables::evppi_table(rows, &money, &run));
                }
            }
            if let Some(d) = &self.overlays.dsa {
                out.push(tables::dsa_table(&d.rows, &money, &self.dsa_context(d)));
            }
        }
        if let Some(e) = self.evidence {
            out.extend(crate::report::evidence::calibration_table(e));
            out.extend(crate::report::evidence::threshold_table(self.scenario, e));
        }
        if !self.subgroups.is_empty() {
            out.push(subgroups::subgroup_table(
                self.model,
                &self.subgroup_rows(),
                self.by,
                self.money().as_ref().filter(|_| self.evaluation.is_some()),
                self.first_wtp(),
            ));
        }
        for (k, t) in out.iter_mut().enumerate() {
            t.number = k + 1;
        }
        out
    }

    /// Every file of a report: `report.html`; each figure as `<file>.svg` (`model`, `survival`,
    /// `occupancy_<k>` for the k-th strategy from 1, and when drawn `costs`, `qalys`,
    /// `frontier`, `ce_plane`, `ceac`, `evpi`, `tornado`, `two_way`); then a PNG copy of each
    /// figure, for slides.
    ///
    /// # Errors
    /// [`crate::Error::Serialise`] if a figure cannot be rasterised.
    pub fn files(&self) -> crate::Result<Vec<OutputFile>> {
        let psa = self.psa_summary();
        let tables = self.tables(psa.as_ref());
        let figures = self.figures(&tables, psa.as_ref());
        let html = self.html(&figures, &tables);
        let mut files = vec![OutputFile::new("report.html", html.into_bytes())];
        for f in &figures {
            files.push(OutputFile::new(format!("{}.svg", f.file), f.svg.clone().into_bytes()));
        }
        let pngs = png_copies(&files)?;
        files.extend(pngs);
        Ok(files)
    }

    /// The report page.
    pub fn html(&self, figures: &[Figure], tables: &[Table]) -> String {
        let scenario = self.scenario;
        let model = self.model;
        let strategies: Vec<_> = scenario
            .strategies
            .iter()
            .map(
                |s| context! { name => s.name.clone(), label => s.label.clone(), description => s.description.clone() },
            )
            .collect();
        let (discounting, currency, correction) = economics_settings(scenario);
        let contents = Contents {
            economics: self.evaluation.is_some(),
            description: scenario.description.is_some(),
            psa: self.overlays.psa.is_some(),
            dsa: self.overlays.dsa.is_some(),
            evppi: self.overlays.psa.as_ref().is_some_and(|p| p.evppi.is_some()),
            conversions: scenario.parameters.iter().any(|p| p.conversion.is_some()),
            country: scenario.economics.as_ref().is_some_and(|e| e.country.is_some()),
            subgroups: !self.subgroups.is_empty(),
        };
        let conversions = scenario.parameters.iter().any(|p| p.conversion.is_some()).then(|| {
            crate::scenario::prices::ConversionSummary::new(&scenario.parameters, scenario.economics.as_ref())
        });
        let fig: BTreeMap<&str, &Figure> = figures.iter().map(|f| (f.id.as_str(), f)).collect();
        let tab: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.id, t)).collect();
        let occupancy: Vec<&Figure> = figures.iter().filter(|f| f.id.starts_with("occupancy-plot-")).collect();
        let two_way_note = self.overlays.dsa.as_ref().filter(|d| d.two_way.is_none()).map(|d| {
            format!(
                "The DSA in {} has no two-way grid (it was run without --two-way), so no two-way heat map is drawn; \
                 run `cirrhosim dsa --two-way A,B` to add one.",
                d.run.folder
            )
        });
        // What resolving uncertainty is worth, one sentence per WTP of the report.
        let value_statements: Vec<String> = match (&self.overlays.psa, self.money()) {
            (Some(p), Some(money)) => crate::analysis::psa::summary::value_of_information(
                &p.draws,
                &scenario.psa.evppi_groups,
                &self.overlays.wtp,
            )
            .iter()
            .map(|v| crate::report::evidence::value_statement(&money, scenario.psa.population, v))
            .collect(),
            _ => Vec::new(),
        };
        let evidence = self.evidence.filter(|e| !e.is_empty()).map(|e| {
            context! {
                caveats => e.caveats.iter().map(|c| context! { text => c.text.clone(), source => c.source.clone() }).collect::<Vec<_>>(),
                assumptions => e.assumptions.iter().map(|a| context! { parameter => a.parameter.clone(), reason => a.reason, note => a.note.clone() }).collect::<Vec<_>>(),
                errors => e.threshold_errors.clone(),
                calibration_error => e.calibration_error.clone(),
            }
        });
        let mut env = Environment::new();
        // Every value is HTML-escaped (scenario text included); the figures are marked `safe`.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_template("report", TEMPLATE).expect("the embedded template parses");
        env.get_template("report")
            .expect("template added above")
            .render(context! {
                title => scenario.title.clone(),
                description => scenario.description.clone().unwrap_or_default(),
                file => scenario.file.clone(),
                version => env!("CARGO_PKG_VERSION"),
                seed => self.seed,
                patients => grouped(self.patients as f64, 0),
                strategies => strategies,
                population => population(scenario),
                background => scenario.background.as_ref().map(|b| b.table.name.clone()),
                horizon => describe_years(model.n_cycles as f64 * model.cycle_length_years),
                cycles => model.n_cycles,
                cycle => describe_years(model.cycle_length_years),
                discounting => discounting,
                currency => currency,
                currency_statement => conversions.as_ref().map(|c| c.statement.clone()),
                conversion_lines => conversions.as_ref().map(|c| c.lines.clone()).unwrap_or_default(),
                conversion_sources => conversions.as_ref().map(|c| c.sources.clone()).unwrap_or_default(),
                country => scenario.economics.as_ref().and_then(|e| e.country.clone()),
                correction => correction,
                states => state_rows(scenario),
                fig => fig,
                tab => tab,
                occupancy => occupancy,
                has_uncertainty => self.overlays.psa.is_some() || self.overlays.dsa.is_some(),
                two_way_note => two_way_note,
                psa_run => self.overlays.psa.as_ref().map(|p| p.run.describe("psa")),
                dsa_run => self.overlays.dsa.as_ref().map(|d| d.run.describe("dsa")),
                cheers => cheers::checklist(contents),
                value_statements => value_statements,
                evidence => evidence,
                parameters => parameter_rows(scenario),
            })
            .expect("the report template renders with this context")
    }
}

/// The cohort at the start, in words (CHEERS item 5).
fn population(scenario: &Scenario) -> String {
    let c = &scenario.cohort;
    let ages: Vec<String> = c
        .age_groups
        .iter()
        .map(|g| {
            if c.age_groups.len() == 1 {
                format!("age {}", tick(g.age))
            } else {
                format!("age {} ({})", tick(g.age), crate::report::format::percent(g.weight, 0))
            }
        })
        .collect();
    let start: Vec<String> = c
        .start
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0.0)
        .map(|(i, w)| format!("{} {}", crate::report::format::percent(*w, 0), scenario.states[i].label))
        .collect();
    format!(
        "{}; {} male; starting in: {}",
        ages.join(", "),
        crate::report::format::percent(c.fraction_male, 0),
        start.join(", ")
    )
}

/// Without the `png` feature there are no PNG copies (the report has its SVG figures).
#[cfg(not(feature = "png"))]
fn png_copies(_files: &[OutputFile]) -> crate::Result<Vec<OutputFile>> {
    Ok(Vec::new())
}

/// A `.png` copy of every `.svg` file, rendered by `report::png` (the default `png` feature).
#[cfg(feature = "png")]
fn png_copies(files: &[OutputFile]) -> crate::Result<Vec<OutputFile>> {
    let rasteriser = crate::report::png::Rasteriser::new();
    let mut pngs = Vec::new();
    for f in files {
        if let Some(stem) = f.name.strip_suffix(".svg") {
            let name = format!("{stem}.png");
            // The figures are drawn into Strings above, so they are UTF-8.
            let svg = String::from_utf8_lossy(&f.bytes);
            let bytes = rasteriser.png(std::path::Path::new(&name), &svg)?;
            pngs.push(OutputFile::new(name, bytes));
        }
    }
    Ok(pngs)
}

/// Each state with its exits in words (CHEERS item 16: model structure).
fn state_rows(scenario: &Scenario) -> Vec<minijinja::Value> {
    let values = scenario.base_values();
    let dt = scenario.cycle_length_years;
    scenario
        .states
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let exits: Vec<String> = scenario
                .transitions
                .iter()
                .filter(|t| t.from == i)
                .map(|t| {
                    let words = |v: &Value| match v {
                        Value::Formula(_) => scenario.value_in_words(v, &values),
                        _ => v.get(&values).to_string(),
                    };
                    let what = match &t.spec {
                        ExitSpec::Rate(v) => format!("annual rate {}", words(v)),
                        ExitSpec::AnnualProbability(v) => format!("annual probability {}", words(v)),
                        ExitSpec::ProbabilityOver { value, years } => {
                            format!("probability {} over {}", words(value), describe_years(*years))
                        }
                        ExitSpec::CycleProbability(v) => format!("probability per cycle {}", words(v)),
                        ExitSpec::Complement => "the rest (complement)".to_string(),
                    };
                    let when = match (t.window.from_cycle, t.window.until_cycle) {
                        (0, None) => String::new(),
                        (f, None) => format!(" (after {} in the state)", describe_years(f as f64 * dt)),
                        (0, Some(u)) => format!(" (first {} in the state)", describe_years(u as f64 * dt)),
                        (f, Some(u)) => format!(
                            " ({} to {} in the state)",
                            describe_years(f as f64 * dt),
                            describe_years(u as f64 * dt)
                        ),
                    };
                    format!("to {}: {what}{when}", scenario.states[t.to].name)
                })
                .collect();
            context! { name => st.name.clone(), label => st.label.clone(), exits => exits }
        })
        .collect()
}

/// Every parameter the model uses, with value, kind, distribution, range and source.
fn parameter_rows(scenario: &Scenario) -> Vec<minijinja::Value> {
    scenario
        .parameters
        .iter()
        .enumerate()
        .filter(|(i, _)| scenario.uses_parameter(*i))
        .map(|(i, p)| {
            context! {
                name => p.name.clone(),
                value => scenario.value_text(i),
                kind => p.kind.name(),
                distribution => scenario.distribution_text(i),
                range => match (p.low, p.high) { (Some(l), Some(h)) => format!("{l} - {h}"), _ => String::new() },
                source => p.source.clone().unwrap_or_else(|| "(no source)".to_string()),
                converted => p.conversion.as_ref().map(|c| if c.is_identity() {
                    format!("{} {} as stated", c.from.currency, c.from.price_year)
                } else {
                    format!("= {} {} {} x {:.6}", c.source_value, c.from.currency, c.from.price_year, c.factor)
                }),
            }
        })
        .collect()
}

/// Discounting, currency and the within-cycle correction, in words (CHEERS items 10, 15).
fn economics_settings(scenario: &Scenario) -> (String, String, String) {
    let values = scenario.base_values();
    match &scenario.economics {
        Some(e) => (
            format!(
                "costs {} and effects {} per year",
                e.discount_rate_costs.get(&values),
                e.discount_rate_effects.get(&values)
            ),
            format!("{} (price year {})", e.currency, e.price_year),
            e.correction.name().to_string(),
        ),
        None => (
            "not applicable (survival only)".to_string(),
            "not applicable".to_string(),
            "trapezoid (survival)".to_string(),
        ),
    }
}
