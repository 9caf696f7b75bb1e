//! The catalogue of diagnostics. Code, message, label and help come from matches without a
//! wildcard arm, so a new kind does not compile until it has all four.
//!
//! The kinds derive `Serialize` and `Deserialize` for one reader only: the check cache, which
//! records what a check reported and replays it for the same inputs (`crate::cache`). That form is
//! private to a build of pave (the cache holds the build's id), so it may change freely; the
//! public JSON format is `render_json`'s.

use std::fmt::Write as _;

/// How serious a diagnostic is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What kind of thing a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RefKind {
    Tenant,
    Environment,
    Service,
    Account,
    Region,
    Size,
    Addon,
    /// A resource of a service's `requires`.
    Resource,
    /// A class of a resource type (`postgres/small`).
    ResourceClass,
    /// A volume a tenant provides by name (`spec.volumes`).
    Volume,
}

impl RefKind {
    pub fn noun(self) -> &'static str {
        match self {
            RefKind::Tenant => "tenant",
            RefKind::Environment => "environment",
            RefKind::Service => "service",
            RefKind::Account => "account",
            RefKind::Region => "region",
            RefKind::Size => "size class",
            RefKind::Addon => "add-on",
            RefKind::Resource => "resource",
            RefKind::ResourceClass => "resource class",
            RefKind::Volume => "volume",
        }
    }

    fn code(self) -> &'static str {
        match self {
            RefKind::Tenant => "unknown-tenant",
            RefKind::Environment => "unknown-environment",
            RefKind::Service => "unknown-service",
            RefKind::Account => "unknown-account",
            RefKind::Region => "unknown-region",
            RefKind::Size => "unknown-size",
            RefKind::Addon => "unknown-addon",
            RefKind::Resource => "unknown-resource",
            RefKind::ResourceClass => "unknown-resource-class",
            RefKind::Volume => "unknown-volume",
        }
    }

    fn where_defined(self) -> &'static str {
        match self {
            RefKind::Tenant => "tenants are defined by `kind: Tenant` documents",
            RefKind::Environment => "environments are defined by `kind: Environment` documents",
            RefKind::Service => {
                "services are defined by `kind: Service` documents; name another tenant's as `tenant/name`"
            }
            RefKind::Account => "accounts are listed in the Platform's `spec.accounts`",
            RefKind::Region => "regions are listed in the Platform's `spec.regions`",
            RefKind::Size => {
                "size classes come from the stdlib (small, medium, large, xlarge) and the Platform's `spec.sizes`"
            }
            RefKind::Addon => {
                "add-ons come from pave's catalogue (stdlib/addons) and the Platform's `spec.addons` entries that have a `chart`"
            }
            RefKind::Resource => "resources are declared in the service's `spec.requires`",
            RefKind::ResourceClass => {
                "classes come from pave's catalogue (stdlib/resources) and the Platform's `spec.resourceClasses`"
            }
            RefKind::Volume => {
                "a volume named in `source` is one the tenant's `spec.volumes` provides; a workload's own volume is `source: ${resources.NAME}` with a resource of `type: volume`"
            }
        }
    }
}

/// An add-on and a dependency of it that is off where it runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DisabledDependency {
    pub addon: String,
    pub dependency: String,
    /// The environments where the add-on runs and the dependency does not, sorted.
    pub environments: Vec<String>,
}

/// What is wrong with a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CidrProblem {
    /// Bits set below the prefix (`10.0.0.1/16`); holds the network address meant.
    HostBits { network: String },
    /// A VPC block outside /16 to /24.
    VpcSize,
    /// `0.0.0.0/0` where a limited set of networks is expected.
    WholeInternet,
}

/// Why a role given for cluster access is not one an EKS access entry can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RoleArnProblem {
    /// An STS session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`): temporary,
    /// which access entries refuse.
    Session,
    /// An IAM Identity Center role (`AWSReservedSSO_...`) without its path
    /// `aws-reserved/sso.amazonaws.com/[<region>/]`, as `aws-auth` wanted it: that ARN names no
    /// role.
    SsoWithoutPath,
    /// Not `arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>`.
    Malformed,
}

/// Two VPC blocks that share addresses: the later region's, and the earlier one's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CidrOverlap {
    pub region: String,
    pub cidr: String,
    pub other_region: String,
    pub other_cidr: String,
}

/// One violation of a policy rule, as a diagnostic shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PolicyViolation {
    /// The rule id (`custom.id` of the policy's METADATA): the diagnostic's code.
    pub rule: String,
    /// `deny` is an error, `warn` a warning.
    pub severity: Severity,
    /// What the rule said.
    pub message: String,
    /// The rule's title.
    pub title: String,
    /// Under the node: the rule's title, and the generated object it looked at, if any.
    pub label: String,
    /// The rule's description.
    pub help: Option<String>,
}

/// Why a Score placeholder (`${...}`) does not resolve.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PlaceholderProblem {
    /// The first part is neither `metadata` nor `resources`.
    UnknownRoot { root: String },
    /// `${metadata}` or `${resources}` alone.
    MissingKey {
        #[serde(deserialize_with = "static_str")]
        root: StaticStr,
    },
    /// A metadata key the workload does not have.
    UnknownMetadataKey { key: String, known: Vec<String> },
    /// A key looked up in a metadata value that is not a mapping.
    NotAMapping { key: String, parent: String },
    /// A resource the workload does not declare.
    UnknownResource { name: String, known: Vec<String> },
    /// `${resources.NAME}` where an output is needed.
    MissingOutput {
        resource: String,
        type_: String,
        known: Vec<String>,
    },
    /// An output the resource's type does not have.
    UnknownOutput {
        resource: String,
        type_: String,
        output: String,
        known: Vec<String>,
    },
    /// A volume source that is not `${resources.NAME}` of a `volume` resource.
    NotAVolume,
    /// A resource whose outputs cannot stand where the placeholder is.
    NotHere { resource: String, reason: String },
}

/// Every problem pave reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DiagnosticKind {
    /// A file or folder could not be read or written.
    Io {
        path: String,
        message: String,
    },
    /// The YAML text does not parse.
    YamlSyntax {
        message: String,
    },
    /// A tab where YAML allows only spaces.
    TabIndentation,
    /// A spec file whose bytes are not UTF-8 (`encoding`: what they look like, when known).
    InvalidEncoding {
        encoding: Option<String>,
    },
    /// A character YAML does not allow in a file (NUL, other control characters).
    ControlCharacter {
        character: char,
        /// In a string value (from an escape) rather than raw in the file.
        in_value: bool,
    },
    /// A spec file larger than pave reads.
    FileTooLarge {
        size: u64,
        limit: u64,
    },
    /// A symbolic link among the specs, which discovery does not follow.
    SymlinkedSpec {
        name: String,
        target: String,
        is_dir: bool,
    },
    /// A Unicode bidirectional control in a spec (text that displays in another order).
    BidiControl {
        character: char,
    },
    /// More diagnostics in one file than are shown: the count of the rest.
    MoreDiagnostics {
        errors: usize,
        warnings: usize,
    },
    /// A mapping holds the same key twice.
    DuplicateKey {
        key: String,
    },
    /// YAML that parses but that specs do not allow (complex keys, unknown tags, deep aliases).
    UnsupportedYaml {
        what: String,
    },
    /// A document that is not a mapping.
    NotAMapping,
    /// A document without `kind`.
    MissingKind,
    UnknownApiVersion {
        found: String,
    },
    UnknownKind {
        found: String,
    },
    UnknownField {
        field: String,
        known: Vec<String>,
    },
    MissingField {
        field: String,
    },
    WrongType {
        expected: String,
        found: String,
    },
    /// A value the schema rejects for a reason other than its type.
    InvalidValue {
        message: String,
        help: Option<String>,
    },
    /// No `kind: Platform` document in `pave.yaml`.
    NoPlatform,
    /// A `kind: Platform` document outside `pave.yaml`, or a second one.
    MisplacedPlatform,
    DuplicateName {
        kind: String,
        name: String,
    },
    UnknownReference {
        kind: RefKind,
        name: String,
        known: Vec<String>,
    },
    /// A per-environment setting for an environment the tenant does not use.
    EnvironmentNotUsed {
        environment: String,
        tenant: String,
    },
    /// A per-region setting for a region the environment does not run in.
    RegionNotUsed {
        region: String,
        environment: String,
    },
    /// A service names itself in `dependsOn`.
    DependsOnItself {
        service: String,
    },
    PromotionCycle {
        cycle: Vec<String>,
    },
    ReplicasOutOfOrder {
        min: i64,
        max: i64,
    },
    MissingSchedule,
    UnexpectedSchedule {
        workload: String,
    },
    /// A workload kind that cannot take the setting (ingress on a Job, say).
    UnsupportedSetting {
        setting: String,
        workload: String,
    },
    NameTooLong {
        name: String,
        max: usize,
    },
    /// The namespace pave derives, `<tenant>-<environment>`, is too long.
    NamespaceTooLong {
        namespace: String,
    },
    /// Two services claim one ingress host and path in an environment.
    IngressConflict {
        host: String,
        path: String,
        environment: String,
        other: String,
    },
    /// A service depends on another tenant's service without that tenant's consent.
    DependencyNotAllowed {
        caller_tenant: String,
        target: String,
    },
    /// A dependency that does not run in one of the caller's environments.
    DependencyNotDeployed {
        target: String,
        environment: String,
    },
    /// A container limit above what the namespace's LimitRange admits.
    LimitAboveMaximum {
        resource: String,
        value: String,
        max: String,
    },
    /// A request above its limit.
    RequestAboveLimit {
        resource: String,
    },
    /// A probe on a port the service does not declare.
    ProbePortNotExposed {
        port: u16,
    },
    /// An env var set both as a plain value and from a secret.
    EnvSecretClash {
        name: String,
    },
    /// A name pave keeps for an object of its own.
    ReservedName {
        name: String,
        /// Why, and what to do instead.
        #[serde(deserialize_with = "static_str")]
        reason: StaticStr,
    },
    /// Add-ons that depend on each other in a circle.
    AddonDependencyCycle {
        cycle: Vec<String>,
    },
    /// An add-on runs where an add-on it depends on does not.
    AddonDependencyDisabled(Box<DisabledDependency>),
    /// A controllers-layer add-on depends on a configs-layer one, which Flux applies later.
    AddonDependencyLayer {
        addon: String,
        dependency: String,
    },
    /// A controllers add-on declares `secrets`: their ExternalSecrets are applied with the
    /// configs layer, after the controllers layer is ready, which its pods would wait for.
    AddonSecretLayer {
        addon: String,
    },
    /// An add-on whose replicas each need a node of their own asks for more replicas than the
    /// environment's node groups have nodes at their minimum.
    ReplicasExceedNodes {
        addon: String,
        environment: String,
        replicas: u64,
        nodes: u64,
    },
    /// A `${cluster.*}` or `${platform.*}` variable pave does not know.
    UnknownVariable {
        name: String,
        known: Vec<String>,
    },
    /// The Platform names no Git repository, so there is nothing for Flux to read.
    MissingGitopsRepository,
    InvalidCidr {
        cidr: String,
        problem: CidrProblem,
    },
    /// A base block too small to give the region at this (1-based) position of the Platform's
    /// regions its own /16.
    BaseCidrTooSmall {
        cidr: String,
        region: String,
        position: u32,
    },
    /// Two regions of an environment have VPC blocks that share addresses.
    OverlappingCidrs(Box<CidrOverlap>),
    /// A node group whose sizes are not `min <= desired <= max`.
    NodeGroupSizeOutOfOrder {
        min: u32,
        desired: u32,
        max: u32,
    },
    /// A node group with both arm64 and x86_64 instance types.
    MixedArchitectures {
        arm: String,
        x86: String,
    },
    /// An ingress host outside the environment's DNS zone: its certificate cannot be validated.
    HostOutsideZone {
        host: String,
        zone: String,
        /// Where the host is set, as the help names it (`spec.environments.prod.ingress.host`).
        setting: String,
    },
    /// A tenant's quota in an environment is below what its services count against it.
    QuotaTooSmall {
        /// The ResourceQuota key: `pods`, `requests.cpu`, `limits.memory`, ...
        field: String,
        tenant: String,
        environment: String,
        quota: String,
        needed: String,
        /// Each service's share, `api 1500m, worker 500m`.
        services: String,
        /// Too small only for the services at their maximum replicas: they start, but cannot
        /// scale all the way (a warning); otherwise not even their minimum fits (an error).
        at_max: bool,
    },
    /// An ingress host outside the platform's domain, where ExternalDNS makes no record.
    HostOutsideDomain {
        host: String,
        domain: String,
        setting: String,
    },
    /// Terraform is generated but no role may administer the clusters.
    NoClusterAdmins,
    /// A role given for cluster access (`terraform.adminRoles`, a tenant's `owners.roles`) that
    /// is not an IAM role ARN or name.
    InvalidRoleArn {
        arn: String,
        problem: RoleArnProblem,
    },
    /// A name pave derives for an AWS resource is longer than AWS allows.
    AwsNameTooLong {
        #[serde(deserialize_with = "static_str")]
        what: StaticStr,
        name: String,
        max: usize,
    },
    /// The output folder would leave the platform root.
    OutputOutsideRoot {
        path: String,
    },
    /// Another pave holds the output folder's lock.
    OutputLocked {
        path: String,
    },
    /// With `--check`: a file on disk is not what the specs produce.
    StaleFile {
        path: String,
        change: String,
    },
    /// The writer would overwrite or delete a file pave did not generate.
    UnownedFile {
        path: String,
    },
    /// A path in the output folder goes through a symbolic link, which pave never writes,
    /// deletes or reads through.
    SymlinkInOutput {
        path: String,
    },
    /// One of pave's state files in the output folder (`.pave/…`) is not what pave writes.
    InvalidState {
        path: String,
        problem: String,
    },
    /// The output folder holds the journal of a compile that was interrupted mid-way.
    InterruptedWrite {
        path: String,
    },
    /// The device of the output folder is full.
    NoSpace {
        path: String,
        /// What the write needs, as `N files, M bytes`.
        needed: String,
    },
    /// A Rego policy rule found a violation (a spec, or an object generated from it).
    PolicyViolation(Box<PolicyViolation>),
    /// A Rego policy file does not compile or fails when evaluated.
    PolicyError {
        message: String,
    },
    /// A Rego policy file's `METADATA` block is missing or incomplete.
    PolicyMetadata {
        problem: String,
    },
    /// Two policy files declare the same rule id.
    DuplicatePolicyRule {
        rule: String,
    },
    /// A waiver or a switch names a rule no policy declares.
    UnknownPolicyRule {
        rule: String,
        suggestion: Option<String>,
    },
    /// A waiver's `expires` is not a date.
    InvalidDate {
        value: String,
    },
    /// Gatekeeper enforcement is on, but no cluster runs the gatekeeper add-on.
    GatekeeperNotRunning,
    /// A waiver that waived nothing: the rule no longer fires there.
    UnusedWaiver {
        rule: String,
    },
    /// A waiver whose expiry date has passed.
    ExpiredWaiver {
        rule: String,
        expires: String,
        today: String,
    },
    /// A Score placeholder that does not resolve.
    InvalidPlaceholder {
        placeholder: String,
        problem: PlaceholderProblem,
    },
    /// A Score resource type pave has no provisioner for.
    UnknownResourceType {
        type_: String,
        known: Vec<String>,
    },
    /// A Score workload outside `tenants/<tenant>/` without a `pave.dev/tenant` annotation.
    ScoreWithoutTenant {
        workload: String,
    },
    /// An overrides file with no Score workload beside it.
    OverridesWithoutWorkload {
        expected: String,
    },
    /// A container built from the repository (`image: .`) with no image given to run.
    MissingImage {
        container: String,
        overrides: String,
    },
    /// A file `source` that is not a readable file beside the workload.
    FileNotFound {
        path: String,
    },
    /// An `environment` resource output without a value in one environment.
    MissingEnvironmentValue {
        key: String,
        environment: String,
    },
    /// A bug in pave.
    /// A `${...}` in an env value that is neither `${resources.NAME.OUTPUT}` nor
    /// `${metadata.name}`.
    UnknownPlaceholder {
        placeholder: String,
    },
    /// `${resources.NAME.OUTPUT}` with an output the resource's type does not have.
    UnknownResourceOutput {
        resource: String,
        resource_type: String,
        output: String,
        known: Vec<String>,
    },
    /// `${services.NAME.OUTPUT}` naming a service that is not in the caller's `dependsOn`.
    NotADependency {
        service: String,
    },
    /// `${services.NAME.OUTPUT}` with an output a dependency does not have.
    UnknownServiceOutput {
        service: String,
        output: String,
        known: Vec<String>,
    },
    /// A resource parameter its type does not take.
    UnknownResourceParam {
        param: String,
        known: Vec<String>,
    },
    /// A resource class that is not provided in an environment and region (`available: false`).
    /// A placeholder a resource type's template may not use.
    UnknownTypePlaceholder {
        placeholder: String,
        known: Vec<String>,
    },
    /// An output of an `external` resource type with no value where a workload reads it.
    MissingOutputValue {
        resource_type: String,
        output: String,
        environment: String,
        region: String,
    },
    NoProvisioner {
        resource_type: String,
        class: String,
        environment: String,
        region: String,
    },
    /// A service needs an add-on (Crossplane for resources, External Secrets for secrets) that is
    /// off in one of its environments.
    RequiredAddonDisabled {
        addon: String,
        environment: String,
        #[serde(deserialize_with = "static_str")]
        what: StaticStr,
    },
    /// A service requires `mongodb` in an environment with no Atlas project (`spec.atlas`).
    AtlasProjectMissing {
        environment: String,
    },
    /// Two requests that share a resource (same type, class and id) set a parameter differently.
    SharedResourceConflict {
        id: String,
        param: String,
    },
    /// A generated object refers to something that nothing in the tree (nor anything documented
    /// to exist on the cluster) produces (`wiring`).
    UnresolvedReference(Box<UnresolvedReference>),
    /// A namespace's Pod Security level rejects a pod pave writes into it, or an add-on's chart
    /// that its catalogue entry says runs at a lower level (`wiring`).
    PodSecurityMismatch {
        /// The namespace's `pod-security.kubernetes.io/enforce` level.
        level: String,
        namespace: String,
        /// The object whose pods are rejected (`Deployment web`, `add-on grafana`).
        object: String,
        /// Why: the first rule of the level the pod breaks.
        reason: String,
    },
    Internal {
        message: String,
    },
}

/// What kind of reference a generated object makes that nothing produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Reference {
    /// A Flux Kustomization's `spec.path`.
    FluxPath,
    /// A Flux `sourceRef`, `chart.spec.sourceRef` or `chartRef`.
    FluxSource,
    /// A Flux `dependsOn` entry.
    FluxDependency,
    /// An entry of a `kustomization.yaml`'s `resources`.
    KustomizeResource,
    /// A Secret a pod template, a Flux source or a chart names.
    Secret,
    /// A PersistentVolumeClaim's StorageClass.
    StorageClass,
    /// An object a HelmRelease's values name at a path its catalogue entry declares
    /// (`valuesPaths`): a Secret, ConfigMap, StorageClass or ServiceAccount the chart reads.
    ChartValue,
    /// A PersistentVolumeClaim without a class, on a cluster with no default StorageClass.
    DefaultStorageClass,
    /// An Ingress host without a certificate.
    Certificate,
    /// An Ingress host outside every DNS zone.
    DnsZone,
    /// A cert-manager Certificate's Issuer or ClusterIssuer.
    Issuer,
    /// The IAM role of a Pod Identity association or a `role-arn` annotation.
    IamRole,
    /// The ServiceAccount of a Pod Identity association.
    ServiceAccount,
    /// A Composition step's `functionRef`.
    Function,
    /// A composed resource's `providerConfigRef`.
    ProviderConfig,
    /// An EnvironmentConfig a Composition loads.
    EnvironmentConfig,
    /// A Provider's `runtimeConfigRef`.
    RuntimeConfig,
    /// The AWS identity of a Crossplane provider's ServiceAccount.
    ProviderIdentity,
    /// The IAM role of an EC2NodeClass, with its EKS access entry of type `EC2_LINUX`.
    NodeRole,
    /// The subnets or security groups an EC2NodeClass selects by tag.
    NodeDiscovery,
    /// A NodePool's `nodeClassRef`.
    NodeClass,
    /// The interruption queue a node provisioner's values name.
    InterruptionQueue,
    /// A group a RoleBinding names, which no EKS access entry maps.
    KubernetesGroup,
    /// The Secrets Manager secret an ExternalSecret reads.
    SecretsManagerSecret,
    /// The Capsule Tenant a namespace's `capsule.clastix.io/tenant` label names.
    CapsuleTenant,
    /// Capsule's consent to assign a labelled namespace: the user that creates it must be a
    /// Capsule administrator or an owner of the Tenant.
    CapsuleAssignment,
}

impl Reference {
    /// The subkind, as it appears after the code: `unresolved-reference[secret]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reference::FluxPath => "flux-path",
            Reference::FluxSource => "flux-source",
            Reference::FluxDependency => "flux-dependency",
            Reference::KustomizeResource => "kustomize-resource",
            Reference::Secret => "secret",
            Reference::StorageClass => "storage-class",
            Reference::ChartValue => "chart-value",
            Reference::DefaultStorageClass => "default-storage-class",
            Reference::Certificate => "certificate",
            Reference::DnsZone => "dns-zone",
            Reference::Issuer => "issuer",
            Reference::IamRole => "iam-role",
            Reference::ServiceAccount => "service-account",
            Reference::Function => "function",
            Reference::ProviderConfig => "provider-config",
            Reference::EnvironmentConfig => "environment-config",
            Reference::RuntimeConfig => "runtime-config",
            Reference::ProviderIdentity => "provider-identity",
            Reference::NodeRole => "node-role",
            Reference::NodeDiscovery => "node-discovery",
            Reference::NodeClass => "node-class",
            Reference::InterruptionQueue => "interruption-queue",
            Reference::KubernetesGroup => "kubernetes-group",
            Reference::SecretsManagerSecret => "secrets-manager-secret",
            Reference::CapsuleTenant => "capsule-tenant",
            Reference::CapsuleAssignment => "capsule-assignment",
        }
    }

    /// Always an error: a reference nothing produces stops what refers to it on the cluster.
    pub fn severity(self) -> Severity {
        Severity::Error
    }

    /// What would produce the missing thing.
    fn help(self) -> &'static str {
        match self {
            Reference::FluxPath => {
                "a Kustomization's path must be a folder of the tree with a kustomization.yaml; \
                 this is a bug in pave unless an add-on's manifests wrote the Kustomization"
            }
            Reference::FluxSource => {
                "add the GitRepository, OCIRepository or HelmRepository it names (in the same \
                 namespace unless `sourceRef.namespace` says otherwise), or correct the name"
            }
            Reference::FluxDependency => {
                "Flux waits forever for a dependency that does not exist: name a Kustomization \
                 or HelmRelease of the same cluster, or remove the entry"
            }
            Reference::KustomizeResource => {
                "every entry must be a file of the folder or a folder with a kustomization.yaml"
            }
            Reference::Secret => {
                "produce it in the same namespace: a service's `secrets` (an ExternalSecret from \
                 Secrets Manager), an ExternalSecret or Secret in an add-on's `manifests`, or \
                 a managed resource's connection secret; or correct the name"
            }
            Reference::StorageClass => {
                "add the StorageClass to an add-on's `manifests` (or enable the add-on that \
                 installs it), or name a class that exists"
            }
            Reference::ChartValue => {
                "the chart reads this name and does not create the object: produce it (in the \
                 add-on's namespace, or on the cluster for a StorageClass): a Secret the entry \
                 declares in `secrets`, an object in its `manifests` or another add-on's; or \
                 correct the value"
            }
            Reference::DefaultStorageClass => {
                "name a StorageClass, or add one annotated \
                 `storageclass.kubernetes.io/is-default-class: \"true\"` to an add-on's `manifests`"
            }
            Reference::Certificate => {
                "the host needs a certificate: a host in the environment's DNS zone gets an ACM \
                 certificate from the Terraform foundation, or add a cert-manager Certificate"
            }
            Reference::DnsZone => {
                "use a host under the environment's DNS zone (`dns.zone`), which the Terraform \
                 foundation creates"
            }
            Reference::Issuer => {
                "cert-manager issues nothing without its issuer: enable the `cert-manager` add-on \
                 (pave then creates the cluster's CA, `pave-cluster-ca`), or add the Issuer to an \
                 add-on's `manifests`"
            }
            Reference::IamRole => {
                "the role must be created by the same Terraform root module: declare the \
                 identity in the add-on's `identities` (or the service's `aws`), so that pave \
                 writes the role, its trust and the association together"
            }
            Reference::ServiceAccount => {
                "the pods' ServiceAccount must exist: give the identity the `valuesPath` where \
                 the chart takes the ServiceAccount's name, or add the ServiceAccount to the \
                 add-on's `manifests`"
            }
            Reference::Function => {
                "install the composition function: a `Function` (pkg.crossplane.io) with this \
                 name on every cluster that runs the Composition"
            }
            Reference::ProviderConfig => {
                "add the ProviderConfig or ClusterProviderConfig the composed resources name, \
                 on every cluster that runs the Composition"
            }
            Reference::EnvironmentConfig => {
                "add the EnvironmentConfig (apiextensions.crossplane.io) the Composition loads, \
                 on every cluster that runs it"
            }
            Reference::RuntimeConfig => {
                "add the DeploymentRuntimeConfig the Provider names, or remove \
                 `runtimeConfigRef` to use Crossplane's `default`"
            }
            Reference::ProviderIdentity => {
                "a provider's pods need AWS credentials: name their ServiceAccount in a \
                 DeploymentRuntimeConfig and give it a role with an EKS Pod Identity \
                 association in the cluster's Terraform"
            }
            Reference::NodeRole => {
                "nodes join only with a role that has an EKS access entry of type EC2_LINUX: \
                 declare `nodeProvisioner` in the add-on's entry and name the role \
                 `${addon.nodeRole}`, which the cluster's Terraform creates with its entry"
            }
            Reference::NodeDiscovery => {
                "select by the tag the cluster's Terraform puts on the private subnets and the \
                 cluster security group when an add-on declares `nodeProvisioner`: \
                 `karpenter.sh/discovery: ${cluster.name}`"
            }
            Reference::NodeClass => {
                "add the EC2NodeClass to the add-on's `manifests`, or name one that exists"
            }
            Reference::InterruptionQueue => {
                "the queue is created by the cluster's Terraform for an add-on that declares \
                 `nodeProvisioner`; let pave write its name at `interruptionQueuePath`, or use \
                 `${addon.interruptionQueue}`"
            }
            Reference::SecretsManagerSecret => {
                "the cluster's Terraform creates the secrets a Service's `secrets` and an add-on's \
                 `secretsManager` keys name, a managed resource's Composition writes \
                 `<secretPrefix>/<output>`, and the Platform declares `gitops.credentialsSecret`; \
                 name one of those"
            }
            Reference::KubernetesGroup => {
                "nobody is in a group no access entry maps: give the tenant's `owners.roles` \
                 (the IAM or Identity Center roles its owners sign in with), whose access \
                 entries carry the owner groups"
            }
            Reference::CapsuleTenant => {
                "a namespace labelled for a Capsule Tenant that does not exist is refused by \
                 Capsule's webhook: enable the `capsule` add-on in this environment (pave then \
                 writes a Tenant per tenant) or remove the label"
            }
            Reference::CapsuleAssignment => {
                "Capsule assigns a labelled namespace to its Tenant only when an administrator or \
                 an owner of the Tenant creates it; list that user in the Capsule release's \
                 `manager.options.administrators` (`${cluster.platformApplier}` names Flux's)"
            }
        }
    }
}

/// A reference nothing produces: what refers, to what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnresolvedReference {
    pub reference: Reference,
    /// What is referred to, with its namespace where it has one: "Secret `db` in `shop-dev`".
    pub target: String,
    /// The generated object that refers to it and where: "Deployment `web`
    /// (`tenants/shop/dev/workloads/...yaml`)".
    pub referrer: String,
}

impl DiagnosticKind {
    pub fn severity(&self) -> Severity {
        match self {
            DiagnosticKind::QuotaTooSmall { at_max: true, .. } => Severity::Warning,
            DiagnosticKind::Io { .. }
            | DiagnosticKind::YamlSyntax { .. }
            | DiagnosticKind::TabIndentation
            | DiagnosticKind::InvalidEncoding { .. }
            | DiagnosticKind::ControlCharacter { .. }
            | DiagnosticKind::FileTooLarge { .. }
            | DiagnosticKind::SymlinkedSpec { .. }
            | DiagnosticKind::DuplicateKey { .. }
            | DiagnosticKind::UnsupportedYaml { .. }
            | DiagnosticKind::NotAMapping
            | DiagnosticKind::MissingKind
            | DiagnosticKind::UnknownApiVersion { .. }
            | DiagnosticKind::UnknownKind { .. }
            | DiagnosticKind::UnknownField { .. }
            | DiagnosticKind::MissingField { .. }
            | DiagnosticKind::WrongType { .. }
            | DiagnosticKind::InvalidValue { .. }
            | DiagnosticKind::NoPlatform
            | DiagnosticKind::MisplacedPlatform
            | DiagnosticKind::DuplicateName { .. }
            | DiagnosticKind::UnknownReference { .. }
            | DiagnosticKind::EnvironmentNotUsed { .. }
            | DiagnosticKind::RegionNotUsed { .. }
            | DiagnosticKind::DependsOnItself { .. }
            | DiagnosticKind::PromotionCycle { .. }
            | DiagnosticKind::ReplicasOutOfOrder { .. }
            | DiagnosticKind::MissingSchedule
            | DiagnosticKind::UnexpectedSchedule { .. }
            | DiagnosticKind::UnsupportedSetting { .. }
            | DiagnosticKind::NameTooLong { .. }
            | DiagnosticKind::NamespaceTooLong { .. }
            | DiagnosticKind::IngressConflict { .. }
            | DiagnosticKind::DependencyNotAllowed { .. }
            | DiagnosticKind::LimitAboveMaximum { .. }
            | DiagnosticKind::RequestAboveLimit { .. }
            | DiagnosticKind::ProbePortNotExposed { .. }
            | DiagnosticKind::EnvSecretClash { .. }
            | DiagnosticKind::ReservedName { .. }
            | DiagnosticKind::AddonDependencyCycle { .. }
            | DiagnosticKind::AddonDependencyDisabled(_)
            | DiagnosticKind::AddonDependencyLayer { .. }
            | DiagnosticKind::AddonSecretLayer { .. }
            | DiagnosticKind::ReplicasExceedNodes { .. }
            | DiagnosticKind::UnknownVariable { .. }
            | DiagnosticKind::InvalidCidr { .. }
            | DiagnosticKind::InvalidRoleArn { .. }
            | DiagnosticKind::BaseCidrTooSmall { .. }
            | DiagnosticKind::OverlappingCidrs(..)
            | DiagnosticKind::NodeGroupSizeOutOfOrder { .. }
            | DiagnosticKind::MixedArchitectures { .. }
            | DiagnosticKind::HostOutsideZone { .. }
            | DiagnosticKind::HostOutsideDomain { .. }
            | DiagnosticKind::QuotaTooSmall { .. }
            | DiagnosticKind::AwsNameTooLong { .. }
            | DiagnosticKind::OutputOutsideRoot { .. }
            | DiagnosticKind::UnownedFile { .. }
            | DiagnosticKind::SymlinkInOutput { .. }
            | DiagnosticKind::InvalidState { .. }
            | DiagnosticKind::InterruptedWrite { .. }
            | DiagnosticKind::NoSpace { .. }
            | DiagnosticKind::OutputLocked { .. }
            | DiagnosticKind::StaleFile { .. }
            | DiagnosticKind::InvalidPlaceholder { .. }
            | DiagnosticKind::UnknownResourceType { .. }
            | DiagnosticKind::ScoreWithoutTenant { .. }
            | DiagnosticKind::OverridesWithoutWorkload { .. }
            | DiagnosticKind::MissingImage { .. }
            | DiagnosticKind::FileNotFound { .. }
            | DiagnosticKind::MissingEnvironmentValue { .. }
            | DiagnosticKind::UnknownPlaceholder { .. }
            | DiagnosticKind::UnknownResourceOutput { .. }
            | DiagnosticKind::NotADependency { .. }
            | DiagnosticKind::UnknownServiceOutput { .. }
            | DiagnosticKind::UnknownResourceParam { .. }
            | DiagnosticKind::NoProvisioner { .. }
            | DiagnosticKind::UnknownTypePlaceholder { .. }
            | DiagnosticKind::MissingOutputValue { .. }
            | DiagnosticKind::SharedResourceConflict { .. }
            | DiagnosticKind::RequiredAddonDisabled { .. }
            | DiagnosticKind::AtlasProjectMissing { .. }
            | DiagnosticKind::Internal { .. } => Severity::Error,
            DiagnosticKind::DependencyNotDeployed { .. } => Severity::Warning,
            DiagnosticKind::MissingGitopsRepository => Severity::Warning,
            DiagnosticKind::NoClusterAdmins => Severity::Warning,
            DiagnosticKind::UnusedWaiver { .. } => Severity::Warning,
            DiagnosticKind::GatekeeperNotRunning => Severity::Warning,
            DiagnosticKind::BidiControl { .. } => Severity::Warning,
            DiagnosticKind::MoreDiagnostics { errors, .. } => {
                if *errors > 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                }
            }
            DiagnosticKind::UnresolvedReference(unresolved) => unresolved.reference.severity(),
            DiagnosticKind::PodSecurityMismatch { .. } => Severity::Error,
            DiagnosticKind::PolicyViolation(violation) => violation.severity,
            DiagnosticKind::PolicyError { .. }
            | DiagnosticKind::PolicyMetadata { .. }
            | DiagnosticKind::DuplicatePolicyRule { .. }
            | DiagnosticKind::UnknownPolicyRule { .. }
            | DiagnosticKind::InvalidDate { .. }
            | DiagnosticKind::ExpiredWaiver { .. } => Severity::Error,
        }
    }

    /// The stable code: names the problem, not the fix. A policy violation's code is its rule id.
    pub fn code(&self) -> &str {
        match self {
            DiagnosticKind::PolicyViolation(violation) => &violation.rule,
            DiagnosticKind::PolicyError { .. } => "policy-error",
            DiagnosticKind::PolicyMetadata { .. } => "policy-metadata",
            DiagnosticKind::DuplicatePolicyRule { .. } => "duplicate-policy-rule",
            DiagnosticKind::UnknownPolicyRule { .. } => "unknown-policy-rule",
            DiagnosticKind::InvalidDate { .. } => "invalid-date",
            DiagnosticKind::UnusedWaiver { .. } => "unused-waiver",
            DiagnosticKind::GatekeeperNotRunning => "gatekeeper-not-running",
            DiagnosticKind::UnresolvedReference(_) => "unresolved-reference",
            DiagnosticKind::PodSecurityMismatch { .. } => "pod-security-mismatch",
            DiagnosticKind::ExpiredWaiver { .. } => "expired-waiver",
            DiagnosticKind::Io { .. } => "io",
            DiagnosticKind::YamlSyntax { .. } => "yaml-syntax",
            DiagnosticKind::TabIndentation => "tab-indentation",
            DiagnosticKind::InvalidEncoding { .. } => "invalid-encoding",
            DiagnosticKind::ControlCharacter { .. } => "control-character",
            DiagnosticKind::FileTooLarge { .. } => "file-too-large",
            DiagnosticKind::SymlinkedSpec { .. } => "symlinked-spec",
            DiagnosticKind::BidiControl { .. } => "bidi-control",
            DiagnosticKind::MoreDiagnostics { .. } => "more-diagnostics",
            DiagnosticKind::DuplicateKey { .. } => "duplicate-key",
            DiagnosticKind::UnsupportedYaml { .. } => "unsupported-yaml",
            DiagnosticKind::NotAMapping => "document-not-a-mapping",
            DiagnosticKind::MissingKind => "missing-kind",
            DiagnosticKind::UnknownApiVersion { .. } => "unknown-api-version",
            DiagnosticKind::UnknownKind { .. } => "unknown-kind",
            DiagnosticKind::UnknownField { .. } => "unknown-field",
            DiagnosticKind::MissingField { .. } => "missing-field",
            DiagnosticKind::WrongType { .. } => "wrong-type",
            DiagnosticKind::InvalidValue { .. } => "invalid-value",
            DiagnosticKind::NoPlatform => "missing-platform",
            DiagnosticKind::MisplacedPlatform => "misplaced-platform",
            DiagnosticKind::DuplicateName { .. } => "duplicate-name",
            DiagnosticKind::UnknownReference { kind, .. } => kind.code(),
            DiagnosticKind::EnvironmentNotUsed { .. } => "environment-not-used",
            DiagnosticKind::RegionNotUsed { .. } => "region-not-used",
            DiagnosticKind::DependsOnItself { .. } => "depends-on-itself",
            DiagnosticKind::PromotionCycle { .. } => "promotion-cycle",
            DiagnosticKind::ReplicasOutOfOrder { .. } => "replicas-min-above-max",
            DiagnosticKind::MissingSchedule => "missing-schedule",
            DiagnosticKind::UnexpectedSchedule { .. } => "unexpected-schedule",
            DiagnosticKind::UnsupportedSetting { .. } => "unsupported-setting",
            DiagnosticKind::NameTooLong { .. } => "name-too-long",
            DiagnosticKind::NamespaceTooLong { .. } => "namespace-too-long",
            DiagnosticKind::IngressConflict { .. } => "ingress-conflict",
            DiagnosticKind::DependencyNotAllowed { .. } => "dependency-not-allowed",
            DiagnosticKind::DependencyNotDeployed { .. } => "dependency-not-deployed",
            DiagnosticKind::LimitAboveMaximum { .. } => "limit-above-maximum",
            DiagnosticKind::RequestAboveLimit { .. } => "request-above-limit",
            DiagnosticKind::ProbePortNotExposed { .. } => "probe-port-not-exposed",
            DiagnosticKind::EnvSecretClash { .. } => "env-secret-clash",
            DiagnosticKind::ReservedName { .. } => "reserved-name",
            DiagnosticKind::AddonDependencyCycle { .. } => "addon-dependency-cycle",
            DiagnosticKind::AddonDependencyDisabled(_) => "addon-dependency-disabled",
            DiagnosticKind::AddonDependencyLayer { .. } => "addon-dependency-layer",
            DiagnosticKind::AddonSecretLayer { .. } => "addon-secret-layer",
            DiagnosticKind::ReplicasExceedNodes { .. } => "replicas-exceed-nodes",
            DiagnosticKind::UnknownVariable { .. } => "unknown-variable",
            DiagnosticKind::MissingGitopsRepository => "missing-gitops-repository",
            DiagnosticKind::InvalidCidr { .. } | DiagnosticKind::BaseCidrTooSmall { .. } => {
                "invalid-cidr"
            }
            DiagnosticKind::OverlappingCidrs(..) => "overlapping-cidrs",
            DiagnosticKind::NodeGroupSizeOutOfOrder { .. } => "node-group-size-out-of-order",
            DiagnosticKind::MixedArchitectures { .. } => "mixed-architectures",
            DiagnosticKind::HostOutsideZone { .. } => "host-outside-zone",
            DiagnosticKind::HostOutsideDomain { .. } => "host-outside-domain",
            DiagnosticKind::QuotaTooSmall { .. } => "quota-too-small",
            DiagnosticKind::NoClusterAdmins => "no-cluster-admins",
            DiagnosticKind::InvalidRoleArn { .. } => "invalid-role-arn",
            DiagnosticKind::AwsNameTooLong { .. } => "name-too-long",
            DiagnosticKind::OutputOutsideRoot { .. } => "output-outside-root",
            DiagnosticKind::UnownedFile { .. } => "unowned-file",
            DiagnosticKind::SymlinkInOutput { .. } => "symlink-in-output",
            DiagnosticKind::InvalidState { .. } => "invalid-state",
            DiagnosticKind::InterruptedWrite { .. } => "interrupted-write",
            DiagnosticKind::NoSpace { .. } => "no-space",
            DiagnosticKind::OutputLocked { .. } => "output-locked",
            DiagnosticKind::StaleFile { .. } => "stale-file",
            DiagnosticKind::InvalidPlaceholder { .. } => "invalid-placeholder",
            DiagnosticKind::UnknownResourceType { .. } => "unknown-resource-type",
            DiagnosticKind::ScoreWithoutTenant { .. } => "score-without-tenant",
            DiagnosticKind::OverridesWithoutWorkload { .. } => "overrides-without-workload",
            DiagnosticKind::MissingImage { .. } => "missing-image",
            DiagnosticKind::FileNotFound { .. } => "file-not-found",
            DiagnosticKind::MissingEnvironmentValue { .. } => "missing-environment-value",
            DiagnosticKind::UnknownPlaceholder { .. } => "unknown-placeholder",
            DiagnosticKind::UnknownResourceOutput { .. } => "unknown-resource-output",
            DiagnosticKind::NotADependency { .. } => "not-a-dependency",
            DiagnosticKind::UnknownServiceOutput { .. } => "unknown-service-output",
            DiagnosticKind::UnknownResourceParam { .. } => "unknown-resource-param",
            DiagnosticKind::NoProvisioner { .. } => "no-provisioner",
            DiagnosticKind::UnknownTypePlaceholder { .. } => "unknown-placeholder",
            DiagnosticKind::MissingOutputValue { .. } => "missing-output-value",
            DiagnosticKind::SharedResourceConflict { .. } => "shared-resource-conflict",
            DiagnosticKind::RequiredAddonDisabled { .. } => "required-addon-disabled",
            DiagnosticKind::AtlasProjectMissing { .. } => "atlas-project-missing",
            DiagnosticKind::Internal { .. } => "internal",
        }
    }

    /// One short line, lower case, no trailing period; user names in backticks.
    pub fn message(&self) -> String {
        match self {
            DiagnosticKind::Io { path, message } => format!("cannot access `{path}`: {message}"),
            DiagnosticKind::YamlSyntax { message } => format!("invalid YAML: {message}"),
            DiagnosticKind::TabIndentation => "tab character in YAML indentation".into(),
            DiagnosticKind::InvalidEncoding { encoding } => match encoding {
                Some(encoding) => format!("file is {encoding}, not UTF-8"),
                None => "file is not UTF-8".into(),
            },
            DiagnosticKind::ControlCharacter {
                character,
                in_value,
            } => format!(
                "control character {} in {}",
                char_name(*character),
                if *in_value { "a value" } else { "the file" }
            ),
            DiagnosticKind::FileTooLarge { size, limit } => format!(
                "spec file of {} MiB is larger than the {} MiB pave reads",
                size.div_ceil(1024 * 1024),
                limit / (1024 * 1024)
            ),
            DiagnosticKind::SymlinkedSpec {
                name,
                target,
                is_dir,
            } => format!(
                "`{name}` is a symbolic link{} (to `{target}`); pave does not follow links",
                if *is_dir { " to a folder" } else { "" }
            ),
            DiagnosticKind::BidiControl { character } => format!(
                "bidirectional control {} in the text: it shows differently than it reads",
                char_name(*character)
            ),
            DiagnosticKind::MoreDiagnostics { errors, warnings } => {
                let total = errors + warnings;
                format!(
                    "and {total} more diagnostic{} in this file ({errors} error{}, {warnings} warning{})",
                    plural(total),
                    plural(*errors),
                    plural(*warnings)
                )
            }
            DiagnosticKind::DuplicateKey { key } => format!("duplicate key `{key}`"),
            DiagnosticKind::UnsupportedYaml { what } => format!("unsupported YAML: {what}"),
            DiagnosticKind::NotAMapping => "document is not a mapping".into(),
            DiagnosticKind::MissingKind => "document has no `kind`".into(),
            DiagnosticKind::UnknownApiVersion { found } => {
                format!("unknown apiVersion `{found}`")
            }
            DiagnosticKind::UnknownKind { found } => format!("unknown kind `{found}`"),
            DiagnosticKind::UnknownField { field, .. } => format!("unknown field `{field}`"),
            DiagnosticKind::MissingField { field } => format!("missing field `{field}`"),
            DiagnosticKind::WrongType { expected, found } => {
                format!("expected {expected}, found {found}")
            }
            DiagnosticKind::InvalidValue { message, .. } => message.clone(),
            DiagnosticKind::NoPlatform => "no `kind: Platform` document in `pave.yaml`".into(),
            DiagnosticKind::MisplacedPlatform => {
                "`kind: Platform` is allowed only once, in `pave.yaml`".into()
            }
            DiagnosticKind::DuplicateName { kind, name } => {
                format!("{kind} `{name}` is defined twice")
            }
            DiagnosticKind::UnknownReference { kind, name, .. } => {
                format!("unknown {} `{name}`", kind.noun())
            }
            DiagnosticKind::EnvironmentNotUsed {
                environment,
                tenant,
            } => format!("tenant `{tenant}` does not use environment `{environment}`"),
            DiagnosticKind::RegionNotUsed {
                region,
                environment,
            } => format!("environment `{environment}` does not run in region `{region}`"),
            DiagnosticKind::DependsOnItself { service } => {
                format!("`{service}` depends on itself")
            }
            DiagnosticKind::PromotionCycle { cycle } => {
                format!("promotion cycle: {}", cycle.join(" → "))
            }
            DiagnosticKind::ReplicasOutOfOrder { min, max } => {
                format!("replicas min {min} is above max {max}")
            }
            DiagnosticKind::MissingSchedule => "a CronJob needs a `schedule`".into(),
            DiagnosticKind::UnexpectedSchedule { workload } => {
                format!("`schedule` is only for CronJob, not {workload}")
            }
            DiagnosticKind::UnsupportedSetting { setting, workload } => {
                format!("`{setting}` does not apply to a {workload}")
            }
            DiagnosticKind::NameTooLong { name, max } => {
                format!("name `{name}` is longer than {max} characters")
            }
            DiagnosticKind::NamespaceTooLong { namespace } => {
                format!("namespace `{namespace}` is longer than 63 characters")
            }
            DiagnosticKind::IngressConflict {
                host,
                path,
                environment,
                ..
            } => format!("host `{host}` path `{path}` is claimed twice in `{environment}`"),
            DiagnosticKind::DependencyNotAllowed {
                caller_tenant,
                target,
            } => format!("tenant `{caller_tenant}` may not call `{target}`"),
            DiagnosticKind::DependencyNotDeployed {
                target,
                environment,
            } => format!("`{target}` does not run in `{environment}`"),
            DiagnosticKind::LimitAboveMaximum {
                resource,
                value,
                max,
            } => format!("{resource} limit {value} is above the namespace maximum {max}"),
            DiagnosticKind::RequestAboveLimit { resource } => {
                format!("{resource} request is above its limit")
            }
            DiagnosticKind::ProbePortNotExposed { port } => {
                format!("probe port {port} is not one of the service's ports")
            }
            DiagnosticKind::EnvSecretClash { name } => {
                format!("`{name}` is set both in `env` and in `secrets`")
            }
            DiagnosticKind::ReservedName { name, .. } => format!("name `{name}` is reserved"),
            DiagnosticKind::AddonDependencyCycle { cycle } => {
                format!("add-on dependency cycle: {}", cycle.join(" → "))
            }
            DiagnosticKind::AddonDependencyDisabled(disabled) => {
                let environments: Vec<&str> =
                    disabled.environments.iter().map(String::as_str).collect();
                format!(
                    "add-on `{}` needs `{}`, which is disabled in {}",
                    disabled.addon,
                    disabled.dependency,
                    list(&environments)
                )
            }
            DiagnosticKind::AddonDependencyLayer { addon, dependency } => {
                format!("controllers add-on `{addon}` depends on `{dependency}`, a configs add-on")
            }
            DiagnosticKind::AddonSecretLayer { addon } => {
                format!("controllers add-on `{addon}` declares secrets")
            }
            DiagnosticKind::ReplicasExceedNodes {
                addon,
                environment,
                replicas,
                nodes,
            } => format!(
                "`{addon}` asks for {replicas} replicas on distinct nodes, but `{environment}` has {nodes}"
            ),
            DiagnosticKind::UnknownVariable { name, .. } => {
                format!("unknown variable `${{{name}}}`")
            }
            DiagnosticKind::MissingGitopsRepository => {
                "no `spec.gitops.repository`: the Flux wiring is not generated".into()
            }
            DiagnosticKind::InvalidCidr { cidr, problem } => match problem {
                CidrProblem::HostBits { .. } => format!("CIDR block `{cidr}` has host bits set"),
                CidrProblem::VpcSize => format!("VPC block `{cidr}` is not /16 to /24"),
                CidrProblem::WholeInternet => {
                    format!("`{cidr}` opens the cluster API to the whole internet")
                }
            },
            DiagnosticKind::BaseCidrTooSmall { cidr, region, .. } => {
                format!("base block `{cidr}` has no /16 left for region `{region}`")
            }
            DiagnosticKind::OverlappingCidrs(overlap) => {
                let CidrOverlap {
                    region,
                    cidr,
                    other_region,
                    other_cidr,
                } = overlap.as_ref();
                format!(
                    "VPC blocks of `{region}` (`{cidr}`) and `{other_region}` (`{other_cidr}`) overlap"
                )
            }
            DiagnosticKind::NodeGroupSizeOutOfOrder { min, desired, max } => {
                format!("node group sizes out of order: min {min}, desired {desired}, max {max}")
            }
            DiagnosticKind::MixedArchitectures { arm, x86 } => {
                format!("node group mixes arm64 `{arm}` and x86_64 `{x86}` instance types")
            }
            DiagnosticKind::HostOutsideZone { host, zone, .. } => {
                format!("ingress host `{host}` is not in DNS zone `{zone}`")
            }
            DiagnosticKind::QuotaTooSmall {
                field,
                tenant,
                environment,
                quota,
                needed,
                at_max,
                ..
            } => format!(
                "quota `{field}: {quota}` of `{tenant}` in `{environment}` is below the {needed} its services need at their {} replicas",
                if *at_max { "maximum" } else { "minimum" }
            ),
            DiagnosticKind::HostOutsideDomain { host, domain, .. } => {
                format!("ingress host `{host}` is not under the platform domain `{domain}`")
            }
            DiagnosticKind::NoClusterAdmins => {
                "no role can use the Kubernetes API of the clusters".into()
            }
            DiagnosticKind::InvalidRoleArn { arn, problem } => match problem {
                RoleArnProblem::Session => format!("`{arn}` is a role session, not a role"),
                RoleArnProblem::SsoWithoutPath => {
                    format!("Identity Center role `{arn}` lacks its `aws-reserved` path")
                }
                RoleArnProblem::Malformed => format!("`{arn}` is not an IAM role ARN"),
            },
            DiagnosticKind::AwsNameTooLong { what, name, max } => {
                format!("{what} name `{name}` is longer than {max} characters")
            }
            DiagnosticKind::OutputOutsideRoot { path } => {
                format!("output path `{path}` is not a folder inside the platform root")
            }
            DiagnosticKind::UnownedFile { path } => {
                format!("refusing to overwrite `{path}`: pave did not generate it")
            }
            DiagnosticKind::OutputLocked { path } => {
                format!("`{path}` is being written by another pave")
            }
            DiagnosticKind::SymlinkInOutput { path } => {
                format!("`{path}` is a symbolic link: pave does not write through it")
            }
            DiagnosticKind::InvalidState { path, problem } => {
                format!("`{path}` is not pave's state: {problem}")
            }
            DiagnosticKind::InterruptedWrite { path } => {
                format!("`{path}` is left by an interrupted `pave compile`")
            }
            DiagnosticKind::NoSpace { path, needed } => {
                format!("no space left on device to write `{path}` ({needed})")
            }
            DiagnosticKind::StaleFile { path, change } => format!("`{path}` is stale ({change})"),
            DiagnosticKind::InvalidPlaceholder {
                placeholder,
                problem,
            } => match problem {
                PlaceholderProblem::UnknownRoot { .. } => {
                    format!("unknown placeholder `{placeholder}`")
                }
                PlaceholderProblem::MissingKey { .. } => {
                    format!("placeholder `{placeholder}` names nothing")
                }
                PlaceholderProblem::UnknownMetadataKey { key, .. } => {
                    format!("no metadata `{key}` for `{placeholder}`")
                }
                PlaceholderProblem::NotAMapping { key, parent } => {
                    format!("`{parent}` has no key `{key}` (`{placeholder}`)")
                }
                PlaceholderProblem::UnknownResource { name, .. } => {
                    format!("unknown resource `{name}` in `{placeholder}`")
                }
                PlaceholderProblem::MissingOutput { resource, .. } => {
                    format!("`{placeholder}` names no output of resource `{resource}`")
                }
                PlaceholderProblem::UnknownOutput {
                    resource,
                    type_,
                    output,
                    ..
                } => format!("resource `{resource}` ({type_}) has no output `{output}`"),
                PlaceholderProblem::NotAVolume => {
                    format!("volume source `{placeholder}` is not a volume resource")
                }
                PlaceholderProblem::NotHere { resource, .. } => {
                    format!("`{placeholder}` of resource `{resource}` cannot be used here")
                }
            },
            DiagnosticKind::UnknownResourceType { type_, .. } => {
                format!("unknown resource type `{type_}`")
            }
            DiagnosticKind::ScoreWithoutTenant { workload } => {
                format!("Score workload `{workload}` belongs to no tenant")
            }
            DiagnosticKind::OverridesWithoutWorkload { expected } => {
                format!("overrides file without its Score workload `{expected}`")
            }
            DiagnosticKind::MissingImage { container, .. } => {
                format!("container `{container}` is built from this repository but names no image")
            }
            DiagnosticKind::FileNotFound { path } => format!("cannot read file `{path}`"),
            DiagnosticKind::MissingEnvironmentValue { key, environment } => {
                format!("`{key}` has no value in environment `{environment}`")
            }
            DiagnosticKind::UnknownPlaceholder { placeholder } => {
                format!("unknown placeholder `{placeholder}`")
            }
            DiagnosticKind::UnknownResourceOutput {
                resource,
                resource_type,
                output,
                ..
            } => format!("resource `{resource}` ({resource_type}) has no output `{output}`"),
            DiagnosticKind::NotADependency { service } => {
                format!("`{service}` is not a dependency of this service")
            }
            DiagnosticKind::UnknownServiceOutput {
                service, output, ..
            } => format!("service `{service}` has no output `{output}`"),
            DiagnosticKind::UnknownResourceParam { param, .. } => {
                format!("unknown resource parameter `{param}`")
            }
            DiagnosticKind::UnknownTypePlaceholder { placeholder, .. } => {
                format!("unknown placeholder `{placeholder}`")
            }
            DiagnosticKind::MissingOutputValue {
                resource_type,
                output,
                environment,
                region,
            } => format!(
                "`{resource_type}` gives no value for output `{output}` in environment `{environment}` (region `{region}`)"
            ),
            DiagnosticKind::NoProvisioner {
                resource_type,
                class,
                environment,
                region,
            } => format!(
                "no provisioner for `{resource_type}/{class}` in environment `{environment}` (region `{region}`)"
            ),
            DiagnosticKind::SharedResourceConflict { id, param } => {
                format!("shared resource `{id}` gets two values for `{param}`")
            }
            DiagnosticKind::RequiredAddonDisabled {
                addon,
                environment,
                what,
            } => format!(
                "{what} need the `{addon}` add-on, which is off in environment `{environment}`"
            ),
            DiagnosticKind::AtlasProjectMissing { environment } => format!(
                "MongoDB needs an Atlas project, and environment `{environment}` names none"
            ),
            DiagnosticKind::Internal { message } => format!("internal error: {message}"),
            DiagnosticKind::UnresolvedReference(unresolved) => format!(
                "{}: nothing produces {}",
                unresolved.reference.as_str(),
                unresolved.target
            ),
            DiagnosticKind::PodSecurityMismatch {
                level,
                namespace,
                object,
                ..
            } => format!(
                "Pod Security `{level}` of namespace `{namespace}` rejects the pods of {object}"
            ),
            DiagnosticKind::PolicyViolation(violation) => violation.message.clone(),
            DiagnosticKind::PolicyError { message } => format!("policy error: {message}"),
            DiagnosticKind::PolicyMetadata { problem } => format!("policy metadata: {problem}"),
            DiagnosticKind::DuplicatePolicyRule { rule } => {
                format!("two policies declare the rule `{rule}`")
            }
            DiagnosticKind::UnknownPolicyRule { rule, .. } => {
                format!("no policy declares the rule `{rule}`")
            }
            DiagnosticKind::InvalidDate { value } => format!("`{value}` is not a date"),
            DiagnosticKind::UnusedWaiver { rule } => {
                format!("the waiver of `{rule}` waives nothing")
            }
            DiagnosticKind::GatekeeperNotRunning => {
                "no cluster runs Gatekeeper: the policies are not enforced in any cluster".into()
            }
            DiagnosticKind::ExpiredWaiver { rule, expires, .. } => {
                format!("the waiver of `{rule}` expired on {expires}")
            }
        }
    }

    /// What a code is about, one line, for the rule list of the CI formats: a policy rule's title,
    /// otherwise the label.
    pub fn title(&self) -> String {
        match self {
            DiagnosticKind::PolicyViolation(violation) => violation.title.clone(),
            other => other.label(),
        }
    }

    /// The text under the underlined node.
    pub fn label(&self) -> String {
        match self {
            DiagnosticKind::Io { .. } => "here".into(),
            DiagnosticKind::YamlSyntax { .. } => "syntax error here".into(),
            DiagnosticKind::TabIndentation => "tab".into(),
            DiagnosticKind::InvalidEncoding { .. } => "first byte that is not UTF-8".into(),
            DiagnosticKind::ControlCharacter { in_value, .. } => if *in_value {
                "this value"
            } else {
                "this character"
            }
            .into(),
            DiagnosticKind::FileTooLarge { .. } => "this file".into(),
            DiagnosticKind::SymlinkedSpec { .. } => "symbolic link".into(),
            DiagnosticKind::BidiControl { .. } => "bidirectional control".into(),
            DiagnosticKind::MoreDiagnostics { .. } => "the next one is here".into(),
            DiagnosticKind::DuplicateKey { .. } => "defined again here".into(),
            DiagnosticKind::UnsupportedYaml { .. } => "not supported".into(),
            DiagnosticKind::NotAMapping => {
                "expected `apiVersion`, `kind`, `metadata`, `spec`".into()
            }
            DiagnosticKind::MissingKind => "this document".into(),
            DiagnosticKind::UnknownApiVersion { .. } => "unknown apiVersion".into(),
            DiagnosticKind::UnknownKind { .. } => "unknown kind".into(),
            DiagnosticKind::UnknownField { .. } => "unknown field".into(),
            DiagnosticKind::MissingField { field } => format!("`{field}` is missing here"),
            DiagnosticKind::WrongType { expected, .. } => format!("expected {expected}"),
            DiagnosticKind::InvalidValue { .. } => "invalid value".into(),
            DiagnosticKind::NoPlatform => "this file".into(),
            DiagnosticKind::MisplacedPlatform => "Platform document".into(),
            DiagnosticKind::DuplicateName { .. } => "defined again here".into(),
            DiagnosticKind::UnknownReference { kind, .. } => format!("no such {}", kind.noun()),
            DiagnosticKind::EnvironmentNotUsed { .. } => {
                "environment not in the tenant's list".into()
            }
            DiagnosticKind::RegionNotUsed { .. } => "region not in the environment's list".into(),
            DiagnosticKind::DependsOnItself { .. } => "the service itself".into(),
            DiagnosticKind::PromotionCycle { .. } => "this closes the cycle".into(),
            DiagnosticKind::ReplicasOutOfOrder { .. } => "min above max".into(),
            DiagnosticKind::MissingSchedule => "CronJob without a schedule".into(),
            DiagnosticKind::UnexpectedSchedule { .. } => "not a CronJob".into(),
            DiagnosticKind::UnsupportedSetting { .. } => "not applicable".into(),
            DiagnosticKind::NameTooLong { .. } => "too long".into(),
            DiagnosticKind::NamespaceTooLong { .. } => "this tenant's namespace is too long".into(),
            DiagnosticKind::IngressConflict { .. } => "claimed again here".into(),
            DiagnosticKind::DependencyNotAllowed { .. } => {
                "not allowed by the called tenant".into()
            }
            DiagnosticKind::DependencyNotDeployed { .. } => "missing in that environment".into(),
            DiagnosticKind::LimitAboveMaximum { .. } => "above the maximum".into(),
            DiagnosticKind::RequestAboveLimit { .. } => "request above limit".into(),
            DiagnosticKind::ProbePortNotExposed { .. } => "not a service port".into(),
            DiagnosticKind::EnvSecretClash { .. } => "set again here".into(),
            DiagnosticKind::ReservedName { .. } => "reserved name".into(),
            DiagnosticKind::AddonDependencyCycle { .. } => {
                "this dependency closes the cycle".into()
            }
            DiagnosticKind::AddonDependencyDisabled(disabled) => {
                format!("needs `{}`", disabled.dependency)
            }
            DiagnosticKind::AddonDependencyLayer { .. } => "applied after this add-on".into(),
            DiagnosticKind::AddonSecretLayer { .. } => {
                "created after the add-on must be ready".into()
            }
            DiagnosticKind::ReplicasExceedNodes { nodes, .. } => {
                format!("more than the {nodes} nodes can host")
            }
            DiagnosticKind::UnknownVariable { .. } => "in this value".into(),
            DiagnosticKind::MissingGitopsRepository => "no repository set".into(),
            DiagnosticKind::InvalidCidr { problem, .. } => match problem {
                CidrProblem::HostBits { .. } => "not a network address".into(),
                CidrProblem::VpcSize => "wrong size for a VPC".into(),
                CidrProblem::WholeInternet => "every address".into(),
            },
            DiagnosticKind::BaseCidrTooSmall { .. } => "too small".into(),
            DiagnosticKind::OverlappingCidrs(..) => "overlaps another region's block".into(),
            DiagnosticKind::NodeGroupSizeOutOfOrder { .. } => "not between min and max".into(),
            DiagnosticKind::MixedArchitectures { .. } => "two CPU architectures".into(),
            DiagnosticKind::HostOutsideZone { .. } => "outside the zone".into(),
            DiagnosticKind::HostOutsideDomain { .. } => "outside the domain".into(),
            DiagnosticKind::QuotaTooSmall { needed, .. } => {
                format!("too small: they need {needed}")
            }
            DiagnosticKind::NoClusterAdmins => "no `adminRoles` here".into(),
            DiagnosticKind::InvalidRoleArn { problem, .. } => match problem {
                RoleArnProblem::Session => "an STS session".into(),
                RoleArnProblem::SsoWithoutPath => {
                    "no `aws-reserved/sso.amazonaws.com/` path".into()
                }
                RoleArnProblem::Malformed => "not a role".into(),
            },
            DiagnosticKind::AwsNameTooLong { .. } => "makes the name too long".into(),
            DiagnosticKind::OutputOutsideRoot { .. } => "leaves the platform root".into(),
            DiagnosticKind::UnownedFile { .. } => "not generated by pave".into(),
            DiagnosticKind::SymlinkInOutput { .. } => "a symbolic link".into(),
            DiagnosticKind::InvalidState { .. } => "not pave's state".into(),
            DiagnosticKind::InterruptedWrite { .. } => "interrupted".into(),
            DiagnosticKind::NoSpace { .. } => "full".into(),
            DiagnosticKind::OutputLocked { .. } => "locked".into(),
            DiagnosticKind::StaleFile { .. } => "stale".into(),
            DiagnosticKind::InvalidPlaceholder { problem, .. } => match problem {
                PlaceholderProblem::UnknownRoot { root } => {
                    format!("`{root}` is neither `metadata` nor `resources`")
                }
                PlaceholderProblem::MissingKey { .. } => "needs a key".into(),
                PlaceholderProblem::UnknownMetadataKey { .. } => "not in the metadata".into(),
                PlaceholderProblem::NotAMapping { parent, .. } => {
                    format!("`{parent}` is not a mapping")
                }
                PlaceholderProblem::UnknownResource { .. } => {
                    "not in the workload's `resources`".into()
                }
                PlaceholderProblem::MissingOutput { .. } => "needs an output".into(),
                PlaceholderProblem::UnknownOutput { .. } => "unknown output".into(),
                PlaceholderProblem::NotAVolume => "not a volume".into(),
                PlaceholderProblem::NotHere { .. } => "not allowed here".into(),
            },
            DiagnosticKind::UnknownResourceType { .. } => "unknown resource type".into(),
            DiagnosticKind::ScoreWithoutTenant { .. } => "no tenant".into(),
            DiagnosticKind::OverridesWithoutWorkload { .. } => "this file".into(),
            DiagnosticKind::MissingImage { .. } => "`image: .`".into(),
            DiagnosticKind::FileNotFound { .. } => "not found".into(),
            DiagnosticKind::MissingEnvironmentValue { .. } => "no value".into(),
            DiagnosticKind::UnknownPlaceholder { .. } => "unknown placeholder".into(),
            DiagnosticKind::UnknownResourceOutput { .. } => "no such output".into(),
            DiagnosticKind::NotADependency { .. } => "not in `dependsOn`".into(),
            DiagnosticKind::UnknownServiceOutput { .. } => "no such output".into(),
            DiagnosticKind::UnknownResourceParam { .. } => "unknown parameter".into(),
            DiagnosticKind::NoProvisioner { .. } => "not provided here".into(),
            DiagnosticKind::UnknownTypePlaceholder { .. } => "unknown placeholder".into(),
            DiagnosticKind::MissingOutputValue { .. } => "read here".into(),
            DiagnosticKind::SharedResourceConflict { .. } => "set differently here".into(),
            DiagnosticKind::RequiredAddonDisabled { .. } => "needed here".into(),
            DiagnosticKind::AtlasProjectMissing { .. } => "requested here".into(),
            DiagnosticKind::Internal { .. } => "here".into(),
            DiagnosticKind::PolicyViolation(violation) => violation.label.clone(),
            DiagnosticKind::PolicyError { .. } => "here".into(),
            DiagnosticKind::PolicyMetadata { .. } => "in this policy".into(),
            DiagnosticKind::DuplicatePolicyRule { .. } => "declared again here".into(),
            DiagnosticKind::UnknownPolicyRule { .. } => "unknown rule".into(),
            DiagnosticKind::InvalidDate { .. } => "not a date".into(),
            DiagnosticKind::UnusedWaiver { .. } => "no violation here".into(),
            DiagnosticKind::GatekeeperNotRunning => "enforcement asked for here".into(),
            DiagnosticKind::UnresolvedReference(unresolved) => {
                format!("referred to by {}", unresolved.referrer)
            }
            DiagnosticKind::PodSecurityMismatch { reason, .. } => reason.clone(),
            DiagnosticKind::ExpiredWaiver { today, .. } => format!("expired (today is {today})"),
        }
    }

    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            DiagnosticKind::Io { .. } => Some("check that the path exists and is readable".into()),
            DiagnosticKind::YamlSyntax { .. } => {
                Some("fix the YAML syntax; `yamllint` shows the same position".into())
            }
            DiagnosticKind::TabIndentation => {
                Some("YAML indentation must use spaces; replace the tab with spaces".into())
            }
            DiagnosticKind::InvalidEncoding { encoding } => Some(format!(
                "YAML specs are UTF-8: save the file as UTF-8 (`iconv -f {} -t UTF-8`, or your editor's encoding menu)",
                encoding.as_deref().unwrap_or("LATIN1")
            )),
            DiagnosticKind::ControlCharacter { in_value: false, .. } => Some(
                "YAML does not allow it in a file; remove it".into(),
            ),
            DiagnosticKind::ControlCharacter { in_value: true, .. } => Some(
                "remove it: kustomize and Flux refuse control characters in the objects they apply".into(),
            ),
            DiagnosticKind::FileTooLarge { .. } => {
                Some("split the specs into several files, one per tenant or service".into())
            }
            DiagnosticKind::SymlinkedSpec { .. } => Some(
                "specs are read as committed, the same on every machine: copy the file or folder in, or remove the link".into(),
            ),
            DiagnosticKind::BidiControl { .. } => Some(
                "remove it unless the text is meant to be right-to-left; reviewers see the text reordered".into(),
            ),
            DiagnosticKind::MoreDiagnostics { .. } => {
                Some("fix the ones shown and run pave again".into())
            }
            DiagnosticKind::DuplicateKey { key } => {
                Some(format!("remove one of the two `{key}` keys; YAML keeps only one"))
            }
            DiagnosticKind::UnsupportedYaml { .. } => {
                Some("write the value out as a plain mapping, list or scalar".into())
            }
            DiagnosticKind::NotAMapping => Some(
                "a spec document looks like `apiVersion: pave.dev/v1alpha1`, `kind: Service`, `metadata: {name: ...}`, `spec: {...}`".into(),
            ),
            DiagnosticKind::MissingKind => {
                Some("add `kind:` with one of Platform, Environment, Tenant, Service".into())
            }
            DiagnosticKind::UnknownApiVersion { .. } => {
                Some("pave specs use `apiVersion: pave.dev/v1alpha1`; Score workloads `apiVersion: score.dev/v1b1`".into())
            }
            DiagnosticKind::UnknownKind { found } => Some(match suggest(found, KINDS) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("the kinds are {}", KINDS.join(", ")),
            }),
            DiagnosticKind::UnknownField { field, known } => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match suggest(field, &known) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None if known.is_empty() => "remove this field".into(),
                    None => format!("the fields here are {}", list(&known)),
                })
            }
            DiagnosticKind::MissingField { field } => Some(format!("add `{field}`")),
            DiagnosticKind::WrongType { expected, found } => Some(
                if expected.contains("string") && (found == "a number" || found == "an integer") {
                    "put the value in quotes: unquoted, YAML reads it as a number (`1.30` becomes 1.3)"
                        .to_string()
                } else {
                    format!("write {expected} here")
                },
            ),
            DiagnosticKind::InvalidValue { help, .. } => help.clone(),
            DiagnosticKind::NoPlatform => Some(
                "`pave.yaml` marks the platform root and holds the `kind: Platform` document".into(),
            ),
            DiagnosticKind::MisplacedPlatform => {
                Some("keep one Platform document, in `pave.yaml` at the platform root".into())
            }
            DiagnosticKind::DuplicateName { kind, .. } => {
                Some(format!("each {kind} needs a unique name; rename or remove one"))
            }
            DiagnosticKind::UnknownReference { kind, name, known } => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match suggest(name, &known) {
                    Some(best) => format!("did you mean `{best}`? {}", kind.where_defined()),
                    None if known.is_empty() => kind.where_defined().to_string(),
                    None => format!("known: {}; {}", list(&known), kind.where_defined()),
                })
            }
            DiagnosticKind::EnvironmentNotUsed {
                environment,
                tenant,
            } => Some(format!(
                "add `{environment}` to the `environments` of tenant `{tenant}`, or remove this entry"
            )),
            DiagnosticKind::RegionNotUsed { region, .. } => Some(format!(
                "add `{region}` to the environment's `regions`, or remove this entry"
            )),
            DiagnosticKind::DependsOnItself { .. } => Some(
                "`dependsOn` lists the other services this one calls, to open the network to them; a service reaches itself without it: remove this entry".into(),
            ),
            DiagnosticKind::PromotionCycle { .. } => {
                Some("promotion order must be a line or tree; remove one `promotion.after`".into())
            }
            DiagnosticKind::ReplicasOutOfOrder { .. } => {
                Some("set `min` at most `max`; for a fixed count write `replicas: N`".into())
            }
            DiagnosticKind::MissingSchedule => {
                Some("add `schedule:` with a cron expression, e.g. `\"0 3 * * *\"`".into())
            }
            DiagnosticKind::UnexpectedSchedule { .. } => {
                Some("remove `schedule`, or set `workload: CronJob`".into())
            }
            DiagnosticKind::UnsupportedSetting { setting, .. } => Some(format!(
                "remove `{setting}`, or use a Deployment or StatefulSet"
            )),
            DiagnosticKind::NameTooLong { max, .. } => Some(format!(
                "Kubernetes names are at most 63 characters and pave derives longer names from this one; keep it within {max}"
            )),
            DiagnosticKind::NamespaceTooLong { .. } => Some(
                "pave names each namespace `<tenant>-<environment>`; shorten the tenant or the environment name".into(),
            ),
            DiagnosticKind::IngressConflict { other, .. } => Some(format!(
                "`{other}` already serves it; give this service another host or path"
            )),
            DiagnosticKind::DependencyNotAllowed {
                caller_tenant,
                target,
            } => Some(format!(
                "the tenant of `{target}` must consent: add `{caller_tenant}` to its `spec.network.allowFrom`"
            )),
            DiagnosticKind::DependencyNotDeployed { .. } => Some(
                "calls to it fail there; add the environment to the called tenant, or override the dependency away".into(),
            ),
            DiagnosticKind::LimitAboveMaximum { .. } => Some(
                "the namespace's LimitRange (stdlib/defaults.yaml `limitRange.max`) would reject the pod; choose a smaller size".into(),
            ),
            DiagnosticKind::RequestAboveLimit { .. } => {
                Some("a container may not request more than its limit; raise the limit or lower the request".into())
            }
            DiagnosticKind::ProbePortNotExposed { .. } => {
                Some("probe one of the ports under `port`/`ports`, or leave `port` out to use the first".into())
            }
            DiagnosticKind::EnvSecretClash { .. } => {
                Some("a variable comes from one place; remove it from `env` or from `secrets`".into())
            }
            DiagnosticKind::ReservedName { reason, .. } => Some((*reason).to_string()),
            DiagnosticKind::AddonDependencyCycle { .. } => Some(
                "add-ons cannot depend on each other in a circle; remove one `dependsOn` entry".into(),
            ),
            DiagnosticKind::AddonDependencyDisabled(disabled) => Some(format!(
                "Flux would wait for `{dependency}` forever; enable it there (`addons: {{{dependency}: {{enabled: true}}}}`) or disable `{addon}`",
                dependency = disabled.dependency,
                addon = disabled.addon,
            )),
            DiagnosticKind::AddonDependencyLayer { addon, dependency } => Some(format!(
                "the controllers layer must be ready before the configs layer is applied; move `{dependency}` to `layer: controllers`, or `{addon}` to `layer: configs`"
            )),
            DiagnosticKind::AddonSecretLayer { .. } => Some(
                "ExternalSecrets are applied with the configs layer, once the controllers layer is ready; an add-on whose pods need a Secret belongs in `layer: configs`".into(),
            ),
            DiagnosticKind::ReplicasExceedNodes { .. } => Some(
                "the chart places each replica on its own node (required anti-affinity), so the extra ones stay Pending and a Flux `wait` never ends: raise the `min` of the environment's untainted node groups, or ask for fewer replicas (without a value, pave uses the node count)".into(),
            ),
            DiagnosticKind::UnknownVariable { name, known } => {
                let known: Vec<String> = known.iter().map(|k| format!("${{{k}}}")).collect();
                let shown: Vec<&str> = known.iter().map(String::as_str).collect();
                let typed = format!("${{{name}}}");
                Some(match suggest(&typed, &shown) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the variables are {}", list(&shown)),
                })
            }
            DiagnosticKind::MissingGitopsRepository => Some(
                "set `spec.gitops.repository` to the Git URL Flux reads this tree from; until then only the Kubernetes manifests are written".into(),
            ),
            DiagnosticKind::InvalidCidr { problem, .. } => Some(match problem {
                CidrProblem::HostBits { network } => format!(
                    "write the block's network address: did you mean `{network}`?"
                ),
                CidrProblem::WholeInternet => "list the networks that need the public endpoint (an office, a VPN egress), or none to keep the endpoint private".into(),
                CidrProblem::VpcSize => "AWS VPC blocks are /16 (65,536 addresses) to /28, and pave splits each into three private and three public subnets, so it needs /24 or larger".into(),
            }),
            DiagnosticKind::BaseCidrTooSmall { position, .. } => Some(format!(
                "the region at position {position} of the Platform's regions takes /16 number {position} of the base block: use a larger base block, or set `network.cidrs` for this region"
            )),
            DiagnosticKind::OverlappingCidrs(..) => Some(
                "give each region a block of its own, so the VPCs can be peered or joined later"
                    .into(),
            ),
            DiagnosticKind::NodeGroupSizeOutOfOrder { .. } => Some(
                "set `min` at most `desired` and `desired` at most `max`; `desired` defaults to `min`"
                    .into(),
            ),
            DiagnosticKind::MixedArchitectures { .. } => Some(
                "a node group runs one AMI type; put Graviton (arm64) instance types in a group of their own"
                    .into(),
            ),
            DiagnosticKind::HostOutsideZone { zone, setting, .. } => Some(format!(
                "the host's certificate is validated with a record in the environment's zone: set `{setting}` to a host under `{zone}`, or set the Environment's `dns.zone`"
            )),
            DiagnosticKind::QuotaTooSmall {
                field,
                environment,
                needed,
                services,
                at_max,
                ..
            } => Some(format!(
                "at {} replicas, with init containers and sidecars counted as Kubernetes counts them, the services need {needed} ({services}); the namespace refuses pods beyond its quota (\"exceeded quota\"){}: set `spec.quotas.{environment}.{field}` to at least {needed}, or lower their replicas or resources",
                if *at_max { "maximum" } else { "minimum" },
                if *at_max { ", so the autoscaler cannot add the last replicas under load" } else { ", so some of them never start" }
            )),
            DiagnosticKind::HostOutsideDomain {
                domain, setting, ..
            } => Some(format!(
                "ExternalDNS makes records only under the platform domain (its `domainFilters`), so the host would never resolve: set `{setting}` to a host under `{domain}`, or set the Environment's `dns.zone`"
            )),
            DiagnosticKind::NoClusterAdmins => Some(
                "the identity that runs Terraform gets no access to the clusters; list the roles that bootstrap Flux and operate them in `terraform.adminRoles`".into(),
            ),
            DiagnosticKind::InvalidRoleArn { problem, .. } => Some(match problem {
                RoleArnProblem::Session => "EKS access entries name the role, never a session of it: write `arn:aws:iam::<account>:role/<name>` (`aws sts get-caller-identity` shows the session; `aws iam get-role` the role's ARN)".into(),
                RoleArnProblem::SsoWithoutPath => "EKS access entries take an IAM Identity Center role's ARN with its path, unlike `aws-auth`: write `arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<permission set>_<suffix>`, as `aws iam get-role` prints it".into(),
                RoleArnProblem::Malformed => "write a role name (with an optional path) of the environment's account, or a role ARN `arn:aws:iam::<12-digit account>:role/[<path>/]<name>`".into(),
            }),
            DiagnosticKind::AwsNameTooLong { max, .. } => Some(format!(
                "pave derives this name from the platform, environment, region and service names; shorten one of them so it fits in {max}"
            )),
            DiagnosticKind::OutputOutsideRoot { .. } => Some(
                "give a relative path without `..`, or pass `--out DIR` to write elsewhere".into(),
            ),
            DiagnosticKind::UnownedFile { .. } => Some(
                "move the file away, or choose another output folder with `--out`".into(),
            ),
            DiagnosticKind::SymlinkInOutput { .. } => Some(
                "pave never writes, deletes or reads through a symbolic link in the output folder; replace the link with a real folder or file".into(),
            ),
            DiagnosticKind::InvalidState { .. } => Some(
                "pave acted on none of it; delete the file (it is pave's own state, rebuilt by the next `pave compile`) and review how it got there".into(),
            ),
            DiagnosticKind::InterruptedWrite { .. } => Some(
                "run `pave compile`: it rolls the interrupted write back before anything else".into(),
            ),
            DiagnosticKind::NoSpace { .. } => Some(
                "nothing was changed; free that much space on the device (pave stages every file before it installs any) and compile again".into(),
            ),
            DiagnosticKind::OutputLocked { .. } => Some(
                "wait for the other run to finish; two runs on one tree cannot interleave".into(),
            ),
            DiagnosticKind::StaleFile { .. } => {
                Some("run `pave compile` and commit the result".into())
            }
            DiagnosticKind::InvalidPlaceholder { problem, .. } => Some(placeholder_help(problem)),
            DiagnosticKind::UnknownResourceType { type_, known } => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                let guess = suggest(type_, &known)
                    .map(|best| format!("did you mean `{best}`? "))
                    .unwrap_or_default();
                Some(format!(
                    "{guess}the catalogue has {}; a platform defines a new type with a `kind: ResourceType` spec (docs/resource-types.md)",
                    list(&known)
                ))
            }
            DiagnosticKind::ScoreWithoutTenant { .. } => Some(
                "put the file under `tenants/<tenant>/`, or add the annotation `pave.dev/tenant: <tenant>` to its `metadata`".into(),
            ),
            DiagnosticKind::OverridesWithoutWorkload { expected } => Some(format!(
                "`<name>.overrides.yaml` belongs beside the Score file `<name>.yaml`: add `{expected}`, or rename this file"
            )),
            DiagnosticKind::MissingImage { overrides, .. } => Some(format!(
                "give the image the pipeline built: `image: <repository>:<tag>` in `{overrides}` (as `score-k8s generate --image` does)"
            )),
            DiagnosticKind::FileNotFound { .. } => Some(
                "a file's `source` is a UTF-8 file of at most 1 MiB in the workload's folder or below it, relative to the Score file".into(),
            ),
            DiagnosticKind::MissingEnvironmentValue { key, environment } => Some(format!(
                "set `{key}` under `environment` in the overrides file, or under `environments.{environment}.environment`"
            )),
            DiagnosticKind::UnknownPlaceholder { .. } => Some(
                "use `${resources.NAME.OUTPUT}`, `${services.NAME.OUTPUT}` or `${metadata.name}`; write `$$` for a literal `$`"
                    .into(),
            ),
            DiagnosticKind::UnknownResourceOutput {
                resource_type,
                output,
                known,
                ..
            } => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match suggest(output, &known) {
                    Some(best) => format!("did you mean `{best}`? a `{resource_type}` has {}", list(&known)),
                    None => format!("a `{resource_type}` has {}", list(&known)),
                })
            }
            DiagnosticKind::NotADependency { service } => Some(format!(
                "add `{service}` to `spec.dependsOn`: a service reaches only what it depends on, and the dependency opens the network to it"
            )),
            DiagnosticKind::UnknownServiceOutput { output, known, .. } => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match suggest(output, &known) {
                    Some(best) => format!("did you mean `{best}`? a dependency has {}", list(&known)),
                    None => format!("a dependency has {}", list(&known)),
                })
            }
            DiagnosticKind::UnknownResourceParam { param, known } => {
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match suggest(param, &known) {
                    Some(best) => format!("did you mean `{best}`? this type takes {}", list(&known)),
                    None => format!("this type takes {}", list(&known)),
                })
            }
            DiagnosticKind::UnknownTypePlaceholder { known, .. } => Some(format!(
                "a resource type's templates may use {}; write `$$` for a literal `$`",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            DiagnosticKind::MissingOutputValue { .. } => Some(
                "add the output to an entry of the type's `external.values` whose `match` holds there"
                    .into(),
            ),
            DiagnosticKind::NoProvisioner { .. } => Some(
                "choose another class, or ask the platform team for a rule that provides it here"
                    .into(),
            ),
            DiagnosticKind::RequiredAddonDisabled { addon, environment, .. } => Some(format!(
                "switch `{addon}` on in environment `{environment}` (`spec.addons.{addon}.enabled`), or remove this"
            )),
            DiagnosticKind::AtlasProjectMissing { environment } => Some(format!(
                "set the Atlas project in environment `{environment}`'s spec: `atlas: {{projectId: <24 hexadecimal digits>}}` (its clusters' EnvironmentConfig `pave-atlas` and the Atlas provider's credentials come from it)"
            )),
            DiagnosticKind::SharedResourceConflict { .. } => Some(
                "requests of one type, class and id share a resource; give them the same parameters, or different ids"
                    .into(),
            ),
            DiagnosticKind::Internal { .. } => {
                Some("this is a bug in pave; please report it with the input that caused it".into())
            }
            DiagnosticKind::PolicyViolation(violation) => violation.help.clone(),
            DiagnosticKind::PolicyError { .. } => Some(
                "policies are Rego v1 (`deny contains msg if { ... }`); see docs/policies.md".into(),
            ),
            DiagnosticKind::PolicyMetadata { .. } => Some(
                "start the file with a `# METADATA` block: `custom.id` (kebab-case), `custom.severity` (deny or warn) and a `description`".into(),
            ),
            DiagnosticKind::DuplicatePolicyRule { .. } => {
                Some("rule ids are unique across stdlib/policies and the platform's policies".into())
            }
            DiagnosticKind::UnknownPolicyRule { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "rule ids come from the `custom.id` of each policy's METADATA; `pave check` lists violations by id".into(),
            }),
            DiagnosticKind::InvalidDate { .. } => {
                Some("write a calendar date as `YYYY-MM-DD`, e.g. `2027-03-31`".into())
            }
            DiagnosticKind::UnresolvedReference(unresolved) => {
                Some(unresolved.reference.help().into())
            }
            DiagnosticKind::PodSecurityMismatch { .. } => Some(
                "Kubernetes rejects pods that break the namespace's Pod Security level \
                 (kubernetes.io/docs/concepts/security/pod-security-standards): change the \
                 pod's settings, or the add-on's `podSecurity` and namespace"
                    .into(),
            ),
            DiagnosticKind::GatekeeperNotRunning => Some(
                "switch the add-on on, in the Platform's `spec.addons.gatekeeper.enabled` or an Environment's".into(),
            ),
            DiagnosticKind::UnusedWaiver { .. } => Some(
                "the rule finds nothing for this tenant or service any more: remove the waiver"
                    .into(),
            ),
            DiagnosticKind::ExpiredWaiver { .. } => Some(
                "fix what the rule reports and remove the waiver, or extend `expires` with a new review".into(),
            ),
        }
    }
}

fn placeholder_help(problem: &PlaceholderProblem) -> String {
    let close = |name: &str, known: &[String], what: &str| {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        match suggest(name, &known) {
            Some(best) => format!("did you mean `{best}`?"),
            None if known.is_empty() => format!("there are no {what}"),
            None => format!("the {what} are {}", list(&known)),
        }
    };
    match problem {
        PlaceholderProblem::UnknownRoot { .. } => "placeholders are `${metadata.KEY}` and `${resources.NAME.OUTPUT}`; write `$$` for a literal `$`".into(),
        PlaceholderProblem::MissingKey { root } => match *root {
            "metadata" => "name a metadata key: `${metadata.name}`".into(),
            _ => "name a resource and an output: `${resources.NAME.OUTPUT}`".into(),
        },
        PlaceholderProblem::UnknownMetadataKey { key, known } => close(key, known, "metadata keys"),
        PlaceholderProblem::NotAMapping { .. } => {
            "only mappings have keys; write `\\.` for a dot inside a key".into()
        }
        PlaceholderProblem::UnknownResource { name, known } => {
            let names: Vec<&str> = known.iter().map(String::as_str).collect();
            match suggest(name, &names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("{}; declare it under `resources`", close(name, known, "resources")),
            }
        }
        PlaceholderProblem::MissingOutput { type_, known, .. } => {
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            format!("outputs of a `{type_}` resource: {}", list(&known))
        }
        PlaceholderProblem::UnknownOutput { output, known, .. } => close(output, known, "outputs"),
        PlaceholderProblem::NotAVolume => {
            "write `source: ${resources.NAME}` with a resource of `type: volume`, or the name of a volume the tenant provides (`spec.volumes`)".into()
        }
        PlaceholderProblem::NotHere { reason, .. } => reason.clone(),
    }
}

/// The spec kinds, for suggestions.
const KINDS: &[&str] = &["Platform", "Environment", "Tenant", "Service", "Waiver"];

/// The candidate closest to `name`, if it is close enough to be a typo.
pub(crate) fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// `s` for a count other than one.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A character as `U+0000 (NUL)`, naming the controls people meet.
pub(crate) fn char_name(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\u{1B}' => " (ESC)",
        '\u{7F}' => " (DEL)",
        '\u{85}' => " (NEL)",
        '\u{200E}' => " (LEFT-TO-RIGHT MARK)",
        '\u{200F}' => " (RIGHT-TO-LEFT MARK)",
        '\u{202A}' => " (LEFT-TO-RIGHT EMBEDDING)",
        '\u{202B}' => " (RIGHT-TO-LEFT EMBEDDING)",
        '\u{202C}' => " (POP DIRECTIONAL FORMATTING)",
        '\u{202D}' => " (LEFT-TO-RIGHT OVERRIDE)",
        '\u{202E}' => " (RIGHT-TO-LEFT OVERRIDE)",
        '\u{2066}' => " (LEFT-TO-RIGHT ISOLATE)",
        '\u{2067}' => " (RIGHT-TO-LEFT ISOLATE)",
        '\u{2068}' => " (FIRST STRONG ISOLATE)",
        '\u{2069}' => " (POP DIRECTIONAL ISOLATE)",
        _ => "",
    };
    format!("U+{:04X}{name}", u32::from(c))
}

fn list(items: &[&str]) -> String {
    const SHOWN: usize = 12;
    let mut out = String::new();
    for (i, item) in items.iter().take(SHOWN).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{item}`");
    }
    if items.len() > SHOWN {
        let _ = write!(out, " and {} more", items.len() - SHOWN);
    }
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// A fixed text of pave's in a kind (an explanation, a field's name). An alias, so that serde's
/// derive does not take it for a text borrowed from the input (which would tie every kind's
/// `Deserialize` to `'static` input); [`static_str`] reads it.
type StaticStr = &'static str;

/// Reads a [`StaticStr`] back from the check cache. Those texts are few and short, and the cache
/// is read once per run, so leaking them costs a few bytes for the life of the process.
fn static_str<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let text: String = serde::Deserialize::deserialize(deserializer)?;
    Ok(Box::leak(text.into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("replcas", &["replicas", "size"]), Some("replicas"));
        assert_eq!(suggest("colour", &["replicas", "size"]), None);
        assert_eq!(suggest("payment", &["payments", "web"]), Some("payments"));
    }
}
