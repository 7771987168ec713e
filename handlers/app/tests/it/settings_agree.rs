//! Each setting's default is defined once, in Rust (`settings::defaults::table`).
//! What repeats one outside Rust must agree with it: the README's
//! configuration table, every `MOVIEREC_*` app setting in infra/*.bicep (a
//! literal, or a parameter's default), infra/main.bicepparam, and the
//! local.settings.json that `movierec package` writes for `func start`. Each
//! setting they name must be in the table, and each value they give must be
//! its default, or one of the deliberate overrides listed in [`OVERRIDES`]
//! with the reason. The table itself must name every setting the app reads.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::common::bicep::Bicep;
use crate::common::root;
use movierec::settings::defaults::table;
use movierec::settings::SCHEDULE_DEFAULTS;
use tree_sitter::Node;

/// Values outside Rust that differ from the app's default on purpose:
/// (file, setting, value as written there, why).
const OVERRIDES: &[(&str, &str, &str, &str)] = &[
    (
        "infra/modules/functionapp.bicep",
        "MOVIEREC_STORE",
        "cosmos",
        "in Azure the data lives in Cosmos DB: instances scale out and their disks are not kept",
    ),
    (
        "infra/modules/functionapp.bicep",
        "MOVIEREC_COSMOS_DATABASE",
        "cosmosDatabase",
        "the database modules/cosmos.bicep creates, an output; main.bicep names it, checked by \
         the_cosmos_database_infra_creates_is_the_default",
    ),
];

/// The app's defaults by name (`None`: a setting with no fixed default).
fn defaults() -> HashMap<&'static str, Option<String>> {
    table().into_iter().map(|s| (s.name, s.default)).collect()
}

/// A value as some file gives it: a literal, or an expression the
/// deployment computes.
#[derive(Debug, Clone, PartialEq)]
enum Given {
    Literal(String),
    Computed(String),
}

impl Given {
    fn as_written(&self) -> &str {
        match self {
            Given::Literal(v) | Given::Computed(v) => v,
        }
    }
}

/// Two spellings of one value: equal as numbers (`1.0` and `1`), as
/// booleans, or as text.
fn same_value(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (
        a.to_ascii_lowercase().parse::<bool>(),
        b.to_ascii_lowercase().parse::<bool>(),
    ) {
        return x == y;
    }
    a == b
}

/// Checks `(setting, value)` pairs found in `file` against the table,
/// collecting disagreements in `problems` and marking the overrides used.
struct Checker {
    defaults: HashMap<&'static str, Option<String>>,
    used_overrides: BTreeSet<usize>,
    problems: Vec<String>,
    checked: usize,
}

impl Checker {
    fn new() -> Self {
        Checker {
            defaults: defaults(),
            used_overrides: BTreeSet::new(),
            problems: Vec::new(),
            checked: 0,
        }
    }

    fn check(&mut self, file: &str, name: &str, given: &Given) {
        self.checked += 1;
        let Some(default) = self.defaults.get(name) else {
            self.problems.push(format!(
                "{file}: {name} is not a setting the app reads (settings::defaults::table)"
            ));
            return;
        };
        let agrees = match (default, given) {
            // nothing to disagree with: required, or no fixed default
            (None, _) => true,
            (Some(d), Given::Literal(v)) => same_value(d, v),
            (Some(_), Given::Computed(_)) => false,
        };
        if agrees {
            return;
        }
        let listed = OVERRIDES
            .iter()
            .position(|(f, n, v, _)| *f == file && *n == name && *v == given.as_written());
        match listed {
            Some(i) => {
                self.used_overrides.insert(i);
            }
            None => self.problems.push(format!(
                "{file}: {name} = {:?}, but the app's default is {:?} \
                 (change one, or list a deliberate override in OVERRIDES with the reason)",
                given.as_written(),
                default.as_deref().unwrap_or_default(),
            )),
        }
    }

    fn finish(self, what: &str, at_least: usize, overrides_in: &str) {
        assert!(
            self.problems.is_empty(),
            "{what} disagree with the app's defaults:\n  {}",
            self.problems.join("\n  ")
        );
        assert!(
            self.checked >= at_least,
            "{what}: only {} settings found",
            self.checked
        );
        for (i, (file, name, value, _)) in OVERRIDES.iter().enumerate() {
            if file.starts_with(overrides_in) && !self.used_overrides.contains(&i) {
                panic!("OVERRIDES lists {file}: {name} = {value:?}, which is no longer there (or now the default)");
            }
        }
    }
}

// ---------------------------------------------------------------- Bicep

impl Bicep {
    /// A literal's value: a string without interpolation, a number, a boolean.
    fn literal(&self, node: Node) -> Option<String> {
        match node.kind() {
            "string" if !self.text_of(node).contains("${") => {
                Some(self.text_of(node).trim_matches('\'').to_string())
            }
            "number" | "boolean" => Some(self.text_of(node).to_string()),
            _ => None,
        }
    }

    /// Each parameter's default, by name (`None`: no default, or not a literal).
    fn parameter_defaults(&self) -> HashMap<String, Option<String>> {
        self.all("parameter_declaration")
            .into_iter()
            .map(|p| {
                let children = Self::named_children(p);
                let name = self.text_of(children[0]).to_string();
                let default = children.get(2).and_then(|d| self.literal(*d));
                (name, default)
            })
            .collect()
    }

    /// Every `MOVIEREC_*: value` property anywhere in the file, with the value
    /// a literal, a parameter's literal default, or computed.
    fn settings(&self) -> Vec<(String, Given)> {
        let params = self.parameter_defaults();
        let mut found = Vec::new();
        for property in self.all("object_property") {
            let children = Self::named_children(property);
            let (Some(key), Some(value)) = (children.first(), children.last()) else {
                continue;
            };
            let key = self.text_of(*key).trim_matches('\'');
            if !key.starts_with("MOVIEREC_") {
                continue;
            }
            let given = match self.literal(*value) {
                Some(v) => Given::Literal(v),
                None => {
                    let expr = self.text_of(*value).to_string();
                    match params.get(&expr) {
                        Some(Some(default)) => Given::Literal(default.clone()),
                        _ => Given::Computed(expr),
                    }
                }
            };
            found.push((key.to_string(), given));
        }
        found
    }
}

#[test]
fn the_bicep_app_settings_are_the_app_defaults() {
    let mut checker = Checker::new();
    let mut azure: BTreeSet<String> = BTreeSet::new();
    for bicep in Bicep::all_files() {
        for (name, given) in bicep.settings() {
            checker.check(&bicep.rel, &name, &given);
            azure.insert(name);
        }
    }
    // The host resolves `%NAME%` in function.json itself, without defaults.
    for (name, _) in SCHEDULE_DEFAULTS {
        assert!(
            azure.contains(*name),
            "{name} is not an app setting in infra/: the Functions host cannot resolve %{name}%"
        );
    }
    checker.finish("infra/*.bicep", 10, "infra/modules/");
}

#[test]
fn the_cosmos_database_infra_creates_is_the_default() {
    let main = Bicep::read("infra/main.bicep");
    let names: Vec<String> = main
        .all("object_property")
        .into_iter()
        .filter_map(|p| {
            let children = Bicep::named_children(p);
            (main.text_of(children[0]) == "databaseName")
                .then(|| main.literal(*children.last().unwrap()))
                .flatten()
        })
        .collect();
    assert_eq!(names.len(), 1, "one databaseName in main.bicep: {names:?}");
    assert_eq!(
        Some(names[0].clone()),
        defaults()["MOVIEREC_COSMOS_DATABASE"],
        "the database main.bicep creates is the app's default MOVIEREC_COSMOS_DATABASE"
    );
}

/// `MOVIEREC_NAME: value` pairs in a line of Bicep-like text (an object).
fn setting_pairs(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("MOVIEREC_") {
        rest = &rest[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = rest[end..].trim_start();
        let Some(after) = rest.strip_prefix(':') else {
            continue;
        };
        let after = after.trim_start();
        let value = if let Some(quoted) = after.strip_prefix('\'') {
            quoted[..quoted.find('\'').unwrap_or(quoted.len())].to_string()
        } else {
            after
                .split(|c: char| c.is_whitespace() || c == ',' || c == '}')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        pairs.push((name, value));
        rest = after;
    }
    pairs
}

#[test]
fn the_example_parameters_give_the_app_defaults() {
    // The grammar has no `.bicepparam` rules: the file is read line by line.
    // A parameter main.bicep maps to a setting (`MOVIEREC_TOP_N: topN`) is
    // checked against that setting, and so is any `MOVIEREC_*: value` given
    // in an object parameter such as `model`.
    let main = Bicep::read("infra/main.bicep");
    let param_setting: HashMap<String, String> = main
        .all("object_property")
        .into_iter()
        .filter_map(|p| {
            let children = Bicep::named_children(p);
            let key = main.text_of(children[0]);
            let value = children.last().unwrap();
            (key.starts_with("MOVIEREC_") && value.kind() == "identifier")
                .then(|| (main.text_of(*value).to_string(), key.to_string()))
        })
        .collect();
    assert!(
        param_setting.contains_key("retrainSchedule"),
        "main.bicep maps parameters to settings: {param_setting:?}"
    );
    let file = "infra/main.bicepparam";
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let mut checker = Checker::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("//") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("param ") {
            let (param, value) = rest.split_once('=').expect("param name = value");
            if let Some(name) = param_setting.get(param.trim()) {
                let value = value.trim().trim_matches('\'');
                checker.check(file, name, &Given::Literal(value.to_string()));
            }
        }
        for (name, value) in setting_pairs(line) {
            checker.check(file, &name, &Given::Literal(value));
        }
    }
    checker.finish(file, 0, file);
}

#[test]
fn setting_pairs_reads_objects_on_one_line() {
    assert_eq!(
        setting_pairs("param model = { MOVIEREC_RANK: 64, MOVIEREC_REG: '0.5' }"),
        [
            ("MOVIEREC_RANK".to_string(), "64".to_string()),
            ("MOVIEREC_REG".to_string(), "0.5".to_string())
        ]
    );
    assert_eq!(
        setting_pairs("  MOVIEREC_BIASES: true"),
        [("MOVIEREC_BIASES".to_string(), "true".to_string())]
    );
    assert!(setting_pairs("'MOVIEREC_RANK and the like'").is_empty());
}

// ---------------------------------------------------- local.settings.json

/// The local.settings.json `movierec package` writes into the app folder.
fn packaged_local_settings(with_data: bool) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("movierec-binary");
    std::fs::write(&binary, b"not really an executable").unwrap();
    let out = dir.path().join("app");
    movierec::package::package(&movierec::package::PackageOptions {
        root: root(),
        out_dir: out.clone(),
        zip: None,
        binary,
        with_data,
    })
    .unwrap();
    let text = std::fs::read_to_string(out.join("local.settings.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_packaged_local_settings_are_the_app_defaults() {
    for with_data in [false, true] {
        let file = "local.settings.json";
        let settings = packaged_local_settings(with_data);
        assert_eq!(settings, movierec::package::local_settings(with_data));
        let values = settings["Values"].as_object().expect("Values");
        let mut checker = Checker::new();
        for (name, value) in values.iter().filter(|(k, _)| k.starts_with("MOVIEREC_")) {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            checker.check(file, name, &Given::Literal(value));
        }
        for (name, _) in SCHEDULE_DEFAULTS {
            assert!(
                values.contains_key(*name),
                "{name} is missing from local.settings.json: `func start` cannot resolve %{name}%"
            );
        }
        assert_eq!(
            values["MOVIEREC_BOOTSTRAP"],
            if with_data { "true" } else { "false" },
            "func start bootstraps when the data ships with the app"
        );
        checker.finish(file, SCHEDULE_DEFAULTS.len(), file);
    }
}

#[test]
fn no_local_settings_file_is_checked_in_beside_the_sources() {
    // `movierec package` writes the only one, from the table; a copy in the
    // sources would be a second place to keep in step.
    for dir in [root(), root().join("functions")] {
        assert!(
            !dir.join("local.settings.json").exists(),
            "{}: local.settings.json is written by `movierec package`",
            dir.display()
        );
    }
}

// ----------------------------------------------------------------- README

/// The rows of the README's configuration table: (names, default cell).
fn readme_rows() -> Vec<(Vec<String>, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("\n### Configuration\n")
        .expect("a Configuration section in the README");
    let section = &readme[start + 1..];
    let section = &section[..section[4..].find("\n#").map_or(section.len(), |e| e + 4)];
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert!(
            cells.len() >= 3,
            "a row with variable, default, meaning: {line}"
        );
        let names: Vec<String> = cells[0]
            .split(", ")
            .map(|n| n.trim().trim_matches('`').to_string())
            .collect();
        rows.push((names, cells[1].to_string()));
    }
    rows
}

#[test]
fn the_readme_configuration_table_is_the_table_of_defaults() {
    let rows = readme_rows();
    let mut checker = Checker::new();
    let mut listed = BTreeSet::new();
    let file = "README.md";
    for (names, default) in &rows {
        // one default per name: `0.1, 42` for two names
        let defaults: Vec<&str> = if names.len() == 1 {
            vec![default.as_str()]
        } else {
            default.split(", ").collect()
        };
        assert_eq!(
            defaults.len(),
            names.len(),
            "README: {names:?} has {} defaults: {default}",
            defaults.len()
        );
        for (name, default) in names.iter().zip(defaults) {
            assert!(listed.insert(name.clone()), "README lists {name} twice");
            checker.check(
                file,
                name,
                &Given::Literal(default.trim().trim_matches('`').to_string()),
            );
        }
    }
    checker.finish(file, 30, file);
    let missing: Vec<&str> = table()
        .iter()
        .map(|s| s.name)
        .filter(|n| !listed.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "the README's configuration table does not list {missing:?}"
    );
}

// ------------------------------------------------------- the table is whole

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every whole `"MOVIEREC_*"` string literal (and `%MOVIEREC_*%` reference).
fn names_in(text: &str, open: char, close: char) -> Vec<String> {
    let mut names = Vec::new();
    let pattern = format!("{open}MOVIEREC_");
    let mut rest = text;
    while let Some(at) = rest.find(&pattern) {
        rest = &rest[at + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with(close) && !rest[..end].ends_with('_') {
            names.push(rest[..end].to_string());
        }
        rest = &rest[end..];
    }
    names
}

/// Switches of the test harness, not settings: `MOVIEREC_TEST_*` (where a
/// local test server is) and `MOVIEREC_REQUIRE_*` (a missing peer fails).
fn harness_switch(name: &str) -> bool {
    name.starts_with("MOVIEREC_TEST_") || name.starts_with("MOVIEREC_REQUIRE_")
}

#[test]
fn the_table_names_every_setting_the_app_reads() {
    // the sources of every crate under handlers/ (the app and what it is
    // built from, the ratings generator among them)
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("handlers")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 20, "{} source files", files.len());
    let known = defaults();
    let mut unknown = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for name in names_in(&text, '"', '"') {
            if !known.contains_key(name.as_str()) && !harness_switch(&name) {
                unknown.insert(format!("{name} ({})", file.display()));
            }
        }
    }
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let path = entry.unwrap().path().join("function.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            for name in names_in(&text, '%', '%') {
                if !known.contains_key(name.as_str()) {
                    unknown.insert(format!("{name} ({})", path.display()));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "settings read but missing from settings::defaults::table: {unknown:?}"
    );
}
