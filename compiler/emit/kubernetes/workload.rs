//! A service in one environment: its ServiceAccount, ConfigMap, workload (Deployment,
//! StatefulSet, CronJob or Job), Service, HorizontalPodAutoscaler, PodDisruptionBudget and
//! Ingress, and, in the tenancy folder (the tenant may not change it), the network policy that
//! admits its callers. Pods are locked down by default.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource,
    Container, ContainerPort, EmptyDirVolumeSource, EnvFromSource, EnvVar, EnvVarSource,
    ExecAction, HTTPGetAction, HTTPHeader, KeyToPath, PersistentVolumeClaimVolumeSource,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretKeySelector, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec,
    TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, IPBlock, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use std::sync::Arc;

use super::Folder;
use super::external_secret::ExternalSecret;
use super::tenancy::{cpu_memory, meta, tenant_namespace_peer};
use crate::emit::{ObjectContext, Provenance};
use crate::lower::{
    EnvVarSource as PlannedEnvSource, PlannedContainer, PlannedEnvVar, PlannedFile, PlannedMount,
    PlannedPort, PlannedProbe, TenantEnvironment, Workload, claim_volume_name,
};
use crate::parse::WorkloadKind;
use crate::parse::score::InitKind;
use crate::resolve::ResolvedContent;

/// The user and group pods run as: non-root, above the range images usually reserve.
const RUN_AS_ID: i64 = 10001;

/// Where a workload's objects come from: the Service document, and the nodes that decided its
/// image, resources, replicas, schedule and ingress, at the fields they fill in each object kind
/// (the pod template of a Deployment or StatefulSet, of a CronJob's job template, of a Job).
pub(super) fn provenance(workload: &Workload, context: &Arc<ObjectContext>) -> Provenance {
    let origin = &workload.origin;
    let mut provenance = Provenance::new(Some(origin.document), context);
    for template in ["/spec/template", "/spec/jobTemplate/spec/template"] {
        let container = format!("{template}/spec/containers/0");
        provenance = provenance
            .field(format!("{container}/image"), origin.image)
            .field(format!("{container}/resources"), origin.resources);
    }
    // The ExternalSecret: each key read from the Service's `secrets` comes from its entry there.
    let data = workload.external_secret.iter().flat_map(|e| &e.data);
    for (i, data) in data.enumerate() {
        if let Some(span) = origin.secrets.get(&data.key) {
            provenance = provenance.field(format!("/spec/data/{i}"), Some(*span));
        }
    }
    provenance
        .field("/spec/replicas", origin.replicas)
        .field("/spec/minReplicas", origin.replicas)
        .field("/spec/maxReplicas", origin.replicas)
        .field("/spec/minAvailable", origin.replicas)
        .field("/spec/schedule", origin.schedule)
        .field("/spec/rules", origin.ingress)
        .field("/spec/tls", origin.ingress)
        .field("/spec/ingressClassName", origin.ingress)
        .field("/metadata/annotations", origin.ingress)
}

pub(super) fn emit(
    unit: &TenantEnvironment,
    workload: &Workload,
    source: &str,
    folder: &mut Folder,
    tenancy: &mut Folder,
) -> Result<(), String> {
    let name = workload.name.as_str();
    folder.add(&service_account(unit, workload), name, source)?;
    if !workload.env.is_empty() {
        folder.add(
            &config_map(unit, workload),
            &config_map_name(workload),
            source,
        )?;
    }
    if has_files(workload) {
        folder.add(
            &files_config_map(unit, workload),
            &files_config_map_name(workload),
            source,
        )?;
    }
    // In the tenancy folder: the platform decides which secrets a workload reads, so a tenant
    // cannot point an ExternalSecret at another tenant's secrets through the shared store.
    if let Some(external_secret) = &workload.external_secret {
        let object = ExternalSecret::new(
            meta(unit, &external_secret.name, &workload.labels),
            external_secret,
        );
        tenancy.add_object(
            super::external_secret::API_VERSION,
            super::external_secret::KIND,
            &external_secret.name,
            &object,
            source,
        )?;
    }
    let template = pod_template(workload);
    match workload.kind {
        WorkloadKind::Deployment => {
            folder.add(&deployment(unit, workload, template), name, source)?
        }
        WorkloadKind::StatefulSet => {
            folder.add(&stateful_set(unit, workload, template), name, source)?
        }
        WorkloadKind::CronJob => folder.add(&cron_job(unit, workload, template), name, source)?,
        WorkloadKind::Job => folder.add(&job(unit, workload, template), name, source)?,
    }
    if workload.kind.is_long_running() && !workload.ports.is_empty() {
        folder.add(
            &service(unit, workload, &workload.name, false),
            name,
            source,
        )?;
        if workload.kind == WorkloadKind::StatefulSet {
            // The governing Service: stable DNS names for each pod.
            let headless = headless_name(workload);
            folder.add(&service(unit, workload, &headless, true), &headless, source)?;
        }
    }
    if has_autoscaler(workload) {
        folder.add(&autoscaler(unit, workload), name, source)?;
    }
    if workload.kind.is_long_running() && workload.replicas.min() >= 2 {
        folder.add(&disruption_budget(unit, workload), name, source)?;
    }
    if let Some(ingress) = ingress(unit, workload) {
        folder.add(&ingress, name, source)?;
    }
    if let Some(policy) = network_policy(unit, workload) {
        tenancy.add(&policy, &format!("allow-to-{name}"), source)?;
    }
    Ok(())
}

fn has_autoscaler(workload: &Workload) -> bool {
    workload.autoscaled()
}

fn config_map_name(workload: &Workload) -> String {
    format!("{}-env", workload.name)
}

fn files_config_map_name(workload: &Workload) -> String {
    format!("{}-files", workload.name)
}

/// The files of every container of the pod.
fn all_files(workload: &Workload) -> impl Iterator<Item = &PlannedFile> {
    workload
        .files
        .iter()
        .chain(workload.sidecars.iter().flat_map(|c| c.files.iter()))
}

fn has_files(workload: &Workload) -> bool {
    all_files(workload).next().is_some()
}

/// The ConfigMap of the files mounted into the pod's containers (Score `files`).
fn files_config_map(unit: &TenantEnvironment, workload: &Workload) -> ConfigMap {
    let mut data = BTreeMap::new();
    let mut binary_data = BTreeMap::new();
    for file in all_files(workload) {
        match &file.content {
            ResolvedContent::Text(text) => {
                data.insert(file.key.clone(), text.clone());
            }
            ResolvedContent::Binary(base64) => {
                binary_data.insert(file.key.clone(), ByteString(base64.clone()));
            }
        }
    }
    ConfigMap {
        metadata: meta(unit, &files_config_map_name(workload), &workload.labels),
        data: (!data.is_empty()).then_some(data),
        binary_data: (!binary_data.is_empty()).then_some(binary_data),
        immutable: None,
    }
}

fn selector(workload: &Workload) -> LabelSelector {
    LabelSelector {
        match_labels: Some(workload.selector.clone()),
        ..LabelSelector::default()
    }
}

fn service_account(unit: &TenantEnvironment, workload: &Workload) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(unit, &workload.name, &workload.labels),
        automount_service_account_token: Some(workload.automount_token),
        ..ServiceAccount::default()
    }
}

fn config_map(unit: &TenantEnvironment, workload: &Workload) -> ConfigMap {
    ConfigMap {
        metadata: meta(unit, &config_map_name(workload), &workload.labels),
        data: Some(workload.env.clone()),
        ..ConfigMap::default()
    }
}

fn probe(planned: &PlannedProbe) -> Probe {
    let port = IntOrString::Int(i32::from(planned.port));
    let (exec, http_get, tcp_socket) = match (&planned.exec, &planned.path) {
        (Some(command), _) => (
            Some(ExecAction {
                command: Some(command.clone()),
            }),
            None,
            None,
        ),
        (None, Some(path)) => (
            None,
            Some(HTTPGetAction {
                path: Some(path.clone()),
                port,
                scheme: planned.scheme.clone(),
                host: planned.host.clone(),
                http_headers: (!planned.headers.is_empty()).then(|| {
                    planned
                        .headers
                        .iter()
                        .map(|(name, value)| HTTPHeader {
                            name: name.clone(),
                            value: value.clone(),
                        })
                        .collect()
                }),
            }),
            None,
        ),
        (None, None) => (None, None, Some(TCPSocketAction { port, host: None })),
    };
    Probe {
        exec,
        http_get,
        tcp_socket,
        initial_delay_seconds: Some(to_i32(planned.initial_delay_seconds)),
        period_seconds: Some(to_i32(planned.period_seconds)),
        timeout_seconds: Some(to_i32(planned.timeout_seconds)),
        failure_threshold: Some(to_i32(planned.failure_threshold)),
        ..Probe::default()
    }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".into(),
        localhost_profile: None,
    }
}

/// The name of the pod volume that holds the files ConfigMap.
const FILES_VOLUME: &str = "files";

fn env_vars(vars: &[PlannedEnvVar]) -> Vec<EnvVar> {
    vars.iter()
        .map(|var| match &var.source {
            PlannedEnvSource::Value(value) => EnvVar {
                name: var.name.clone(),
                value: Some(value.clone()),
                ..EnvVar::default()
            },
            PlannedEnvSource::Secret { secret, key } => EnvVar {
                name: var.name.clone(),
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: secret.clone(),
                        key: key.clone(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }),
                ..EnvVar::default()
            },
            PlannedEnvSource::ConfigMap { name, key } => EnvVar {
                name: var.name.clone(),
                value_from: Some(EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name: name.clone(),
                        key: key.clone(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }),
                ..EnvVar::default()
            },
        })
        .collect()
}

/// `/tmp`, then the container's files (read-only, one key of the files ConfigMap each), then its
/// scratch volumes.
fn volume_mounts(files: &[PlannedFile], mounts: &[PlannedMount]) -> Vec<VolumeMount> {
    let mut out = vec![VolumeMount {
        name: "tmp".into(),
        mount_path: "/tmp".into(),
        ..VolumeMount::default()
    }];
    out.extend(files.iter().map(|file| VolumeMount {
        name: FILES_VOLUME.into(),
        mount_path: file.target.clone(),
        sub_path: Some(file.key.clone()),
        read_only: Some(true),
        ..VolumeMount::default()
    }));
    out.extend(mounts.iter().map(|mount| VolumeMount {
        name: mount.volume.clone(),
        mount_path: mount.target.clone(),
        sub_path: mount.sub_path.clone(),
        read_only: mount.read_only.then_some(true),
        ..VolumeMount::default()
    }));
    out
}

/// The locked-down security context of every container.
fn container_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS_ID),
        run_as_group: Some(RUN_AS_ID),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        seccomp_profile: Some(runtime_default()),
        ..SecurityContext::default()
    }
}

fn sidecar(container: &PlannedContainer) -> Container {
    let mut env: Vec<EnvVar> = container
        .env
        .iter()
        .map(|(name, value)| EnvVar {
            name: name.clone(),
            // Kubernetes expands `$(NAME)` in `value`; the text is meant as written.
            value: Some(value.replace("$(", "$$(")),
            ..EnvVar::default()
        })
        .collect();
    env.extend(env_vars(&container.env_vars));
    Container {
        name: container.name.clone(),
        image: Some(container.image.clone()),
        image_pull_policy: Some("Always".into()),
        command: (!container.command.is_empty()).then(|| container.command.clone()),
        args: (!container.args.is_empty()).then(|| container.args.clone()),
        env: (!env.is_empty()).then_some(env),
        resources: Some(ResourceRequirements {
            requests: Some(cpu_memory(&container.resources.requests)),
            limits: Some(cpu_memory(&container.resources.limits)),
            ..ResourceRequirements::default()
        }),
        liveness_probe: container.liveness.as_ref().map(probe),
        readiness_probe: container.readiness.as_ref().map(probe),
        security_context: Some(container_security()),
        volume_mounts: Some(volume_mounts(&container.files, &container.mounts)),
        ..Container::default()
    }
}

/// A container that starts before the others: an init container that runs to completion (no
/// probes: Kubernetes allows none there), or a sidecar started first (`restartPolicy: Always`)
/// that, when it must be healthy, passes its probe as a startup probe first.
fn init_container(container: &PlannedContainer, kind: InitKind) -> Container {
    let mut out = sidecar(container);
    match kind {
        InitKind::Complete => {
            out.liveness_probe = None;
            out.readiness_probe = None;
        }
        InitKind::Started | InitKind::Healthy => {
            out.restart_policy = Some("Always".into());
            if kind == InitKind::Healthy {
                out.startup_probe = container
                    .readiness
                    .as_ref()
                    .or(container.liveness.as_ref())
                    .map(probe);
            }
        }
    }
    out
}

/// What rolls the pods when it changes: the env ConfigMap, the files and the sidecars' env.
fn config_hash(workload: &Workload) -> Option<String> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes.iter().copied().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut any = false;
    for (key, value) in &workload.env {
        feed(key.as_bytes());
        feed(value.as_bytes());
        any = true;
    }
    for file in all_files(workload) {
        feed(file.key.as_bytes());
        match &file.content {
            ResolvedContent::Text(text) => feed(text.as_bytes()),
            ResolvedContent::Binary(bytes) => feed(bytes),
        }
        any = true;
    }
    for container in &workload.sidecars {
        for (key, value) in &container.env {
            feed(container.name.as_bytes());
            feed(key.as_bytes());
            feed(value.as_bytes());
            any = true;
        }
    }
    any.then(|| format!("{hash:016x}"))
}

fn pod_template(workload: &Workload) -> PodTemplateSpec {
    let env_from = (!workload.env.is_empty()).then(|| {
        vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: config_map_name(workload),
                optional: Some(false),
            }),
            ..EnvFromSource::default()
        }]
    });
    let env = env_vars(&workload.env_vars);
    let ports: Vec<ContainerPort> = workload
        .ports
        .iter()
        .map(|p| ContainerPort {
            name: Some(p.name.clone()),
            container_port: i32::from(p.target_port),
            protocol: Some(p.protocol.clone()),
            ..ContainerPort::default()
        })
        .collect();
    let container = Container {
        name: workload.container_name.clone(),
        image: Some(workload.image.clone()),
        image_pull_policy: Some("Always".into()),
        command: (!workload.command.is_empty()).then(|| workload.command.clone()),
        args: (!workload.args.is_empty()).then(|| workload.args.clone()),
        ports: (!ports.is_empty()).then_some(ports),
        env_from,
        env: (!env.is_empty()).then_some(env),
        resources: Some(ResourceRequirements {
            requests: Some(cpu_memory(&workload.resources.requests)),
            limits: Some(cpu_memory(&workload.resources.limits)),
            ..ResourceRequirements::default()
        }),
        liveness_probe: workload.liveness.as_ref().map(probe),
        readiness_probe: workload.readiness.as_ref().map(probe),
        security_context: Some(container_security()),
        volume_mounts: Some(volume_mounts(&workload.files, &workload.mounts)),
        ..Container::default()
    };
    let mut containers = vec![container];
    containers.extend(
        workload
            .sidecars
            .iter()
            .filter(|c| c.init.is_none())
            .map(sidecar),
    );
    let init_containers: Vec<Container> = workload
        .sidecars
        .iter()
        .filter_map(|c| c.init.map(|kind| init_container(c, kind)))
        .collect();
    let mut annotations = workload.annotations.clone();
    if let Some(hash) = config_hash(workload) {
        annotations.insert("pave.dev/config-hash".to_string(), hash);
    }
    let mut volumes = vec![Volume {
        name: "tmp".into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("1Gi".into())),
            medium: None,
        }),
        ..Volume::default()
    }];
    if has_files(workload) {
        volumes.push(Volume {
            name: FILES_VOLUME.into(),
            config_map: Some(ConfigMapVolumeSource {
                name: files_config_map_name(workload),
                items: Some(
                    all_files(workload)
                        .map(|file| KeyToPath {
                            key: file.key.clone(),
                            path: file.key.clone(),
                            mode: file.mode,
                        })
                        .collect(),
                ),
                optional: Some(false),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    volumes.extend(workload.claims.iter().map(|claim| Volume {
        name: claim_volume_name(claim),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: claim.clone(),
            read_only: None,
        }),
        ..Volume::default()
    }));
    volumes.extend(workload.scratch_volumes.iter().map(|name| Volume {
        name: name.clone(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity("1Gi".into())),
            medium: None,
        }),
        ..Volume::default()
    }));
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(workload.labels.clone()),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(workload.name.clone()),
            automount_service_account_token: Some(workload.automount_token),
            enable_service_links: Some(false),
            restart_policy: (!workload.kind.is_long_running()).then(|| "OnFailure".into()),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(RUN_AS_ID),
                run_as_group: Some(RUN_AS_ID),
                fs_group: Some(RUN_AS_ID),
                seccomp_profile: Some(runtime_default()),
                ..PodSecurityContext::default()
            }),
            containers,
            init_containers: (!init_containers.is_empty()).then_some(init_containers),
            volumes: Some(volumes),
            ..PodSpec::default()
        }),
    }
}

/// The metadata of the Deployment, StatefulSet, CronJob or Job, with the workload's annotations.
fn workload_meta(unit: &TenantEnvironment, workload: &Workload) -> ObjectMeta {
    let mut metadata = meta(unit, &workload.name, &workload.labels);
    if !workload.annotations.is_empty() {
        metadata.annotations = Some(workload.annotations.clone());
    }
    metadata
}

/// A fixed count is set on the workload; a range is left to the autoscaler, so that a GitOps
/// sync does not fight it.
fn fixed_replicas(workload: &Workload) -> Option<i32> {
    (!has_autoscaler(workload)).then(|| to_i32(workload.replicas.min()))
}

fn deployment(
    unit: &TenantEnvironment,
    workload: &Workload,
    template: PodTemplateSpec,
) -> Deployment {
    Deployment {
        metadata: workload_meta(unit, workload),
        spec: Some(DeploymentSpec {
            replicas: fixed_replicas(workload),
            selector: selector(workload),
            template,
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn stateful_set(
    unit: &TenantEnvironment,
    workload: &Workload,
    template: PodTemplateSpec,
) -> StatefulSet {
    StatefulSet {
        metadata: workload_meta(unit, workload),
        spec: Some(StatefulSetSpec {
            replicas: fixed_replicas(workload),
            selector: selector(workload),
            service_name: (!workload.ports.is_empty()).then(|| headless_name(workload)),
            template,
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn job_spec(template: PodTemplateSpec) -> JobSpec {
    JobSpec {
        backoff_limit: Some(3),
        template,
        ..JobSpec::default()
    }
}

fn cron_job(unit: &TenantEnvironment, workload: &Workload, template: PodTemplateSpec) -> CronJob {
    CronJob {
        metadata: workload_meta(unit, workload),
        spec: Some(CronJobSpec {
            schedule: workload.schedule.clone().unwrap_or_default(),
            time_zone: Some("Etc/UTC".into()),
            concurrency_policy: Some("Forbid".into()),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(workload.labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(job_spec(template)),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    }
}

fn job(unit: &TenantEnvironment, workload: &Workload, template: PodTemplateSpec) -> Job {
    Job {
        metadata: workload_meta(unit, workload),
        spec: Some(job_spec(template)),
        ..Job::default()
    }
}

fn headless_name(workload: &Workload) -> String {
    format!("{}-headless", workload.name)
}

fn service(unit: &TenantEnvironment, workload: &Workload, name: &str, headless: bool) -> Service {
    let ports = workload
        .ports
        .iter()
        .map(|p| ServicePort {
            name: Some(p.name.clone()),
            port: i32::from(p.port),
            target_port: Some(IntOrString::String(p.name.clone())),
            protocol: Some(p.protocol.clone()),
            ..ServicePort::default()
        })
        .collect();
    Service {
        metadata: meta(unit, name, &workload.labels),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            cluster_ip: headless.then(|| "None".into()),
            publish_not_ready_addresses: headless.then_some(true),
            selector: Some(workload.selector.clone()),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn autoscaler(unit: &TenantEnvironment, workload: &Workload) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: meta(unit, &workload.name, &workload.labels),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: workload.kind.as_str().into(),
                name: workload.name.clone(),
            },
            min_replicas: Some(to_i32(workload.replicas.min())),
            max_replicas: to_i32(workload.replicas.max()),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(i32::from(workload.autoscaling_cpu)),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    }
}

fn disruption_budget(unit: &TenantEnvironment, workload: &Workload) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(unit, &workload.name, &workload.labels),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(workload)),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

fn ingress(unit: &TenantEnvironment, workload: &Workload) -> Option<Ingress> {
    let spec = workload.ingress.as_ref()?;
    let port = match &spec.port {
        Some(name) => workload.ports.iter().find(|p| &p.name == name)?,
        None => workload.ports.first()?,
    };
    let is_alb = unit.ingress_class == "alb";
    let mut metadata = meta(unit, &workload.name, &workload.labels);
    if is_alb {
        let scheme = if spec.public {
            "internet-facing"
        } else {
            "internal"
        };
        let mut annotations = BTreeMap::from([
            (
                "alb.ingress.kubernetes.io/scheme".to_string(),
                scheme.to_string(),
            ),
            (
                "alb.ingress.kubernetes.io/target-type".to_string(),
                "ip".to_string(),
            ),
            (
                "alb.ingress.kubernetes.io/listen-ports".to_string(),
                r#"[{"HTTPS":443}]"#.to_string(),
            ),
            (
                "alb.ingress.kubernetes.io/ssl-policy".to_string(),
                "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string(),
            ),
        ]);
        annotations.extend(health_check(workload, port));
        metadata.annotations = Some(annotations);
    }
    Some(Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: Some(unit.ingress_class.clone()),
            // The AWS Load Balancer Controller finds the ACM certificate by host; other
            // controllers read it from the Secret (cert-manager writes it).
            tls: Some(vec![IngressTLS {
                hosts: Some(vec![spec.host.clone()]),
                secret_name: (!is_alb).then(|| format!("{}-tls", workload.name)),
            }]),
            rules: Some(vec![IngressRule {
                host: Some(spec.host.clone()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(spec.path.clone()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: workload.name.clone(),
                                port: Some(ServiceBackendPort {
                                    name: Some(port.name.clone()),
                                    number: None,
                                }),
                            }),
                            resource: None,
                        },
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    })
}

/// The ALB's target health check, from the readiness probe: the load balancer controller checks
/// `/` on the traffic port unless told (its docs, "Ingress annotations", health check), and a
/// service that answers `/` with a redirect or a 404 never gets traffic. An HTTP readiness probe
/// gives the path, its port (the traffic port when it is the one the Ingress routes to) and
/// scheme; a TCP or exec probe says nothing an HTTP check could use, so the defaults stay.
fn health_check(workload: &Workload, port: &PlannedPort) -> Vec<(String, String)> {
    let Some(readiness) = &workload.readiness else {
        return Vec::new();
    };
    let (Some(path), None) = (&readiness.path, &readiness.exec) else {
        return Vec::new();
    };
    let mut annotations = vec![(
        "alb.ingress.kubernetes.io/healthcheck-path".to_string(),
        path.clone(),
    )];
    if readiness.port != port.target_port {
        annotations.push((
            "alb.ingress.kubernetes.io/healthcheck-port".to_string(),
            readiness.port.to_string(),
        ));
    }
    if readiness.scheme.as_deref() == Some("HTTPS") {
        annotations.push((
            "alb.ingress.kubernetes.io/healthcheck-protocol".to_string(),
            "HTTPS".to_string(),
        ));
    }
    annotations
}

/// Admits the ingress controller (for services with an ingress) and the namespaces of other
/// tenants whose services depend on this one, on the service's ports only.
fn network_policy(unit: &TenantEnvironment, workload: &Workload) -> Option<NetworkPolicy> {
    if !workload.kind.is_long_running() || workload.ports.is_empty() {
        return None;
    }
    let mut peers = Vec::new();
    if workload.ingress.is_some() {
        peers.push(NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_string(),
                    unit.ingress_controller_namespace.clone(),
                )])),
                ..LabelSelector::default()
            }),
            ..NetworkPolicyPeer::default()
        });
        peers.extend(
            unit.ingress_source_cidrs
                .iter()
                .map(|cidr| NetworkPolicyPeer {
                    ip_block: Some(IPBlock {
                        cidr: cidr.clone(),
                        except: None,
                    }),
                    ..NetworkPolicyPeer::default()
                }),
        );
    }
    peers.extend(
        workload
            .called_by_tenants
            .iter()
            .map(|t| tenant_namespace_peer(unit, t)),
    );
    if peers.is_empty() {
        return None;
    }
    let ports = workload
        .ports
        .iter()
        .map(|p| NetworkPolicyPort {
            port: Some(IntOrString::Int(i32::from(p.target_port))),
            protocol: Some(p.protocol.clone()),
            ..NetworkPolicyPort::default()
        })
        .collect();
    Some(NetworkPolicy {
        metadata: meta(
            unit,
            &format!("allow-to-{}", workload.name),
            &workload.labels,
        ),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(workload)),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(peers),
                ports: Some(ports),
            }]),
            ..NetworkPolicySpec::default()
        }),
    })
}
