//! The shape of a scenario file, as data: which keys each table has, which are required, and
//! what form each value takes, in words for messages ("expected a number", "expected text").
//!
//! [`super::read`] walks the parsed TOML tree against [`SCENARIO`] before serde sees it, so that
//! every unknown key and every value of the wrong form is reported at once, each with its line.
//! The keys here must be those of the serde types in [`super::raw`] (and
//! [`super::parameters::RawDistribution`]); a unit test below compares the two.

use super::raw::{START_AGE_EXPECTED, VALUE_EXPECTED};

/// The form a value must take.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// An integer or a float (including `nan` and `inf`).
    Number,
    /// An integer.
    Whole,
    /// A string.
    Text,
    /// `true` or `false`.
    Bool,
    /// An array whose items all have one shape; `len` fixes the number of items.
    List { item: &'static Shape, len: Option<usize>, expected: &'static str },
    /// A table with known keys.
    Table(&'static [Field]),
    /// A table whose keys are names chosen by the user (`[parameters.NAME]`), each value of one shape.
    Named { item: &'static Shape, if_malformed: IfMalformed, expected: &'static str },
    /// An array of tables (`[[transitions]]`).
    Entries { fields: &'static [Field], if_malformed: IfMalformed, expected: &'static str },
    /// The first option whose kind (number, text, list, table) matches the value.
    Either { options: &'static [Shape], expected: &'static str },
}

/// What becomes of an entry of a list or of a named table that has the wrong form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMalformed {
    /// It is left out and the rules check the other entries: nothing refers to it.
    Drop,
    /// It is left out, and so are the rules' problems that name it (in quotes): other entries refer
    /// to it by its name (the `name` key of a list entry, the key of a named table). Without a
    /// readable name, as [`IfMalformed::Stop`].
    Forget,
    /// The rules are not checked: only the shape problems are reported.
    Stop,
}

/// One key of a table.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub shape: Shape,
    pub required: bool,
}

/// What a value of this shape must be, for messages: always starts with "expected".
pub fn expected(shape: &Shape) -> &'static str {
    match shape {
        Shape::Number => "expected a number",
        Shape::Whole => "expected a whole number",
        Shape::Text => "expected text (in quotes)",
        Shape::Bool => "expected true or false",
        Shape::Table(_) => "expected a table",
        Shape::List { expected, .. }
        | Shape::Named { expected, .. }
        | Shape::Entries { expected, .. }
        | Shape::Either { expected, .. } => expected,
    }
}

const fn req(key: &'static str, shape: Shape) -> Field {
    Field { key, shape, required: true }
}

const fn opt(key: &'static str, shape: Shape) -> Field {
    Field { key, shape, required: false }
}

const NUMBERS: Shape = Shape::List { item: &Shape::Number, len: None, expected: "expected a list of numbers" };
const NAMES: Shape =
    Shape::List { item: &Shape::Text, len: None, expected: "expected a list of names in quotes, e.g. [\"a\", \"b\"]" };
const MATRIX: Shape = Shape::List {
    item: &NUMBERS,
    len: None,
    expected: "expected a list of rows, each a list of numbers, e.g. [[1, 0.5], [0.5, 1]]",
};

/// A number, the name of a parameter, or a formula ([`super::raw::RawValue`]).
const VALUE: Shape = Shape::Either { options: &[Shape::Number, Shape::Text], expected: VALUE_EXPECTED };

const WINDOW_FIELDS: &[Field] = &[opt("from", Shape::Text), opt("until", Shape::Text)];
const WINDOW: Shape = Shape::Table(WINDOW_FIELDS);

const CAVEAT: &[Field] = &[req("text", Shape::Text), opt("source", Shape::Text)];

const META: &[Field] = &[
    req("name", Shape::Text),
    opt("title", Shape::Text),
    opt("description", Shape::Text),
    opt(
        "caveats",
        Shape::Entries {
            fields: CAVEAT,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[scenario.caveats]] tables, each with text = \"...\" and source = \"...\"",
        },
    ),
];

const SETTINGS: &[Field] = &[
    req("cycle_length", Shape::Text),
    req("horizon", Shape::Text),
    req("patients", Shape::Whole),
    req("seed", Shape::Whole),
];

const AGE_GROUP_FIELDS: &[Field] = &[req("age", Shape::Number), req("weight", Shape::Number)];
const AGE_GROUP: Shape = Shape::Table(AGE_GROUP_FIELDS);

const START_AGE: Shape = Shape::Either {
    options: &[
        Shape::Number,
        Shape::List { item: &AGE_GROUP, len: None, expected: "expected a list of { age = ..., weight = ... } tables" },
    ],
    expected: START_AGE_EXPECTED,
};

const COHORT: &[Field] = &[
    opt("start_age", START_AGE),
    opt("fraction_male", Shape::Number),
    opt(
        "start_state",
        Shape::Named {
            item: &VALUE,
            if_malformed: IfMalformed::Stop,
            expected: "expected a table of state = share (a number, a parameter or a formula), e.g. { healthy = 1.0 }",
        },
    ),
];

const BACKGROUND: &[Field] = &[req("life_table", Shape::Text), req("to", Shape::Text)];

const STATE: &[Field] = &[
    req("name", Shape::Text),
    opt("label", Shape::Text),
    opt("absorbing", Shape::Bool),
    opt("alive", Shape::Bool),
    opt("transplant", Shape::Bool),
    opt("description", Shape::Text),
];

/// The keys of a distribution; `$components` is the shape of its `components` (a mixture's).
macro_rules! distribution_fields {
    ($components:expr) => {
        &[
            req("type", Shape::Text),
            opt("alpha", Shape::Number),
            opt("beta", Shape::Number),
            opt("shape", Shape::Number),
            opt("scale", Shape::Number),
            opt("meanlog", Shape::Number),
            opt("sdlog", Shape::Number),
            opt("mean", Shape::Number),
            opt("sd", Shape::Number),
            opt("se", Shape::Number),
            opt(
                "interval",
                Shape::List {
                    item: &Shape::Number,
                    len: Some(2),
                    expected: "expected a list of two numbers [low, high]",
                },
            ),
            opt("weight", Shape::Number),
            opt("value", Shape::Number),
            opt("components", $components),
        ]
    };
}

const COMPONENTS_EXPECTED: &str = "expected a list of components, e.g. [{ weight = 0.5, type = \"fixed\", value = 0 }, { weight = 0.5, type = \"normal\", mean = -2, sd = 0.7 }]";

/// A component of a component (a nested mixture, which the rules refuse with their own message).
const INNER_COMPONENT: &[Field] =
    distribution_fields!(Shape::List { item: &Shape::Table(&[]), len: None, expected: COMPONENTS_EXPECTED });

/// A mixture's component: a distribution with a `weight`.
const COMPONENT: &[Field] = distribution_fields!(Shape::List {
    item: &Shape::Table(INNER_COMPONENT),
    len: None,
    expected: COMPONENTS_EXPECTED
});

const DISTRIBUTION: &[Field] =
    distribution_fields!(Shape::List { item: &Shape::Table(COMPONENT), len: None, expected: COMPONENTS_EXPECTED });

const PARAMETER: &[Field] = &[
    opt("value", Shape::Number),
    opt("formula", Shape::Text),
    req("kind", Shape::Text),
    opt("unit", Shape::Text),
    opt("source", Shape::Text),
    opt("note", Shape::Text),
    opt("distribution", Shape::Table(DISTRIBUTION)),
    opt("low", Shape::Number),
    opt("high", Shape::Number),
    opt("currency", Shape::Text),
    opt("price_year", Shape::Whole),
    opt("country", Shape::Text),
];

const TABLE: &[Field] = &[
    req("from", NUMBERS),
    req("values", NUMBERS),
    opt("unit", Shape::Text),
    opt("source", Shape::Text),
    opt("note", Shape::Text),
];

const TRANSITION: &[Field] = &[
    req("from", Shape::Text),
    req("to", Shape::Text),
    opt("rate", VALUE),
    opt("annual_probability", VALUE),
    opt("probability", VALUE),
    opt("over", Shape::Text),
    opt("cycle_probability", VALUE),
    opt("complement", Shape::Bool),
    opt("time_in_state", WINDOW),
    opt("strategies", NAMES),
    opt("hazard_ratio", VALUE),
    opt("relative_risk", VALUE),
    opt("odds_ratio", VALUE),
    opt("note", Shape::Text),
];

const ADVERSE_EVENT: &[Field] =
    &[req("name", Shape::Text), req("probability", VALUE), opt("cost", VALUE), opt("qaly_loss", VALUE)];

const SCHEDULE: &[Field] = &[
    req("infusions", Shape::Whole),
    req("interval", Shape::Text),
    opt("courses", Shape::Whole),
    opt("course_interval", Shape::Text),
    opt("cost_per_infusion", VALUE),
    opt(
        "adverse_events",
        Shape::Entries {
            fields: ADVERSE_EVENT,
            if_malformed: IfMalformed::Drop,
            expected: "expected a list of { name = ..., probability = ... } tables",
        },
    ),
];

const WANING: &[Field] = &[req("shape", Shape::Text), opt("over", Shape::Text)];

const EFFECT: &[Field] = &[
    opt("from", Shape::Text),
    opt("covariate", Shape::Text),
    opt("shift", VALUE),
    opt("to", Shape::Text),
    opt("hazard_ratio", VALUE),
    opt("relative_risk", VALUE),
    opt("meld_shift", VALUE),
    opt("hr_per_meld_point", VALUE),
    opt("onset", Shape::Text),
    opt("duration", Shape::Text),
    opt("waning", Shape::Table(WANING)),
    opt("note", Shape::Text),
];

const STRATEGY: &[Field] = &[
    req("name", Shape::Text),
    opt("label", Shape::Text),
    opt("description", Shape::Text),
    opt("schedule", Shape::Table(SCHEDULE)),
    opt(
        "effects",
        Shape::Entries {
            fields: EFFECT,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[strategies.effects]] tables",
        },
    ),
];

const WEIGHTS: Shape = Shape::Either {
    options: &[NUMBERS, Shape::Text],
    expected: "expected a list of numbers (one per cycle boundary 0..T) or a formula in t and T, e.g. \"if(t == 0, 0, 1)\"",
};

const ECONOMICS: &[Field] = &[
    req("currency", Shape::Text),
    req("price_year", Shape::Whole),
    req("discount_rate_costs", VALUE),
    req("discount_rate_effects", VALUE),
    opt("within_cycle_correction", Shape::Text),
    opt("within_cycle_weights", WEIGHTS),
    opt("discount_timing", Shape::Text),
    opt("wtp", NUMBERS),
    opt("conversion", Shape::Text),
    opt("country", Shape::Text),
];

const TRANSITION_REF: &[Field] = &[req("from", Shape::Text), req("to", Shape::Text)];

const REWARD: &[Field] = &[
    opt("category", Shape::Text),
    opt("state", Shape::Text),
    opt("transition", Shape::Table(TRANSITION_REF)),
    opt("annual", VALUE),
    opt("one_off", VALUE),
    opt("time_in_state", WINDOW),
    opt("during", WINDOW),
    opt("strategies", NAMES),
    opt("note", Shape::Text),
];

const PSA: &[Field] = &[
    opt("draws", Shape::Whole),
    opt(
        "wtp_grid",
        Shape::List {
            item: &Shape::Number,
            len: Some(3),
            expected: "expected a list of three numbers [from, to, step]",
        },
    ),
    opt("population", Shape::Number),
    opt(
        "evppi_groups",
        Shape::List {
            item: &NAMES,
            len: None,
            expected: "expected a list of groups of parameter names, e.g. [[\"msc_meld_md_24wk\", \"msc_effect_duration\"]]",
        },
    ),
];

const DIRICHLET: &[Field] = &[req("parameters", NAMES), req("alpha", NUMBERS), opt("source", Shape::Text)];

const MULTIVARIATE_NORMAL: &[Field] = &[
    req("parameters", NAMES),
    opt("mean", NUMBERS),
    opt("covariance", MATRIX),
    opt("correlation", MATRIX),
    opt("sd", NUMBERS),
    opt("source", Shape::Text),
];

const COVARIATE_DISTRIBUTION: &[Field] = &[
    req("type", Shape::Text),
    opt("mean", Shape::Number),
    opt("sd", Shape::Number),
    opt("low", Shape::Number),
    opt("high", Shape::Number),
    opt("values", NUMBERS),
];

const COVARIATE: &[Field] = &[
    opt("distribution", Shape::Table(COVARIATE_DISTRIBUTION)),
    opt(
        "levels",
        Shape::Named {
            item: &Shape::Number,
            if_malformed: IfMalformed::Stop,
            expected: "expected a table of level = share, e.g. { hbv = 0.4, alcohol = 0.6 }",
        },
    ),
    opt("unit", Shape::Text),
    opt("source", Shape::Text),
    opt(
        "bands",
        Shape::Named {
            item: &Shape::List { item: &Shape::Number, len: Some(2), expected: "expected [low, high]" },
            if_malformed: IfMalformed::Stop,
            expected: "expected a table of band = [low, high], e.g. { low = [6, 15], high = [15, 40] }",
        },
    ),
];

const POPULATION: &[Field] = &[
    opt("nodes", Shape::Whole),
    opt("source", Shape::Text),
    opt("patients_file", Shape::Text),
    opt(
        "covariates",
        Shape::Named {
            item: &Shape::Table(COVARIATE),
            if_malformed: IfMalformed::Stop,
            expected: "expected [population.covariates.NAME] tables",
        },
    ),
    opt(
        "correlations",
        Shape::Entries {
            fields: CORRELATION,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[population.correlations]] tables",
        },
    ),
];

const CORRELATION: &[Field] = &[req("covariates", NAMES), req("rho", Shape::Number), opt("source", Shape::Text)];

const TARGET: &[Field] = &[
    opt("strategy", Shape::Text),
    opt("start", Shape::Text),
    req("curve", Shape::Text),
    req("years", Shape::Number),
    req("value", Shape::Number),
    opt("lower", Shape::Number),
    opt("upper", Shape::Number),
    opt("source", Shape::Text),
];

const CALIBRATION: &[Field] = &[
    opt("parameters", NAMES),
    opt("max_iterations", Shape::Whole),
    opt(
        "targets",
        Shape::Entries {
            fields: TARGET,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[calibration.targets]] tables, each with curve, years and value",
        },
    ),
];

/// Top-level tables that, when malformed, are left out while the rules still check the rest of
/// the file: nothing else refers to their contents. (A malformed `[background_mortality]` is not
/// among them: without it, other keys would be judged by the wrong rules.)
pub const DROPPABLE_TABLES: &[&str] = &["economics", "psa", "calibration"];

/// The whole file ([`super::raw::RawScenario`]).
pub const SCENARIO: &[Field] = &[
    req("scenario", Shape::Table(META)),
    req("settings", Shape::Table(SETTINGS)),
    opt("cohort", Shape::Table(COHORT)),
    opt("population", Shape::Table(POPULATION)),
    opt("background_mortality", Shape::Table(BACKGROUND)),
    opt(
        "states",
        Shape::Entries { fields: STATE, if_malformed: IfMalformed::Forget, expected: "expected [[states]] tables" },
    ),
    opt("parameter_files", NAMES),
    opt(
        "parameters",
        Shape::Named {
            item: &Shape::Table(PARAMETER),
            if_malformed: IfMalformed::Forget,
            expected: "expected [parameters.NAME] tables",
        },
    ),
    opt(
        "tables",
        Shape::Named {
            item: &Shape::Table(TABLE),
            if_malformed: IfMalformed::Forget,
            expected: "expected [tables.NAME] tables",
        },
    ),
    opt(
        "transitions",
        Shape::Entries {
            fields: TRANSITION,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[transitions]] tables",
        },
    ),
    opt(
        "strategies",
        Shape::Entries {
            fields: STRATEGY,
            if_malformed: IfMalformed::Forget,
            expected: "expected [[strategies]] tables",
        },
    ),
    opt("economics", Shape::Table(ECONOMICS)),
    opt(
        "costs",
        Shape::Entries { fields: REWARD, if_malformed: IfMalformed::Drop, expected: "expected [[costs]] tables" },
    ),
    opt(
        "utilities",
        Shape::Entries { fields: REWARD, if_malformed: IfMalformed::Drop, expected: "expected [[utilities]] tables" },
    ),
    opt("psa", Shape::Table(PSA)),
    opt("calibration", Shape::Table(CALIBRATION)),
    opt(
        "dirichlet",
        Shape::Entries {
            fields: DIRICHLET,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[dirichlet]] tables",
        },
    ),
    opt(
        "multivariate_normal",
        Shape::Entries {
            fields: MULTIVARIATE_NORMAL,
            if_malformed: IfMalformed::Drop,
            expected: "expected [[multivariate_normal]] tables",
        },
    ),
];

#[cfg(test)]
mod tests {
    //! The schema's keys are exactly the keys serde accepts: each raw type is asked for its
    //! field names through a deserializer that records them (serde hands `deserialize_struct`
    //! the list) and then stops.
    use super::super::parameters::RawDistribution;
    use super::super::raw::*;
    use super::*;
    use serde::Deserialize;

    #[derive(Debug)]
    struct Fields(&'static [&'static str]);

    impl std::fmt::Display for Fields {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl std::error::Error for Fields {}
    impl serde::de::Error for Fields {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Fields(&[])
        }
    }

    struct Recorder;

    impl<'de> serde::Deserializer<'de> for Recorder {
        type Error = Fields;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Fields> {
            Err(Fields(&[]))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Fields> {
            Err(Fields(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    fn serde_keys<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
        let mut keys = T::deserialize(Recorder).map(|_| ()).unwrap_err().0.to_vec();
        keys.sort_unstable();
        keys
    }

    fn schema_keys(fields: &[Field]) -> Vec<&'static str> {
        let mut keys: Vec<_> = fields.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn every_table_has_the_keys_of_its_serde_type() {
        let pairs: Vec<(&str, Vec<&str>, &[Field])> = vec![
            ("RawScenario", serde_keys::<RawScenario>(), SCENARIO),
            ("RawMeta", serde_keys::<RawMeta>(), META),
            ("RawCaveat", serde_keys::<RawCaveat>(), CAVEAT),
            ("RawSettings", serde_keys::<RawSettings>(), SETTINGS),
            ("RawCohort", serde_keys::<RawCohort>(), COHORT),
            ("RawPopulation", serde_keys::<RawPopulation>(), POPULATION),
            ("RawCovariate", serde_keys::<RawCovariate>(), COVARIATE),
            ("RawCovariateDistribution", serde_keys::<RawCovariateDistribution>(), COVARIATE_DISTRIBUTION),
            ("RawAgeGroup", serde_keys::<RawAgeGroup>(), AGE_GROUP_FIELDS),
            ("RawBackground", serde_keys::<RawBackground>(), BACKGROUND),
            ("RawState", serde_keys::<RawState>(), STATE),
            ("RawParameter", serde_keys::<RawParameter>(), PARAMETER),
            ("RawDistribution", serde_keys::<RawDistribution>(), DISTRIBUTION),
            ("RawTable", serde_keys::<RawTable>(), TABLE),
            ("RawTransition", serde_keys::<RawTransition>(), TRANSITION),
            ("RawWindow", serde_keys::<RawWindow>(), WINDOW_FIELDS),
            ("RawStrategy", serde_keys::<RawStrategy>(), STRATEGY),
            ("RawSchedule", serde_keys::<RawSchedule>(), SCHEDULE),
            ("RawAdverseEvent", serde_keys::<RawAdverseEvent>(), ADVERSE_EVENT),
            ("RawEffect", serde_keys::<RawEffect>(), EFFECT),
            ("RawWaning", serde_keys::<RawWaning>(), WANING),
            ("RawEconomics", serde_keys::<RawEconomics>(), ECONOMICS),
            ("RawTransitionRef", serde_keys::<RawTransitionRef>(), TRANSITION_REF),
            ("RawReward", serde_keys::<RawReward>(), REWARD),
            ("RawPsa", serde_keys::<RawPsa>(), PSA),
            ("RawDirichlet", serde_keys::<RawDirichlet>(), DIRICHLET),
            ("RawMultivariateNormal", serde_keys::<RawMultivariateNormal>(), MULTIVARIATE_NORMAL),
        ];
        for (name, serde, schema) in pairs {
            assert!(!serde.is_empty(), "{name}: no fields recorded");
            assert_eq!(serde, schema_keys(schema), "{name}: schema.rs and raw.rs disagree");
        }
    }

    #[test]
    fn expected_forms_are_words_not_rust_types() {
        for f in SCENARIO {
            let e = expected(&f.shape);
            assert!(e.starts_with("expected "), "{}: {e}", f.key);
            assert!(!e.contains("f64") && !e.contains("i64") && !e.contains("String"), "{}: {e}", f.key);
        }
    }
}
