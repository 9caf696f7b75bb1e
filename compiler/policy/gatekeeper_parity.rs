//! Gatekeeper decides in the cluster what pave decided at compile time. The TechCorp example
//! (Gatekeeper on) is compiled; every object it deploys to a cluster, as generated and in a few
//! variants that break a rule, is evaluated twice: by the rule at compile time (with its
//! context, `data.pave.related` included), and by the exported ConstraintTemplate's Rego as
//! Gatekeeper runs it, on the object as the API server hands it to admission (defaults
//! applied), with the generated Constraint's `parameters`, if the Constraint's `match` selects
//! the object. Both must report the same messages.
//!
//! Gatekeeper's input and matching, as documented in open-policy-agent/gatekeeper
//! `website/docs/howto.md` (`input.review` is the AdmissionReview request: `kind`, `name`,
//! `namespace`, `operation`, `object`; `input.parameters` the Constraint's; a violation is an
//! element of the template's `violation` set, its `msg` the message; `namespaceSelector` selects
//! by the labels of the object's namespace, or of the object itself if it is a Namespace, and
//! matches cluster-scoped objects).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value as Json, json};

use super::PolicySet;
use crate::emit::{OutputFile, Provenance};
use crate::parse::yaml::parse_yaml;
use crate::pipeline::{Options, Timings, check, generate};
use crate::source::FileId;

/// One generated object.
struct Object<'a> {
    path: &'a str,
    file: &'a OutputFile,
    provenance: &'a Provenance,
    json: Json,
}

/// A cluster's Gatekeeper objects: per Constraint kind, the template and the Constraint.
struct Cluster {
    environment: String,
    rules: Vec<(Json, Json)>,
}

#[test]
fn every_exported_template_decides_as_its_rule_on_every_object_of_the_example() -> Result<(), String>
{
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/techcorp");
    let mut source_map = crate::source::read_platform(&root)
        .map_err(|error| format!("the example does not load: {error:?}"))?;
    // A waiver of a rule Gatekeeper runs, for one service in one environment, so that the
    // adapter's waivers are put to the test too (the example waives only a rule on specs).
    source_map.add(crate::source::SourceFile::new(
        "policies/parity-waiver.yaml".into(),
        "apiVersion: pave.dev/v1alpha1\nkind: Waiver\nmetadata: {name: frontend-upstream-images}\nspec:\n  rule: allowed-registries\n  tenant: web\n  service: frontend\n  environments: [prod]\n  reason: The parity test's.\n  expires: 2027-01-01\n".into(),
        crate::source::Origin::User,
    ));
    let options = Options {
        today: jiff::civil::date(2026, 12, 1),
        evaluate_policies: true,
        contents: true,
    };
    let mut timings = Timings::default();
    let (validated, policies, warnings) = check(&source_map, &options, &mut timings)
        .map_err(|d| format!("the example does not check: {d:?}"))?;
    assert!(
        validated.spec().platform.spec.policies.gatekeeper.enabled,
        "the example turns Gatekeeper on"
    );
    let compilation = generate(
        validated,
        &policies,
        &options,
        warnings,
        &source_map,
        None,
        &mut timings,
    )
    .map_err(|d| format!("the example does not compile: {d:?}"))?;
    let objects: Vec<Object<'_>> = compilation
        .tree
        .files
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") && !path.ends_with("kustomization.yaml"))
        .flat_map(|(path, file)| {
            let (nodes, _) = parse_yaml(FileId::new(0), &file.contents);
            nodes
                .iter()
                .enumerate()
                .map(|(i, node)| Object {
                    path,
                    file,
                    provenance: file.provenance(i),
                    json: node.to_json(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let clusters = clusters(&objects)?;
    assert_eq!(clusters.len(), 9, "a Gatekeeper per cluster of the example");
    let namespaces: BTreeMap<String, Json> = objects
        .iter()
        .filter(|o| o.json["kind"] == "Namespace")
        .map(|o| {
            (
                o.json["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                o.json["metadata"]["labels"].clone(),
            )
        })
        .collect();

    let mut engines: BTreeMap<String, regorus::Engine> = BTreeMap::new();
    // Per rule: objects its Constraint selected, and violations both sides found.
    let mut selected: BTreeMap<String, usize> = BTreeMap::new();
    let mut violations: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut waived = BTreeSet::new();
    for (cluster_name, cluster) in &clusters {
        for object in &objects {
            let context = &object.provenance.context;
            if context
                .environment
                .as_ref()
                .is_some_and(|e| *e != cluster.environment)
                || context.cluster.as_ref().is_some_and(|c| c != cluster_name)
            {
                continue;
            }
            let folder = object.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            let guards: Vec<Json> = objects
                .iter()
                .filter(|o| o.path.rsplit_once('/').map_or("", |(dir, _)| dir) == folder)
                .filter(|o| super::is_guard(o.json["kind"].as_str().unwrap_or("")))
                .map(|o| o.json.clone())
                .collect();
            for (variant, json) in variants(&object.json) {
                for (template, constraint) in &cluster.rules {
                    let rule = template["metadata"]["annotations"]["pave.dev/rule"]
                        .as_str()
                        .unwrap_or("");
                    let compiled: BTreeSet<String> = policies
                        .findings_on(
                            rule,
                            object.path,
                            (object.file, object.provenance),
                            &json,
                            &guards,
                        )
                        .into_iter()
                        .collect();
                    let in_tenant_namespace = tenant_namespace(&json, &namespaces);
                    let applies = selects(&constraint["spec"]["match"], &json, &namespaces);
                    if !applies {
                        // Gatekeeper looks at the tenants' namespaces only (the platform's run
                        // charts pave does not see); there it must look at every kind the rule
                        // evaluates at compile time.
                        if in_tenant_namespace && policies.evaluates(rule, &json) {
                            disagreements.push(format!(
                                "{cluster_name} {rule}: the Constraint does not select {} ({variant})",
                                object.path
                            ));
                        }
                        continue;
                    }
                    *selected.entry(rule.to_string()).or_default() += 1;
                    let key = format!("{cluster_name}/{rule}");
                    if !engines.contains_key(&key) {
                        engines.insert(key.clone(), template_engine(template)?);
                    }
                    let engine = engines.get_mut(&key).ok_or("no engine")?;
                    let admitted = admitted(&json);
                    let in_cluster = violations_of(engine, template, constraint, &admitted)?;
                    if in_cluster != compiled {
                        disagreements.push(format!(
                            "{cluster_name} {rule} on {} ({variant}): compile time {compiled:?}, Gatekeeper {in_cluster:?}",
                            object.path
                        ));
                    } else if !compiled.is_empty() {
                        *violations.entry(rule.to_string()).or_default() += 1;
                    } else if rule == "allowed-registries"
                        && variant == "an upstream image with no pinned tag"
                    {
                        // Neither side reports it: the waiver covers it.
                        waived.insert(format!("{}/{}", cluster.environment, object.path));
                    }
                }
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every exported rule was put to the test, and those the variants break were seen to deny.
    let exported: BTreeSet<&str> = clusters
        .values()
        .flat_map(|c| c.rules.iter())
        .filter_map(|(t, _)| t["metadata"]["annotations"]["pave.dev/rule"].as_str())
        .collect();
    for rule in &exported {
        assert!(
            selected.get(*rule).is_some_and(|n| *n > 0),
            "no object selected by `{rule}`"
        );
    }
    check_waived(&waived)?;
    for rule in [
        "allowed-registries",
        "image-tag-pinned",
        "no-host-namespaces",
        "no-secret-data",
        "production-replicas",
        "public-ingress-declared",
    ] {
        assert!(
            violations.get(rule).is_some_and(|n| *n > 0),
            "no variant violates `{rule}`: {violations:?}"
        );
    }
    Ok(())
}

/// The waiver covered the frontend's workloads in prod, and only those.
fn check_waived(waived: &BTreeSet<String>) -> Result<(), String> {
    if waived.is_empty() {
        return Err("the waiver waived nothing".into());
    }
    match waived
        .iter()
        .find(|w| !w.starts_with("prod/tenants/web/prod/") || !w.contains("frontend"))
    {
        Some(other) => Err(format!("waived beyond the waiver: {other}")),
        None => Ok(()),
    }
}

/// Each cluster's templates and Constraints, by cluster name.
fn clusters(objects: &[Object<'_>]) -> Result<BTreeMap<String, Cluster>, String> {
    let mut clusters: BTreeMap<String, Cluster> = BTreeMap::new();
    let templates: BTreeMap<(String, String), &Json> = objects
        .iter()
        .filter(|o| o.json["kind"] == "ConstraintTemplate")
        .map(|o| {
            let cluster = o.path.split('/').nth(1).unwrap_or("").to_string();
            let kind = o.json["spec"]["crd"]["spec"]["names"]["kind"]
                .as_str()
                .unwrap_or("")
                .to_string();
            ((cluster, kind), &o.json)
        })
        .collect();
    for object in objects
        .iter()
        .filter(|o| o.json["apiVersion"] == "constraints.gatekeeper.sh/v1beta1")
    {
        let name = object.path.split('/').nth(1).unwrap_or("").to_string();
        let kind = object.json["kind"].as_str().unwrap_or("").to_string();
        let template = templates
            .get(&(name.clone(), kind.clone()))
            .ok_or(format!("no template for the Constraint {}", object.path))?;
        let environment = object.json["metadata"]["labels"]["pave.dev/environment"]
            .as_str()
            .unwrap_or("")
            .to_string();
        clusters
            .entry(name)
            .or_insert_with(|| Cluster {
                environment,
                rules: Vec::new(),
            })
            .rules
            .push(((*template).clone(), object.json.clone()));
    }
    Ok(clusters)
}

/// The object as generated, and variants that break the rules: what a user's override, an
/// add-on manifest or a hand edit in the cluster could make of it.
fn variants(object: &Json) -> Vec<(&'static str, Json)> {
    let mut out = vec![("as generated", object.clone())];
    let kind = object["kind"].as_str().unwrap_or("");
    let mut variant = |name: &'static str, change: &dyn Fn(&mut Json)| {
        let mut json = object.clone();
        change(&mut json);
        out.push((name, json));
    };
    if matches!(kind, "Deployment" | "StatefulSet") {
        variant("one replica", &|o| o["spec"]["replicas"] = json!(1));
        variant("no replicas", &|o| {
            if let Some(spec) = o["spec"].as_object_mut() {
                spec.remove("replicas");
            }
        });
    }
    let pod = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some(&["spec", "template", "spec"][..])
        }
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"][..]),
        "Pod" => Some(&["spec"][..]),
        _ => None,
    };
    if let Some(pod) = pod {
        variant("an upstream image with no pinned tag", &|o| {
            let mut node = &mut *o;
            for key in pod {
                node = &mut node[*key];
            }
            node["containers"][0]["image"] = json!("nginx:latest");
        });
        variant("on the host network", &|o| {
            let mut node = &mut *o;
            for key in pod {
                node = &mut node[*key];
            }
            node["hostNetwork"] = json!(true);
        });
    }
    if kind == "Ingress" {
        variant("internet-facing", &|o| {
            o["metadata"]["annotations"]["alb.ingress.kubernetes.io/scheme"] =
                json!("internet-facing");
        });
    }
    if kind == "Service" {
        variant("a load balancer", &|o| {
            o["spec"]["type"] = json!("LoadBalancer")
        });
    }
    if kind == "Secret" || kind == "ConfigMap" {
        variant("a Secret with data", &|o| {
            o["kind"] = json!("Secret");
            o["data"] = json!({"password": "aHVudGVyMg=="});
        });
    }
    out
}

/// The object as admission sees it: the API server's defaults applied to the fields rules read.
fn admitted(object: &Json) -> Json {
    let mut object = object.clone();
    match object["kind"].as_str().unwrap_or("") {
        "Deployment" | "StatefulSet" if object["spec"].get("replicas").is_none() => {
            object["spec"]["replicas"] = json!(1);
        }
        "HorizontalPodAutoscaler" if object["spec"].get("minReplicas").is_none() => {
            object["spec"]["minReplicas"] = json!(1);
        }
        "Service" if object["spec"].get("type").is_none() => {
            object["spec"]["type"] = json!("ClusterIP");
        }
        _ => {}
    }
    object
}

/// Whether an object is in a tenant's namespace (or is one).
fn tenant_namespace(object: &Json, namespaces: &BTreeMap<String, Json>) -> bool {
    let labels = if object["kind"] == "Namespace" {
        &object["metadata"]["labels"]
    } else {
        match object["metadata"]["namespace"].as_str() {
            Some(namespace) => namespaces.get(namespace).unwrap_or(&Json::Null),
            None => return false,
        }
    };
    labels.get(crate::lower::TENANT_LABEL).is_some()
}

/// Whether a Constraint's `match` selects an object, as Gatekeeper decides it.
fn selects(matches: &Json, object: &Json, namespaces: &BTreeMap<String, Json>) -> bool {
    let (group, _) = object["apiVersion"]
        .as_str()
        .unwrap_or("")
        .rsplit_once('/')
        .unwrap_or(("", ""));
    let kind = object["kind"].as_str().unwrap_or("");
    if let Some(kinds) = matches["kinds"].as_array() {
        let any = |list: &Json, value: &str| {
            list.as_array()
                .is_some_and(|l| l.iter().any(|v| v == value || v == "*"))
        };
        if !kinds
            .iter()
            .any(|k| any(&k["apiGroups"], group) && any(&k["kinds"], kind))
        {
            return false;
        }
    }
    let namespace = object["metadata"]["namespace"].as_str();
    match matches["scope"].as_str() {
        Some("Namespaced") if namespace.is_none() => return false,
        Some("Cluster") if namespace.is_some() => return false,
        _ => {}
    }
    if let Some(selector) = matches.get("namespaceSelector") {
        let labels = if kind == "Namespace" {
            object["metadata"]["labels"].clone()
        } else {
            match namespace {
                Some(namespace) => namespaces.get(namespace).cloned().unwrap_or(Json::Null),
                // Cluster-scoped objects are matched.
                None => return true,
            }
        };
        return selected_by(selector, &labels);
    }
    true
}

/// A label selector (`matchLabels`, `matchExpressions`) on labels.
fn selected_by(selector: &Json, labels: &Json) -> bool {
    let label = |key: &str| labels.get(key).and_then(Json::as_str);
    let by_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let by_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            match e["operator"].as_str() {
                Some("Exists") => label(key).is_some(),
                Some("DoesNotExist") => label(key).is_none(),
                Some("In") => label(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => label(key).is_none_or(|v| !values.contains(&v)),
                _ => false,
            }
        });
    by_labels && by_expressions
}

/// An engine with a template's Rego and libraries, as Gatekeeper compiles them (Rego v1).
fn template_engine(template: &Json) -> Result<regorus::Engine, String> {
    let source = &template["spec"]["targets"][0]["code"][0]["source"];
    let name = template["metadata"]["name"].as_str().unwrap_or("");
    if source["version"] != "v1" {
        return Err(format!("{name}: not Rego v1"));
    }
    let mut engine = regorus::Engine::new();
    engine
        .add_policy(
            format!("{name}.rego"),
            source["rego"].as_str().unwrap_or("").to_string(),
        )
        .map_err(|error| format!("{name}: {error}"))?;
    for (i, lib) in source["libs"].as_array().into_iter().flatten().enumerate() {
        engine
            .add_policy(
                format!("{name}-lib-{i}.rego"),
                lib.as_str().unwrap_or("").to_string(),
            )
            .map_err(|error| format!("{name} lib {i}: {error}"))?;
    }
    Ok(engine)
}

/// The messages of a template's `violation`s on an object under review.
fn violations_of(
    engine: &mut regorus::Engine,
    template: &Json,
    constraint: &Json,
    object: &Json,
) -> Result<BTreeSet<String>, String> {
    let (group, version) = object["apiVersion"]
        .as_str()
        .unwrap_or("")
        .rsplit_once('/')
        .unwrap_or(("", object["apiVersion"].as_str().unwrap_or("")));
    let mut review = json!({
        "kind": {"group": group, "version": version, "kind": object["kind"]},
        "name": object["metadata"]["name"],
        "operation": "CREATE",
        "object": object,
    });
    if let Some(namespace) = object["metadata"]["namespace"].as_str() {
        review["namespace"] = json!(namespace);
    }
    engine.set_input(regorus::Value::from(json!({
        "review": review,
        "parameters": constraint["spec"]["parameters"],
    })));
    let package = template["metadata"]["name"].as_str().unwrap_or("");
    let value = engine
        .eval_rule(format!("data.{package}.violation"))
        .map_err(|error| format!("{package}: {error}"))?;
    let value = serde_json::to_value(&value).map_err(|e| e.to_string())?;
    Ok(value
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["msg"].as_str().unwrap_or("").to_string())
        .collect())
}

impl PolicySet {
    /// The messages of the rule `id` on a generated object at compile time (none if it does not
    /// evaluate objects of its kind, or a waiver covers it), with the guards of its folder.
    fn findings_on(
        &self,
        id: &str,
        path: &str,
        (file, provenance): (&OutputFile, &Provenance),
        object: &Json,
        guards: &[Json],
    ) -> Vec<String> {
        let Some(index) = self.rules.iter().position(|r| r.id == id) else {
            return Vec::new();
        };
        let api_version = object["apiVersion"].as_str().unwrap_or("");
        let kind = object["kind"].as_str().unwrap_or("");
        if !self
            .rules_for(super::Target::Kubernetes, api_version, kind)
            .contains(&index)
        {
            return Vec::new();
        }
        let mut folder = super::Guards::default();
        for guard in guards {
            folder.add(&regorus::Value::from(guard.clone()));
        }
        let mut input = self.generated_input(
            path,
            &file.source,
            provenance,
            super::Target::Kubernetes,
            regorus::Value::from(object.clone()),
            vec![index],
            &folder,
        );
        let mut worker = self.worker();
        let owner = super::Owner {
            tenant: input.owner.tenant,
            service: input.owner.service,
            environment: input.owner.environment,
        };
        match self.findings(&mut worker, &mut input) {
            Ok(findings) => findings
                .into_iter()
                .filter(|f| self.waiver_of(f.rule, &owner).is_none())
                .map(|f| f.message)
                .collect(),
            Err(error) => vec![error.kind.message()],
        }
    }

    /// Whether the rule `id` evaluates objects of this kind at compile time.
    fn evaluates(&self, id: &str, object: &Json) -> bool {
        let Some(index) = self.rules.iter().position(|r| r.id == id) else {
            return false;
        };
        self.rules_for(
            super::Target::Kubernetes,
            object["apiVersion"].as_str().unwrap_or(""),
            object["kind"].as_str().unwrap_or(""),
        )
        .contains(&index)
    }
}
