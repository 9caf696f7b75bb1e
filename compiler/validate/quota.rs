//! Tenant quotas large enough for the tenant's services: a namespace's ResourceQuota refuses a
//! pod that would take it over `pods`, `requests.*` or `limits.*`, so a quota too small shows up
//! only at run time, as a ReplicaSet or Job that cannot create pods ("exceeded quota"). Checked
//! here per tenant and environment (each of the environment's clusters has the namespace, the
//! quota and the same services), with the services at their maximum replicas.
//!
//! A pod counts as the quota admission plugin counts it (`PodRequests`/`PodLimits` in
//! kubernetes/pkg/api/v1/resource/helpers.go, KEP-753 for sidecars): the larger of the sum of its
//! containers and sidecars (init containers that keep running) and, for each init container that
//! runs to completion, that container plus the sidecars started before it. Deployments and
//! StatefulSets count their maximum replicas; a CronJob (`concurrencyPolicy: Forbid`) and a Job
//! count one pod.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::parse::score::InitKind;
use crate::parse::{Quantity, Quota, Resources, WorkloadKind};
use crate::resolve::{ResolvedSpec, Service, ServiceInstance, Tenant};
use crate::source::Span;

/// The quota's amounts, as the ResourceQuota names them.
const FIELDS: [&str; 4] = [
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// A container's four amounts, in the order of [`FIELDS`], in millicores and bytes.
type Amounts = [u128; 4];

fn milli_or_bytes(quantity: &Quantity, cpu: bool) -> u128 {
    let value = quantity.value().unwrap_or(0.0).max(0.0);
    let scaled = if cpu { value * 1000.0 } else { value };
    // Quantities are finite and non-negative here; the cast saturates anyway.
    scaled.ceil() as u128
}

fn amounts(resources: &Resources) -> Amounts {
    [
        milli_or_bytes(&resources.requests.cpu, true),
        milli_or_bytes(&resources.requests.memory, false),
        milli_or_bytes(&resources.limits.cpu, true),
        milli_or_bytes(&resources.limits.memory, false),
    ]
}

/// What one pod of the instance counts against the quota.
/// `main` is the main container's amounts.
fn pod_amounts(main: Amounts, instance: &ServiceInstance) -> Amounts {
    let mut running = main;
    let mut init_peak: Amounts = [0; 4];
    // Sidecars started so far, in the order the pod lists its init containers.
    let mut sidecars: Amounts = [0; 4];
    for container in &instance.sidecars {
        let own = amounts(&container.resources);
        match container.init {
            None => add(&mut running, &own),
            Some(InitKind::Started | InitKind::Healthy) => {
                add(&mut running, &own);
                add(&mut sidecars, &own);
            }
            Some(InitKind::Complete) => {
                for (peak, (own, before)) in init_peak.iter_mut().zip(own.iter().zip(&sidecars)) {
                    *peak = (*peak).max(own + before);
                }
            }
        }
    }
    for (total, peak) in running.iter_mut().zip(init_peak) {
        *total = (*total).max(peak);
    }
    running
}

fn add(total: &mut Amounts, more: &Amounts) {
    for (t, m) in total.iter_mut().zip(more) {
        *t += m;
    }
}

/// Whether a container's limit is above the LimitRange's maximum (`max`: CPU and memory, in
/// millicores and bytes): the namespace refuses the pod whatever the quota, and
/// `limit-above-maximum` already says so; one mistake, one error.
fn refused_by_limit_range(main: &Amounts, instance: &ServiceInstance, max: [u128; 2]) -> bool {
    let above = |own: &Amounts| own[2] > max[0] || own[3] > max[1];
    above(main)
        || instance
            .sidecars
            .iter()
            .any(|c| above(&amounts(&c.resources)))
}

/// The pods a service runs at its minimum (`at_max` false) or maximum replicas.
fn pods(service: &Service, instance: &ServiceInstance, at_max: bool) -> u128 {
    match service.parsed.spec.workload {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet => {
            let replicas = &instance.replicas.value;
            u128::from(if at_max {
                replicas.max()
            } else {
                replicas.min()
            })
        }
        WorkloadKind::CronJob | WorkloadKind::Job => 1,
    }
}

/// `1500m`, `2`, `512Mi`, `3Gi`: a quantity as a person would write it.
fn format_amount(value: u128, cpu: bool) -> String {
    if cpu {
        return if value.is_multiple_of(1000) {
            (value / 1000).to_string()
        } else {
            format!("{value}m")
        };
    }
    for (suffix, unit) in [("Gi", 1u128 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
        if value >= unit && value.is_multiple_of(unit) {
            return format!("{}{suffix}", value / unit);
        }
    }
    value.to_string()
}

/// What one service's pods in one environment count against its tenant's quota: at the
/// minimum replicas (index 0) and at the maximum (index 1), how many pods and what they all count.
type Need = [(u128, Amounts); 2];

/// A quota below what the services need at their minimum replicas is an error (some never
/// start); below what they need at their maximum only, a warning (the autoscaler stops short).
///
/// Each instance's amounts are computed once, for both replica counts, from its tenant's
/// services only; the services' lists are formatted only for a quota found too small (at 10,000
/// services, scanning every service per tenant and environment and formatting every amount took
/// most of validate).
pub(super) fn check_quotas(resolved: &ResolvedSpec, diagnostics: &mut Vec<Diagnostic>) {
    let limit_range = &resolved.stdlib.defaults.limit_range;
    let max = [
        milli_or_bytes(&limit_range.max.cpu, true),
        milli_or_bytes(&limit_range.max.memory, false),
    ];
    let mut services_of: BTreeMap<&str, Vec<&Service>> = BTreeMap::new();
    for service in &resolved.services {
        services_of
            .entry(service.tenant.as_str())
            .or_default()
            .push(service);
    }
    // Per tenant and environment with services there: per service, what it needs. Tenants in
    // parallel, kept in order.
    let tenants: Vec<&Tenant> = resolved.tenants.values().collect();
    let needs: Vec<(&Tenant, &String, &Quota, BTreeMap<&str, Need>)> = tenants
        .into_par_iter()
        .map(|tenant| {
            let services = services_of
                .get(tenant.name())
                .map_or(&[][..], Vec::as_slice);
            tenant
                .quotas
                .iter()
                .filter_map(|(env_name, quota)| {
                    let need = environment_need(services, env_name, max);
                    (!need.is_empty()).then_some((tenant, env_name, quota, need))
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    let mut found = Vec::new();
    for at_max in [false, true] {
        for (tenant, env_name, quota, need) in &needs {
            check_quota(
                resolved,
                (tenant, env_name, quota),
                need,
                at_max,
                &mut found,
            );
        }
    }
    // One finding per quota field: the error when there is one.
    let mut seen = std::collections::BTreeSet::new();
    for diagnostic in found {
        let DiagnosticKind::QuotaTooSmall {
            field,
            tenant,
            environment,
            ..
        } = diagnostic.kind.as_ref()
        else {
            continue;
        };
        if seen.insert((tenant.clone(), environment.clone(), field.clone())) {
            diagnostics.push(diagnostic);
        }
    }
}

/// What each of a tenant's `services` needs in one environment, by service name; `max` is the
/// LimitRange's maximum CPU and memory (a container above it is refused, not counted).
fn environment_need<'a>(
    services: &[&'a Service],
    env_name: &str,
    max: [u128; 2],
) -> BTreeMap<&'a str, Need> {
    let mut need: BTreeMap<&str, Need> = BTreeMap::new();
    for service in services {
        for instance in service
            .instances
            .iter()
            .filter(|i| i.environment == env_name)
        {
            let main = amounts(&instance.resources.value);
            if refused_by_limit_range(&main, instance, max) {
                continue;
            }
            let pod = pod_amounts(main, instance);
            let entry = need.entry(service.name()).or_insert([(0, [0; 4]); 2]);
            for (at, at_max) in entry.iter_mut().zip([false, true]) {
                let n = pods(service, instance, at_max);
                at.0 += n;
                add(&mut at.1, &pod.map(|a| a * n));
            }
        }
    }
    need
}

/// The findings on one tenant's quota in one environment, its services needing `need`, at their
/// minimum replicas or their maximum (`at_max`).
fn check_quota(
    resolved: &ResolvedSpec,
    (tenant, env_name, quota): (&Tenant, &String, &Quota),
    need: &BTreeMap<&str, Need>,
    at_max: bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let at = usize::from(at_max);
    let limits = [
        quota.requests.cpu.as_ref(),
        quota.requests.memory.as_ref(),
        quota.limits.cpu.as_ref(),
        quota.limits.memory.as_ref(),
    ];
    // Field, limit, total, whether CPU, and the field's amount of a service (`None`: pods).
    let mut checks: Vec<(&str, u128, u128, bool, Option<usize>)> = Vec::new();
    if let Some(max) = quota.pods {
        let total: u128 = need.values().map(|n| n[at].0).sum();
        checks.push(("pods", u128::from(max), total, false, None));
    }
    for (i, (field, limit)) in FIELDS.iter().zip(limits).enumerate() {
        let Some(limit) = limit else { continue };
        let cpu = field.ends_with("cpu");
        let total: u128 = need.values().map(|n| n[at].1[i]).sum();
        checks.push((field, milli_or_bytes(limit, cpu), total, cpu, Some(i)));
    }
    for (field, limit, total, cpu, amount) in checks {
        if total <= limit {
            continue;
        }
        let format = |v: u128| {
            if field == "pods" {
                v.to_string()
            } else {
                format_amount(v, cpu)
            }
        };
        let parts: Vec<String> = need
            .iter()
            .map(|(name, n)| {
                let (pods, amounts) = &n[at];
                match amount {
                    None => format!("{name} {pods}"),
                    Some(i) => format!("{name} {}", format_amount(amounts[i], cpu)),
                }
            })
            .collect();
        let span = quota_span(resolved, tenant, env_name, field);
        diagnostics.push(Diagnostic::new(
            DiagnosticKind::QuotaTooSmall {
                field: field.to_string(),
                tenant: tenant.name().to_string(),
                environment: env_name.clone(),
                quota: format(limit),
                needed: format(total),
                services: parts.join(", "),
                at_max,
            },
            span,
        ));
    }
}

/// Where the quota's value is set: the tenant's `spec.quotas.<env>`, else the Environment's
/// `spec.defaults.quota`, else (pave's default for the tier) the tenant's environment entry.
fn quota_span(resolved: &ResolvedSpec, tenant: &Tenant, env_name: &str, field: &str) -> Span {
    let path: Vec<&str> = field.split('.').collect();
    let is_set = |quota: &crate::parse::Quota| match path.as_slice() {
        ["pods"] => quota.pods.is_some(),
        ["requests", "cpu"] => quota.requests.cpu.is_some(),
        ["requests", "memory"] => quota.requests.memory.is_some(),
        ["limits", "cpu"] => quota.limits.cpu.is_some(),
        ["limits", "memory"] => quota.limits.memory.is_some(),
        _ => false,
    };
    let doc = &tenant.parsed.doc;
    if tenant.parsed.spec.quotas.get(env_name).is_some_and(is_set) {
        let mut full = vec!["spec", "quotas", env_name];
        full.extend(&path);
        return doc.span(&full);
    }
    if let Some(env) = resolved.environments.get(env_name)
        && env.parsed.spec.defaults.quota.as_ref().is_some_and(is_set)
    {
        let mut full = vec!["spec", "defaults", "quota"];
        full.extend(&path);
        return env.parsed.doc.span(&full);
    }
    let index = tenant
        .parsed
        .spec
        .environments
        .iter()
        .position(|e| e == env_name)
        .unwrap_or(0)
        .to_string();
    doc.span(&["spec", "environments", index.as_str()])
}

#[cfg(test)]
mod tests {
    use super::format_amount;

    #[test]
    fn amounts_read_as_people_write_them() {
        let cpu: Vec<String> = [3000, 1250, 500].map(|v| format_amount(v, true)).into();
        assert_eq!(cpu, ["3", "1250m", "500m"]);
        let memory: Vec<String> = [22 << 30, 1536 << 20, 1000]
            .map(|v| format_amount(v, false))
            .into();
        assert_eq!(memory, ["22Gi", "1536Mi", "1000"]);
    }
}
