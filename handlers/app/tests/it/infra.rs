//! The Bicep in infra/, checked without a Bicep compiler (none can be
//! installed here): every file is parsed with the tree-sitter-bicep grammar
//! and must have no ERROR or MISSING node; then the tree is checked for what
//! a deployment needs: API versions on every resource, every parameter used,
//! module paths that exist, the identity on the Function App, the data-plane
//! role assignments, identity-based connections, and no secret anywhere.

use std::collections::HashMap;

use crate::common::bicep::Bicep;
use crate::common::root;
use tree_sitter::Node;

impl Bicep {
    /// The first string literal under `node`, unquoted.
    fn first_string(&self, node: Node) -> Option<String> {
        let mut cursor = node.walk();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "string" {
                return Some(self.text_of(n).trim_matches('\'').to_string());
            }
            let children: Vec<Node> = n.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        None
    }
}

fn bicep_files() -> Vec<Bicep> {
    Bicep::all_files()
}

#[test]
fn every_file_parses_without_errors() {
    let files = bicep_files();
    assert!(files.len() >= 7, "main and six modules");
    for f in &files {
        let mut bad = Vec::new();
        let mut cursor = f.tree.walk();
        let mut stack = vec![f.tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.is_error() || node.is_missing() {
                let p = node.start_position();
                bad.push(format!(
                    "{}:{}: {}",
                    p.row + 1,
                    p.column + 1,
                    node.to_sexp()
                ));
            }
            stack.extend(node.children(&mut cursor));
        }
        assert!(bad.is_empty(), "{}: {bad:?}", f.path.display());
    }
}

#[test]
fn every_resource_has_a_type_with_an_api_version() {
    let api = |t: &str| {
        let (kind, version) = t.split_once('@').unwrap_or((t, ""));
        kind.contains('/')
            && version.len() >= 10
            && version[..10]
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-')
    };
    let mut resources = 0;
    for f in bicep_files() {
        for r in f.all("resource_declaration") {
            let t = f.first_string(r).expect("a resource type");
            assert!(
                api(&t),
                "{}: resource type {t:?} has no API version",
                f.path.display()
            );
            resources += 1;
        }
    }
    assert!(resources >= 15, "{resources} resources");
}

#[test]
fn every_parameter_is_used_and_every_module_exists() {
    for f in bicep_files() {
        // identifiers that refer to something: not object keys (`name: name`
        // counts once, as a use)
        let identifiers: Vec<String> = f
            .all("identifier")
            .into_iter()
            .filter(|n| {
                !n.parent().is_some_and(|p| {
                    p.kind() == "object_property" && p.child(0).is_some_and(|k| k.id() == n.id())
                })
            })
            .map(|n| f.text_of(n).to_string())
            .collect();
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for id in &identifiers {
            *uses.entry(id).or_default() += 1;
        }
        if f.path.extension().is_some_and(|e| e == "bicep") {
            for p in f.all("parameter_declaration") {
                let name = f.text_of(param_name(p)).to_string();
                assert!(
                    uses.get(name.as_str()).copied().unwrap_or(0) >= 2,
                    "{}: param {name} is never used",
                    f.path.display()
                );
            }
        }
        for m in f.all("module_declaration") {
            let rel = f.first_string(m).expect("a module path");
            let target = f.path.parent().unwrap().join(&rel);
            assert!(
                target.is_file(),
                "{}: module {rel} does not exist",
                f.path.display()
            );
        }
    }
}

/// The name in `param <name> <type> [= default]`.
fn param_name(declaration: Node) -> Node {
    let mut cursor = declaration.walk();
    let name = declaration
        .named_children(&mut cursor)
        .find(|c| c.kind() == "identifier")
        .expect("a parameter name");
    name
}

fn file(name: &str) -> Bicep {
    bicep_files()
        .into_iter()
        .find(|f| f.path.ends_with(name))
        .unwrap_or_else(|| panic!("infra/{name}"))
}

#[test]
fn the_app_runs_as_its_identity_with_data_plane_roles_and_no_secrets() {
    let app = file("modules/functionapp.bicep");
    let site = app
        .all("resource_declaration")
        .into_iter()
        .find(|r| {
            app.first_string(*r)
                .unwrap()
                .starts_with("Microsoft.Web/sites@")
        })
        .expect("the Function App");
    let site_text = app.text_of(site);
    assert!(
        site_text.contains("type: 'UserAssigned'") && site_text.contains("userAssignedIdentities")
    );
    assert!(
        site_text.contains("runtime: { name: 'custom'"),
        "custom handler runtime"
    );
    assert!(site_text.contains("FlexConsumption") || app.text.contains("FlexConsumption"));
    // identity-based connections for the host and the trigger
    for setting in [
        "AzureWebJobsStorage__credential: 'managedidentity'",
        "EventHubConnection__fullyQualifiedNamespace",
        "EventHubConnection__credential: 'managedidentity'",
        "EventHubConnection__clientId",
        "MOVIEREC_COSMOS_CLIENT_ID",
    ] {
        assert!(app.text.contains(setting), "missing {setting}");
    }
    // the roles: Blob Data Owner, Event Hubs Data Receiver, Monitoring Metrics
    // Publisher (Azure RBAC) and Cosmos DB Built-in Data Contributor (data plane)
    let everything: String = bicep_files().iter().map(|f| f.text.clone()).collect();
    for role in [
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        // Storage Queue Data Contributor: the recommend-shards queue
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
        "3913510d-42f4-4e42-8a64-420c390055eb",
        "00000000-0000-0000-0000-000000000002",
    ] {
        assert!(everything.contains(role), "role {role} is not assigned");
    }
    let cosmos = file("modules/cosmos.bicep");
    assert!(cosmos.all("resource_declaration").iter().any(|r| cosmos
        .first_string(*r)
        .unwrap()
        .contains("/sqlRoleAssignments@")));
    // local auth off where the service allows it
    for (name, needle) in [
        ("modules/cosmos.bicep", "disableLocalAuth: true"),
        ("modules/eventhubs.bicep", "disableLocalAuth: true"),
        ("modules/storage.bicep", "allowSharedKeyAccess: false"),
        ("modules/monitoring.bicep", "DisableLocalAuth: true"),
    ] {
        assert!(file(name).text.contains(needle), "{name}: {needle}");
    }
    // no key, no connection string with a key, no listKeys
    for f in bicep_files() {
        let lower = f.text.to_lowercase();
        for secret in [
            "listkeys(",
            "listconnectionstrings(",
            "accountkey=",
            "sharedaccesskey",
            "primarymasterkey",
            "@secure()",
        ] {
            assert!(!lower.contains(secret), "{}: {secret}", f.path.display());
        }
    }
}

#[cfg(feature = "cosmos")]
#[test]
fn the_cosmos_containers_match_what_the_store_uses() {
    let cosmos = file("modules/cosmos.bicep");
    for (name, partition_key, indexed) in movierec_store::cosmos::containers::CONTAINERS {
        let line = format!("{{ name: '{name}', partitionKey: '{partition_key}', indexed: [");
        let at = cosmos
            .text
            .find(&line)
            .unwrap_or_else(|| panic!("container {name} with partition key {partition_key}"));
        let rest = &cosmos.text[at + line.len()..];
        let listed = &rest[..rest.find(']').unwrap()];
        let listed: Vec<&str> = listed
            .split(',')
            .map(|p| p.trim().trim_matches('\''))
            .filter(|p| !p.is_empty())
            .collect();
        assert_eq!(listed, indexed.to_vec(), "indexed paths of {name}");
    }
}

#[test]
fn the_example_parameters_file_sets_only_declared_parameters() {
    // The grammar has no `.bicepparam` rules (`param name = value` without a
    // type), so this file is checked line by line against main.bicep.
    let main = file("infra/main.bicep");
    let declared: Vec<String> = main
        .all("parameter_declaration")
        .into_iter()
        .map(|p| main.text_of(param_name(p)).to_string())
        .collect();
    let params = std::fs::read_to_string(root().join("infra/main.bicepparam")).unwrap();
    assert!(params.lines().any(|l| l.trim() == "using 'main.bicep'"));
    let mut set = 0;
    for line in params
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("param "))
    {
        let name = line["param ".len()..].split('=').next().unwrap().trim();
        assert!(
            declared.iter().any(|d| d == name),
            "main.bicepparam sets unknown param {name}"
        );
        set += 1;
    }
    assert!(set >= 3 && declared.contains(&"namePrefix".to_string()));
}

/// The decorators written just above `param <name>` in `bicep`, one per line.
fn decorators(bicep: &Bicep, name: &str) -> Vec<String> {
    let lines: Vec<&str> = bicep.text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("param {name} ")))
        .unwrap_or_else(|| panic!("{}: no param {name}", bicep.rel));
    lines[..at]
        .iter()
        .rev()
        .take_while(|l| l.starts_with('@'))
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn every_parameter_a_deployment_would_refuse_late_is_bounded() {
    let main = file("main.bicep");
    for (name, bounds) in [
        ("namePrefix", &["@minLength(3)", "@maxLength(11)"][..]),
        // Flex Consumption's range
        (
            "maximumInstanceCount",
            &["@minValue(40)", "@maxValue(1000)"],
        ),
        // 512 MB cannot hold in-process training (README, Capacity model)
        ("instanceMemoryMB", &["@allowed([2048, 4096])"]),
        (
            "cosmosAutoscaleMaxThroughput",
            &["@minValue(1000)", "@maxValue(1000000)"],
        ),
        ("eventHubPartitionCount", &["@minValue(1)", "@maxValue(32)"]),
        // the app's own check of MOVIEREC_TOP_N
        ("topN", &["@minValue(1)", "@maxValue(100)"]),
        ("cosmosConcurrency", &["@minValue(1)"]),
        ("cosmosThrottleRetries", &["@minValue(0)"]),
        (
            "cosmosCapacityMode",
            &["@allowed(['Serverless', 'Autoscale'])"],
        ),
        ("trainer", &["@allowed(['in-process', 'external'])"]),
    ] {
        let found = decorators(&main, name);
        for bound in bounds {
            assert!(
                found.iter().any(|d| d == bound),
                "param {name} lacks {bound}: {found:?}"
            );
        }
    }
    // The prefix's characters: checked with fail(), and no name is built
    // from the unchecked parameter.
    assert!(main
        .text
        .contains("contains('abcdefghijklmnopqrstuvwxyz', first(namePrefix))"));
    assert!(main.text.contains("? namePrefix\n  : fail('namePrefix"));
    let unchecked: Vec<&str> = main
        .text
        .lines()
        .filter(|l| !l.contains("fail('namePrefix"))
        .filter(|l| l.contains("${namePrefix}") || l.trim() == "namePrefix: namePrefix")
        .collect();
    assert!(
        unchecked.is_empty(),
        "names from the unchecked prefix: {unchecked:?}"
    );
}

#[test]
fn the_roles_the_host_and_the_trainer_need_come_in_order_with_diagnostics() {
    let storage = file("modules/storage.bicep");
    // Storage Table Data Contributor: the host's diagnostic events
    assert!(storage
        .text
        .contains("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"));
    // the external trainer writes the models container only, when named
    let trainer = storage
        .text
        .split("resource ")
        .find(|r| r.starts_with("trainerWriter "))
        .expect("the trainer's role assignment");
    assert!(
        trainer.contains("if (!empty(trainerPrincipalId))"),
        "{trainer}"
    );
    assert!(trainer.contains("scope: models"), "{trainer}");
    assert!(
        trainer.contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe"),
        "{trainer}"
    );
    assert!(file("main.bicep")
        .text
        .contains("trainerPrincipalId: sparkTrainerPrincipalId"));
    // Cosmos DB: the data-plane role after the containers (412 "exclusive
    // lock" otherwise), TLS 1.2, no metadata writes with keys
    let cosmos = file("modules/cosmos.bicep");
    let role = cosmos
        .text
        .split("resource ")
        .find(|r| r.starts_with("dataContributor "))
        .expect("the Cosmos DB role assignment");
    assert!(role.contains("dependsOn: [containerResources]"), "{role}");
    for needle in [
        "minimalTlsVersion: 'Tls12'",
        "disableKeyBasedMetadataWriteAccess: true",
    ] {
        assert!(cosmos.text.contains(needle), "cosmos.bicep: {needle}");
    }
    // logs and metrics of every service to the workspace
    for module in [
        "modules/functionapp.bicep",
        "modules/cosmos.bicep",
        "modules/eventhubs.bicep",
        "modules/storage.bicep",
    ] {
        let f = file(module);
        assert!(
            f.text.contains("Microsoft.Insights/diagnosticSettings@")
                && f.text.contains("workspaceId: logAnalyticsWorkspaceId"),
            "{module}: no diagnostic settings to the workspace"
        );
    }
    assert!(file("modules/monitoring.bicep")
        .text
        .contains("output workspaceId string = workspace.id"));
}
