//! Every reference in template.yaml resolves: each `Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub`,
//! condition name and `DependsOn` names a parameter, resource, pseudo-parameter or condition
//! that exists, so a typo fails here instead of in a CloudFormation deploy.
//!
//! CloudFormation's short forms (`!Ref X`) reach us as YAML tagged values and the long forms
//! (`Ref: X`) as one-key mappings; both are read. Names that SAM's transform creates or resolves
//! (`<Function>Role`, `<Function>.Version`, `ServerlessHttpApi`, …) count as existing when the
//! template has what makes SAM create them.

use std::collections::BTreeSet;

use serde_yaml_ng::{Mapping, Value};

const TEMPLATE: &str = include_str!("../../template.yaml");

const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// What a template's references may name.
#[derive(Debug, Default)]
struct Names {
    parameters: BTreeSet<String>,
    resources: BTreeSet<String>,
    conditions: BTreeSet<String>,
    /// Resources SAM's transform adds: usable with Ref, GetAtt and `${X.Attr}`.
    sam_resources: BTreeSet<String>,
    /// Ref-only names SAM resolves: `<Function>.Version`, `<Function>.Alias`.
    sam_refs: BTreeSet<String>,
}

impl Names {
    fn is_resource(&self, name: &str) -> bool {
        self.resources.contains(name) || self.sam_resources.contains(name)
    }

    fn is_ref_target(&self, name: &str) -> bool {
        self.parameters.contains(name)
            || self.is_resource(name)
            || self.sam_refs.contains(name)
            || PSEUDO_PARAMETERS.contains(&name)
    }
}

/// The outcome of checking one template.
#[derive(Debug, Default)]
struct Report {
    /// How many references were looked at, so a test can tell "all fine" from "found none".
    checked: usize,
    errors: Vec<String>,
}

fn parse(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("the template is valid YAML")
}

fn keys(section: Option<&Value>) -> BTreeSet<String> {
    section
        .and_then(Value::as_mapping)
        .map(|mapping| {
            mapping
                .keys()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping().and_then(|mapping| mapping.get(key))
}

/// Collects the names the template defines, plus the ones SAM will add.
fn names(template: &Value) -> Names {
    let mut names = Names {
        parameters: keys(get(template, "Parameters")),
        resources: keys(get(template, "Resources")),
        conditions: keys(get(template, "Conditions")),
        ..Names::default()
    };
    let globals = get(template, "Globals").and_then(|globals| get(globals, "Function"));
    let global_alias = globals
        .and_then(|function| get(function, "AutoPublishAlias"))
        .is_some();
    let resources = get(template, "Resources")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    for (id, resource) in &resources {
        let (Some(id), Some(kind)) = (id.as_str(), get(resource, "Type").and_then(Value::as_str))
        else {
            continue;
        };
        if kind != "AWS::Serverless::Function" {
            continue;
        }
        let properties = get(resource, "Properties");
        let property = |key: &str| properties.and_then(|p| get(p, key));
        if property("Role").is_none() {
            names.sam_resources.insert(format!("{id}Role"));
        }
        if global_alias || property("AutoPublishAlias").is_some() {
            names.sam_refs.insert(format!("{id}.Version"));
            names.sam_refs.insert(format!("{id}.Alias"));
        }
        let events = property("Events")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        for event in events.values() {
            let event_properties = get(event, "Properties");
            let has = |key: &str| event_properties.and_then(|p| get(p, key)).is_some();
            match get(event, "Type").and_then(Value::as_str) {
                Some("HttpApi") if !has("ApiId") => {
                    names.sam_resources.insert("ServerlessHttpApi".to_owned());
                }
                Some("Api") if !has("RestApiId") => {
                    names.sam_resources.insert("ServerlessRestApi".to_owned());
                }
                _ => {}
            }
        }
    }
    names
}

/// An intrinsic function call, in long form: `("Ref", argument)`, `("Fn::Sub", argument)`, …
fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let long = if name == "Ref" || name == "Condition" {
                name.to_owned()
            } else {
                format!("Fn::{name}")
            };
            Some((long, &tagged.value))
        }
        Value::Mapping(mapping) if mapping.len() == 1 => {
            let (key, argument) = mapping.iter().next()?;
            let key = key.as_str()?;
            let is_intrinsic = key == "Ref"
                || key.starts_with("Fn::")
                || (key == "Condition" && argument.is_string());
            is_intrinsic.then(|| (key.to_owned(), argument))
        }
        _ => None,
    }
}

/// Checks every reference in a template.
fn check(template: &Value) -> Report {
    let names = names(template);
    let mut report = Report::default();
    walk(template, "", &names, &mut report);

    // Resource and output attributes that name other things without an intrinsic function.
    for section in ["Resources", "Outputs"] {
        let entries = get(template, section)
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        for (id, entry) in &entries {
            let id = id.as_str().unwrap_or("?");
            if let Some(condition) = get(entry, "Condition") {
                check_condition(
                    condition,
                    &format!("/{section}/{id}/Condition"),
                    &names,
                    &mut report,
                );
            }
            let depends_on = match get(entry, "DependsOn") {
                Some(Value::Sequence(items)) => items.clone(),
                Some(item) => vec![item.clone()],
                None => vec![],
            };
            for target in depends_on {
                report.checked += 1;
                match target.as_str() {
                    Some(name) if names.is_resource(name) => {}
                    _ => report.errors.push(format!(
                        "/{section}/{id}/DependsOn: {target:?} is not a resource"
                    )),
                }
            }
        }
    }
    report
}

fn walk(value: &Value, at: &str, names: &Names, report: &mut Report) {
    if let Some((function, argument)) = intrinsic(value) {
        let at = format!("{at}/{function}");
        match function.as_str() {
            "Ref" => check_ref(argument, &at, names, report),
            "Fn::GetAtt" => check_get_att(argument, &at, names, report),
            "Fn::Sub" => check_sub(argument, &at, names, report),
            "Condition" => check_condition(argument, &at, names, report),
            "Fn::If" => match argument.as_sequence().and_then(|items| items.first()) {
                Some(condition) => check_condition(condition, &at, names, report),
                None => report
                    .errors
                    .push(format!("{at}: Fn::If needs [condition, then, else]")),
            },
            _ => {}
        }
        // Arguments may hold further calls: `!Join [",", !Ref X]`, a Sub's variable map, …
        walk(argument, &at, names, report);
        return;
    }
    match value {
        Value::Mapping(mapping) => {
            for (key, child) in mapping {
                let key = key
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{key:?}"));
                walk(child, &format!("{at}/{key}"), names, report);
            }
        }
        Value::Sequence(items) => {
            for (index, child) in items.iter().enumerate() {
                walk(child, &format!("{at}/{index}"), names, report);
            }
        }
        _ => {}
    }
}

fn check_ref(argument: &Value, at: &str, names: &Names, report: &mut Report) {
    report.checked += 1;
    match argument.as_str() {
        Some(name) if names.is_ref_target(name) => {}
        Some(name) => report.errors.push(format!(
            "{at}: Ref {name:?} names no parameter, resource or pseudo-parameter"
        )),
        None => report
            .errors
            .push(format!("{at}: Ref takes a name, not {argument:?}")),
    }
}

fn check_get_att(argument: &Value, at: &str, names: &Names, report: &mut Report) {
    report.checked += 1;
    let resource = match argument {
        Value::String(dotted) => dotted
            .split_once('.')
            .map(|(resource, _)| resource.to_owned()),
        Value::Sequence(items) if items.len() == 2 => items[0].as_str().map(str::to_owned),
        _ => None,
    };
    match resource {
        Some(resource) if names.is_resource(&resource) => {}
        Some(resource) => report
            .errors
            .push(format!("{at}: GetAtt {resource:?} names no resource")),
        None => report.errors.push(format!(
            "{at}: GetAtt takes Resource.Attribute or [Resource, Attribute]"
        )),
    }
}

fn check_sub(argument: &Value, at: &str, names: &Names, report: &mut Report) {
    let (text, variables) = match argument {
        Value::String(text) => (text.as_str(), Mapping::new()),
        Value::Sequence(items) if items.len() == 2 => {
            match (items[0].as_str(), items[1].as_mapping()) {
                (Some(text), Some(variables)) => (text, variables.clone()),
                _ => {
                    report.errors.push(format!(
                        "{at}: Sub takes a string or [string, {{variables}}]"
                    ));
                    return;
                }
            }
        }
        _ => {
            report.errors.push(format!(
                "{at}: Sub takes a string or [string, {{variables}}]"
            ));
            return;
        }
    };
    for name in sub_variables(text) {
        report.checked += 1;
        let known = if variables.contains_key(name.as_str()) {
            true
        } else if let Some((resource, _attribute)) = name.split_once('.') {
            names.is_resource(resource) || names.sam_refs.contains(&name)
        } else {
            names.is_ref_target(&name)
        };
        if !known {
            report.errors.push(format!(
                "{at}: ${{{name}}} names no parameter, resource, pseudo-parameter or Sub variable"
            ));
        }
    }
}

/// The `X` of every `${X}` in a Sub string; `${!Literal}` is text, not a reference.
fn sub_variables(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = after[..end].trim();
        if !name.starts_with('!') {
            found.push(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    found
}

fn check_condition(argument: &Value, at: &str, names: &Names, report: &mut Report) {
    report.checked += 1;
    match argument.as_str() {
        Some(name) if names.conditions.contains(name) => {}
        _ => report
            .errors
            .push(format!("{at}: {argument:?} names no condition")),
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_reference_in_template_yaml_resolves() {
    let report = check(&parse(TEMPLATE));
    assert!(
        report.errors.is_empty(),
        "template.yaml has broken references:\n{}",
        report.errors.join("\n")
    );
    // Dozens of Refs, Subs and GetAtts: a checker that found none would be checking nothing.
    assert!(
        report.checked >= 40,
        "only {} references were found; is the walk reaching them?",
        report.checked
    );
}

#[test]
fn a_ref_to_an_undefined_name_is_rejected() {
    let template = parse(
        r#"
Parameters:
  Stage: { Type: String }
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref BucketNmae
"#,
    );
    let report = check(&template);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].contains("\"BucketNmae\""),
        "{:?}",
        report.errors
    );
    assert!(
        report.errors[0].starts_with("/Resources/Bucket/Properties/BucketName/Ref"),
        "{:?}",
        report.errors
    );
}

#[test]
fn long_forms_getatt_sub_conditions_and_depends_on_are_checked() {
    let template = parse(
        r#"
Parameters:
  Stage: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Condition: IsProdd
    DependsOn: [Topic]
    Properties:
      QueueName: { Ref: Stagee }
      Tags:
        - Key: a
          Value: !GetAtt Missing.Arn
        - Key: b
          Value: { "Fn::GetAtt": [AlsoMissing, Arn] }
        - Key: c
          Value: !Sub "${Stage}-${AWS::Region}-${Queue.Arn}-${!NotAReference}-${Nope}"
        - Key: d
          Value: !Sub ["${Local}-${Stage}", { Local: !Ref Stage }]
        - Key: e
          Value: !If [IsProd, !Ref "AWS::NoValue", !Ref Typo]
"#,
    );
    let errors = check(&template).errors;
    let expect = [
        "IsProdd",
        "\"Topic\"",
        "\"Stagee\"",
        "\"Missing\"",
        "\"AlsoMissing\"",
        "${Nope}",
        "\"Typo\"",
    ];
    for needle in expect {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "no error mentions {needle}: {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "unexpected errors: {errors:#?}");
}

#[test]
fn names_that_sam_creates_are_accepted() {
    let template = parse(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      Events:
        Get: { Type: HttpApi, Properties: { Path: /x, Method: GET } }
Outputs:
  Role: { Value: !GetAtt FnRole.Arn }
  Version: { Value: !Ref Fn.Version }
  Api: { Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}" }
"#,
    );
    let report = check(&template);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.checked, 5);
}
