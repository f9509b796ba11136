//! The scenario language as data: what a scenario file says, after parsing and validation.
//! Steps act on the IdP side (directory, assignment, provisioning) or check the outcome; none
//! is raw HTTP. Objects are named by refs (`alice`), never by server ids.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::population::fill;

/// A position in a scenario file, 1-based, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: usize,
    pub column: usize,
}

/// A value with the position it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A name for a source object (user or group) chosen by the scenario author.
pub type Ref = String;

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it was read from (as given on the command line or found under `scenarios/`).
    pub file: PathBuf,
    pub name: String,
    pub description: String,
    /// The real-world symptom the scenario reproduces, shown by `list`.
    pub symptom: String,
    /// Profiles the scenario is written for; `None` means every profile that supports its steps.
    pub profiles: Option<Vec<String>>,
    /// Profile options (`patch_dialect: aadOptscim062020`), overridable with `--option`.
    pub options: BTreeMap<String, Spanned<String>>,
    pub steps: Vec<Spanned<Step>>,
}

/// Source attributes of an Entra-like directory user (idp-behavior.md §1.1 mapping sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UserAttr {
    UserPrincipalName,
    Mail,
    MailNickname,
    GivenName,
    Surname,
    DisplayName,
    JobTitle,
    Department,
    EmployeeId,
    /// Entra's `otherMails`, one address (the harness holds the first of the collection): the
    /// second email attribute PingFederate and PingOne map (PF-8, P1-7).
    OtherMails,
    AccountEnabled,
    /// A ref to another user.
    Manager,
}

impl UserAttr {
    pub const ALL: &'static [(&'static str, UserAttr)] = &[
        ("userPrincipalName", UserAttr::UserPrincipalName),
        ("mail", UserAttr::Mail),
        ("mailNickname", UserAttr::MailNickname),
        ("givenName", UserAttr::GivenName),
        ("surname", UserAttr::Surname),
        ("displayName", UserAttr::DisplayName),
        ("jobTitle", UserAttr::JobTitle),
        ("department", UserAttr::Department),
        ("employeeId", UserAttr::EmployeeId),
        ("otherMails", UserAttr::OtherMails),
        ("accountEnabled", UserAttr::AccountEnabled),
        ("manager", UserAttr::Manager),
    ];

    pub fn name(self) -> &'static str {
        UserAttr::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

/// A scalar attribute value as written in YAML; `accountEnabled` is a boolean, the rest text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    Text(String),
    Bool(bool),
    /// `null` in `update_user`: clear the attribute.
    Clear,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserSpec {
    pub user: Ref,
    pub attrs: BTreeMap<UserAttr, AttrValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpec {
    pub group: Ref,
    pub display_name: String,
    pub members: Vec<Ref>,
}

/// One template value of a generated population: the same for every user, or a list cycled
/// over them (`department: [Sales, Ops]`: u1 Sales, u2 Ops, u3 Sales, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cycle {
    Text(Vec<String>),
    Bool(Vec<bool>),
}

impl Cycle {
    /// The value of user `n` (1-based), with `{n}` filled in.
    pub fn for_user(&self, n: u64) -> AttrValue {
        match self {
            Cycle::Text(items) => AttrValue::Text(fill(pick::<String>(items, n), n)),
            Cycle::Bool(items) => AttrValue::Bool(*pick(items, n)),
        }
    }
}

/// The `n`-th (1-based) of a cycled list, from the start again past its end. The parser
/// refuses an empty list at its position, so an empty one here is a bug of ours (a panic,
/// exit 4), never a scenario file's mistake.
fn pick<T>(items: &[T], n: u64) -> &T {
    &items[(n.saturating_sub(1) % items.len() as u64) as usize]
}

/// `create_users` as written: a `{n}` template and a count, never the users themselves. A
/// 100,000-user step is a few hundred bytes here; each user's spec is made only when the step
/// is applied, and the IdP's tenant is the one place the generated users live.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// The ref template, `u{n}`.
    user: String,
    attrs: BTreeMap<UserAttr, Cycle>,
    count: u64,
}

impl Population {
    /// `attrs` without `accountEnabled` gets `true` for every user, as `create_user` does.
    pub fn new(user: String, mut attrs: BTreeMap<UserAttr, Cycle>, count: u64) -> Self {
        attrs
            .entry(UserAttr::AccountEnabled)
            .or_insert_with(|| Cycle::Bool(vec![true]));
        Population { user, attrs, count }
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ref of user `n` (1..=len), without the rest of its spec.
    pub fn user(&self, n: u64) -> Ref {
        fill(&self.user, n)
    }

    /// User `n` (1..=len) exactly as a `create_user` step would give it.
    pub fn spec(&self, n: u64) -> UserSpec {
        UserSpec {
            user: self.user(n),
            attrs: self
                .attrs
                .iter()
                .map(|(a, c)| (*a, c.for_user(n)))
                .collect(),
        }
    }

    /// Every user in order, each made as it is reached.
    pub fn specs(&self) -> impl Iterator<Item = UserSpec> + '_ {
        (1..=self.count).map(|n| self.spec(n))
    }
}

/// `create_groups` as written: a `{n}` group ref template, the display names cycled over the
/// groups, and a count. Like `Population`, the groups are made only when the step is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPopulation {
    /// The ref template, `g{n}`.
    group: String,
    /// Non-empty: the parser refuses an empty list.
    display_names: Vec<String>,
    count: u64,
}

impl GroupPopulation {
    pub fn new(group: String, display_names: Vec<String>, count: u64) -> Self {
        GroupPopulation {
            group,
            display_names,
            count,
        }
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ref of group `n` (1..=len).
    pub fn group(&self, n: u64) -> Ref {
        fill(&self.group, n)
    }

    /// Group `n` (1..=len), without members, as a `create_group` step would give it.
    pub fn spec(&self, n: u64) -> GroupSpec {
        GroupSpec {
            group: self.group(n),
            display_name: fill(pick::<String>(&self.display_names, n), n),
            members: Vec::new(),
        }
    }

    /// Every group in order, each made as it is reached.
    pub fn specs(&self) -> impl Iterator<Item = GroupSpec> + '_ {
        (1..=self.count).map(|n| self.spec(n))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeMode {
    AssignedOnly,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    Initial,
    Incremental,
    /// A scheduled import (Okta, §2.6): the IdP pages through the target's users; nothing is
    /// written.
    Import,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartKind {
    /// Keeps source↔target links (Entra "Restart provisioning").
    KeepLinks,
    /// Clears the connector data store (Graph `restart` with `resetScope: Full`).
    Full,
}

/// The outcome a step (`test_connection`) or log record is expected to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    Warning,
    Failure,
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    // --- source directory ---
    CreateUser(UserSpec),
    UpdateUser(UserSpec),
    DisableUser(Ref),
    EnableUser(Ref),
    SoftDeleteUser(Ref),
    RestoreUser(Ref),
    HardDeleteUser(Ref),
    CreateGroup(GroupSpec),
    RenameGroup {
        group: Ref,
        display_name: String,
    },
    AddMember {
        group: Ref,
        member: Ref,
    },
    RemoveMember {
        group: Ref,
        member: Ref,
    },
    DeleteGroup(Ref),
    // --- generated populations (real-size directories) ---
    /// `create_users`: a generated population, kept as its template; each user's spec is
    /// made when the step is applied, exactly as `create_user` would have produced it.
    CreateUsers(Population),
    /// `create_groups`: generated groups (no members), kept as a template like `create_users`.
    CreateGroups(GroupPopulation),
    /// `update_users`: the same change (with `{n}` filled in per user) to each selected user.
    UpdateUsers(Vec<UserSpec>),
    DisableUsers(Vec<Ref>),
    SoftDeleteUsers(Vec<Ref>),
    // --- application scope ---
    Assign(Ref),
    /// `assign: { users: "u1..u300" }`: every selected user, in one step.
    AssignUsers(Vec<Ref>),
    Unassign(Ref),
    SetScope(ScopeMode),
    /// Entra scoping filter on user attributes: the user is in scope when every clause of
    /// at least one group holds (clauses AND-ed, groups OR-ed). An empty list clears it.
    SetScopingFilter(Vec<Vec<ScopingClause>>),
    // --- provisioning ---
    Sync(SyncKind),
    Restart(RestartKind),
    ProvisionOnDemand(Ref),
    /// `expect_status` is the outcome the author expects (default success).
    TestConnection {
        expect_status: Status,
    },
    // --- target side, for conflict cases ---
    /// A record created directly on the server, as if it pre-existed. `attributes` is the
    /// SCIM JSON to POST (the run prefix is added to userName/externalId/displayName).
    TargetCreateUser {
        user: Ref,
        attributes: serde_json::Value,
    },
    /// A group created directly on the server, as if it pre-existed (the run prefix is added
    /// to displayName/externalId). `members` are target-only user refs, written as its members.
    TargetCreateGroup {
        group: Ref,
        attributes: serde_json::Value,
        members: Vec<Ref>,
    },
    /// Makes the built-in target misbehave (test-only fault switch); with any other target
    /// the scenario is skipped, and says why.
    TargetFault(FaultSpec),
    /// Removes every fault set with `target_fault`.
    TargetClearFaults,
    /// The vendor regenerates the bearer token: the IdP's token stops working (built-in
    /// target only).
    TargetRotateToken,
    /// The admin pastes the regenerated token into the IdP.
    IdpUpdateToken,
    // --- checks ---
    Expect(Expectation),
    Snapshot(String),
    /// Expectations that differ by profile where IdPs legitimately differ (Okta never
    /// deletes; event-driven IdPs send at each change): profile name → `expect` steps.
    PerProfile(BTreeMap<String, Vec<Spanned<Step>>>),
}

impl Step {
    /// The YAML key that introduces the step, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            Step::CreateUser(_) => "create_user",
            Step::UpdateUser(_) => "update_user",
            Step::DisableUser(_) => "disable_user",
            Step::EnableUser(_) => "enable_user",
            Step::SoftDeleteUser(_) => "soft_delete_user",
            Step::RestoreUser(_) => "restore_user",
            Step::HardDeleteUser(_) => "hard_delete_user",
            Step::CreateGroup(_) => "create_group",
            Step::AddMember { .. } => "add_member",
            Step::RemoveMember { .. } => "remove_member",
            Step::DeleteGroup(_) => "delete_group",
            Step::CreateUsers(_) => "create_users",
            Step::CreateGroups(_) => "create_groups",
            Step::UpdateUsers(_) => "update_users",
            Step::DisableUsers(_) => "disable_users",
            Step::SoftDeleteUsers(_) => "soft_delete_users",
            Step::Assign(_) | Step::AssignUsers(_) => "assign",
            Step::Unassign(_) => "unassign",
            Step::SetScope(_) => "set_scope",
            Step::Sync(_) => "sync",
            Step::Restart(_) => "restart",
            Step::ProvisionOnDemand(_) => "provision_on_demand",
            Step::TestConnection { .. } => "test_connection",
            Step::TargetCreateUser { .. } => "target_create_user",
            Step::TargetCreateGroup { .. } => "target_create_group",
            Step::RenameGroup { .. } => "rename_group",
            Step::SetScopingFilter(_) => "set_scoping_filter",
            Step::TargetFault(_) => "target_fault",
            Step::TargetClearFaults => "target_clear_faults",
            Step::TargetRotateToken => "target_rotate_token",
            Step::IdpUpdateToken => "idp_update_token",
            Step::Expect(_) => "expect",
            Step::Snapshot(_) => "snapshot",
            Step::PerProfile(_) => "per_profile",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// The target's record of a source object.
    Object(ObjectExpectation),
    /// The provisioning job's state: quarantined or not, and why.
    Job(JobExpectation),
    /// A provisioning-log record of the last cycle (or on-demand run).
    Log(LogExpectation),
    /// Logical requests sent in the last cycle; retries of transient faults not counted.
    Requests(RequestExpectation),
    /// Every user of a set, read from one listing of the target and matched locally.
    Users(UsersExpectation),
}

/// `expect: { users: "u1..u300", count: 1, active: true }`: each selected user holds every
/// check. One paged listing of `/Users` answers all of them, as a directory-sized check must.
#[derive(Debug, Clone, PartialEq)]
pub struct UsersExpectation {
    pub users: Vec<Ref>,
    pub present: Option<bool>,
    pub active: Option<bool>,
    /// Same meaning as `ObjectExpectation::attributes`, for each user.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// How many listed records carry each user's userName.
    pub count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectExpectation {
    /// `user: alice` or `group: sales`.
    pub object: Ref,
    pub is_group: bool,
    /// Present on the target (default true when other fields are given).
    pub present: Option<bool>,
    pub active: Option<bool>,
    /// SCIM attribute paths (`userName`, `name.givenName`, `emails[type eq "work"].value`,
    /// `urn:…:enterprise:2.0:User:department`) to expected values. `null` means absent.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Group members, as refs.
    pub members: Option<Vec<Ref>>,
    /// How many target records carry this object's userName (counting tombstones is not
    /// this: they carry a prefixed userName). Catches duplicates after re-create.
    pub count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogExpectation {
    pub object: Ref,
    /// `create | update | delete | disable | stagedDelete | other`.
    pub action: Option<String>,
    pub status: Option<Status>,
    pub skip_reason: Option<String>,
    pub error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestExpectation {
    pub total: Option<u64>,
    /// Per HTTP method (`GET`, `POST`, `PATCH`, `PUT`, `DELETE`).
    pub by_method: BTreeMap<String, u64>,
}

/// Entra's scoping-filter operators (the subset that applies to string and boolean sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopingOperator {
    Equals,
    NotEquals,
    IsTrue,
    IsFalse,
    IsNull,
    IsNotNull,
    /// The value is one of a comma-separated list.
    Includes,
    NotIncludes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopingClause {
    pub attribute: UserAttr,
    pub operator: ScopingOperator,
    /// Required for EQUALS, NOT EQUALS, INCLUDES, NOT INCLUDES; absent for the others.
    pub value: Option<String>,
}

/// How often an injected fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTimes {
    Always,
    /// The first request about each object only: a transient fault.
    OncePerObject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    /// HTTP method, upper case.
    pub method: String,
    /// Matches requests whose path contains this text, e.g. `/Users`.
    pub path: String,
    pub status: u16,
    pub times: FaultTimes,
    pub retry_after: Option<u64>,
    /// Only requests whose body or path mentions this source user (its userName or its
    /// target id), so one user can fail while the others succeed.
    pub user: Option<Ref>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobExpectation {
    pub quarantined: Option<bool>,
    /// `EncounteredQuarantineException`, `EncounteredEscrowProportionThreshold`, …
    pub reason: Option<String>,
}
