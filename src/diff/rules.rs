//! Normalisation rules and the mutability matrix, as data: one [`RuleSet`] per kind or compute
//! type, nothing else in `diff` knows a field name. `docs/replace-matrix.md` documents the
//! matrix; keep the two in step.
//!
//! Patterns are JSON pointers with `*` (any key or index) and a trailing `**` (whole subtree).
//! Compute and schedule patterns are absolute; job patterns are relative to the job's
//! `JobBaseProperties`, so the same rules apply to a job (`/properties`) and to the job a schedule
//! creates (`/properties/action/jobDefinition`).

use std::sync::LazyLock;

use serde_json::Value;

use super::pointer::{self, Seg};
use crate::model::Kind;

/// Whether a field can change without recreating the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// Changed in place: PATCH (AmlCompute scale settings) or PUT (schedules, compute instance
    /// schedules and idle shutdown).
    InPlace,
    /// The resource must be deleted and created again.
    ForcesReplacement { why: &'static str },
}

/// A server default: when one side omits the field, it is compared as if it held this value.
#[derive(Clone, Copy, Debug)]
pub enum DefaultValue {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

impl DefaultValue {
    pub fn to_value(self) -> Value {
        match self {
            DefaultValue::Bool(b) => Value::Bool(b),
            DefaultValue::Int(i) => Value::from(i),
            DefaultValue::Str(s) => Value::from(s),
        }
    }
}

/// The rules for one kind or compute type.
#[derive(Debug)]
pub struct RuleSet {
    /// Read-only or server-populated: dropped from both sides, never compared, not in the
    /// fingerprint.
    pub server_fields: &'static [&'static str],
    /// Secrets: never compared, masked when shown.
    pub secret_fields: &'static [&'static str],
    /// Server defaults (filled into whichever side omits them).
    pub defaults: &'static [(&'static str, DefaultValue)],
    /// ISO-8601 durations, compared by meaning.
    pub durations: &'static [&'static str],
    /// Enum values and ARM ids, compared without regard to case.
    pub case_insensitive: &'static [&'static str],
    /// Azure locations (`East US` == `eastus`).
    pub locations: &'static [&'static str],
    /// Arrays compared as sets (sorted before comparing).
    pub unordered: &'static [&'static str],
    /// Objects the service enriches: a live field here is compared only when the desired body
    /// sets it (`**`: recursively, leaf by leaf).
    pub only_if_desired: &'static [&'static str],
    /// Mutability of fields, first match wins (a pattern covers its subtree).
    pub mutability: &'static [(&'static str, Mutability)],
    /// Fields the service rewrites while a resource runs (besides `server_fields`): left out of
    /// the live fingerprint so a saved plan is not refused because a job moved on.
    pub volatile: &'static [&'static str],
}

const EMPTY: RuleSet = RuleSet {
    server_fields: &[],
    secret_fields: &[],
    defaults: &[],
    durations: &[],
    case_insensitive: &[],
    locations: &[],
    unordered: &[],
    only_if_desired: &[],
    mutability: &[],
    volatile: &[],
};

const COMPUTE_METADATA_WHY: &str = "a compute PUT overwrites the whole compute (the service may recreate it) and \
     there is no in-place update for its description, so amlctl never rewrites an existing compute \
     for it (add the path to ignore_fields to accept the difference)";

/// Every compute, whatever its type.
pub static COMPUTE: RuleSet = RuleSet {
    server_fields: &[
        "/id",
        "/name",
        "/type",
        "/systemData",
        "/properties/provisioningState",
        "/properties/createdOn",
        "/properties/modifiedOn",
        "/properties/provisioningErrors",
        "/properties/isAttachedCompute",
        "/identity/principalId",
        "/identity/tenantId",
        "/identity/userAssignedIdentities/*/principalId",
        "/identity/userAssignedIdentities/*/clientId",
    ],
    case_insensitive: &[
        "/properties/computeType",
        "/properties/resourceId",
        "/properties/properties/subnet/id",
        "/identity/type",
        "/sku/name",
        "/sku/tier",
    ],
    locations: &["/location", "/properties/computeLocation"],
    only_if_desired: &[
        "/location",
        "/properties/computeLocation",
        "/properties/disableLocalAuth",
        "/identity/**",
        "/sku/**",
        "/properties/properties/*",
    ],
    mutability: &[
        // In place through the ARM Tags API at the compute's scope (never a compute PUT).
        ("/tags", Mutability::InPlace),
        (
            "/properties/description",
            Mutability::ForcesReplacement {
                why: COMPUTE_METADATA_WHY,
            },
        ),
        (
            "/properties/computeType",
            Mutability::ForcesReplacement {
                why: "the compute type cannot change",
            },
        ),
        (
            "/location",
            Mutability::ForcesReplacement {
                why: "a compute's location is fixed at creation",
            },
        ),
    ],
    ..EMPTY
};

const CI_WHY: &str = "compute instance settings are fixed at creation (the service accepts a PUT but \
     does not apply the change): the instance is deleted and created again and its local disk is lost";

/// `computeType: ComputeInstance`.
pub static COMPUTE_INSTANCE: RuleSet = RuleSet {
    server_fields: &[
        "/properties/properties/state",
        "/properties/properties/lastOperation",
        "/properties/properties/osImageMetadata",
        "/properties/properties/connectivityEndpoints",
        "/properties/properties/applications",
        "/properties/properties/createdBy",
        "/properties/properties/errors",
        "/properties/properties/containers",
        "/properties/properties/dataDisks",
        "/properties/properties/dataMounts",
        "/properties/properties/versions",
        "/properties/properties/sshSettings/adminUserName",
        "/properties/properties/sshSettings/sshPort",
        "/properties/properties/schedules/computeStartStop/*/id",
        "/properties/properties/schedules/computeStartStop/*/provisioningStatus",
    ],
    defaults: &[
        (
            "/properties/properties/enableNodePublicIp",
            DefaultValue::Bool(true),
        ),
        (
            "/properties/properties/schedules/computeStartStop/*/status",
            DefaultValue::Str("Enabled"),
        ),
        (
            "/properties/properties/schedules/computeStartStop/*/cron/timeZone",
            DefaultValue::Str("UTC"),
        ),
        (
            "/properties/properties/schedules/computeStartStop/*/recurrence/timeZone",
            DefaultValue::Str("UTC"),
        ),
    ],
    durations: &["/properties/properties/idleTimeBeforeShutdown"],
    case_insensitive: &[
        "/properties/properties/vmSize",
        "/properties/properties/applicationSharingPolicy",
        "/properties/properties/computeInstanceAuthorizationType",
        "/properties/properties/sshSettings/sshPublicAccess",
        "/properties/properties/personalComputeInstanceSettings/assignedUser/objectId",
        "/properties/properties/personalComputeInstanceSettings/assignedUser/tenantId",
        "/properties/properties/schedules/computeStartStop/*/status",
        "/properties/properties/schedules/computeStartStop/*/action",
        "/properties/properties/schedules/computeStartStop/*/triggerType",
        "/properties/properties/schedules/computeStartStop/*/recurrence/frequency",
        "/properties/properties/schedules/computeStartStop/*/recurrence/schedule/weekDays",
    ],
    unordered: &[
        "/properties/properties/schedules/computeStartStop/*/recurrence/schedule/hours",
        "/properties/properties/schedules/computeStartStop/*/recurrence/schedule/minutes",
        "/properties/properties/schedules/computeStartStop/*/recurrence/schedule/weekDays",
        "/properties/properties/schedules/computeStartStop/*/recurrence/schedule/monthDays",
    ],
    only_if_desired: &[
        "/properties/resourceId",
        "/properties/properties/sshSettings/*",
        "/properties/properties/schedules/computeStartStop/*/schedule",
    ],
    mutability: &[
        ("/properties/properties/schedules", Mutability::InPlace),
        (
            "/properties/properties/idleTimeBeforeShutdown",
            Mutability::InPlace,
        ),
    ],
    ..EMPTY
};

const AML_WHY: &str = "an AmlCompute cluster changes only its scale settings in place (PATCH); the \
     service accepts other changes in a PUT but keeps the old value, so the cluster is deleted and created again";

/// `computeType: AmlCompute`.
pub static AML_COMPUTE: RuleSet = RuleSet {
    server_fields: &[
        "/properties/properties/allocationState",
        "/properties/properties/allocationStateTransitionTime",
        "/properties/properties/errors",
        "/properties/properties/currentNodeCount",
        "/properties/properties/targetNodeCount",
        "/properties/properties/nodeStateCounts",
    ],
    secret_fields: &["/properties/properties/userAccountCredentials/adminUserPassword"],
    defaults: &[
        (
            "/properties/properties/vmPriority",
            DefaultValue::Str("Dedicated"),
        ),
        ("/properties/properties/osType", DefaultValue::Str("Linux")),
        (
            "/properties/properties/enableNodePublicIp",
            DefaultValue::Bool(true),
        ),
        (
            "/properties/properties/isolatedNetwork",
            DefaultValue::Bool(false),
        ),
        (
            "/properties/properties/scaleSettings/minNodeCount",
            DefaultValue::Int(0),
        ),
    ],
    durations: &["/properties/properties/scaleSettings/nodeIdleTimeBeforeScaleDown"],
    case_insensitive: &[
        "/properties/properties/vmSize",
        "/properties/properties/vmPriority",
        "/properties/properties/osType",
        "/properties/properties/remoteLoginPortPublicAccess",
    ],
    only_if_desired: &[
        "/properties/resourceId",
        "/properties/properties/userAccountCredentials/*",
    ],
    mutability: &[("/properties/properties/scaleSettings", Mutability::InPlace)],
    ..EMPTY
};

const K8S_WHY: &str = "a Kubernetes compute is an attachment: changing it means detaching and attaching \
     again (the cluster itself is kept; jobs running on it are interrupted)";

/// `computeType: Kubernetes`.
pub static KUBERNETES: RuleSet = RuleSet {
    secret_fields: &[
        "/properties/properties/relayConnectionString",
        "/properties/properties/serviceBusConnectionString",
    ],
    defaults: &[(
        "/properties/properties/namespace",
        DefaultValue::Str("default"),
    )],
    ..EMPTY
};

/// Schedules (`Microsoft.MachineLearningServices/workspaces/schedules`).
pub static SCHEDULE: RuleSet = RuleSet {
    server_fields: &[
        "/id",
        "/name",
        "/type",
        "/systemData",
        "/properties/provisioningState",
    ],
    defaults: &[
        ("/properties/isEnabled", DefaultValue::Bool(true)),
        ("/properties/trigger/timeZone", DefaultValue::Str("UTC")),
    ],
    case_insensitive: &[
        "/properties/trigger/triggerType",
        "/properties/trigger/frequency",
        "/properties/trigger/schedule/weekDays",
        "/properties/action/actionType",
    ],
    unordered: &[
        "/properties/trigger/schedule/hours",
        "/properties/trigger/schedule/minutes",
        "/properties/trigger/schedule/weekDays",
        "/properties/trigger/schedule/monthDays",
    ],
    only_if_desired: &[
        // Create-only; the service names a schedule after itself when the PUT has no
        // displayName, and keeps it on a later PUT without one.
        "/properties/displayName",
        "/properties/properties/*",
        "/properties/trigger/startTime",
        "/properties/action/endpointInvocationDefinition/**",
        "/properties/action/monitorDefinition/**",
    ],
    mutability: &[(
        "/properties/displayName",
        Mutability::ForcesReplacement {
            why: "a schedule's displayName is create-only",
        },
    )],
    ..EMPTY
};

/// Job bodies (`JobBaseProperties`), relative: used at `/properties` for jobs and at
/// `/properties/action/jobDefinition` for the job a schedule creates. Jobs have no mutability
/// matrix: see [`JOB_UPDATABLE`].
pub static JOB: RuleSet = RuleSet {
    server_fields: &[
        "/status",
        "/parameters",
        "/services/*/status",
        "/services/*/errorMessage",
    ],
    defaults: &[
        ("/experimentName", DefaultValue::Str("Default")),
        ("/resources/instanceCount", DefaultValue::Int(1)),
        ("/trial/resources/instanceCount", DefaultValue::Int(1)),
    ],
    durations: &["/limits/timeout", "/limits/trialTimeout"],
    case_insensitive: &[
        "/jobType",
        "/computeId",
        "/environmentId",
        "/codeId",
        "/componentId",
        "/identity/identityType",
        "/inputs/*/jobInputType",
        "/inputs/*/mode",
        "/outputs/*/jobOutputType",
        "/outputs/*/mode",
        "/distribution/distributionType",
        "/limits/jobLimitsType",
        "/queueSettings/jobTier",
        "/trial/environmentId",
        "/trial/codeId",
        "/trial/distribution/distributionType",
        "/objective/goal",
        "/samplingAlgorithm/samplingAlgorithmType",
        "/earlyTermination/policyType",
    ],
    only_if_desired: &[
        "/*",
        "/properties/**",
        "/services/**",
        "/inputs/**",
        "/outputs/**",
        "/jobs/**",
        "/settings/**",
        "/resources/**",
        "/trial/**",
        "/identity/**",
        "/limits/**",
        "/distribution/**",
        "/queueSettings/**",
        "/notificationSetting/**",
        "/earlyTermination/**",
        "/samplingAlgorithm/**",
    ],
    // Run bookkeeping: start/end times and run ids in `properties`, endpoints in `services`.
    volatile: &["/properties", "/services"],
    ..EMPTY
};

/// The only job fields that can change after submission (relative to `JobBaseProperties`).
pub const JOB_UPDATABLE: &[&str] = &["/tags", "/description", "/displayName"];

/// The envelope fields of a job (absolute).
pub static JOB_ENVELOPE: RuleSet = RuleSet {
    server_fields: &["/id", "/name", "/type", "/systemData"],
    ..EMPTY
};

/// Compute types amlctl knows rules for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComputeType {
    ComputeInstance,
    AmlCompute,
    Kubernetes,
    Other,
}

impl ComputeType {
    pub fn of(body: &Value) -> ComputeType {
        let t = body
            .pointer("/properties/computeType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        match t.as_str() {
            "computeinstance" => ComputeType::ComputeInstance,
            "amlcompute" => ComputeType::AmlCompute,
            "kubernetes" => ComputeType::Kubernetes,
            _ => ComputeType::Other,
        }
    }
}

/// One rule set placed at a root pointer.
#[derive(Clone, Debug)]
pub struct Placed {
    pub root: &'static str,
    pub set: &'static RuleSet,
}

/// The pattern lists of a [`RuleSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    ServerFields,
    SecretFields,
    Durations,
    CaseInsensitive,
    Locations,
    Unordered,
    OnlyIfDesired,
    Volatile,
}

impl List {
    const ALL: [List; 8] = [
        List::ServerFields,
        List::SecretFields,
        List::Durations,
        List::CaseInsensitive,
        List::Locations,
        List::Unordered,
        List::OnlyIfDesired,
        List::Volatile,
    ];

    fn of(self, set: &'static RuleSet) -> &'static [&'static str] {
        match self {
            List::ServerFields => set.server_fields,
            List::SecretFields => set.secret_fields,
            List::Durations => set.durations,
            List::CaseInsensitive => set.case_insensitive,
            List::Locations => set.locations,
            List::Unordered => set.unordered,
            List::OnlyIfDesired => set.only_if_desired,
            List::Volatile => set.volatile,
        }
    }
}

/// The rules that apply to one resource body, with their patterns parsed and rooted once.
#[derive(Debug)]
pub struct Rules {
    pub kind: Kind,
    pub parts: Vec<Placed>,
    /// Mutability of a field no rule names.
    pub default_mutability: Mutability,
    lists: Vec<Vec<Vec<Seg>>>,
    defaults: Vec<(Vec<Seg>, Value)>,
    mutability: Vec<(Vec<Seg>, Mutability)>,
}

/// The distinct rule combinations, built once.
#[derive(Clone, Copy)]
enum Flavour {
    ComputeInstance,
    AmlCompute,
    Kubernetes,
    OtherCompute,
    ScheduleCreatingJob,
    OtherSchedule,
    Job,
}

static FLAVOURS: LazyLock<Vec<Rules>> = LazyLock::new(|| {
    [
        Flavour::ComputeInstance,
        Flavour::AmlCompute,
        Flavour::Kubernetes,
        Flavour::OtherCompute,
        Flavour::ScheduleCreatingJob,
        Flavour::OtherSchedule,
        Flavour::Job,
    ]
    .into_iter()
    .map(Rules::build)
    .collect()
});

impl Rules {
    fn build(flavour: Flavour) -> Rules {
        let at = |root, set| Placed { root, set };
        let compute = |specific: Option<&'static RuleSet>, why: &'static str| {
            let mut parts = Vec::new();
            if let Some(set) = specific {
                parts.push(at("", set));
            }
            parts.push(at("", &COMPUTE));
            (Kind::Compute, parts, Mutability::ForcesReplacement { why })
        };
        let (kind, parts, default_mutability) = match flavour {
            Flavour::ComputeInstance => compute(Some(&COMPUTE_INSTANCE), CI_WHY),
            Flavour::AmlCompute => compute(Some(&AML_COMPUTE), AML_WHY),
            Flavour::Kubernetes => compute(Some(&KUBERNETES), K8S_WHY),
            Flavour::OtherCompute => compute(
                None,
                "amlctl knows no in-place update for this compute type",
            ),
            Flavour::ScheduleCreatingJob => (
                Kind::Schedule,
                vec![
                    at("", &SCHEDULE),
                    at("/properties/action/jobDefinition", &JOB),
                ],
                Mutability::InPlace,
            ),
            Flavour::OtherSchedule => {
                (Kind::Schedule, vec![at("", &SCHEDULE)], Mutability::InPlace)
            }
            // Job mutability is never consulted: job changes are classified by JOB_UPDATABLE.
            Flavour::Job => (
                Kind::Job,
                vec![at("", &JOB_ENVELOPE), at("/properties", &JOB)],
                Mutability::InPlace,
            ),
        };
        let lists = List::ALL
            .iter()
            .map(|list| {
                parts
                    .iter()
                    .flat_map(|p| {
                        list.of(p.set)
                            .iter()
                            .map(move |pat| pointer::rooted(p.root, pat))
                    })
                    .collect()
            })
            .collect();
        let defaults = parts
            .iter()
            .flat_map(|p| {
                p.set
                    .defaults
                    .iter()
                    .map(move |(pat, v)| (pointer::rooted(p.root, pat), v.to_value()))
            })
            .collect();
        let mutability = parts
            .iter()
            .flat_map(|p| {
                p.set
                    .mutability
                    .iter()
                    .map(move |(pat, m)| (pointer::rooted(p.root, pat), *m))
            })
            .collect();
        Rules {
            kind,
            parts,
            default_mutability,
            lists,
            defaults,
            mutability,
        }
    }

    /// Pick the rules from the body (the desired one when there is one: it decides the type).
    pub fn for_body(kind: Kind, body: &Value) -> &'static Rules {
        let flavour = match kind {
            Kind::Compute => match ComputeType::of(body) {
                ComputeType::ComputeInstance => Flavour::ComputeInstance,
                ComputeType::AmlCompute => Flavour::AmlCompute,
                ComputeType::Kubernetes => Flavour::Kubernetes,
                ComputeType::Other => Flavour::OtherCompute,
            },
            Kind::Schedule => {
                let creates_job = body
                    .pointer("/properties/action/actionType")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("CreateJob"));
                if creates_job {
                    Flavour::ScheduleCreatingJob
                } else {
                    Flavour::OtherSchedule
                }
            }
            Kind::Job => Flavour::Job,
        };
        &FLAVOURS[flavour as usize]
    }

    /// Every pattern of one list, rooted.
    pub fn patterns(&self, list: List) -> &[Vec<Seg>] {
        let i = List::ALL.iter().position(|l| *l == list).unwrap_or(0);
        self.lists.get(i).map(Vec::as_slice).unwrap_or_default()
    }

    /// Defaults, rooted.
    pub fn defaults(&self) -> &[(Vec<Seg>, Value)] {
        &self.defaults
    }

    /// Mutability of one field (a concrete path): the first pattern covering it.
    pub fn mutability(&self, path: &[String]) -> Mutability {
        self.mutability
            .iter()
            .find(|(pat, _)| pointer::covers(pat, path))
            .map_or(self.default_mutability, |(_, m)| *m)
    }

    /// For jobs: can this field change after submission?
    pub fn job_updatable(path: &[String]) -> bool {
        JOB_UPDATABLE
            .iter()
            .any(|pat| pointer::covers(&pointer::rooted("/properties", pat), path))
    }
}
