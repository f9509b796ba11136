//! The ref table: which names exist at each point of the step list, so every use of a ref is
//! checked in step order. Pure bookkeeping: it answers yes or why not, and builds no messages.

use std::collections::HashMap;

/// What a ref names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    User,
    Group,
    /// A record made directly on the server by `target_create_user`; it has no source object,
    /// so only `expect: { user: … }` may name it.
    TargetUser,
    /// A group made directly on the server by `target_create_group`; only
    /// `expect: { group: … }` may name it.
    TargetGroup,
}

impl RefKind {
    pub fn describe(self) -> &'static str {
        match self {
            RefKind::User => "a user ref",
            RefKind::Group => "a group ref",
            RefKind::TargetUser | RefKind::TargetGroup => "a target-only ref",
        }
    }
}

/// The kinds a use of a ref accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    User,
    Group,
    UserOrGroup,
    /// `expect: { user: … }`: a source user or a target-only record.
    ExpectedUser,
    /// `expect: { group: … }`: a source group or a target-only group.
    ExpectedGroup,
    /// `target_create_group` members: target-only users.
    TargetUser,
    /// `expect: { group: …, members: [...] }`: any user or group, target-only users included.
    ExpectedMember,
}

impl Accept {
    fn allows(self, kind: RefKind) -> bool {
        matches!(
            (self, kind),
            (Accept::User, RefKind::User)
                | (Accept::Group, RefKind::Group)
                | (Accept::UserOrGroup, RefKind::User | RefKind::Group)
                | (Accept::ExpectedUser, RefKind::User | RefKind::TargetUser)
                | (Accept::ExpectedGroup, RefKind::Group | RefKind::TargetGroup)
                | (Accept::TargetUser, RefKind::TargetUser)
                | (
                    Accept::ExpectedMember,
                    RefKind::User | RefKind::Group | RefKind::TargetUser
                )
        )
    }

    /// "expected …" for messages.
    pub fn expected(self) -> &'static str {
        match self {
            Accept::User => "a user created by an earlier `create_user`",
            Accept::Group => "a group created by an earlier `create_group`",
            Accept::UserOrGroup => {
                "a user or group created by an earlier `create_user` or `create_group`"
            }
            Accept::ExpectedUser => {
                "a user created by an earlier `create_user` or `target_create_user`"
            }
            Accept::ExpectedGroup => {
                "a group created by an earlier `create_group` or `target_create_group`"
            }
            Accept::TargetUser => "a user created by an earlier `target_create_user`",
            Accept::ExpectedMember => {
                "a user or group created by an earlier `create_user`, `create_group` or \
                 `target_create_user`"
            }
        }
    }
}

/// Whether a use acts on the object or only checks the target. A check may name a deleted
/// object: `expect: { user: alice, present: false }` after `hard_delete_user: alice` is the
/// point of many scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    Act,
    Check,
}

/// Why a ref cannot be used or created here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not created by any step so far.
    Unknown,
    WrongKind {
        kind: RefKind,
        created_line: usize,
    },
    Deleted {
        kind: RefKind,
        deleted_line: usize,
    },
    Duplicate {
        created_line: usize,
    },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    kind: RefKind,
    created_line: usize,
    deleted_line: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Refs {
    current: HashMap<String, Entry>,
    /// The first line that creates each name, anywhere in the file, to tell "used before it
    /// is created" from "never created".
    first_created: HashMap<String, usize>,
}

impl Refs {
    /// Creates `name`; fails if an object of that name exists and was not deleted. After
    /// `hard_delete_user` the name is free again: re-creating a user with the same UPN is a
    /// scenario in its own right.
    pub fn create(&mut self, name: &str, kind: RefKind, line: usize) -> Result<(), Problem> {
        self.first_created.entry(name.to_string()).or_insert(line);
        if let Some(e) = self.current.get(name) {
            if e.deleted_line.is_none() {
                return Err(Problem::Duplicate {
                    created_line: e.created_line,
                });
            }
        }
        self.current.insert(
            name.to_string(),
            Entry {
                kind,
                created_line: line,
                deleted_line: None,
            },
        );
        Ok(())
    }

    /// Marks `name` as deleted at `line`: later actions on it fail, checks still may name it.
    pub fn delete(&mut self, name: &str, line: usize) {
        if let Some(e) = self.current.get_mut(name) {
            e.deleted_line = Some(line);
        }
    }

    pub fn check(&self, name: &str, accept: Accept, usage: Usage) -> Result<(), Problem> {
        let e = self.current.get(name).ok_or(Problem::Unknown)?;
        if !accept.allows(e.kind) {
            return Err(Problem::WrongKind {
                kind: e.kind,
                created_line: e.created_line,
            });
        }
        match (usage, e.deleted_line) {
            (Usage::Act, Some(deleted_line)) => Err(Problem::Deleted {
                kind: e.kind,
                deleted_line,
            }),
            _ => Ok(()),
        }
    }

    /// The first line that creates `name`, if any step does.
    pub fn first_created(&self, name: &str) -> Option<usize> {
        self.first_created.get(name).copied()
    }

    /// Every name any step creates, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.first_created.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_of_a_user_ref() {
        let mut refs = Refs::default();
        assert_eq!(
            refs.check("alice", Accept::User, Usage::Act),
            Err(Problem::Unknown)
        );
        assert_eq!(refs.create("alice", RefKind::User, 3), Ok(()));
        assert_eq!(
            refs.create("alice", RefKind::User, 5),
            Err(Problem::Duplicate { created_line: 3 })
        );
        assert_eq!(
            refs.check("alice", Accept::Group, Usage::Act),
            Err(Problem::WrongKind {
                kind: RefKind::User,
                created_line: 3
            })
        );
        refs.delete("alice", 7);
        assert_eq!(refs.check("alice", Accept::User, Usage::Check), Ok(()));
        assert_eq!(
            refs.check("alice", Accept::User, Usage::Act),
            Err(Problem::Deleted {
                kind: RefKind::User,
                deleted_line: 7
            })
        );
        assert_eq!(refs.create("alice", RefKind::User, 9), Ok(()));
        assert_eq!(refs.check("alice", Accept::User, Usage::Act), Ok(()));
        assert_eq!(refs.first_created("alice"), Some(3));
    }
}
