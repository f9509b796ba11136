//! The choices an IdP makes that the engine acts on, as data: how it finds groups, what it
//! does with objects the target already holds, when it pushes, and what a lost user becomes.

/// How an unlinked group is found on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupLookup {
    /// `match_group`'s filter query.
    Filter,
    /// List every group (paging) and match the name locally (PingFederate, idp-behavior.md §3).
    ListAll,
}

/// What happens when the lookup finds a group with the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingGroup {
    /// Link it and write deltas from now on (Entra).
    Adopt,
    /// Refuse: the group cannot be pushed (Okta without Group Linking, §2.5).
    Fail,
    /// Link it and add the IdP's members to those it has (PingOne "merge", §4).
    Merge,
    /// Link it and replace its members with the IdP's (PingOne "overwrite", §4).
    Overwrite,
}

/// What happens when the matching query finds an unlinked user with the same identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingUser {
    /// Link it and write the IdP's values to it (Entra, Okta, Ping; CyberArk "overwrite").
    Adopt,
    /// Leave it as it is, unlinked, and log why (CyberArk "no overwrite", CA-7): nothing is
    /// written to it, and the next pass finds it again.
    Leave,
}

/// What happens to a linked group that is unassigned or deleted in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRemoval {
    /// `DELETE /Groups/{id}`.
    Delete,
    /// The group stays on the target with its members; the IdP forgets the link (CyberArk:
    /// removing a role mapping leaves the destination group, CA-4).
    Keep,
}

/// When changes reach the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduling {
    /// Periodic cycles: nothing is sent until a `sync` step (Entra, PingFederate polling).
    Cycles,
    /// Each directory change is pushed at once (Okta, PingOne).
    Events,
}

/// A kind of user write an IdP's admin can switch off (PingOne's `CREATE_USERS`,
/// `UPDATE_USERS`, `DISABLE_USERS`, P1-1; PingFederate's User Create / Update /
/// Disable-Delete are the documented siblings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserWrite {
    /// The POST of a user no match found.
    Create,
    /// A change pushed to an entitled, linked user, reactivation included.
    Update,
    /// The disable or delete of a user that stopped being entitled.
    Deprovision,
}

/// Why a managed user stops being entitled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprovision {
    /// Unassigned, or out of the scope or scoping filter.
    Unassigned,
    /// Blocked from sign-in / suspended in the source.
    Disabled,
    /// In the source's recycle bin.
    SoftDeleted,
    /// Permanently deleted in the source.
    Purged,
}

/// What the IdP then does on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeprovisionAction {
    /// Deactivate (`active` false). `stays_managed: false` is Entra's "no longer managed"
    /// after an unassignment (§1.6): later deletes send nothing.
    Disable {
        stays_managed: bool,
    },
    Delete,
    Nothing,
}
